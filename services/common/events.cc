#include "services/common/events.h"

namespace accueil::events {

std::vector<Event> ReadEvents(pqxx::transaction_base& tx, const Cursor& after, int limit) {
  // The text of txid takes another name: ORDER BY txid would otherwise sort
  // that text, and "10" before "9" skips events.
  pqxx::result r = tx.exec_params(
      "SELECT txid::text AS txid_text, position, type, source, subject, "
      "  coalesce(site_id, 0) AS site_id, "
      "  (extract(epoch from occurred_time) * 1000000)::bigint AS occurred_micros, "
      "  payload::text AS payload "
      "FROM events.log "
      "WHERE (txid, position) > ($1::xid8, $2) "
      "  AND txid < pg_snapshot_xmin(pg_current_snapshot()) "
      "ORDER BY txid, position LIMIT $3",
      after.txid, after.position, limit);
  std::vector<Event> events;
  events.reserve(r.size());
  for (const auto& row : r) {
    Event e;
    e.txid = row["txid_text"].as<std::string>();
    e.position = row["position"].as<int64_t>();
    e.type = row["type"].as<std::string>();
    e.source = row["source"].as<std::string>();
    e.subject = row["subject"].as<std::string>();
    e.site_id = row["site_id"].as<int64_t>();
    e.occurred_time = absl::FromUnixMicros(row["occurred_micros"].as<int64_t>());
    e.payload_json = row["payload"].as<std::string>();
    events.push_back(std::move(e));
  }
  return events;
}

Cursor LockCursor(pqxx::transaction_base& tx, const std::string& consumer) {
  tx.exec_params("INSERT INTO events.cursors (consumer) VALUES ($1) ON CONFLICT DO NOTHING",
                 consumer);
  pqxx::row row = tx.exec_params1(
      "SELECT txid::text AS txid, position FROM events.cursors WHERE consumer = $1 "
      "FOR UPDATE",
      consumer);
  return Cursor{row["txid"].as<std::string>(), row["position"].as<int64_t>()};
}

void SaveCursor(pqxx::transaction_base& tx, const std::string& consumer, const Cursor& cursor) {
  tx.exec_params(
      "UPDATE events.cursors SET txid = $2::xid8, position = $3, "
      "update_time = now() WHERE consumer = $1",
      consumer, cursor.txid, cursor.position);
}

}  // namespace accueil::events
