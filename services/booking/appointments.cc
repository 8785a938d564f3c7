// Appointments: book, read, cancel, move, and the lifecycle transitions.
#include "absl/strings/escaping.h"
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

constexpr int kMaxCompanions = 3;
constexpr int kMaxNoteChars = 200;

// ValidPerson is a CreateAppointmentRequest.person after validation.
struct ValidPerson {
  std::string given_name;
  std::string family_name;
  std::string email;  // lower-cased, or empty
  std::string phone;  // E.164, or empty
  std::string language;
  // The identity behind "one active appointment per person and desk".
  std::string identity() const { return phone.empty() ? email : phone; }
};

absl::StatusOr<ValidPerson> ValidatePerson(const v1::Person& p) {
  ValidPerson out;
  ASSIGN_OR_RETURN(out.given_name, input::ParseName(p.given_name(), "person.given_name"));
  ASSIGN_OR_RETURN(out.family_name, input::ParseName(p.family_name(), "person.family_name"));
  if (p.email().empty() && p.phone().empty()) {
    return InvalidField("CONTACT_REQUIRED", "person",
                        "give a mobile phone number or an e-mail address");
  }
  if (!p.email().empty()) {
    ASSIGN_OR_RETURN(out.email, input::ParseEmail(p.email(), "person.email"));
  }
  if (!p.phone().empty()) {
    ASSIGN_OR_RETURN(out.phone, input::ParseMobilePhone(p.phone(), "person.phone"));
  }
  ASSIGN_OR_RETURN(out.language,
                   input::ParseLanguage(p.preferred_language(), "person.preferred_language"));
  return out;
}

}  // namespace

int BookingService::FillAppointment(const pqxx::row& row, v1::Appointment* out) const {
  out->Clear();
  int version = AppointmentFromRow(row, out);
  int64_t id = row["id"].as<int64_t>();
  out->set_access_code(AccessCode(*ctx_.secrets, id, version));
  out->set_check_in_token(CheckInToken(*ctx_.secrets, id, version));
  return version;
}

absl::Status BookingService::LoadAppointment(int64_t id, const std::string& reference,
                                             v1::Appointment* out, int* code_version,
                                             bool check_code_lock) {
  absl::Time now = ctx_.clock->Now();
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = id > 0 ? tx.exec_prepared("booking_get_appointment", id)
                            : tx.exec_prepared("booking_get_appointment_by_reference", reference,
                                               db::SqlTime(now));
    if (r.empty()) {
      return WithField(Error(absl::StatusCode::kNotFound, "APPOINTMENT_NOT_FOUND",
                             "no appointment with this reference"),
                       id > 0 ? "name" : "reference");
    }
    if (check_code_lock && id == 0) {
      int64_t locked_until = r[0]["locked_until_micros"].as<int64_t>();
      if (locked_until != 0) {
        return WithRetryDelay(
            WithField(Error(absl::StatusCode::kResourceExhausted, "ACCESS_CODE_LOCKED",
                            "too many wrong access codes for this reference; wait and retry, "
                            "or ask at the prefecture"),
                      "access_code"),
            absl::FromUnixMicros(locked_until) - now);
      }
    }
    int version = FillAppointment(r[0], out);
    if (code_version != nullptr) *code_version = version;
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> BookingService::Authorize(Call& call, const std::string& raw_reference,
                                                  const std::string& raw_code,
                                                  v1::Appointment* out) {
  ASSIGN_OR_RETURN(std::string reference, input::ParseReference(raw_reference, "reference"));
  if (raw_code.empty() && call.IsAgent()) {
    // An agent acting on the person's behalf: no code, a site and a reason.
    RETURN_IF_ERROR(LoadAppointment(0, reference, out, nullptr));
    ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(out->site(), "sites", "site"));
    if (absl::Status s = call.AuthorizeAgent(site); !s.ok()) {
      out->Clear();
      return s;
    }
    call.SetResource(out->name(), site);
    return input::ParseResourceId(out->name(), "appointments", "name");
  }
  ASSIGN_OR_RETURN(std::string code, input::ParseAccessCode(raw_code, "access_code"));
  int version = 0;
  RETURN_IF_ERROR(LoadAppointment(0, reference, out, &version, /*check_code_lock=*/true));
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(out->name(), "appointments", "name"));
  if (!AccessCodeMatches(*ctx_.secrets, id, version, code)) {
    out->Clear();
    // Count the failure (shared by replicas): enough of them lock the reference.
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      tx.exec_prepared("booking_note_code_failure", reference, db::SqlTime(ctx_.clock->Now()));
      return absl::OkStatus();
    }));
    return WithField(Error(absl::StatusCode::kPermissionDenied, "WRONG_ACCESS_CODE",
                           "the access code does not match this reference"),
                     "access_code");
  }
  absl::StatusOr<int64_t> site = input::ParseResourceId(out->site(), "sites", "site");
  call.SetResource(out->name(), site.ok() ? *site : 0);
  return id;
}

