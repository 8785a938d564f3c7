// What the metrics tests share (backfill_test.cc, property_test.cc):
//   - RandomHistory: a seeded random but valid history of appointments,
//     visits and walk-ins, as events written straight into events.log
//     (shared.append_event), in transactions of random sizes, some of them
//     crossed so that log order (txid, position) differs from position order;
//   - Recompute: the month rollups recomputed from the raw events in C++,
//     from the definitions of docs/indicators.md (facts, measures, bounds),
//     independently of metrics' SQL;
//   - consistent reads of what metrics holds (rollups, facts, the consumer's
//     cursor), and waiting for the consumer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "services/common/events.h"

namespace accueil::testing::metrics_test {

// One event to write: `site` 0 writes a null site_id.
struct LogEvent {
  std::string type;
  std::string subject;
  int64_t site = 0;
  absl::Time time;
  nlohmann::json payload;
};

struct History {
  // Written one transaction after the other.
  std::vector<std::vector<LogEvent>> transactions;
  // Written after them, each as two crossed transactions: the first
  // writes `first_begin`, the second writes `second` and commits, the first
  // writes `first_end` and commits. The first's events sort before the
  // second's in the log (txid), although `second` got lower positions.
  struct Crossed {
    std::vector<LogEvent> first_begin, second, first_end;
  };
  std::vector<Crossed> crossed;
  int64_t events = 0;
};

// RandomHistory: about `appointments` appointments (booked, moved,
// cancelled by the person, an agent or a closure, arrived late or not,
// no-shows undone or not, served or not), their visits, and `walk_ins`
// walk-ins, on four sites (Europe/Paris; Europe/Paris written without a
// zone, as before migration 0011; Indian/Reunion; America/Cayenne), around
// the daylight-saving changes of 29 March and 25 October 2026 and the ends of
// months, plus events about appointments metrics never saw booked. Ids (of
// sites, desks, appointments, visits, walk-ins) are above `id_base`.
History RandomHistory(uint32_t seed, int64_t id_base, int appointments = 200, int walk_ins = 60);

// AppendHistory writes `history` into the database at `url`.
void AppendHistory(const std::string& url, const History& history);

// A rollup: (site, desk, day or month "YYYY-MM-DD", measure) -> count, sum in
// millionths, histogram.
struct Rollup {
  int64_t count = 0;
  int64_t sum_micros = 0;
  std::vector<int64_t> histogram;
  bool operator==(const Rollup& o) const {
    return count == o.count && sum_micros == o.sum_micros && histogram == o.histogram;
  }
};
using RollupKey = std::tuple<int64_t, int64_t, std::string, std::string>;
using Rollups = std::map<RollupKey, Rollup>;

// Recompute: the month rollups of `events` (in log order), from the
// definitions of docs/indicators.md.
Rollups Recompute(const std::vector<events::Event>& events);

// AtCursor: read in one snapshot: the consumer's cursor, the month rollups,
// and the events of the log up to the cursor (what the rollups are made of).
struct AtCursor {
  events::Cursor cursor;
  Rollups months;
  std::vector<events::Event> events;
};
AtCursor ReadAtCursor(const std::string& url);

// SameRollups: equal, or the first differences.
::testing::AssertionResult SameRollups(const Rollups& stored, const Rollups& recomputed);

// Tables: metrics' facts and rollups as text rows, sorted, with the
// consumer's cursor, read in one snapshot.
struct Tables {
  events::Cursor cursor;
  std::map<std::string, std::vector<std::string>> rows;  // by table
};
Tables ReadTables(const std::string& url);
::testing::AssertionResult SameTables(const Tables& a, const Tables& b);

// WaitForConsumer returns once metrics.rollup's cursor is at the newest
// event of the log; fails after 60 s.
::testing::AssertionResult WaitForConsumer(const std::string& url);

// The newest event of the log ((0, 0) when empty).
events::Cursor NewestEvent(const std::string& url);

// CursorLess orders cursors as the log does (txid, then position).
bool CursorLess(const events::Cursor& a, const events::Cursor& b);
bool SameCursor(const events::Cursor& a, const events::Cursor& b);
std::string CursorText(const events::Cursor& c);

// The moves of metrics.rollup's cursor, in commit order, recorded by a
// trigger that RecordCursorMoves installs (test database only).
struct CursorMove {
  events::Cursor from;  // (0, 0) when the row was created
  events::Cursor to;
  absl::Time time;  // the mover's clock (update_time)
};
void RecordCursorMoves(const std::string& url);
std::vector<CursorMove> CursorMoves(const std::string& url);

// ResetConsumer empties metrics' facts and rollups and puts the consumer's
// cursor back at the beginning of the log, in one transaction, with an event
// metrics ignores and a wake-up: the consumer replays the whole log.
void ResetConsumer(const std::string& url);

// WaitForReadable returns once `event` is safe to read
// (events::LastSafeEvent); fails after 60 s.
::testing::AssertionResult WaitForReadable(const std::string& url, const events::Cursor& event);

// WaitForLockWait returns once a session of the database waits on a lock
// while running a statement LIKE `query`; fails after 60 s.
::testing::AssertionResult WaitForLockWait(const std::string& url, const std::string& query);

}  // namespace accueil::testing::metrics_test
