#include "services/notify/notify_service.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/notify/tokens.h"

namespace accueil::notify {
namespace {

v1::MessageState StateOf(const std::string& s) {
  static const std::map<std::string, v1::MessageState> kStates = {
      {"pending", v1::PENDING},     {"sending", v1::SENDING}, {"accepted", v1::ACCEPTED},
      {"delivered", v1::DELIVERED}, {"failed", v1::FAILED},   {"withdrawn", v1::WITHDRAWN},
      {"dropped", v1::DROPPED}};
  auto it = kStates.find(s);
  return it == kStates.end() ? v1::MESSAGE_STATE_UNSPECIFIED : it->second;
}

absl::Time Micros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

// A desk's settings as FillSettings reads them.
constexpr char kSettingsColumns[] =
    "extract(epoch FROM email_before)::bigint AS email_seconds, sms_days_before, "
    "to_char(sms_local_time, 'HH24:MI') AS sms_time, confirm_after_noshows, "
    "extract(epoch FROM confirm_before)::bigint AS confirm_seconds, "
    "(extract(epoch FROM update_time) * 1000000)::bigint AS updated";

const std::map<std::string, v1::Template>& TemplateNames() {
  static const auto* kTemplates =
      new std::map<std::string, v1::Template>{{"confirmation", v1::CONFIRMATION},
                                              {"reminder", v1::REMINDER},
                                              {"cancellation", v1::CANCELLATION},
                                              {"closure", v1::CLOSURE},
                                              {"move", v1::MOVE},
                                              {"noshow", v1::NOSHOW},
                                              {"convocation", v1::CONVOCATION},
                                              {"documents_missing", v1::DOCUMENTS_MISSING},
                                              {"permit_ready", v1::PERMIT_READY},
                                              {"access", v1::ACCESS},
                                              {"survey", v1::SURVEY},
                                              {"attendance", v1::ATTENDANCE}};
  return *kTemplates;
}

}  // namespace

v1::Template TemplateOf(const std::string& name) {
  auto it = TemplateNames().find(name);
  return it == TemplateNames().end() ? v1::TEMPLATE_UNSPECIFIED : it->second;
}

std::string TemplateName(v1::Template t) {
  for (const auto& [name, value] : TemplateNames()) {
    if (value == t) return name;
  }
  return "";
}

absl::StatusOr<int64_t> MessageFromLink(const Secrets& secrets, absl::string_view purpose,
                                        const std::string& message, const std::string& token) {
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(message, "messages", "message"));
  if (!MessageTokenMatches(secrets, purpose, id, token)) {
    return WithField(Error(absl::StatusCode::kPermissionDenied, "WRONG_TOKEN",
                           "this link is not valid: use the one in the message"),
                     "token");
  }
  return id;
}

std::vector<Contacts::Key> ContactKeysOf(const bv1::Person& person) {
  std::vector<Contacts::Key> keys;
  if (!person.email().empty()) keys.push_back({person.email(), "email"});
  if (!person.phone().empty()) keys.push_back({person.phone(), "sms"});
  return keys;
}

void FillMessage(const pqxx::row& r, v1::Message* m) {
  m->set_name(absl::StrCat("messages/", r["id"].as<int64_t>()));
  m->set_appointment(absl::StrCat("appointments/", r["appointment_id"].as<int64_t>()));
  m->set_template_(TemplateOf(r["template"].as<std::string>()));
  m->set_channel(r["channel"].as<std::string>() == "sms" ? v1::SMS : v1::EMAIL);
  m->set_state(StateOf(r["state"].as<std::string>()));
  m->set_reason(r["reason"].as<std::string>());
  m->set_language(r["language"].as<std::string>());
  *m->mutable_due_time() = ToProto(Micros(r["due"]));
  *m->mutable_create_time() = ToProto(Micros(r["created"]));
  *m->mutable_update_time() = ToProto(Micros(r["updated"]));
}

