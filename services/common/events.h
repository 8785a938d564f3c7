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
// Consumers process events and advance their cursor in one transaction:
//
//   pqxx::work tx(conn);
//   events::Cursor cursor = events::LockCursor(tx, "notify");
//   for (const events::Event& e : events::ReadEvents(tx, cursor, 100)) {
//     ... act on e in tx ...
//     cursor = e.cursor();
//   }
//   events::SaveCursor(tx, "notify", cursor);
//   tx.commit();
#pragma once

#include <cstdint>
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
  Cursor cursor() const { return Cursor{txid, position}; }
};

// ReadEvents returns up to `limit` events after `after` that are safe to
// read (see above), oldest first.
std::vector<Event> ReadEvents(pqxx::transaction_base& tx, const Cursor& after, int limit);

// LockCursor returns the consumer's cursor (the beginning for a new
// consumer) and locks it until `tx` ends, so that two replicas of one
// consumer never process the same batch.
Cursor LockCursor(pqxx::transaction_base& tx, const std::string& consumer);

// SaveCursor records the consumer's progress in `tx`.
void SaveCursor(pqxx::transaction_base& tx, const std::string& consumer, const Cursor& cursor);

}  // namespace accueil::events