absl::Status BookingService::AuthorizeOnAppointment(Call& call, int64_t id, int* code_version) {
  v1::Appointment current;
  RETURN_IF_ERROR(LoadAppointment(id, "", &current, code_version));
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(current.site(), "sites", "site"));
  call.SetResource(current.name(), site);
  return call.AuthorizeSite(site);
}

absl::Status BookingService::DoCreateAppointment(Call& call,
                                                 const v1::CreateAppointmentRequest& req,
                                                 v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CreateAppointment", req));
  ASSIGN_OR_RETURN(int64_t slot, input::ParseResourceId(req.slot(), "slots", "slot"));
  ASSIGN_OR_RETURN(ValidPerson person, ValidatePerson(req.person()));
  v1::AccessibilityNeed need = req.accessibility().need();
  if (!v1::AccessibilityNeed_IsValid(need)) {
    return InvalidField("INVALID_ACCESSIBILITY_NEED", "accessibility.need",
                        "unknown accessibility need");
  }
  ASSIGN_OR_RETURN(std::string note, input::ParseFreeText(req.accessibility().note(),
                                                          "accessibility.note", kMaxNoteChars));
  if (req.companions() < 0 || req.companions() > kMaxCompanions) {
    return InvalidField("INVALID_COMPANIONS", "companions",
                        "between 0 and 3 people may come along");
  }
  v1::Channel channel = req.channel();
  if (!v1::Channel_IsValid(channel)) {
    return InvalidField("INVALID_CHANNEL", "channel", "unknown channel");
  }
  if (channel == v1::CHANNEL_UNSPECIFIED) channel = v1::ONLINE;
  ASSIGN_OR_RETURN(std::string override_reason,
                   input::ParseFreeText(req.override_reason(), "override_reason", kMaxNoteChars));
  if (!override_reason.empty() && channel != v1::AGENT) {
    return InvalidField("OVERRIDE_NOT_ALLOWED", "override_reason",
                        "only an agent booking may override the one-appointment rule");
  }
  if (channel != v1::ONLINE) {
    // The substitute channel and convocations are agents' work, on their site.
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      pqxx::result r = tx.exec_prepared("booking_slot_site", slot);
      if (r.empty()) {
        return WithField(Error(absl::StatusCode::kNotFound, "SLOT_NOT_FOUND", "no such slot"),
                         "slot");
      }
      return call.AuthorizeAgent(r[0]["site_id"].as<int64_t>());
    }));
  }

  absl::Time now = ctx_.clock->Now();
  // Stored under the signing key; the person's keys under older keys of the
  // ring also count for the one-active-appointment rule until `rekey`.
  std::vector<std::string> person_keys = PersonKeys(*ctx_.secrets, person.identity());
  std::string person_key = absl::BytesToHexString(person_keys.front());
  person_keys.erase(person_keys.begin());
  std::string previous_keys = HexKeys(person_keys);
  return WithFreshReference([&](const std::string& reference) {
    return RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
                     [&](pqxx::transaction_base& tx) -> absl::Status {
                       pqxx::row r = tx.exec_prepared1(
                           "booking_create_appointment", idem.request_id, idem.hash_hex,
                           db::SqlTime(now), slot, reference, person_key, person.given_name,
                           person.family_name, person.email, person.phone, person.language,
                           NeedToSql(need), note, req.companions(), ChannelToSql(channel),
                           override_reason, previous_keys, std::string(call.ActorKind()));
                       FillAppointment(r, out);
                       call.SetResource(out->name(), r["site_id"].as<int64_t>());
                       return absl::OkStatus();
                     });
  });
}

