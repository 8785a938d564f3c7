#include "services/common/auth/credentials.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"

namespace accueil::auth {

absl::Status DeviceTokenInvalid() {
  return Error(absl::StatusCode::kUnauthenticated, "DEVICE_TOKEN_INVALID",
               "the device token is not valid");
}

std::string DeviceTokenText(int64_t id, std::string_view secret) {
  return absl::StrCat(kDeviceTokenPrefix, id, ".", absl::string_view(secret.data(), secret.size()));
}

absl::StatusOr<DeviceTokenParts> ParseDeviceToken(std::string_view token) {
  if (token.size() > kMaxDeviceTokenBytes || !token.starts_with(kDeviceTokenPrefix)) {
    return DeviceTokenInvalid();
  }
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  DeviceTokenParts out;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &out.id) || out.id <= 0) {
    return DeviceTokenInvalid();
  }
  out.secret = std::string(parts[2]);
  return out;
}

std::string LastForwardedHop(std::string_view header) {
  absl::string_view rest(header.data(), header.size());
  if (size_t comma = rest.rfind(','); comma != absl::string_view::npos) {
    rest.remove_prefix(comma + 1);
  }
  return std::string(absl::StripAsciiWhitespace(rest));
}

}  // namespace accueil::auth
