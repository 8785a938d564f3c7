#include "services/notify/notify_service.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::notify {
namespace {

v1::Template TemplateOf(const std::string& s) {
  static const std::map<std::string, v1::Template> kTemplates = {{"confirmation", v1::CONFIRMATION},
                                                                 {"reminder", v1::REMINDER},
                                                                 {"cancellation", v1::CANCELLATION},
                                                                 {"closure", v1::CLOSURE},
                                                                 {"move", v1::MOVE},
                                                                 {"noshow", v1::NOSHOW}};
  auto it = kTemplates.find(s);
  return it == kTemplates.end() ? v1::TEMPLATE_UNSPECIFIED : it->second;
}

v1::MessageState StateOf(const std::string& s) {
  static const std::map<std::string, v1::MessageState> kStates = {
      {"pending", v1::PENDING},     {"sending", v1::SENDING}, {"accepted", v1::ACCEPTED},
      {"delivered", v1::DELIVERED}, {"failed", v1::FAILED},   {"withdrawn", v1::WITHDRAWN},
      {"dropped", v1::DROPPED}};
  auto it = kStates.find(s);
  return it == kStates.end() ? v1::MESSAGE_STATE_UNSPECIFIED : it->second;
}

absl::Time Micros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

}  // namespace

NotifyService::NotifyService(const ServiceContext& context) : ctx_(context) {
  ctx_.pool->Prepare(
      "notify_list_messages",
      absl::StrCat("SELECT id, site_id, template, channel, state, coalesce(reason, '') AS reason, "
                   "coalesce(language, '') AS language, ",
                   db::Micros("due_time"), " AS due, ", db::Micros("create_time"), " AS created, ",
                   db::Micros("update_time"),
                   " AS updated FROM notify.messages WHERE appointment_id = $1 ORDER BY id"));
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
      const int64_t id = r["id"].as<int64_t>();
      site = r["site_id"].as<int64_t>();
      m->set_name(absl::StrCat("messages/", id));
      m->set_appointment(req.appointment());
      m->set_template_(TemplateOf(r["template"].as<std::string>()));
      m->set_channel(r["channel"].as<std::string>() == "sms" ? v1::SMS : v1::EMAIL);
      m->set_state(StateOf(r["state"].as<std::string>()));
      m->set_reason(r["reason"].as<std::string>());
      m->set_language(r["language"].as<std::string>());
      *m->mutable_due_time() = ToProto(Micros(r["due"]));
      *m->mutable_create_time() = ToProto(Micros(r["created"]));
      *m->mutable_update_time() = ToProto(Micros(r["updated"]));
      by_id[id] = m;
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
  *resp = std::move(out);
  return absl::OkStatus();
}

}  // namespace accueil::notify
