// PageKit: what every page of the gateway is made with, the public pages
// (pages.cc) and the agents' (agent_pages.cc): the request's context, the
// calls to the services through their gate, rendering a template into the
// layout, and the error pages.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <kainjow/mustache.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "accueil/notify/v1/notify.grpc.pb.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/common/grpc_status.h"
#include "services/gateway/gateway_channels.h"
#include "services/gateway/http_server.h"
#include "services/gateway/pages.h"
#include "services/gateway/path_template.h"

namespace accueil::gateway {

namespace mustache = kainjow::mustache;

// What one request's page is made with.
struct PageContext {
  const HttpRequest* request;
  std::string client;
  std::string language;
  Bindings query;
  std::string csrf;  // the cookie's token, or a new one set with the answer
  std::vector<std::string> set_cookies;
  // The calls' bearer token: a kiosk's device token, an agent's ID token.
  std::string bearer;
  // The agent's reason for acting for a person (x-agent-reason-bin).
  std::string reason;
  // An agent's page: French, no language choice, the agent's header.
  std::string agent;  // the signed-in subject
  // A full-screen page without the header and footer (the call display).
  bool bare = false;
};

// SafeToken: 32 hexadecimal digits (a CSRF token, a request id).
bool SafeToken(const std::string& text);
// Digits: 1 to 18 decimal digits (a resource id in a path).
bool Digits(const std::string& text);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
// IdOf: "12" for "sites/12".
std::string IdOf(const std::string& name);

class PageKit {
 public:
  PageKit(PagesOptions options, ChannelFor channels);

  absl::Time Now() const { return options.clock->Now(); }

  // CallOn calls `module`'s `Service` with the person's address, and the
  // context's bearer token and reason when it has them.
  template <typename Service, typename Req, typename Resp>
  absl::Status CallOn(const PageContext& ctx, std::string_view module,
                      grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Req&,
                                                            Resp*),
                      const Req& req, Resp* resp) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels(module);
    if (!channel.ok()) return channel.status();
    std::unique_ptr<typename Service::Stub> stub = Service::NewStub(*channel);
    grpc::ClientContext context;
    Prepare(ctx, &context);
    return FromGrpcStatus(((*stub).*method)(&context, req, resp));
  }

  // Call: booking's; Notify: notify's.
  template <typename Req, typename Resp>
  absl::Status Call(const PageContext& ctx,
                    grpc::Status (booking::v1::BookingService::Stub::*method)(grpc::ClientContext*,
                                                                              const Req&, Resp*),
                    const Req& req, Resp* resp) {
    return CallOn<booking::v1::BookingService>(ctx, "booking", method, req, resp);
  }
  template <typename Req, typename Resp>
  absl::Status Notify(const PageContext& ctx,
                      grpc::Status (notify::v1::NotifyService::Stub::*method)(grpc::ClientContext*,
                                                                              const Req&, Resp*),
                      const Req& req, Resp* resp) {
    return CallOn<notify::v1::NotifyService>(ctx, "notify", method, req, resp);
  }

  // DaySlots: a desk's slots on `day` (the site's zone), full ones too.
  absl::StatusOr<std::vector<booking::v1::Slot>> DaySlots(const PageContext& ctx,
                                                          const std::string& desk,
                                                          absl::TimeZone zone, absl::CivilDay day);
  // FreeSlots: a desk's slots with room left on `day` (the site's zone).
  absl::StatusOr<std::vector<booking::v1::Slot>> FreeSlots(const PageContext& ctx,
                                                           const std::string& desk,
                                                           absl::TimeZone zone, absl::CivilDay day);
  // FreeDays: the days with a free slot, `days` of them from today (site time).
  absl::StatusOr<booking::v1::ListAvailableDaysResponse> FreeDays(const PageContext& ctx,
                                                                  const std::string& desk,
                                                                  absl::TimeZone zone, int days);

  mustache::data Words(const PageContext& ctx) const;
  // Render: the template `name` with `data`, in the layout.
  HttpResponse Render(PageContext& ctx, const std::string& name, const std::string& title,
                      mustache::data data, int status = 200,
                      const std::vector<std::string>& scripts = {});
  // Fragment: the template `name` alone, without the layout (a part of a
  // page a script replaces in place).
  HttpResponse Fragment(PageContext& ctx, const std::string& name, mustache::data data);
  // Personal: an answer for this person only (never cached), with the
  // cookies the request set (CSRF, language, session).
  static HttpResponse Personal(const PageContext& ctx, HttpResponse response);
  HttpResponse Message(PageContext& ctx, const std::string& title_key, const std::string& text_key,
                       int status);
  HttpResponse Failure(PageContext& ctx, const absl::Status& status);
  // ErrorText: the text for a failed call, by its reason, in the page's language.
  std::string ErrorText(const PageContext& ctx, const absl::Status& status) const;

  PagesOptions options;
  ChannelFor channels;

 private:
  void Prepare(const PageContext& ctx, grpc::ClientContext* context) const;
  static std::string StripLang(const std::string& query);
  std::map<std::string, mustache::mustache> templates_;
  // Templates named part_*, offered to every template as partials
  // ({{> part_queue}}).
  std::map<std::string, std::string> partials_;
};

}  // namespace accueil::gateway