absl::Status BookingService::WithFreshReference(
    const std::function<absl::Status(const std::string&)>& attempt) {
  // A fresh reference can collide with an existing one (1 in 10^12 per
  // booking): the SQL says REFERENCE_TAKEN and we draw again. Any other
  // failure goes back to the client, which may retry with the same request_id.
  for (int i = 0; i < 3; ++i) {
    absl::Status status = attempt(NewReference());
    if (ErrorReason(status) != "REFERENCE_TAKEN") return status;
  }
  return Error(absl::StatusCode::kAborted, "REFERENCE_TAKEN",
               "no free reference was drawn; retry the request");
}

absl::Status BookingService::DoGetAppointment(Call& call, const v1::GetAppointmentRequest& req,
                                              v1::Appointment* out) {
  return Authorize(call, req.reference(), req.access_code(), out).status();
}

absl::Status BookingService::DoCancelAppointment(Call& call,
                                                 const v1::CancelAppointmentRequest& req,
                                                 v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CancelAppointment", req));
  ASSIGN_OR_RETURN(std::string reason, input::ParseFreeText(req.reason(), "reason", kMaxNoteChars));
  ASSIGN_OR_RETURN(int64_t id, Authorize(call, req.reference(), req.access_code(), out));
  // Authorize let an agent act without the code: that is the agent's doing
  // (events.proto, AppointmentCancelled.cause).
  return RunTransition(call, idem, id, "cancelled", reason,
                       req.access_code().empty() ? "agent" : "person", out);
}

absl::Status BookingService::DoRescheduleAppointment(Call& call,
                                                     const v1::RescheduleAppointmentRequest& req,
                                                     v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("RescheduleAppointment", req));
  ASSIGN_OR_RETURN(int64_t new_slot, input::ParseResourceId(req.new_slot(), "slots", "new_slot"));
  ASSIGN_OR_RETURN(int64_t id, Authorize(call, req.reference(), req.access_code(), out));
  absl::Time now = ctx_.clock->Now();
  return RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
                   [&](pqxx::transaction_base& tx) -> absl::Status {
                     FillAppointment(tx.exec_prepared1("booking_reschedule", idem.request_id,
                                                       idem.hash_hex, db::SqlTime(now), id,
                                                       new_slot, std::string(call.ActorKind())),
                                     out);
                     return absl::OkStatus();
                   });
}

