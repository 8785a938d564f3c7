// Pure parsers of what a call brings to the Authenticator (authenticator.h):
// the device token of `authorization: Bearer dt1.<id>.<secret>` and the
// x-forwarded-for header. Free of gRPC and the database so that they are
// fuzzed (fuzz/fuzz_device_token.cc, fuzz/fuzz_forwarded_for.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace accueil::auth {

inline constexpr char kDeviceTokenPrefix[] = "dt1.";
inline constexpr size_t kMaxDeviceTokenBytes = 200;

struct DeviceTokenParts {
  int64_t id = 0;
  std::string secret;
};

// DeviceTokenInvalid is UNAUTHENTICATED DEVICE_TOKEN_INVALID: the one answer
// to a malformed, unknown, revoked or wrong device token alike, so that a
// caller learns nothing about which.
absl::Status DeviceTokenInvalid();

// DeviceTokenText is the token of device `id` with `secret` (no '.').
std::string DeviceTokenText(int64_t id, std::string_view secret);

// ParseDeviceToken splits "dt1.<id>.<secret>": at most 200 bytes, exactly
// three '.'-separated parts, the id a positive integer as absl::SimpleAtoi
// reads it (so "+5" and " 5" pass; only the secret's keyed hash, checked by
// the caller, authenticates). Refusals are DeviceTokenInvalid().
absl::StatusOr<DeviceTokenParts> ParseDeviceToken(std::string_view token);

// LastForwardedHop is the last comma-separated entry of an x-forwarded-for
// value, without surrounding ASCII whitespace: the address the trusted proxy
// appended itself (the entries before it come from the client, who can write
// anything there). "" when that entry is blank.
std::string LastForwardedHop(std::string_view header);

}  // namespace accueil::auth
