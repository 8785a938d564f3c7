#include "services/gateway/gateway.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "accueil/booking/v1/booking.pb.h"
#include "accueil/notify/v1/notify.pb.h"
#include "services/common/auth/credentials.h"
#include "services/common/errors.h"
#include "services/common/grpc_status.h"
#include "services/common/log.h"

namespace accueil::gateway {
namespace {

namespace pb = google::protobuf;

// The policy of every page and answer: our own origin only, no inline
// script or style, never framed.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

void SecurityHeaders(const HttpRequest& request, HttpResponse& response) {
  auto& h = response.headers;
  h.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  h.emplace_back("X-Content-Type-Options", "nosniff");
  h.emplace_back("X-Frame-Options", "DENY");
  h.emplace_back("Referrer-Policy", "no-referrer");
  h.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  if (request.tls) h.emplace_back("Strict-Transport-Security", "max-age=31536000");
}

bool PrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// JsonError: `http_status` 0 maps the gRPC code (405 and 415 have none).
HttpResponse JsonError(const absl::Status& status, int http_status = 0) {
  HttpResponse response;
  response.status = http_status != 0 ? http_status : HttpStatusOf(status.code());
  response.content_type = "application/json; charset=utf-8";
  response.body = ErrorJson(status, response.status);
  if (std::optional<absl::Duration> delay = ErrorRetryDelay(status)) {
    response.headers.emplace_back(
        "Retry-After", absl::StrCat(absl::ToInt64Seconds(absl::Ceil(*delay, absl::Seconds(1)))));
  }
  return response;
}

// SameOrigin: the browser's Origin header, when sent, names this host.
bool SameOrigin(const HttpRequest& request) {
  const std::string& origin = request.Header("origin");
  if (origin.empty()) return true;
  const std::string& host = request.Header("host");
  return !host.empty() && (origin == absl::StrCat("https://", host) ||
                           (!request.tls && origin == absl::StrCat("http://", host)));
}

}  // namespace

std::vector<const pb::ServiceDescriptor*> ExposedServices() {
  return {
      booking::v1::Site::descriptor()->file()->FindServiceByName("BookingService"),
      notify::v1::ResendAccessRequest::descriptor()->file()->FindServiceByName("NotifyService")};
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options,
                                                         ChannelFor channels) {
  absl::StatusOr<RouteTable> routes = RouteTable::FromServices(ExposedServices());
  if (!routes.ok()) return routes.status();
  return std::unique_ptr<Gateway>(
      new Gateway(std::move(options), std::move(channels), std::move(*routes)));
}

Gateway::Gateway(GatewayOptions options, ChannelFor channels, RouteTable routes)
    : options_(std::move(options)),
      channels_(std::move(channels)),
      routes_(std::move(routes)),
      pages_(options_.pages, channels_) {
  for (const std::string& proxy : options_.trusted_proxies) {
    absl::StatusOr<input::Cidr> block = input::ParseCidr(proxy);
    if (block.ok()) trusted_proxies_.push_back(*block);
  }
}

std::string Gateway::ClientAddress(const HttpRequest& request) const {
  std::optional<input::IpAddress> peer = input::ParseIpAddress(request.peer_address);
  if (!peer) return request.peer_address;
  for (const input::Cidr& proxy : trusted_proxies_) {
    if (!input::Contains(proxy, *peer)) continue;
    // What the proxy appended must be an address; else the proxy counts.
    std::string hop = auth::LastForwardedHop(request.Header("x-forwarded-for"));
    return input::ParseIpAddress(hop) ? hop : request.peer_address;
  }
  return request.peer_address;
}

HttpResponse Gateway::Handle(const HttpRequest& request) {
  const absl::Time start = absl::Now();
  HttpResponse response;
  if (absl::StartsWith(request.path, "/v1/")) {
    response = Api(request);
    response.headers.emplace_back("Cache-Control", "no-store");
  } else if (request.path == "/healthz") {
    response.body = "ok\n";
  } else {
    response = pages_.Handle(request, ClientAddress(request));
  }
  SecurityHeaders(request, response);
  // The path's template-free form could name a reference: log the status only.
  log::Debug("gateway.request",
             {{"method", request.method},
              {"status", absl::StrCat(response.status)},
              {"duration_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - start))}});
  return response;
}

HttpResponse Gateway::Api(const HttpRequest& request) {
  absl::StatusOr<RouteTable::Match> match = routes_.Find(request.method, request.path);
  if (!match.ok()) {
    return JsonError(match.status(), ErrorReason(match.status()) == "METHOD_NOT_ALLOWED" ? 405 : 0);
  }
  const Route& route = *match->route;
  if (route.http_method != "GET") {
    const std::string type = absl::AsciiStrToLower(request.Header("content-type"));
    if (!absl::StartsWith(type, "application/json")) {
      return JsonError(Error(absl::StatusCode::kInvalidArgument, "UNSUPPORTED_MEDIA_TYPE",
                             "send the request body as Content-Type: application/json"),
                       415);
    }
    if (!SameOrigin(request)) {
      return JsonError(Error(absl::StatusCode::kPermissionDenied, "CROSS_ORIGIN_REFUSED",
                             "this call is only accepted from this site's own pages"));
    }
  }
  const pb::Message* prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(route.method->input_type());
  const pb::Message* response_prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(route.method->output_type());
  std::unique_ptr<pb::Message> in(prototype->New());
  std::unique_ptr<pb::Message> out(response_prototype->New());
  if (absl::Status s = BuildRequest(route, match->bindings, request.query, request.body, in.get());
      !s.ok()) {
    return JsonError(s);
  }
  std::string request_id;
  absl::Status called = Call(route, request, *in, out.get(), &request_id);
  HttpResponse response = called.ok() ? HttpResponse{} : JsonError(called);
  if (called.ok()) {
    response.content_type = "application/json; charset=utf-8";
    response.body = ToJson(*out);
  }
  if (!request_id.empty()) response.headers.emplace_back("X-Request-Id", request_id);
  return response;
}

absl::Status Gateway::Call(const Route& route, const HttpRequest& request, const pb::Message& in,
                           pb::Message* out, std::string* request_id) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_(route.module);
  if (!channel.ok()) return channel.status();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(options_.call_timeout));
  context.AddMetadata("x-forwarded-for", ClientAddress(request));
  const std::string& authorization = request.Header("authorization");
  if (!authorization.empty()) {
    if (!PrintableAscii(authorization)) {
      return Error(absl::StatusCode::kUnauthenticated, "INVALID_CREDENTIALS",
                   "the Authorization header is not printable ASCII");
    }
    context.AddMetadata("authorization", authorization);
  }
  const std::string& client_request_id = request.Header("x-request-id");
  if (!client_request_id.empty() && PrintableAscii(client_request_id)) {
    context.AddMetadata("x-request-id", client_request_id);
  }
  const std::string& reason = request.Header("x-agent-reason");
  if (!reason.empty()) {
    // A reason in French has accents: gRPC carries those in a -bin header.
    context.AddMetadata(PrintableAscii(reason) ? "x-agent-reason" : "x-agent-reason-bin", reason);
  }
  grpc::TemplatedGenericStub<pb::Message, pb::Message> stub(*channel);
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, route.grpc_path, grpc::StubOptions(), &in, out, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  // The id the service logged the call under, for the person's support.
  const auto& headers = context.GetServerInitialMetadata();
  if (auto it = headers.find("x-request-id"); it != headers.end()) {
    *request_id = std::string(it->second.data(), it->second.size());
  }
  return FromGrpcStatus(status);
}

}  // namespace accueil::gateway
