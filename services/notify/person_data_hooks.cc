#include "services/notify/person_data_hooks.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace accueil::notify {
namespace {

std::string IdArray(const std::vector<int64_t>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

}  // namespace

absl::StatusOr<PurgeCounts> MessagePersonData::Purge(db::Pool& pool, absl::Time now,
                                                     const Retention& retention) {
  PurgeCounts counts;
  absl::StatusOr<int> erased = pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
    pqxx::nontransaction tx(c);
    // A message still pending that long after its appointment would be
    // dropped anyway.
    return static_cast<int>(
        tx.exec_params("DELETE FROM notify.messages WHERE end_time < $1::timestamptz",
                       db::SqlTime(now - retention.personal_data))
            .affected_rows());
  });
  if (!erased.ok()) return erased.status();
  counts.erased = *erased;
  return counts;
}

absl::StatusOr<std::vector<std::string>> MessagePersonData::Export(db::Pool& pool,
                                                                   const PersonQuery& person) {
  if (person.appointments.empty()) return std::vector<std::string>();
  return pool.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<std::string>> {
    pqxx::nontransaction tx(c);
    std::vector<std::string> out;
    for (const pqxx::row& r : tx.exec_params(
             "SELECT jsonb_build_object('message', m.id, 'appointment', m.appointment_id, "
             "'template', m.template, 'channel', m.channel, 'state', m.state, "
             "'reason', m.reason, 'language', m.language, 'due_time', m.due_time, "
             "'attempts', coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, "
             "'time', a.finish_time, 'outcome', a.outcome, 'detail', a.detail) "
             "ORDER BY a.attempt) FROM notify.attempts a WHERE a.message_id = m.id), "
             "'[]'::jsonb))::text FROM notify.messages m "
             "WHERE m.site_id = $1 AND m.appointment_id = ANY($2::bigint[]) ORDER BY m.id",
             person.site_id, IdArray(person.appointments))) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  });
}

absl::StatusOr<int> MessagePersonData::Erase(db::Pool& pool, const PersonQuery& person) {
  if (person.appointments.empty()) return 0;
  return pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
    pqxx::nontransaction tx(c);
    return static_cast<int>(
        tx.exec_params("UPDATE notify.attempts a SET detail = '' FROM notify.messages m "
                       "WHERE a.message_id = m.id AND a.detail <> '' AND m.site_id = $1 "
                       "AND m.appointment_id = ANY($2::bigint[])",
                       person.site_id, IdArray(person.appointments))
            .affected_rows());
  });
}

}  // namespace accueil::notify