absl::Status BookingService::DoSearchAppointments(Call& call,
                                                  const v1::SearchAppointmentsRequest& req,
                                                  v1::SearchAppointmentsResponse* resp) {
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req.site(), "sites", "site"));
  // The query says what it is: an e-mail has an @, a phone number parses as
  // one, anything else is a name (booking.name_matches), or a reference.
  std::string phone, email, name, reference;
  if (req.query().find('@') != std::string::npos) {
    ASSIGN_OR_RETURN(email, input::ParseEmail(req.query(), "query"));
  } else if (absl::StatusOr<std::string> p = input::ParseMobilePhone(req.query(), "query");
             p.ok()) {
    phone = *p;
  } else {
    ASSIGN_OR_RETURN(name, input::ParseName(req.query(), "query"));
    reference = input::ParseReference(req.query(), "query").value_or("");
  }
  if (req.has_start_time() && !IsValidTimestamp(req.start_time())) {
    return InvalidField("INVALID_TIME", "start_time", "not a valid timestamp");
  }
  absl::Time from =
      req.has_start_time() ? FromProto(req.start_time()) : ctx_.clock->Now() - absl::Hours(24);
  ASSIGN_OR_RETURN(int size, input::ParsePageSize(req.page_size(), 20, 100, "page_size"));
  // The search as the client asked for it: an unset start means "a day ago"
  // on every page, an instant that moves between pages (the keyset position
  // carries the order).
  std::string scope =
      absl::StrCat("search:", site, ":",
                   req.has_start_time() ? absl::StrCat(absl::ToUnixMicros(from)) : "default", ":",
                   phone, ":", email, ":", name);
  int64_t after_micros = absl::ToUnixMicros(from) - 1, after_id = 0;
  if (!req.page_token().empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> keys,
                     input::DecodePageToken(req.page_token(), scope, 2, "page_token"));
    after_micros = keys[0];
    after_id = keys[1];
  }
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(absl::StrCat("sites/", site), site);
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    resp->Clear();
    pqxx::result r = tx.exec_prepared("booking_search_appointments", site, phone, email, name,
                                      after_micros, after_id, size + 1, reference);
    // Without access codes or check-in tokens: an agent acts without them and
    // issues a new code with ResetAccessCode; a list of codes has no use.
    for (int i = 0; i < static_cast<int>(r.size()) && i < size; ++i) {
      AppointmentFromRow(r[i], resp->add_appointments());
    }
    if (static_cast<int>(r.size()) > size) {
      const auto& last = r[size - 1];
      resp->set_next_page_token(input::EncodePageToken(
          scope, {last["start_micros"].as<int64_t>(), last["id"].as<int64_t>()}));
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoGetAppointmentContacts(Call& call,
                                                      const v1::GetAppointmentContactsRequest& req,
                                                      v1::GetAppointmentContactsResponse* resp) {
  constexpr int kMaxNames = 100;
  if (req.names().empty() || req.names_size() > kMaxNames) {
    return InvalidField("INVALID_NAMES", "names", "give 1 to 100 appointment names");
  }
  std::vector<int64_t> ids;
  for (int i = 0; i < req.names_size(); ++i) {
    ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req.names(i), "appointments",
                                                        absl::StrCat("names[", i, "]")));
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      return InvalidField("DUPLICATE_NAME", absl::StrCat("names[", i, "]"),
                          "each appointment once");
    }
    ids.push_back(id);
  }
  // A service's routine read for its own work: no audit record per call.
  call.SetResource(req.names(0), 0);
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    resp->Clear();
    pqxx::result r = tx.exec_prepared("booking_get_appointments",
                                      absl::StrCat("{", absl::StrJoin(ids, ","), "}"));
    std::map<int64_t, const pqxx::row*> found;
    std::vector<pqxx::row> rows(r.begin(), r.end());
    for (const pqxx::row& row : rows) found[row["id"].as<int64_t>()] = &row;
    for (int64_t id : ids) {
      auto it = found.find(id);
      if (it != found.end()) FillAppointment(*it->second, resp->add_appointments());
    }
    if (req.with_noshow_counts()) {
      const absl::Time now = ctx_.clock->Now();
      for (const pqxx::row& row : tx.exec_prepared(
               "booking_noshow_counts", absl::StrCat("{", absl::StrJoin(ids, ","), "}"),
               db::SqlTime(now - absl::Hours(24) * options_.noshow_window_days),
               db::SqlTime(now))) {
        (*resp->mutable_noshow_counts())[absl::StrCat("appointments/", row["id"].as<int64_t>())] =
            row["noshow_count"].as<int>();
      }
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoReleaseUnconfirmed(Call& call,
                                                  const v1::TransitionAppointmentRequest& req,
                                                  v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("ReleaseUnconfirmed", req));
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req.name(), "appointments", "name"));
  RETURN_IF_ERROR(AuthorizeOnAppointment(call, id, nullptr));
  return RunTransition(call, idem, id, "cancelled", "", "not_confirmed", out);
}

absl::Status BookingService::DoFindActiveAppointments(Call& call,
                                                      const v1::FindActiveAppointmentsRequest& req,
                                                      v1::GetAppointmentContactsResponse* resp) {
  const int given = !req.reference().empty() + !req.phone().empty() + !req.email().empty();
  if (given != 1) {
    return InvalidField("ONE_KEY_REQUIRED", "reference", "give one of reference, phone, email");
  }
  std::string key, value;
  if (!req.reference().empty()) {
    key = "reference";
    ASSIGN_OR_RETURN(value, input::ParseReference(req.reference(), "reference"));
  } else if (!req.phone().empty()) {
    key = "phone";
    ASSIGN_OR_RETURN(value, input::ParseMobilePhone(req.phone(), "phone"));
  } else {
    key = "email";
    ASSIGN_OR_RETURN(value, input::ParseEmail(req.email(), "email"));
  }
  // A service's routine read for its own work, as GetAppointmentContacts.
  call.SetResource(absl::StrCat("appointments:", key), 0);
  const int64_t now = absl::ToUnixMicros(ctx_.clock->Now());
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    resp->Clear();
    for (const pqxx::row& row :
         tx.exec_prepared(absl::StrCat("booking_find_active_by_", key), value, now)) {
      FillAppointment(row, resp->add_appointments());
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoResetAccessCode(Call& call, const v1::ResetAccessCodeRequest& req,
                                               v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("ResetAccessCode", req));
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req.name(), "appointments", "name"));
  RETURN_IF_ERROR(AuthorizeOnAppointment(call, id, nullptr));
  absl::Time now = ctx_.clock->Now();
  return RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
                   [&](pqxx::transaction_base& tx) -> absl::Status {
                     FillAppointment(tx.exec_prepared1("booking_reset_access_code", idem.request_id,
                                                       idem.hash_hex, db::SqlTime(now), id,
                                                       std::string(call.ActorKind())),
                                     out);
                     return absl::OkStatus();
                   });
}

