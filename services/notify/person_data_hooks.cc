#include "services/notify/person_data_hooks.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace accueil::notify {
namespace {

std::string IdArray(const std::vector<int64_t>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

std::string HexArray(const std::vector<std::string>& keys) {
  std::vector<std::string> hex;
  for (const std::string& k : keys) hex.push_back(absl::BytesToHexString(k));
  return absl::StrCat("{", absl::StrJoin(hex, ","), "}");
}

constexpr char kPersonContacts[] =
    "contact_key = ANY(ARRAY(SELECT decode(k, 'hex') FROM unnest($1::text[]) k))";

}  // namespace

absl::StatusOr<PurgeCounts> MessagePersonData::Purge(db::Pool& pool, absl::Time now,
                                                     const Retention& retention) {
  PurgeCounts counts;
  absl::StatusOr<int> erased = pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
    pqxx::nontransaction tx(c);
    // A message still pending that long after its appointment would be
    // dropped anyway.
    int erased = static_cast<int>(
        tx.exec_params("DELETE FROM notify.messages WHERE end_time < $1::timestamptz",
                       db::SqlTime(now - retention.personal_data))
            .affected_rows());
    // Lost-access requests: their key counts toward the cap for a day; one
    // never worked (no provider) is of no use after that either.
    erased += static_cast<int>(
        tx.exec_params("DELETE FROM notify.access_requests WHERE create_time < $1::timestamptz",
                       db::SqlTime(now - absl::Hours(24)))
            .affected_rows());
    // Survey comments are free text: emptied with the personal data (the
    // scores stay: they name no one).
    erased += static_cast<int>(
        tx.exec_params("UPDATE notify.survey_responses SET comment = NULL "
                       "WHERE comment IS NOT NULL AND create_time < $1::timestamptz",
                       db::SqlTime(now - retention.personal_data))
            .affected_rows());
    // A contact's flags, unused for the history horizon.
    erased += static_cast<int>(
        tx.exec_params("DELETE FROM notify.contacts WHERE update_time < $1::timestamptz",
                       db::SqlTime(now - retention.history))
            .affected_rows());
    return erased;
  });
  if (!erased.ok()) return erased.status();
  counts.erased = *erased;
  return counts;
}

absl::StatusOr<std::vector<std::string>> MessagePersonData::Export(db::Pool& pool,
                                                                   const PersonQuery& person) {
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
    for (const pqxx::row& r : tx.exec_params(
             absl::StrCat("SELECT jsonb_build_object('contact_channel', channel, "
                          "'opted_out_time', opted_out_time, 'bounce_time', bounce_time, "
                          "'bounce_reason', bounce_reason)::text FROM notify.contacts WHERE ",
                          kPersonContacts, " ORDER BY channel"),
             HexArray(person.contact_keys))) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  });
}

absl::StatusOr<int> MessagePersonData::Erase(db::Pool& pool, const PersonQuery& person) {
  return pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
    pqxx::nontransaction tx(c);
    const int flags = static_cast<int>(
        tx.exec_params(absl::StrCat("DELETE FROM notify.contacts WHERE ", kPersonContacts),
                       HexArray(person.contact_keys))
            .affected_rows());
    return flags +
           static_cast<int>(
               tx.exec_params("UPDATE notify.attempts a SET detail = '' FROM notify.messages m "
                              "WHERE a.message_id = m.id AND a.detail <> '' AND m.site_id = $1 "
                              "AND m.appointment_id = ANY($2::bigint[])",
                              person.site_id, IdArray(person.appointments))
                   .affected_rows());
  });
}

}  // namespace accueil::notify
