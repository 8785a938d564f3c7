// JsonRoutes: the gateway's JSON API, derived from the services' protos.
//
// Every RPC annotated with `option (google.api.http)` becomes a route; one
// generic path serves them all: the path's variables, the query string (for
// rules without a body) and the JSON body (`body: "*"`) become the request
// message through protobuf's JSON mapping, the call goes to the owning
// module over gRPC (peers.h: in-process in the all-in-one server) with the
// caller's credentials, and the response message comes back as JSON (every
// field printed, names in lowerCamelCase). Errors carry the gRPC reason and
// field (docs/api.md#errors).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/path_template.h"

namespace accueil::gateway {

struct Route {
  std::string http_method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path_text;    // "/v1/{name=sites/*}"
  PathTemplate path;
  bool body = false;  // body: "*"
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string module;     // "booking": whose peer channel serves it
  std::string grpc_path;  // "/accueil.booking.v1.BookingService/GetSite"
};

class RouteTable {
 public:
  // FromServices reads the http rules of every method of `services`;
  // INVALID_ARGUMENT on a rule this gateway does not serve (a body other
  // than "*", a bad template, two rules for one method and path).
  static absl::StatusOr<RouteTable> FromServices(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  struct Match {
    const Route* route;
    Bindings bindings;
  };
  // Find: NOT_FOUND ROUTE_NOT_FOUND when no template matches the path,
  // UNIMPLEMENTED METHOD_NOT_ALLOWED when one matches with another method.
  absl::StatusOr<Match> Find(absl::string_view http_method, absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// BuildRequest fills `request` (of the route's input type) from the path's
// bindings, the query string and the body; INVALID_ARGUMENT with the field
// (INVALID_JSON, UNKNOWN_PARAMETER, INVALID_PARAMETER) otherwise.
absl::Status BuildRequest(const Route& route, const Bindings& bindings, absl::string_view query,
                          absl::string_view body, google::protobuf::Message* request);

// ToJson prints `message` with every field (zero values too).
std::string ToJson(const google::protobuf::Message& message);

// ErrorJson: {"error": {"code": 400, "status": "INVALID_ARGUMENT", "reason":
// "...", "message": "...", "field": "...", "fieldViolations": [...],
// "retryAfterSeconds": n}}; HttpStatusOf maps the gRPC code.
// `http_status` 0: HttpStatusOf(status.code()).
std::string ErrorJson(const absl::Status& status, int http_status = 0);
int HttpStatusOf(absl::StatusCode code);

}  // namespace accueil::gateway
