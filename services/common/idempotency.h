// Request ids: every mutating request carries a `request_id` so that a retry
// returns the first answer instead of acting twice. The SQL side
// (shared.claim_request, db/migrations/0010_shared.sql) stores the id under
// the module's name ('booking', ...) with a hash of the request; the same id
// with a different request is refused with REQUEST_ID_REUSED. Two modules
// may see the same id: each keeps its own.
//
//   absl::StatusOr<Idempotency> idem = ForRequest("CancelAppointment", *req);
//   ... pass idem->request_id and idem->hash_hex to the SQL function.
//
// A call a module makes to another on behalf of its own request carries
// DerivedRequestId(idem->request_id, "step"), so that a retry of the whole
// request replays downstream too instead of acting twice.
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

// DerivedRequestId is the request id of downstream call `step` ("arrive",
// "notify-1", ...) made on behalf of request `parent_request_id`: the same
// for the same pair, different for another step or parent, and itself a
// valid request_id ("d-" and 64 hexadecimal digits, whatever the inputs).
std::string DerivedRequestId(std::string_view parent_request_id, std::string_view step);

}  // namespace accueil
