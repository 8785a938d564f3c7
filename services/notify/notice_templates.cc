// A desk's own texts for the agents' notices (docs/notify.md#notice-templates):
// listed beside the built-in ones, checked before they are kept.
#include <map>

#include "absl/strings/str_cat.h"
#include "services/common/db.h"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/notify/notify_service.h"
#include "services/notify/templates.h"

namespace accueil::notify {
namespace {

constexpr const char* kChannels[] = {"email", "sms"};

struct OwnText {
  std::string body;
  absl::Time updated;
};

}  // namespace

void NotifyService::PrepareNoticeTemplates() {
  ctx_.pool->Prepare("notify_list_notice_texts",
                     "SELECT template, language, channel, body, "
                     "(extract(epoch FROM update_time) * 1000000)::bigint AS updated "
                     "FROM notify.notice_texts WHERE desk_id = $1");
  ctx_.pool->Prepare(
      "notify_put_notice_text",
      "INSERT INTO notify.notice_texts (desk_id, site_id, template, language, channel, body, "
      "update_time) VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz) "
      "ON CONFLICT (desk_id, template, language, channel) DO UPDATE SET "
      "site_id = EXCLUDED.site_id, body = EXCLUDED.body, update_time = EXCLUDED.update_time");
  ctx_.pool->Prepare("notify_delete_notice_text",
                     "DELETE FROM notify.notice_texts WHERE desk_id = $1 AND template = $2 AND "
                     "language = $3 AND channel = $4");
}

grpc::Status NotifyService::ListNoticeTemplates(grpc::ServerContext* context,
                                                const v1::ListNoticeTemplatesRequest* req,
                                                v1::ListNoticeTemplatesResponse* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.ListNoticeTemplates",
                           [&](Call& call) { return DoListNoticeTemplates(call, *req, resp); });
}

grpc::Status NotifyService::UpdateNoticeTemplate(grpc::ServerContext* context,
                                                 const v1::UpdateNoticeTemplateRequest* req,
                                                 v1::NoticeTemplate* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.UpdateNoticeTemplate",
                           [&](Call& call) { return DoUpdateNoticeTemplate(call, *req, resp); });
}

absl::Status NotifyService::DoListNoticeTemplates(Call& call,
                                                  const v1::ListNoticeTemplatesRequest& req,
                                                  v1::ListNoticeTemplatesResponse* out) {
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  ASSIGN_OR_RETURN(int64_t site, booking_->DeskSite(call, desk, "desk"));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(req.desk(), site);
  std::map<std::string, OwnText> own;  // "convocation/fr.sms"
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    own.clear();
    for (const pqxx::row& r : tx.exec_prepared("notify_list_notice_texts", desk)) {
      own[absl::StrCat(r["template"].as<std::string>(), "/", r["language"].as<std::string>(), ".",
                       r["channel"].as<std::string>())] = {
          r["body"].as<std::string>(), absl::FromUnixMicros(r["updated"].as<int64_t>())};
    }
    return absl::OkStatus();
  }));
  for (const std::string& notice : NoticeNames()) {
    for (const std::string& language : options_.templates->Languages()) {
      for (const char* channel : kChannels) {
        std::optional<std::string> built_in = options_.templates->Text(notice, channel, language);
        if (!built_in.has_value()) continue;
        v1::NoticeTemplate* t = out->add_notice_templates();
        t->set_desk(req.desk());
        t->set_notice(TemplateOf(notice));
        t->set_language(language);
        t->set_channel(std::string(channel) == "sms" ? v1::SMS : v1::EMAIL);
        auto it = own.find(absl::StrCat(notice, "/", language, ".", channel));
        if (it == own.end()) {
          t->set_text(*built_in);
        } else {
          t->set_text(it->second.body);
          t->set_custom(true);
          *t->mutable_update_time() = ToProto(it->second.updated);
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status NotifyService::DoUpdateNoticeTemplate(Call& call,
                                                   const v1::UpdateNoticeTemplateRequest& req,
                                                   v1::NoticeTemplate* out) {
  const v1::NoticeTemplate& t = req.notice_template();
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(t.desk(), "desks", "notice_template.desk"));
  const std::string notice = TemplateName(t.notice());
  if (!IsNotice(notice)) {
    return InvalidField("INVALID_NOTICE", "notice_template.notice",
                        "CONVOCATION, DOCUMENTS_MISSING or PERMIT_READY");
  }
  if (t.channel() != v1::EMAIL && t.channel() != v1::SMS) {
    return InvalidField("INVALID_CHANNEL", "notice_template.channel", "EMAIL or SMS");
  }
  const std::string channel = t.channel() == v1::SMS ? "sms" : "email";
  std::optional<std::string> built_in = options_.templates->Text(notice, channel, t.language());
  if (!built_in.has_value()) {
    return InvalidField("INVALID_LANGUAGE", "notice_template.language",
                        "a language notify has templates for");
  }
  ASSIGN_OR_RETURN(int64_t site, booking_->DeskSite(call, desk, "notice_template.desk"));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(t.desk(), site);
  if (!t.text().empty())
    RETURN_IF_ERROR(CheckNoticeText(channel, t.language(), t.text(), "notice_template.text"));
  const absl::Time now = ctx_.clock->Now();
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    if (t.text().empty()) {
      tx.exec_prepared("notify_delete_notice_text", desk, notice, t.language(), channel);
    } else {
      tx.exec_prepared("notify_put_notice_text", desk, site, notice, t.language(), channel,
                       t.text(), db::SqlTime(now));
    }
    tx.commit();
    return absl::OkStatus();
  }));
  *out = t;
  out->clear_update_time();
  out->set_custom(!t.text().empty());
  if (t.text().empty()) {
    out->set_text(*built_in);
  } else {
    *out->mutable_update_time() = ToProto(now);
  }
  return absl::OkStatus();
}

}  // namespace accueil::notify
