// Errors of the `accueil` command-line client: readable messages and exit
// codes.
//
// The booking server answers a failed call with a gRPC code, a message and,
// in grpc::Status::error_details(), a serialized google.rpc.Status whose
// details hold an ErrorInfo (reason, domain "accueil", metadata), a BadRequest
// (offending fields) and, when throttled, a RetryInfo (AIP-193). This file
// turns all of that into the text a person reads and the exit code a script
// tests:
//
//   grpc::Status status = stub->CreateAppointment(&context, request, &reply);
//   if (!status.ok()) {
//     ErrorReport report = DescribeRpcError(status, "127.0.0.1:50051");
//     std::cerr << report.text;  // "error: the slot has no remaining ..."
//     return report.exit_code;   // kExitConflict
//   }
#pragma once

#include <string>

#include <grpcpp/support/status.h>

#include "absl/strings/string_view.h"

namespace accueil::cli {

// Exit codes. Stable: scripts depend on them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // anything not listed below
inline constexpr int kExitUsage = 2;        // bad command line
inline constexpr int kExitInvalid = 3;      // INVALID_ARGUMENT, OUT_OF_RANGE
inline constexpr int kExitNotFound = 4;     // NOT_FOUND
inline constexpr int kExitConflict = 5;     // FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED
inline constexpr int kExitDenied = 6;       // PERMISSION_DENIED, UNAUTHENTICATED
inline constexpr int kExitExhausted = 7;    // RESOURCE_EXHAUSTED
inline constexpr int kExitUnavailable = 8;  // UNAVAILABLE, DEADLINE_EXCEEDED

// ExitCodeFor returns the exit code for a gRPC status code (kExitOk for OK).
int ExitCodeFor(grpc::StatusCode code);

// ExitCodeHelp returns the exit-code table shown at the end of `--help`.
std::string ExitCodeHelp();

// StatusCodeName returns the canonical name of `code` ("NOT_FOUND").
absl::string_view StatusCodeName(grpc::StatusCode code);

// ErrorReport is a failure ready to show: `text` is one or more lines, each
// ending with '\n', meant for stderr.
struct ErrorReport {
  int exit_code = kExitFailure;
  std::string text;
};

// DescribeRpcError explains a failed call. The first line is
// "error: <message> (<REASON>)", the reason being the ErrorInfo reason or, when
// the server sent none, the code name. Then come one line per offending field
// ("  person.phone: not a mobile number"), the ErrorInfo metadata, and the
// retry delay when present. With a single offending field whose description
// is the message, the first line only names the kind of failure ("error: not
// allowed") and the reason goes on that field's line. `server` is named when
// the server could not be reached. Details that do not parse are ignored,
// never fatal. Contains only what the server answered: nothing from the
// request is echoed.
ErrorReport DescribeRpcError(const grpc::Status& status, absl::string_view server);

// ErrorReason returns the ErrorInfo reason of a failed call
// ("WRONG_ACCESS_CODE"), or "" when the server sent none.
std::string ErrorReason(const grpc::Status& status);

// UsageError returns a report for a command line that is well-formed but
// makes no sense ("--from is after --to"), with kExitUsage.
ErrorReport UsageError(absl::string_view message);

// LocalError returns a report for a failure on this machine (no tzdata, no
// /dev/urandom), with kExitFailure.
ErrorReport LocalError(absl::string_view message);

}  // namespace accueil::cli
