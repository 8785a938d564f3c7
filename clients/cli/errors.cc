#include "clients/cli/errors.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace accueil::cli {
namespace {

// What the server said, gathered from the status details.
struct Details {
  std::string reason;
  std::vector<std::pair<std::string, std::string>> metadata;  // sorted by key
  std::vector<std::pair<std::string, std::string>> fields;    // field, description
  bool has_retry_delay = false;
  absl::Duration retry_delay;
};

Details ParseDetails(const std::string& serialized) {
  Details details;
  google::rpc::Status rpc_status;
  if (serialized.empty() || !rpc_status.ParseFromString(serialized)) {
    return details;
  }
  for (const google::protobuf::Any& any : rpc_status.details()) {
    if (google::rpc::ErrorInfo info; any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) {
      details.reason = info.reason();
      details.metadata.assign(info.metadata().begin(), info.metadata().end());
      std::sort(details.metadata.begin(), details.metadata.end());
    } else if (google::rpc::BadRequest bad;
               any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad)) {
      for (const auto& violation : bad.field_violations()) {
        details.fields.emplace_back(violation.field(), violation.description());
      }
    } else if (google::rpc::RetryInfo retry;
               any.Is<google::rpc::RetryInfo>() && any.UnpackTo(&retry)) {
      details.has_retry_delay = true;
      details.retry_delay = absl::Seconds(retry.retry_delay().seconds()) +
                            absl::Nanoseconds(retry.retry_delay().nanos());
    }
  }
  return details;
}

// Server text goes to a terminal: keep control characters from moving the
// cursor or changing colours.
std::string Printable(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return out;
}

// Headline says what kind of failure it is, for when the server's message
// is already shown on the line of the one offending field.
absl::string_view Headline(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return "invalid request";
    case grpc::StatusCode::NOT_FOUND:
      return "not found";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "it already exists";
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return "the request cannot be done now";
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return "not allowed";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "too many requests";
    default:
      return "the request failed";
  }
}

}  // namespace

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return kExitInvalid;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return kExitConflict;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return kExitDenied;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitExhausted;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    default:
      return kExitFailure;
  }
}

std::string ExitCodeHelp() {
  return "Exit codes:\n"
         "  0  success\n"
         "  1  other failure\n"
         "  2  usage error (bad command line)\n"
         "  3  invalid input (INVALID_ARGUMENT, OUT_OF_RANGE)\n"
         "  4  not found (NOT_FOUND)\n"
         "  5  conflict with the current state (FAILED_PRECONDITION,\n"
         "     ALREADY_EXISTS, ABORTED)\n"
         "  6  not allowed (PERMISSION_DENIED, UNAUTHENTICATED)\n"
         "  7  throttled or quota exhausted (RESOURCE_EXHAUSTED)\n"
         "  8  server unreachable or too slow (UNAVAILABLE, "
         "DEADLINE_EXCEEDED)\n";
}

absl::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

ErrorReport DescribeRpcError(const grpc::Status& status, absl::string_view server) {
  ErrorReport report;
  report.exit_code = ExitCodeFor(status.error_code());
  if (status.ok()) return report;

  Details details = ParseDetails(status.error_details());
  const std::string code_name(StatusCodeName(status.error_code()));
  std::string message = Printable(status.error_message());

  // Transport failures come from the gRPC library, not from our server: say
  // which address was tried, since a wrong --server is the usual cause.
  if (details.reason.empty()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      message =
          absl::StrCat("cannot reach the server at ", server, message.empty() ? "" : ": ", message);
    } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      message = absl::StrCat("no answer from ", server, " before the deadline (see --timeout)");
    }
  }
  if (message.empty()) {
    message = status.error_code() == grpc::StatusCode::UNIMPLEMENTED
                  ? "the server does not offer this call (is it an older version?)"
                  : "the call failed";
  }

  // With a single offending field the reason belongs to that field; with
  // several it is the request's as a whole.
  const bool reason_on_field = details.fields.size() == 1;
  std::string reason = details.reason.empty() ? code_name : Printable(details.reason);
  if (reason_on_field && details.fields.front().second == message) {
    message = std::string(Headline(status.error_code()));
  }
  absl::StrAppend(&report.text, "error: ", message);
  if (!reason_on_field || details.reason.empty()) {
    absl::StrAppend(&report.text, " (", reason, ")");
  }
  absl::StrAppend(&report.text, "\n");

  for (const auto& [field, description] : details.fields) {
    absl::StrAppend(&report.text, "  ", field.empty() ? "(request)" : Printable(field), ": ",
                    Printable(description));
    if (reason_on_field && !details.reason.empty()) {
      absl::StrAppend(&report.text, " (", reason, ")");
    }
    absl::StrAppend(&report.text, "\n");
  }
  if (!details.metadata.empty()) {
    absl::StrAppend(&report.text, "  details: ",
                    absl::StrJoin(details.metadata, ", ",
                                  [](std::string* out, const auto& entry) {
                                    absl::StrAppend(out, Printable(entry.first), "=",
                                                    Printable(entry.second));
                                  }),
                    "\n");
  }
  if (details.has_retry_delay) {
    absl::StrAppend(&report.text, "  retry after ",
                    absl::FormatDuration(absl::Ceil(details.retry_delay, absl::Seconds(1))), "\n");
  }
  return report;
}

std::string ErrorReason(const grpc::Status& status) {
  return ParseDetails(status.error_details()).reason;
}

ErrorReport UsageError(absl::string_view message) {
  return ErrorReport{kExitUsage, absl::StrCat("error: ", message, "\n")};
}

ErrorReport LocalError(absl::string_view message) {
  return ErrorReport{kExitFailure, absl::StrCat("error: ", message, "\n")};
}

}  // namespace accueil::cli
