#include "services/common/events.h"

#include "absl/strings/str_cat.h"
#include "services/common/db.h"

namespace accueil::events {
namespace {

const char* TableOf(Log log) {
  switch (log) {
    case Log::kEvents:
      return "events.log";
    case Log::kAuditOutbox:
      return "events.audit_outbox";
  }
  return "events.log";
}

// The rule of "Reading without gaps" (docs/events.md): only the rows of
// transactions older than every transaction still running.
constexpr char kSafe[] = "txid < pg_snapshot_xmin(pg_current_snapshot())";

}  // namespace

std::vector<Event> ReadEvents(pqxx::transaction_base& tx, const Cursor& after, int limit, Log log) {
  // The text of txid takes another name: ORDER BY txid would otherwise sort
  // that text, and "10" before "9" skips events.
  pqxx::result r = tx.exec_params(
      absl::StrCat("SELECT txid::text AS txid_text, position, type, source, subject, "
                   "  coalesce(site_id, 0) AS site_id, "
                   "  (extract(epoch from occurred_time) * 1000000)::bigint AS occurred_micros, "
                   "  payload::text AS payload, ",
                   log == Log::kEvents ? "history" : "false AS history", " FROM ", TableOf(log),
                   " WHERE (txid, position) > ($1::xid8, $2) AND ", kSafe,
                   " ORDER BY txid, position LIMIT $3"),
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
    e.history = row["history"].as<bool>();
    events.push_back(std::move(e));
  }
  return events;
}

std::optional<Cursor> LastSafeEvent(pqxx::transaction_base& tx, Log log) {
  // The primary key (txid, position) read backwards from the horizon.
  pqxx::result r =
      tx.exec(absl::StrCat("SELECT txid::text AS txid_text, position FROM ", TableOf(log),
                           " WHERE ", kSafe, " ORDER BY txid DESC, position DESC LIMIT 1"));
  if (r.empty()) return std::nullopt;
  return Cursor{r[0]["txid_text"].as<std::string>(), r[0]["position"].as<int64_t>()};
}

Cursor LoadCursor(pqxx::transaction_base& tx, const std::string& consumer) {
  pqxx::result r = tx.exec_params(
      "SELECT txid::text AS txid, position FROM events.cursors WHERE consumer = $1", consumer);
  if (r.empty()) return Cursor{};
  return Cursor{r[0]["txid"].as<std::string>(), r[0]["position"].as<int64_t>()};
}

bool AdvanceCursor(pqxx::transaction_base& tx, const std::string& consumer, const Cursor& from,
                   const Cursor& to, absl::Time now, Log log) {
  // A consumer's first batch creates its row; a concurrent first batch of
  // another instance then finds the row taken (ON CONFLICT) and advances
  // nothing. Later batches move the row only from where they read it.
  pqxx::result r = tx.exec_params(
      "INSERT INTO events.cursors AS c (consumer, txid, position, update_time, log) "
      "VALUES ($1, $4::xid8, $5, $6::timestamptz, $7) "
      "ON CONFLICT (consumer) DO UPDATE SET txid = excluded.txid, position = excluded.position, "
      "  update_time = excluded.update_time "
      "WHERE c.txid = $2::xid8 AND c.position = $3 "
      "RETURNING 1",
      consumer, from.txid, from.position, to.txid, to.position, db::SqlTime(now), TableOf(log));
  return !r.empty();
}

Pending PendingAfter(pqxx::transaction_base& tx, const Cursor& after, Log log) {
  pqxx::row r = tx.exec_params1(
      absl::StrCat("SELECT count(*) AS n, "
                   "  (extract(epoch from min(occurred_time)) * 1000000)::bigint AS micros "
                   "FROM (SELECT occurred_time FROM ",
                   TableOf(log), " WHERE (txid, position) > ($1::xid8, $2) AND ", kSafe,
                   " ORDER BY txid, position LIMIT $3) pending"),
      after.txid, after.position, kPendingCountLimit);
  Pending p;
  p.count = r["n"].as<int64_t>();
  if (!r["micros"].is_null()) p.oldest = absl::FromUnixMicros(r["micros"].as<int64_t>());
  return p;
}

}  // namespace accueil::events
