#include "services/common/events.h"

namespace accueil::events {

std::vector<Event> ReadEvents(pqxx::transaction_base& tx, const Cursor& after, int limit) {
  pqxx::result r = tx.exec_params(
      "SELECT txid::text, position, type, source, subject, coalesce(site_id, 0), "
      "  (extract(epoch from occurred_time) * 1000000)::bigint, payload::text "
      "FROM events.log "
      "WHERE (txid, position) > ($1::xid8, $2) "
      "  AND txid < pg_snapshot_xmin(pg_current_snapshot()) "
      "ORDER BY txid, position LIMIT $3",
      after.txid, after.position, limit);
  std::vector<Event> events;
  events.reserve(r.size());
  for (const auto& row : r) {
    Event e;
    e.txid = row[0].as<std::string>();
    e.position = row[1].as<int64_t>();
    e.type = row[2].as<std::string>();
    e.source = row[3].as<std::string>();
    e.subject = row[4].as<std::string>();
    e.site_id = row[5].as<int64_t>();
    e.occurred_time = absl::FromUnixMicros(row[6].as<int64_t>());
    e.payload_json = row[7].as<std::string>();
    events.push_back(std::move(e));
  }
  return events;
}

Cursor LockCursor(pqxx::transaction_base& tx, const std::string& consumer) {
  tx.exec_params("INSERT INTO events.cursors (consumer) VALUES ($1) ON CONFLICT DO NOTHING",
                 consumer);
  pqxx::row row = tx.exec_params1(
      "SELECT txid::text, position FROM events.cursors WHERE consumer = $1 "
      "FOR UPDATE",
      consumer);
  return Cursor{row[0].as<std::string>(), row[1].as<int64_t>()};
}

void SaveCursor(pqxx::transaction_base& tx, const std::string& consumer, const Cursor& cursor) {
  tx.exec_params(
      "UPDATE events.cursors SET txid = $2::xid8, position = $3, "
      "update_time = now() WHERE consumer = $1",
      consumer, cursor.txid, cursor.position);
}

}  // namespace accueil::events
