#include "services/gateway/page_kit.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/gateway/json_routes.h"
#include "services/gateway/page_templates.h"
#include "services/gateway/web_text.h"

namespace accueil::gateway {

bool SafeToken(const std::string& text) {
  if (text.size() != 32) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool Digits(const std::string& text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds());
}

std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

PageKit::PageKit(PagesOptions o, ChannelFor c) : options(std::move(o)), channels(std::move(c)) {
  for (const PageTemplate& t : EmbeddedPageTemplates()) {
    std::string name = t.path;
    name = name.substr(0, name.size() - std::string(".mustache").size());
    templates_.emplace(name, mustache::mustache(t.text));
    if (absl::StartsWith(name, "part_")) partials_.emplace(name, t.text);
  }
}

void PageKit::Prepare(const PageContext& ctx, grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context->AddMetadata("x-forwarded-for", ctx.client);
  if (!ctx.bearer.empty()) context->AddMetadata("authorization", "Bearer " + ctx.bearer);
  if (!ctx.reason.empty()) context->AddMetadata("x-agent-reason-bin", ctx.reason);
}

absl::StatusOr<std::vector<booking::v1::Slot>> PageKit::DaySlots(const PageContext& ctx,
                                                                 const std::string& desk,
                                                                 absl::TimeZone zone,
                                                                 absl::CivilDay day) {
  booking::v1::ListSlotsRequest req;
  req.set_desk(desk);
  req.mutable_start_time()->set_seconds(absl::ToUnixSeconds(absl::FromCivil(day, zone)));
  req.mutable_end_time()->set_seconds(absl::ToUnixSeconds(absl::FromCivil(day + 1, zone)));
  req.set_page_size(500);
  booking::v1::ListSlotsResponse slots;
  if (absl::Status s = Call(ctx, &booking::v1::BookingService::Stub::ListSlots, req, &slots);
      !s.ok()) {
    return s;
  }
  return std::vector<booking::v1::Slot>(slots.slots().begin(), slots.slots().end());
}

absl::StatusOr<std::vector<booking::v1::Slot>> PageKit::FreeSlots(const PageContext& ctx,
                                                                  const std::string& desk,
                                                                  absl::TimeZone zone,
                                                                  absl::CivilDay day) {
  absl::StatusOr<std::vector<booking::v1::Slot>> all = DaySlots(ctx, desk, zone, day);
  if (!all.ok()) return all.status();
  std::vector<booking::v1::Slot> out;
  for (const booking::v1::Slot& slot : *all) {
    if (slot.remaining_capacity() > 0) out.push_back(slot);
  }
  return out;
}

absl::StatusOr<booking::v1::ListAvailableDaysResponse> PageKit::FreeDays(const PageContext& ctx,
                                                                         const std::string& desk,
                                                                         absl::TimeZone zone,
                                                                         int days) {
  const absl::CivilDay today = absl::ToCivilDay(Now(), zone);
  booking::v1::ListAvailableDaysRequest req;
  req.set_desk(desk);
  req.mutable_start_date()->set_year(static_cast<int>(today.year()));
  req.mutable_start_date()->set_month(today.month());
  req.mutable_start_date()->set_day(today.day());
  req.set_days(days);
  booking::v1::ListAvailableDaysResponse out;
  if (absl::Status s = Call(ctx, &booking::v1::BookingService::Stub::ListAvailableDays, req, &out);
      !s.ok()) {
    return s;
  }
  return out;
}

mustache::data PageKit::Words(const PageContext& ctx) const {
  mustache::data t;
  for (const auto& [key, text] : gateway::Words(ctx.language)) t.set(key, text);
  return t;
}

HttpResponse PageKit::Render(PageContext& ctx, const std::string& name, const std::string& title,
                             mustache::data data, int status,
                             const std::vector<std::string>& scripts) {
  data.set("t", Words(ctx));
  data.set("lang", ctx.language);
  data.set("csrf", ctx.csrf);
  for (const auto& [partial, text] : partials_) {
    data.set(partial, mustache::partial([text = text] { return text; }));
  }
  std::string body = templates_.at(name).render(data);
  mustache::data page;
  page.set("t", Words(ctx));
  page.set("lang", ctx.language);
  page.set("dir", RightToLeft(ctx.language) ? "rtl" : "ltr");
  page.set("title", title);
  page.set("body", body);
  if (ctx.bare) page.set("bare", true);
  if (!ctx.agent.empty()) {
    // Agents' pages are in French and say who is signed in.
    page.set("agent", ctx.agent);
    page.set("csrf", ctx.csrf);
  } else {
    mustache::data languages{mustache::data::type::list};
    for (const std::string& l : PageLanguages()) {
      mustache::data item;
      item.set("code", l);
      item.set("name", LanguageName(l));
      item.set("href", absl::StrCat(ctx.request->path, "?",
                                    ctx.request->method == "GET" && !ctx.request->query.empty()
                                        ? StripLang(ctx.request->query) + "&"
                                        : "",
                                    "lang=", l));
      if (l == ctx.language) item.set("current", true);
      languages.push_back(item);
    }
    page.set("languages", languages);
  }
  mustache::data script_list{mustache::data::type::list};
  for (const std::string& script : scripts) script_list.push_back(mustache::data(script));
  page.set("scripts", script_list);
  HttpResponse response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = templates_.at("layout").render(page);
  return Personal(ctx, std::move(response));
}

HttpResponse PageKit::Fragment(PageContext& ctx, const std::string& name, mustache::data data) {
  data.set("t", Words(ctx));
  data.set("lang", ctx.language);
  data.set("csrf", ctx.csrf);
  HttpResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = templates_.at(name).render(data);
  return Personal(ctx, std::move(response));
}

HttpResponse PageKit::Personal(const PageContext& ctx, HttpResponse response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  for (const std::string& cookie : ctx.set_cookies) {
    response.headers.emplace_back("Set-Cookie", cookie);
  }
  return response;
}

std::string PageKit::StripLang(const std::string& query) {
  std::optional<Bindings> pairs = ParseUrlEncoded(query);
  std::string out;
  if (!pairs) return out;
  for (const auto& [k, v] : *pairs) {
    if (k == "lang") continue;
    if (!out.empty()) out += "&";
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

HttpResponse PageKit::Message(PageContext& ctx, const std::string& title_key,
                              const std::string& text_key, int status) {
  const auto& words = gateway::Words(ctx.language);
  mustache::data data;
  data.set("heading", words.at(title_key));
  data.set("text", words.at(text_key));
  return Render(ctx, "message", words.at(title_key), data, status);
}

HttpResponse PageKit::Failure(PageContext& ctx, const absl::Status& status) {
  log::Warn("gateway.page_failed",
            {{"code", CodeName(status.code())}, {"reason", ErrorReason(status)}});
  if (status.code() == absl::StatusCode::kNotFound) {
    return Message(ctx, "not_found", "not_found_text", 404);
  }
  const std::string key = absl::StrCat("error_", ErrorReason(status));
  const auto& words = gateway::Words(ctx.language);
  return Message(ctx, "error_summary", words.count(key) ? key : "service_unavailable",
                 HttpStatusOf(status.code()));
}

std::string PageKit::ErrorText(const PageContext& ctx, const absl::Status& status) const {
  const auto& words = gateway::Words(ctx.language);
  const std::string key = absl::StrCat("error_", ErrorReason(status));
  return words.count(key) ? words.at(key) : words.at("error_other");
}

}  // namespace accueil::gateway
