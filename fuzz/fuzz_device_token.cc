// Device tokens, `authorization: Bearer dt1.<id>.<secret>` (kiosks and
// displays): auth::ParseDeviceToken, before any database look-up.
//
// Input: the token text. When it has at least 8 bytes, its first 8 are also
// read as a device id and the rest, without its dots, as a secret.
// Properties:
//   - a refusal is UNAUTHENTICATED DEVICE_TOKEN_INVALID;
//   - an accepted token is at most 200 bytes, starts with "dt1.", and is
//     "dt1." + N + "." + secret where the secret has no '.' and N, read here
//     apart from absl (ASCII whitespace around, an optional '+', decimal
//     digits), is the id, which is positive;
//   - the token DeviceTokenText makes for that id and secret is read back to
//     exactly them when the id is positive and it fits in 200 bytes, and is
//     refused otherwise.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "services/common/auth/credentials.h"

namespace {

using namespace accueil::auth;
using accueil::fuzz::AsText;
using accueil::fuzz::AsciiSpace;
using accueil::fuzz::CheckRefusal;

void CheckRefused(const absl::StatusOr<DeviceTokenParts>& parts) {
  CheckRefusal(parts.status(), absl::StatusCode::kUnauthenticated, {"DEVICE_TOKEN_INVALID"}, "");
}

// DecimalId: the value of "[spaces][+]digits[spaces]", -1 for anything else
// or beyond int64_t.
int64_t DecimalId(std::string_view text) {
  while (!text.empty() && AsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && AsciiSpace(text.back())) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return -1;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    if (value > (INT64_MAX - (c - '0')) / 10) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token = AsText(data, size);
  const absl::StatusOr<DeviceTokenParts> parts = ParseDeviceToken(token);
  if (parts.ok()) {
    FUZZ_CHECK(token.size() <= kMaxDeviceTokenBytes);
    FUZZ_CHECK(token.starts_with("dt1."));
    FUZZ_CHECK(parts->id > 0);
    FUZZ_CHECK(parts->secret.find('.') == std::string::npos);
    const size_t last = token.rfind('.');
    FUZZ_CHECK(last >= 4 && token.substr(last + 1) == parts->secret);
    const std::string_view id_text = token.substr(4, last - 4);
    FUZZ_CHECK(id_text.find('.') == std::string_view::npos);
    FUZZ_CHECK(DecimalId(id_text) == parts->id);
  } else {
    CheckRefused(parts);
  }

  if (size < 8) return 0;
  int64_t id;
  std::memcpy(&id, data, sizeof id);
  std::string secret;
  for (char c : token.substr(8)) {
    if (c != '.') secret += c;
  }
  const std::string made = DeviceTokenText(id, secret);
  const absl::StatusOr<DeviceTokenParts> back = ParseDeviceToken(made);
  if (id > 0 && made.size() <= kMaxDeviceTokenBytes) {
    FUZZ_CHECK(back.ok() && back->id == id && back->secret == secret);
  } else {
    CheckRefused(back);
  }
  return 0;
}
