// The secrets a person holds for an appointment, all derived, none stored:
//   - reference: random, 8 characters of the unambiguous alphabet, quoted
//     aloud at the lodge; not a secret.
//   - access code: HMAC("access-code", id:version), 8 characters; lets the
//     person see, cancel and move the appointment. An idempotent retry
//     returns the same code; bumping the version revokes it.
//   - check-in token: "c1.<id>.<version>.<mac>" with a MAC under another
//     purpose key; enough to check in at the lodge kiosk, never accepted to
//     cancel; a reset (new version) revokes it with the access code.
// Codes and tokens are made with the signing key of the ring and accepted
// under any of its keys (docs/security.md#secrets). The person key behind
// "one active appointment per person and desk" is common/person_key.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/common/secrets.h"

namespace accueil::booking {

// NewReference draws a reference from a cryptographic source.
std::string NewReference();

std::string AccessCode(const Secrets& secrets, int64_t appointment_id, int version);

// AccessCodeMatches compares in constant time. `code` is already normalised
// (input::ParseAccessCode).
bool AccessCodeMatches(const Secrets& secrets, int64_t appointment_id, int version,
                       std::string_view code);

std::string CheckInToken(const Secrets& secrets, int64_t appointment_id, int version);

struct CheckIn {
  int64_t appointment_id;
  int version;  // the caller compares it with the stored code_version
};

// VerifyCheckInToken checks the MAC, or INVALID_ARGUMENT
// INVALID_CHECK_IN_TOKEN.
absl::StatusOr<CheckIn> VerifyCheckInToken(const Secrets& secrets, std::string_view token);

}  // namespace accueil::booking
