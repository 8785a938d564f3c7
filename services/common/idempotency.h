// Request ids: every mutating request carries a `request_id` so that a retry
// returns the first answer instead of acting twice. The SQL side
// (booking.claim_request) stores the id with a hash of the request; the same
// id with a different request is refused with REQUEST_ID_REUSED.
//
//   absl::StatusOr<Idempotency> idem = ForRequest("CancelAppointment", *req);
//   ... pass idem->request_id and idem->hash_hex to the SQL function.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"

namespace accueil {

struct Idempotency {
  std::string request_id;  // the client's, or a fresh one when it sent none
  std::string hash_hex;    // SHA-256 of method + request without request_id
};

// ForRequest validates the request's `request_id` field (at most 100
// printable ASCII characters; reason INVALID_REQUEST_ID) and hashes the rest.
absl::StatusOr<Idempotency> ForRequest(std::string_view method,
                                       const google::protobuf::Message& request);

// DerivedRequestId: the request id of a call made downstream on behalf of
// request `parent` (step names the call), the same on every retry.
std::string DerivedRequestId(std::string_view parent, std::string_view step);

}  // namespace accueil
