// ParseMobilePhone (libphonenumber behind a size, UTF-8 and no-letter gate).
// Properties: an accepted number is E.164 ("+", a non-zero country code
// digit, at most 15 digits) and parses back to itself; a refusal carries
// INVALID_PHONE_NUMBER or PHONE_NOT_MOBILE and the field.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "services/common/input/input.h"

using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::StatusOr<std::string> phone =
      accueil::input::ParseMobilePhone(AsText(data, size), "person.phone");
  if (!phone.ok()) {
    CheckRefusal(phone.status(), absl::StatusCode::kInvalidArgument,
                 {"INVALID_PHONE_NUMBER", "PHONE_NOT_MOBILE"}, "person.phone");
    return 0;
  }
  const std::string& e164 = *phone;
  FUZZ_CHECK(e164.size() >= 3 && e164.size() <= 16);
  FUZZ_CHECK(e164[0] == '+' && e164[1] != '0');
  for (size_t i = 1; i < e164.size(); ++i) {
    FUZZ_CHECK(e164[i] >= '0' && e164[i] <= '9');
  }
  const absl::StatusOr<std::string> again = accueil::input::ParseMobilePhone(e164, "person.phone");
  FUZZ_CHECK(again.ok() && *again == e164);
  return 0;
}
