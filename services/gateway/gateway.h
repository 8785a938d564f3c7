// Gateway: what the HTTP server does with a request (docs/web.md).
//
//   /v1/...      the JSON API (json_routes.h), every route from the protos;
//   /healthz     200 once the gateway serves;
//   anything else the pages (pages.h), a 404 page for an unknown path.
//
// Every response carries the security headers (CSP without inline script,
// frame-ancestors 'none', nosniff, no referrer; HSTS on TLS). A JSON call
// that changes something must be `Content-Type: application/json` and, when
// the browser says where it comes from, from this origin: a cross-site form
// or script cannot send it (CSRF). The person's address, for the services'
// rate limits, is the TCP peer's, or the last X-Forwarded-For hop when the
// peer is one of `trusted_proxies` (an ingress).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/input/cidr.h"
#include "services/gateway/gateway_channels.h"
#include "services/gateway/http_server.h"
#include "services/gateway/json_routes.h"
#include "services/gateway/pages.h"

namespace accueil::gateway {

struct GatewayOptions {
  // The pages' assets and clock (pages.h).
  PagesOptions pages;
  // Addresses or CIDR blocks whose X-Forwarded-For is believed.
  std::vector<std::string> trusted_proxies;
  // Deadline of a call to a service.
  absl::Duration call_timeout = absl::Seconds(30);
};

class Gateway {
 public:
  // Create reads the routes of the services the gateway exposes.
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(GatewayOptions options,
                                                         ChannelFor channels);

  HttpResponse Handle(const HttpRequest& request);

  // StopStreams ends the open event streams (the call displays): before
  // the HTTP server stops.
  void StopStreams() { pages_.StopStreams(); }

  // ClientAddress: the person's address (see above).
  std::string ClientAddress(const HttpRequest& request) const;

  const RouteTable& routes() const { return routes_; }

 private:
  Gateway(GatewayOptions options, ChannelFor channels, RouteTable routes);
  HttpResponse Api(const HttpRequest& request);
  // Call makes the gRPC call; `request_id`: the id the service gave it.
  absl::Status Call(const Route& route, const HttpRequest& request,
                    const google::protobuf::Message& in, google::protobuf::Message* out,
                    std::string* request_id);

  GatewayOptions options_;
  ChannelFor channels_;
  RouteTable routes_;
  std::vector<input::Cidr> trusted_proxies_;
  Pages pages_;
};

// ExposedServices: the services whose http rules the gateway serves.
std::vector<const google::protobuf::ServiceDescriptor*> ExposedServices();

}  // namespace accueil::gateway
