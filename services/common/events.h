// Reading the event log (events.log, docs/events.md) without ever missing an
// event.
//
// Positions are handed out before commit, so a reader that only remembers
// the highest position seen would skip an event whose transaction started
// first but committed last. ReadEvents only returns events whose transaction
// is older than every transaction still running (pg_snapshot_xmin), in
// (txid, position) order; a cursor is the last (txid, position) processed.
// A transaction that commits later has a txid at or above that xmin, so it
// always sorts after the cursor. A long transaction delays delivery; it
// never loses an event.
//
// Consumers (consumer.h) read a batch, apply it and advance their cursor in
// one transaction; the cursor row is only written at the end, with a check
// that nobody else moved it meanwhile, so no lock is held through a batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/time.h"

namespace accueil::events {

struct Cursor {
  std::string txid = "0";  // xid8 as text
  int64_t position = 0;
};

struct Event {
  std::string txid;
  int64_t position = 0;
  std::string type;     // e.g. "appointment.booked"
  std::string source;   // owning service, e.g. "booking"
  std::string subject;  // resource name, e.g. "appointments/12"
  int64_t site_id = 0;  // 0 when not tied to a site
  absl::Time occurred_time;
  std::string payload_json;
  // Past activity loaded in bulk (history.h): count it, never act on it
  // (no message, no survey).
  bool history = false;
  Cursor cursor() const { return Cursor{txid, position}; }
};

// The logs read this way: `events.log`, the public log every module may
// consume, kept for statistics and free of personal data; and
// `events.audit_outbox`, the audit records of agents' calls written in the
// call's own transaction, which only the access module consumes (and empties).
enum class Log { kEvents, kAuditOutbox };

// ReadEvents returns up to `limit` events of `log` after `after` that are
// safe to read (see above), oldest first.
std::vector<Event> ReadEvents(pqxx::transaction_base& tx, const Cursor& after, int limit,
                              Log log = Log::kEvents);

// LastSafeEvent returns the cursor of the newest event of `log` that is safe
// to read now: where ReadEvents, called again and again from any cursor,
// would stop. Every event up to it has committed or rolled back, and every
// event written later sorts after it, so the events up to it never change.
// nullopt when no event is safe to read (an empty log).
// A backfill reads up to it and moves a consumer's cursor there
// (services/metrics/backfill.h).
std::optional<Cursor> LastSafeEvent(pqxx::transaction_base& tx, Log log = Log::kEvents);

// LoadCursor returns the consumer's cursor, the beginning of the log for a
// consumer not seen before. It takes no lock.
Cursor LoadCursor(pqxx::transaction_base& tx, const std::string& consumer);

// AdvanceCursor moves the consumer's cursor from `from` to `to` in `tx`;
// false (nothing written) when the cursor is no longer at `from`: another
// instance processed a batch meanwhile, and `tx` must be rolled back.
// `log` is the log it reads (the event log's retention waits for its
// consumers only).
bool AdvanceCursor(pqxx::transaction_base& tx, const std::string& consumer, const Cursor& from,
                   const Cursor& to, absl::Time now, Log log = Log::kEvents);

// Pending: the events of `log` after `after` that are safe to read,
// counted up to kPendingCountLimit, and when the oldest of those occurred
// (nullopt when there is none: the reader is caught up).
struct Pending {
  int64_t count = 0;
  std::optional<absl::Time> oldest;
};
inline constexpr int kPendingCountLimit = 100000;
Pending PendingAfter(pqxx::transaction_base& tx, const Cursor& after, Log log = Log::kEvents);

}  // namespace accueil::events