absl::Status BookingService::DoCheckIn(Call& call, const v1::CheckInAppointmentRequest& req,
                                       v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CheckInAppointment", req));
  if (req.check_in_token().empty() == req.reference().empty()) {
    return InvalidField("CHECK_IN_TARGET_REQUIRED", "check_in_token",
                        "give the check-in token or the reference, one of them");
  }
  const char* target = req.check_in_token().empty() ? "reference" : "check_in_token";
  ASSIGN_OR_RETURN(Arrival arrival,
                   ParseArrival(call, req.has_grace_period() ? &req.grace_period() : nullptr,
                                req.late_accepted(), target));
  int64_t site = 0;
  if (!req.site().empty()) {
    ASSIGN_OR_RETURN(site, input::ParseResourceId(req.site(), "sites", "site"));
  }
  int64_t id = 0;
  v1::Appointment current;
  if (!req.check_in_token().empty()) {
    ASSIGN_OR_RETURN(CheckIn token, VerifyCheckInToken(*ctx_.secrets, req.check_in_token()));
    int version = 0;
    RETURN_IF_ERROR(AuthorizeOnAppointment(call, token.appointment_id, &version));
    if (version != token.version) {
      return InvalidField("CHECK_IN_TOKEN_REVOKED", "check_in_token",
                          "this check-in code was replaced; use the new one or see an agent");
    }
    id = token.appointment_id;
    RETURN_IF_ERROR(LoadAppointment(id, "", &current, nullptr));
  } else {
    // The reference the person quotes at the lodge (the reception service,
    // for a lodge agent).
    ASSIGN_OR_RETURN(std::string reference, input::ParseReference(req.reference(), "reference"));
    RETURN_IF_ERROR(LoadAppointment(0, reference, &current, nullptr));
    ASSIGN_OR_RETURN(id, input::ParseResourceId(current.name(), "appointments", "reference"));
    RETURN_IF_ERROR(AuthorizeOnAppointment(call, id, nullptr));
  }
  if (site != 0 && current.site() != req.site()) {
    // The lodge of another site: refused before anything moves.
    return WithField(Error(absl::StatusCode::kFailedPrecondition, "APPOINTMENT_OTHER_SITE",
                           "this appointment is at another site"),
                     "site");
  }
  if (current.status() == v1::ARRIVED || current.status() == v1::IN_SERVICE) {
    // Checked in already (a second scan, or reception repairing a visit
    // whose second half failed): nothing moves, the answer is the same.
    *out = std::move(current);
    return absl::OkStatus();
  }
  return RunTransition(call, idem, id, "arrived", "", "", out, arrival);
}

absl::Status BookingService::DoTransition(Call& call, const char* method, const char* to,
                                          const v1::TransitionAppointmentRequest& req,
                                          v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest(method, req));
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req.name(), "appointments", "name"));
  std::optional<Arrival> arrival;
  if (std::string_view(to) == "arrived") {
    ASSIGN_OR_RETURN(arrival,
                     ParseArrival(call, req.has_grace_period() ? &req.grace_period() : nullptr,
                                  req.late_accepted(), "name"));
  }
  RETURN_IF_ERROR(AuthorizeOnAppointment(call, id, nullptr));
  // A no-show recorded by a caller is marked; a worker's sweep says "sweep".
  return RunTransition(call, idem, id, to, "", std::string_view(to) == "noshow" ? "marked" : "",
                       out, arrival);
}