NotifyService::NotifyService(const ServiceContext& context, BookingClient* booking,
                             ServiceOptions options)
    : ctx_(context), booking_(booking), options_(std::move(options)) {
  PrepareNotices();
  PrepareNoticeTemplates();
  ctx_.pool->Prepare(
      "notify_get_settings",
      absl::StrCat("SELECT ", kSettingsColumns, " FROM notify.desk_settings WHERE desk_id = $1"));
  ctx_.pool->Prepare(
      "notify_put_settings",
      absl::StrCat("INSERT INTO notify.desk_settings (desk_id, site_id, email_before, "
                   "sms_days_before, sms_local_time, confirm_after_noshows, confirm_before, "
                   "update_time) VALUES ($1, $2, make_interval(secs => $3::bigint), $4::integer, "
                   "$5::time, $6::integer, make_interval(secs => $7::bigint), $8::timestamptz) "
                   "ON CONFLICT (desk_id) DO UPDATE SET site_id = EXCLUDED.site_id, "
                   "email_before = EXCLUDED.email_before, "
                   "sms_days_before = EXCLUDED.sms_days_before, "
                   "sms_local_time = EXCLUDED.sms_local_time, "
                   "confirm_after_noshows = EXCLUDED.confirm_after_noshows, "
                   "confirm_before = EXCLUDED.confirm_before, update_time = EXCLUDED.update_time "
                   "RETURNING ",
                   kSettingsColumns));
  ctx_.pool->Prepare("notify_list_messages",
                     absl::StrCat("SELECT ", kMessageColumns,
                                  " FROM notify.messages WHERE appointment_id = $1 ORDER BY id"));
  ctx_.pool->Prepare(
      "notify_list_attempts",
      absl::StrCat("SELECT a.message_id, a.attempt, a.outcome, a.detail, ",
                   db::Micros("a.start_time"), " AS started, ", db::Micros("a.finish_time"),
                   " AS finished FROM notify.attempts a JOIN notify.messages m "
                   "ON m.id = a.message_id WHERE m.appointment_id = $1 "
                   "ORDER BY a.message_id, a.attempt"));
}

grpc::Status NotifyService::ListMessages(grpc::ServerContext* context,
                                         const v1::ListMessagesRequest* req,
                                         v1::ListMessagesResponse* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.ListMessages",
                           [&](Call& call) { return DoListMessages(call, *req, resp); });
}

absl::Status NotifyService::DoListMessages(Call& call, const v1::ListMessagesRequest& req,
                                           v1::ListMessagesResponse* resp) {
  ASSIGN_OR_RETURN(int64_t appointment,
                   input::ParseResourceId(req.appointment(), "appointments", "appointment"));
  v1::ListMessagesResponse out;
  int64_t site = 0;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    out.Clear();
    pqxx::nontransaction tx(c);
    std::map<int64_t, v1::Message*> by_id;
    for (const pqxx::row& r : tx.exec_prepared("notify_list_messages", appointment)) {
      v1::Message* m = out.add_messages();
      FillMessage(r, m);
      site = r["site_id"].as<int64_t>();
      by_id[r["id"].as<int64_t>()] = m;
    }
    if (by_id.empty()) return absl::OkStatus();
    for (const pqxx::row& r : tx.exec_prepared("notify_list_attempts", appointment)) {
      auto it = by_id.find(r["message_id"].as<int64_t>());
      if (it == by_id.end()) continue;
      v1::Attempt* a = it->second->add_attempts();
      a->set_attempt(r["attempt"].as<int>());
      a->set_outcome(r["outcome"].as<std::string>());
      a->set_detail(r["detail"].as<std::string>());
      *a->mutable_start_time() = ToProto(Micros(r["started"]));
      *a->mutable_finish_time() = ToProto(Micros(r["finished"]));
    }
    return absl::OkStatus();
  }));
  // The messages name their site: the agent must work there. Without
  // messages (none decided yet, or purged) there is no site to check: the
  // same answer for everyone, which tells nothing about the appointment.
  if (site == 0) {
    return WithField(Error(absl::StatusCode::kNotFound, "MESSAGES_NOT_FOUND",
                           "no message about this appointment"),
                     "appointment");
  }
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(req.appointment(), site);
  RETURN_IF_ERROR(ContactStatuses(call, appointment, &out));
  *resp = std::move(out);
  return absl::OkStatus();
}

}  // namespace accueil::notify

namespace accueil::notify {
namespace {

// A desk's settings, as stored (or the defaults: no row yet).
void FillSettings(const std::string& desk, const pqxx::row* row, v1::DeskNotifySettings* out) {
  out->Clear();
  out->set_desk(desk);
  if (row == nullptr) {
    out->mutable_email_before()->set_seconds(48 * 3600);
    out->set_sms_reminder(true);
    out->set_sms_days_before(1);
    out->set_sms_local_time("10:00");
    out->mutable_confirm_before()->set_seconds(48 * 3600);
    return;
  }
  const pqxx::row& r = *row;
  if (!r["email_seconds"].is_null()) {
    out->mutable_email_before()->set_seconds(r["email_seconds"].as<int64_t>());
  }
  out->set_sms_reminder(!r["sms_days_before"].is_null());
  if (out->sms_reminder()) out->set_sms_days_before(r["sms_days_before"].as<int>());
  out->set_sms_local_time(r["sms_time"].as<std::string>());
  out->set_confirm_after_noshows(
      r["confirm_after_noshows"].is_null() ? 0 : r["confirm_after_noshows"].as<int>());
  out->mutable_confirm_before()->set_seconds(r["confirm_seconds"].as<int64_t>());
  *out->mutable_update_time() = ToProto(absl::FromUnixMicros(r["updated"].as<int64_t>()));
}

}  // namespace

grpc::Status NotifyService::GetDeskNotifySettings(grpc::ServerContext* context,
                                                  const v1::GetDeskNotifySettingsRequest* req,
                                                  v1::DeskNotifySettings* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.GetDeskNotifySettings",
                           [&](Call& call) { return DoGetSettings(call, *req, resp); });
}

