// Person rights (GDPR): export and erasure of one person's personal data at
// one site, by an administrator of the site with a reason (the Gate audits
// the call). The person is found by the keyed hash the booking keeps
// (common/person_key.h) of the phone or e-mail given, or by that contact while
// it is still held. SQL: db/migrations/0005_retention.sql. The other modules'
// records of the person come through their personal-data hooks.
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/booking/booking_service.h"
#include "services/booking/codes.h"
#include "services/booking/proto_convert.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/idempotency.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/person_key.h"
#include "services/common/status_macros.h"

namespace accueil::booking {
namespace {

// ContactQuery is the normalised contact of a request's `query` and the keyed
// hashes the booking computed from it, under every key of the ring.
struct ContactQuery {
  std::string phone;              // E.164, or empty
  std::string email;              // lower-cased, or empty
  std::vector<std::string> keys;  // PersonKeys, signing key first
  std::string keys_hex;           // the same, comma-separated (booking.keys_from_hex)
};

absl::StatusOr<ContactQuery> ParsePersonQuery(const Secrets& secrets, const std::string& raw) {
  ContactQuery out;
  if (raw.find('@') != std::string::npos) {
    ASSIGN_OR_RETURN(out.email, input::ParseEmail(raw, "query"));
  } else {
    absl::StatusOr<std::string> phone = input::ParseMobilePhone(raw, "query");
    if (!phone.ok()) {
      return InvalidField("INVALID_QUERY", "query",
                          "give the person's mobile phone number or e-mail address");
    }
    out.phone = *phone;
  }
  // The same identity as the booking's (appointments.cc ValidPerson).
  out.keys = PersonKeys(secrets, out.phone.empty() ? out.email : out.phone);
  out.keys_hex = HexKeys(out.keys);
  return out;
}

// The phone and e-mail an appointment row holds (none once erased).
void AddContacts(const pqxx::row& row, std::set<std::string>* contacts) {
  for (const char* column : {"phone", "email"}) {
    if (!row[column].is_null() && !row[column].as<std::string>().empty()) {
      contacts->insert(row[column].as<std::string>());
    }
  }
}

// Every key of every contact: those found and the one asked for.
std::vector<std::string> ContactKeys(const Secrets& secrets, const ContactQuery& query,
                                     std::set<std::string> contacts) {
  contacts.insert(query.phone.empty() ? query.email : query.phone);
  std::vector<std::string> keys;
  for (const std::string& contact : contacts) {
    for (std::string& key : PersonKeys(secrets, contact)) keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace

absl::Status BookingService::DoExportPersonData(Call& call, const v1::ExportPersonDataRequest& req,
                                                v1::ExportPersonDataResponse* resp) {
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req.site(), "sites", "site"));
  ASSIGN_OR_RETURN(ContactQuery query, ParsePersonQuery(*ctx_.secrets, req.query()));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(absl::StrCat("sites/", site), site);
  RETURN_IF_ERROR(SiteExists(site));
  std::vector<int64_t> ids;
  std::set<std::string> contacts;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    resp->Clear();
    ids.clear();
    pqxx::result r = tx.exec_prepared("booking_person_appointments", site, query.keys_hex,
                                      query.phone, query.email);
    // The person's data, not the keys to their appointments (no access code,
    // no check-in token): an export file must not let its reader act.
    for (const pqxx::row& row : r) {
      AppointmentFromRow(row, resp->add_appointments());
      ids.push_back(row["id"].as<int64_t>());
      AddContacts(row, &contacts);
    }
    return absl::OkStatus();
  }));
  // The same person's records in every other module that holds some.
  const accueil::PersonQuery person{site, query.keys, ctx_.clock->Now(), ids,
                                    ContactKeys(*ctx_.secrets, query, contacts)};
  for (const PersonDataModule& m : *ctx_.person_data) {
    if (m.module == "booking") continue;
    ASSIGN_OR_RETURN(std::vector<std::string> records, m.hooks->Export(*ctx_.pool, person));
    if (records.empty()) continue;
    v1::ModuleRecords* out = resp->add_module_records();
    out->set_module(m.module);
    for (std::string& record : records) out->add_records_json(std::move(record));
  }
  return absl::OkStatus();
}

absl::Status BookingService::DoErasePersonData(Call& call, const v1::ErasePersonDataRequest& req,
                                               v1::ErasePersonDataResponse* resp) {
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req.site(), "sites", "site"));
  ASSIGN_OR_RETURN(ContactQuery query, ParsePersonQuery(*ctx_.secrets, req.query()));
  // shared.requests keeps a plain hash of the request: hash the keyed one
  // instead (under the signing key: the first 64 hex digits), so that no
  // hash of the erased phone or e-mail stays behind.
  v1::ErasePersonDataRequest keyed = req;
  keyed.set_query(query.keys_hex.substr(0, 64));
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("ErasePersonData", keyed));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(absl::StrCat("sites/", site), site);
  // Else an erasure at a site that does not exist would be recorded and
  // announced (person.erased) as if it had found nothing.
  RETURN_IF_ERROR(SiteExists(site));
  absl::Time now = ctx_.clock->Now();
  // The person's appointments, for the modules that know them by id only
  // (found again on a retry: erasure keeps the person key).
  std::vector<int64_t> ids;
  std::set<std::string> contacts;
  bool active = false;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    ids.clear();
    for (const pqxx::row& row : tx.exec_prepared("booking_person_appointments", site,
                                                 query.keys_hex, query.phone, query.email)) {
      ids.push_back(row["id"].as<int64_t>());
      AddContacts(row, &contacts);
      const std::string status = row["status"].as<std::string>();
      active |= status == "booked" || status == "arrived" || status == "in_service";
    }
    return absl::OkStatus();
  }));
  // booking.erase_person refuses it too; said here first, so that the
  // other modules erase nothing for a request that is refused.
  if (active) {
    return WithField(Error(absl::StatusCode::kFailedPrecondition, "ACTIVE_APPOINTMENT_EXISTS",
                           "this person still has an active appointment at this site; cancel "
                           "it first"),
                     "query");
  }
  // First every other module's records of the person (idempotent hooks: a
  // retried request erases nothing more), while booking still holds the
  // contacts their keys come from (a retry after a failure here finds them
  // again).
  const accueil::PersonQuery person{site, query.keys, now, ids,
                                    ContactKeys(*ctx_.secrets, query, contacts)};
  for (const PersonDataModule& m : *ctx_.person_data) {
    if (m.module == "booking") continue;
    ASSIGN_OR_RETURN(int erased, m.hooks->Erase(*ctx_.pool, person));
    if (erased > 0) (*resp->mutable_module_erased_counts())[m.module] = erased;
  }
  RETURN_IF_ERROR(RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
                            [&](pqxx::transaction_base& tx) -> absl::Status {
                              pqxx::row r = tx.exec_prepared1(
                                  "booking_erase_person", idem.request_id, idem.hash_hex,
                                  db::SqlTime(now), site, query.keys_hex, query.phone, query.email);
                              resp->set_erased_appointment_count(r["erased"].as<int>());
                              return absl::OkStatus();
                            }));
  return absl::OkStatus();
}

}  // namespace accueil::booking
