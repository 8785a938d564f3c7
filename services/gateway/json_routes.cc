#include "services/gateway/json_routes.h"

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "services/common/errors.h"

namespace accueil::gateway {
namespace {

namespace pb = google::protobuf;

absl::Status BadTable(const pb::MethodDescriptor* method, absl::string_view what) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_HTTP_RULE",
               absl::StrCat(method->full_name(), ": ", std::string(what)));
}

// ModuleOf: "accueil.booking.v1" -> "booking".
std::string ModuleOf(const pb::ServiceDescriptor* service) {
  std::vector<std::string> parts = absl::StrSplit(service->file()->package(), '.');
  return parts.size() >= 2 ? parts[1] : "";
}

absl::Status AddRule(const pb::MethodDescriptor* method, const google::api::HttpRule& rule,
                     std::vector<Route>& routes) {
  Route route;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      route.http_method = "GET";
      route.path_text = rule.get();
      break;
    case google::api::HttpRule::kPost:
      route.http_method = "POST";
      route.path_text = rule.post();
      break;
    case google::api::HttpRule::kPut:
      route.http_method = "PUT";
      route.path_text = rule.put();
      break;
    case google::api::HttpRule::kPatch:
      route.http_method = "PATCH";
      route.path_text = rule.patch();
      break;
    case google::api::HttpRule::kDelete:
      route.http_method = "DELETE";
      route.path_text = rule.delete_();
      break;
    default:
      return BadTable(method, "a rule needs get, post, put, patch or delete");
  }
  if (rule.body() != "" && rule.body() != "*")
    return BadTable(method, "body must be \"*\" or none");
  if (!rule.response_body().empty()) return BadTable(method, "response_body is not served");
  if (method->client_streaming() || method->server_streaming()) {
    return BadTable(method, "streaming methods have no JSON route");
  }
  route.body = rule.body() == "*";
  absl::StatusOr<PathTemplate> path = ParsePathTemplate(route.path_text);
  if (!path.ok()) return BadTable(method, std::string(path.status().message()));
  route.path = std::move(*path);
  route.method = method;
  route.module = ModuleOf(method->service());
  route.grpc_path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  for (const Route& other : routes) {
    if (other.http_method == route.http_method && other.path_text == route.path_text) {
      return BadTable(method, absl::StrCat("same route as ", other.method->full_name()));
    }
  }
  routes.push_back(std::move(route));
  for (const google::api::HttpRule& extra : rule.additional_bindings()) {
    if (absl::Status s = AddRule(method, extra, routes); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// FieldOf finds `name` (proto or JSON name) in `type`.
const pb::FieldDescriptor* FieldOf(const pb::Descriptor* type, absl::string_view name) {
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    if (field->name() == name || field->json_name() == name) return field;
  }
  return nullptr;
}

// Parameters are set as a JSON object, then parsed like a body; scalars are
// strings (protobuf's JSON parser reads "7" as a number) except booleans.
absl::Status SetParameter(const pb::Descriptor* type, absl::string_view path,
                          const std::string& value, bool from_path, nlohmann::json& object) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  nlohmann::json* node = &object;
  const pb::Descriptor* current = type;
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::FieldDescriptor* field = current ? FieldOf(current, parts[i]) : nullptr;
    const bool last = i + 1 == parts.size();
    const bool message = field && field->type() == pb::FieldDescriptor::TYPE_MESSAGE;
    // Well-known types written as strings (Timestamp, Duration, FieldMask).
    const bool string_form =
        message && absl::StartsWith(field->message_type()->full_name(), "google.protobuf.");
    if (!field || (last && message && !string_form) || (!last && (!message || string_form)) ||
        (field->is_map())) {
      return InvalidField("UNKNOWN_PARAMETER", std::string(path),
                          absl::StrCat("\"", path, "\" is not a parameter of this call"));
    }
    const std::string key = field->json_name();
    if (!last) {
      if (field->is_repeated()) {
        return InvalidField("UNKNOWN_PARAMETER", std::string(path),
                            absl::StrCat("\"", path, "\" is not a parameter of this call"));
      }
      if (!(*node)[key].is_object()) (*node)[key] = nlohmann::json::object();
      node = &(*node)[key];
      current = field->message_type();
      continue;
    }
    nlohmann::json leaf = value;
    if (field->type() == pb::FieldDescriptor::TYPE_BOOL) {
      if (value != "true" && value != "false") {
        return InvalidField("INVALID_PARAMETER", std::string(path),
                            absl::StrCat("\"", path, "\" must be true or false"));
      }
      leaf = value == "true";
    }
    if (field->is_repeated() && !from_path) {
      if (!(*node)[key].is_array()) (*node)[key] = nlohmann::json::array();
      (*node)[key].push_back(std::move(leaf));
    } else {
      if (node->contains(key) && !from_path) {
        return InvalidField("INVALID_PARAMETER", std::string(path),
                            absl::StrCat("\"", path, "\" is given twice"));
      }
      (*node)[key] = std::move(leaf);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseJson(absl::string_view json, pb::Message* message, absl::string_view what) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  pb::util::Status status = pb::util::JsonStringToMessage(std::string(json), message, options);
  if (!status.ok()) {
    return Error(absl::StatusCode::kInvalidArgument, "INVALID_JSON",
                 absl::StrCat(what, ": ", std::string(status.message())));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RouteTable> RouteTable::FromServices(
    const std::vector<const pb::ServiceDescriptor*>& services) {
  RouteTable table;
  for (const pb::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      if (absl::Status s =
              AddRule(method, method->options().GetExtension(google::api::http), table.routes_);
          !s.ok()) {
        return s;
      }
    }
  }
  return table;
}

absl::StatusOr<RouteTable::Match> RouteTable::Find(absl::string_view http_method,
                                                   absl::string_view path) const {
  bool other_method = false;
  for (const Route& route : routes_) {
    std::optional<Bindings> bindings =
        MatchPath(route.path, std::string_view(path.data(), path.size()));
    if (!bindings) continue;
    if (route.http_method != http_method) {
      other_method = true;
      continue;
    }
    return Match{&route, std::move(*bindings)};
  }
  if (other_method) {
    return Error(absl::StatusCode::kUnimplemented, "METHOD_NOT_ALLOWED",
                 absl::StrCat(std::string(http_method), " is not allowed on this path"));
  }
  return Error(absl::StatusCode::kNotFound, "ROUTE_NOT_FOUND", "no API route has this path");
}

absl::Status BuildRequest(const Route& route, const Bindings& bindings, absl::string_view query,
                          absl::string_view body, pb::Message* request) {
  const pb::Descriptor* type = request->GetDescriptor();
  if (route.body) {
    absl::string_view text = absl::StripAsciiWhitespace(body);
    if (absl::Status s = ParseJson(text.empty() ? "{}" : text, request, "body"); !s.ok()) {
      return s;
    }
    if (!query.empty()) {
      return Error(absl::StatusCode::kInvalidArgument, "UNKNOWN_PARAMETER",
                   "this call takes its fields in the JSON body, not the query string");
    }
  } else if (!absl::StripAsciiWhitespace(body).empty()) {
    return Error(absl::StatusCode::kInvalidArgument, "UNEXPECTED_BODY",
                 "this call takes no body: give its fields in the query string");
  }
  nlohmann::json parameters = nlohmann::json::object();
  if (!route.body) {
    std::optional<Bindings> pairs = ParseUrlEncoded(std::string_view(query.data(), query.size()));
    if (!pairs) {
      return Error(absl::StatusCode::kInvalidArgument, "INVALID_QUERY",
                   "the query string is malformed or too long");
    }
    for (const auto& [key, value] : *pairs) {
      if (absl::Status s = SetParameter(type, key, value, false, parameters); !s.ok()) return s;
    }
  }
  // The path's variables last: they win over the body and the query.
  for (const auto& [key, value] : bindings) {
    if (absl::Status s = SetParameter(type, key, value, true, parameters); !s.ok()) return s;
  }
  if (parameters.empty()) return absl::OkStatus();
  std::unique_ptr<pb::Message> from_parameters(request->New());
  if (absl::Status s = ParseJson(parameters.dump(), from_parameters.get(), "parameters"); !s.ok()) {
    return s;
  }
  // MergeFrom keeps the body's fields the parameters leave unset.
  request->MergeFrom(*from_parameters);
  return absl::OkStatus();
}

std::string ToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)pb::util::MessageToJsonString(message, &out, options);
  return out;
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string ErrorJson(const absl::Status& status, int http_status) {
  nlohmann::json error = {
      {"code", http_status != 0 ? http_status : HttpStatusOf(status.code())},
      {"status", CodeName(status.code())},
      {"reason", ErrorReason(status).empty() ? CodeName(status.code()) : ErrorReason(status)},
      {"message", std::string(status.message())},
  };
  const std::string field = ErrorField(status);
  if (!field.empty()) {
    error["field"] = field;
    error["fieldViolations"] =
        nlohmann::json::array({{{"field", field}, {"description", std::string(status.message())}}});
  }
  if (std::optional<absl::Duration> delay = ErrorRetryDelay(status)) {
    error["retryAfterSeconds"] = absl::ToInt64Seconds(absl::Ceil(*delay, absl::Seconds(1)));
  }
  // Invalid UTF-8 in a message (an echo of bad input) is replaced, never thrown.
  return nlohmann::json{{"error", error}}.dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
}

}  // namespace accueil::gateway