grpc::Status NotifyService::UpdateDeskNotifySettings(grpc::ServerContext* context,
                                                     const v1::UpdateDeskNotifySettingsRequest* req,
                                                     v1::DeskNotifySettings* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.UpdateDeskNotifySettings",
                           [&](Call& call) { return DoUpdateSettings(call, *req, resp); });
}

absl::Status NotifyService::DoGetSettings(Call& call, const v1::GetDeskNotifySettingsRequest& req,
                                          v1::DeskNotifySettings* resp) {
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  ASSIGN_OR_RETURN(int64_t site, booking_->DeskSite(call, desk, "desk"));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(req.desk(), site);
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("notify_get_settings", desk);
    if (r.empty()) {
      FillSettings(req.desk(), nullptr, resp);
    } else {
      const pqxx::row row = r[0];
      FillSettings(req.desk(), &row, resp);
    }
    return absl::OkStatus();
  });
}

absl::Status NotifyService::DoUpdateSettings(Call& call,
                                             const v1::UpdateDeskNotifySettingsRequest& req,
                                             v1::DeskNotifySettings* resp) {
  const v1::DeskNotifySettings& s = req.settings();
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(s.desk(), "desks", "settings.desk"));
  std::optional<int64_t> email_seconds;
  if (s.has_email_before()) {
    const int64_t seconds = s.email_before().seconds();
    if (s.email_before().nanos() != 0 || seconds % 60 != 0 || seconds < 3600 ||
        seconds > 14 * 24 * 3600) {
      return InvalidField("INVALID_REMINDER_OFFSET", "settings.email_before",
                          "whole minutes, from 1 hour to 14 days");
    }
    email_seconds = seconds;
  }
  std::optional<int> days;
  std::string time = "10:00";
  if (s.sms_reminder()) {
    if (s.sms_days_before() < 0 || s.sms_days_before() > 7) {
      return InvalidField("INVALID_REMINDER_OFFSET", "settings.sms_days_before",
                          "0 (the same day) to 7 days before");
    }
    days = s.sms_days_before();
  }
  if (!s.sms_local_time().empty() || s.sms_reminder()) {
    ASSIGN_OR_RETURN(int minutes,
                     input::ParseTimeOfDay(s.sms_local_time(), "settings.sms_local_time"));
    if (minutes < 8 * 60 || minutes >= 20 * 60) {
      return InvalidField("QUIET_HOURS", "settings.sms_local_time",
                          "between 08:00 and 19:59: no SMS in the quiet hours");
    }
    time = s.sms_local_time();
  }
  std::optional<int> confirm_after;
  if (s.confirm_after_noshows() < 0 || s.confirm_after_noshows() > 10) {
    return InvalidField("INVALID_CONFIRMATION", "settings.confirm_after_noshows",
                        "0 (nobody is asked) to 10 no-shows");
  }
  if (s.confirm_after_noshows() > 0) confirm_after = s.confirm_after_noshows();
  int64_t confirm_seconds = 48 * 3600;
  if (s.has_confirm_before()) {
    confirm_seconds = s.confirm_before().seconds();
    if (s.confirm_before().nanos() != 0 || confirm_seconds % 60 != 0 || confirm_seconds < 3600 ||
        confirm_seconds > 7 * 24 * 3600) {
      return InvalidField("INVALID_CONFIRMATION", "settings.confirm_before",
                          "whole minutes, from 1 hour to 7 days");
    }
  }
  ASSIGN_OR_RETURN(int64_t site, booking_->DeskSite(call, desk, "settings.desk"));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  const absl::Time now = ctx_.clock->Now();
  return RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
                   [&](pqxx::transaction_base& tx) -> absl::Status {
                     call.SetResource(s.desk(), site);
                     pqxx::row r =
                         tx.exec_prepared1("notify_put_settings", desk, site, email_seconds, days,
                                           time, confirm_after, confirm_seconds, db::SqlTime(now));
                     FillSettings(s.desk(), &r, resp);
                     return absl::OkStatus();
                   });
}

}  // namespace accueil::notify
