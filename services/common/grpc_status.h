// The one mapping from absl::Status to gRPC, at the edge of every service.
//
// The gRPC status carries the code and message, plus a serialized
// google.rpc.Status in its details (AIP-193) with:
//   - google.rpc.ErrorInfo{reason, domain "accueil", metadata{field}},
//   - google.rpc.BadRequest{field_violations{field, description}} when a
//     field is at fault,
//   - google.rpc.RetryInfo{retry_delay} when the caller should wait.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace accueil {

inline constexpr char kErrorDomain[] = "accueil";

// ToGrpcStatus converts `status`; OK stays OK. Errors without a reason get
// one derived from their code (e.g. "INTERNAL").
grpc::Status ToGrpcStatus(const absl::Status& status);

// FromGrpcStatus is the inverse, for clients and tests: the reason, field and
// retry delay come back as errors.h payloads.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace accueil
