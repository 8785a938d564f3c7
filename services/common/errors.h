// Errors as values, with the machine-readable details clients need.
//
// Inside the services every failure is an absl::Status. The helpers below
// attach the AIP-193 details (a reason such as SLOT_FULL, the offending field,
// an optional retry delay) as status payloads; grpc_status.h turns them into
// google.rpc.ErrorInfo / BadRequest / RetryInfo at the gRPC edge, in one place.
//
//   return accueil::InvalidField("INVALID_PHONE_NUMBER", "person.phone",
//                                "not a phone number");
//   return accueil::Error(absl::StatusCode::kFailedPrecondition, "SLOT_FULL",
//                         "the slot has no remaining capacity");
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace accueil {

// Error returns a status with `code`, the message and the machine-readable
// `reason` (UPPER_SNAKE_CASE).
absl::Status Error(absl::StatusCode code, std::string_view reason, std::string_view message);

// InvalidField returns INVALID_ARGUMENT with `reason` and the offending
// `field` path ("person.phone").
absl::Status InvalidField(std::string_view reason, std::string_view field,
                          std::string_view message);

// WithField adds (or replaces) the offending field of an existing status.
absl::Status WithField(absl::Status status, std::string_view field);

// WithReason adds (or replaces) the machine-readable reason.
absl::Status WithReason(absl::Status status, std::string_view reason);

// WithRetryDelay adds the delay after which a retry may succeed.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// ErrorReason returns the reason attached to `status`, or "" if none.
std::string ErrorReason(const absl::Status& status);
// CodeName is the code in the form reasons take: "PERMISSION_DENIED".
std::string CodeName(absl::StatusCode code);

// ErrorField returns the offending field attached to `status`, or "".
std::string ErrorField(const absl::Status& status);

// ErrorRetryDelay returns the retry delay attached to `status`, if any.
std::optional<absl::Duration> ErrorRetryDelay(const absl::Status& status);

}  // namespace accueil
