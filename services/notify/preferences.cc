// NotifyService: opt-out per channel (GetContactPreferences,
// UpdateContactPreferences) and what agents see of a person's contacts.
// docs/notify.md#opt-out.
#include "absl/strings/str_cat.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/notify/notify_service.h"
#include "services/notify/tokens.h"

namespace accueil::notify {

grpc::Status NotifyService::GetContactPreferences(grpc::ServerContext* context,
                                                  const v1::GetContactPreferencesRequest* req,
                                                  v1::ContactPreferences* resp) {
  return ctx_.gate->Handle(
      context, "accueil.notify.v1.NotifyService.GetContactPreferences", [&](Call& call) {
        return DoPreferences(call, req->message(), req->token(), req->appointment(), nullptr, resp);
      });
}

grpc::Status NotifyService::UpdateContactPreferences(grpc::ServerContext* context,
                                                     const v1::UpdateContactPreferencesRequest* req,
                                                     v1::ContactPreferences* resp) {
  return ctx_.gate->Handle(
      context, "accueil.notify.v1.NotifyService.UpdateContactPreferences", [&](Call& call) {
        return DoPreferences(call, req->message(), req->token(), req->appointment(), req, resp);
      });
}

absl::Status NotifyService::DoPreferences(Call& call, const std::string& message,
                                          const std::string& token, const std::string& appointment,
                                          const v1::UpdateContactPreferencesRequest* update,
                                          v1::ContactPreferences* out) {
  if (options_.contacts == nullptr) {
    return Error(absl::StatusCode::kFailedPrecondition, "NO_PROVIDER",
                 "this server sends no message");
  }
  int64_t id = 0;
  if (!appointment.empty()) {
    if (!message.empty() || !token.empty()) {
      return InvalidField("ONE_KEY_REQUIRED", "appointment",
                          "give a message and its token, or (agents) an appointment");
    }
    ASSIGN_OR_RETURN(id, input::ParseResourceId(appointment, "appointments", "appointment"));
    // Only agents name an appointment; refused before any lookup, so that
    // the answer tells nobody whether it exists.
    if (!call.IsAgent()) {
      return WithField(Error(absl::StatusCode::kPermissionDenied, "AGENT_ONLY",
                             "give the message and the token from its link"),
                       "appointment");
    }
  } else {
    ASSIGN_OR_RETURN(int64_t m,
                     MessageFromLink(*ctx_.secrets, kPreferencesPurpose, message, token));
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      pqxx::result r =
          tx.exec_params("SELECT appointment_id FROM notify.messages WHERE id = $1", m);
      id = r.empty() ? 0 : r[0][0].as<int64_t>();
      return absl::OkStatus();
    }));
    if (id == 0) {
      return WithField(
          Error(absl::StatusCode::kNotFound, "MESSAGE_NOT_FOUND", "this message is no longer kept"),
          "message");
    }
  }
  ASSIGN_OR_RETURN(auto found, booking_->Contacts(call, {id}));
  auto it = found.find(id);
  if (it == found.end()) {
    return WithField(
        Error(absl::StatusCode::kNotFound, "APPOINTMENT_NOT_FOUND", "no such appointment"),
        appointment.empty() ? "message" : "appointment");
  }
  const bv1::Person& person = it->second.person();
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(it->second.site(), "sites", "site"));
  // With a token the person acts; without, only an agent of the site.
  if (!appointment.empty()) RETURN_IF_ERROR(call.AuthorizeAgent(site));
  const std::string name = absl::StrCat("appointments/", id);
  const std::vector<Contacts::Key> keys = ContactKeysOf(person);
  std::map<Contacts::Key, ContactFlags> flags;
  RETURN_IF_ERROR(RunChange(
      call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
      [&](pqxx::transaction_base& tx) -> absl::Status {
        call.SetResource(name, site);
        if (update != nullptr) {
          const absl::Time now = ctx_.clock->Now();
          for (const Contacts::Key& k : keys) {
            options_.contacts->SetOptOut(
                tx, k, k.second == "email" ? update->email_opted_out() : update->sms_opted_out(),
                now);
          }
        }
        flags = options_.contacts->Read(tx, keys);
        return absl::OkStatus();
      }));
  out->Clear();
  out->set_appointment(name);
  out->set_has_email(!person.email().empty());
  out->set_has_sms(!person.phone().empty());
  for (const auto& [key, f] : flags) {
    if (key.second == "email") out->set_email_opted_out(f.opted_out);
    if (key.second == "sms") out->set_sms_opted_out(f.opted_out);
  }
  return absl::OkStatus();
}

absl::Status NotifyService::ContactStatuses(Call& call, int64_t appointment,
                                            v1::ListMessagesResponse* out) {
  if (options_.contacts == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto found, booking_->Contacts(call, {appointment}));
  auto it = found.find(appointment);
  if (it == found.end()) return absl::OkStatus();  // purged: nothing to flag
  const bv1::Person& person = it->second.person();
  const std::vector<Contacts::Key> keys = ContactKeysOf(person);
  std::map<Contacts::Key, ContactFlags> flags;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    flags = options_.contacts->Read(tx, keys);
    return absl::OkStatus();
  }));
  for (const Contacts::Key& k : keys) {
    v1::ContactStatus* s = out->add_contacts();
    s->set_channel(k.second == "sms" ? v1::SMS : v1::EMAIL);
    auto f = flags.find(k);
    if (f == flags.end()) continue;
    s->set_opted_out(f->second.opted_out);
    if (f->second.bounce_time.has_value()) {
      *s->mutable_bounce_time() = ToProto(*f->second.bounce_time);
      s->set_bounce_reason(f->second.bounce_reason);
    }
  }
  return absl::OkStatus();
}

}  // namespace accueil::notify