absl::StatusOr<BookingService::Arrival> BookingService::ParseArrival(
    const Call& call, const google::protobuf::Duration* grace_period, bool late_accepted,
    const char* field) const {
  Arrival arrival{absl::ZeroDuration(), late_accepted, field};
  ASSIGN_OR_RETURN(arrival.grace, GracePeriodFromProto(grace_period, "grace_period"));
  if (late_accepted) {
    // A decision: the audit record (the gate's) names the agent and keeps
    // their reason; the event only says that it was taken.
    if (call.acting_agent().empty()) {
      return InvalidField("ACTING_AGENT_REQUIRED", "x-acting-agent",
                          "accepting a late arrival is an agent's decision: name the agent");
    }
    if (call.agent_reason().empty()) {
      return InvalidField("AGENT_REASON_REQUIRED", "x-agent-reason",
                          "say why the late arrival is accepted");
    }
  }
  return arrival;
}

absl::Status BookingService::DoMarkNotServed(Call& call, const v1::MarkNotServedRequest& req,
                                             v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("MarkNotServed", req));
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req.name(), "appointments", "name"));
  const char* cause = nullptr;
  switch (req.cause()) {
    case v1::LEFT:
      cause = "left";
      break;
    case v1::MISSED_CALLS:
      cause = "missed_calls";
      break;
    case v1::SENT_AWAY_AT_CLOSING:
      cause = "sent_away_at_closing";
      break;
    default:
      return InvalidField("INVALID_CAUSE", "cause", "LEFT, MISSED_CALLS or SENT_AWAY_AT_CLOSING");
  }
  RETURN_IF_ERROR(AuthorizeOnAppointment(call, id, nullptr));
  return RunTransition(call, idem, id, "not_served", "", cause, out);
}

absl::Status BookingService::DoRebook(Call& call, const v1::RebookAppointmentRequest& req,
                                      v1::Appointment* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("RebookAppointment", req));
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req.name(), "appointments", "name"));
  ASSIGN_OR_RETURN(int64_t new_slot, input::ParseResourceId(req.new_slot(), "slots", "new_slot"));
  std::string cause;
  switch (req.cause()) {
    case v1::FILE_INCOMPLETE:
      cause = "file_incomplete";
      break;
    case v1::REBOOKED_AT_CLOSING:
      cause = "rebooked_at_closing";
      break;
    default:
      return InvalidField("INVALID_CAUSE", "cause", "FILE_INCOMPLETE or REBOOKED_AT_CLOSING");
  }
  RETURN_IF_ERROR(AuthorizeOnAppointment(call, id, nullptr));
  absl::Time now = ctx_.clock->Now();
  return WithFreshReference([&](const std::string& reference) {
    return RunChange(
        call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
        [&](pqxx::transaction_base& tx) -> absl::Status {
          FillAppointment(
              tx.exec_prepared1("booking_rebook", idem.request_id, idem.hash_hex, db::SqlTime(now),
                                id, new_slot, cause, reference, std::string(call.ActorKind())),
              out);
          return absl::OkStatus();
        });
  });
}

absl::Status BookingService::RunTransition(Call& call, const Idempotency& idem, int64_t id,
                                           const char* to, const std::string& reason,
                                           const char* cause, v1::Appointment* out,
                                           const std::optional<Arrival>& arrival) {
  absl::Time now = ctx_.clock->Now();
  // Without an arrival, no window (-1): booking.transition takes NULL.
  int64_t opens_before = arrival ? absl::ToInt64Seconds(options_.arrival_opens_before) : -1;
  int64_t grace = arrival ? absl::ToInt64Seconds(arrival->grace) : 0;
  return RunChange(
      call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
      [&](pqxx::transaction_base& tx) -> absl::Status {
        FillAppointment(
            tx.exec_prepared1("booking_transition", idem.request_id, idem.hash_hex,
                              db::SqlTime(now), id, to, reason, std::string(call.ActorKind()),
                              cause, opens_before, grace, arrival && arrival->late_accepted,
                              arrival ? arrival->field : "name"),
            out);
        return absl::OkStatus();
      });
}

}  // namespace accueil::booking
