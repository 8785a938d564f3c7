// VerifyCheckInToken ("c1.<id>.<version>.<mac>", keyed with libsodium), and
// the access codes made by the same module.
//
// The whole input is first verified as a token: an accepted token must be
// exactly the one CheckInToken makes for its id and version (nothing else
// can carry a valid MAC). When the input has at least 12 bytes, its first 8
// and next 4 are also read as an appointment id and a code version:
//   - the token made for them verifies to them (when both are positive), and
//     never under another key;
//   - "c1.<id>.<version>." followed by the rest of the input is refused
//     unless it happens to be that token;
//   - the access code for them is a normalised access code that matches.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "services/booking/codes.h"
#include "services/common/input/input.h"
#include "services/common/secrets.h"

namespace {

using accueil::Secrets;
using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;
namespace booking = accueil::booking;

const Secrets* g_secrets = nullptr;
const Secrets* g_other = nullptr;

void CheckRefused(const absl::StatusOr<booking::CheckIn>& check_in) {
  CheckRefusal(check_in.status(), absl::StatusCode::kInvalidArgument, {"INVALID_CHECK_IN_TOKEN"},
               "check_in_token");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(sodium_init() >= 0);
  g_secrets = new Secrets(*Secrets::FromKey("fuzz master key: 32 bytes or more, fixed"));
  g_other = new Secrets(*Secrets::FromKey("another master key, also 32 bytes or more"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = AsText(data, size);
  const absl::StatusOr<booking::CheckIn> check_in = booking::VerifyCheckInToken(*g_secrets, raw);
  if (check_in.ok()) {
    FUZZ_CHECK(check_in->appointment_id > 0 && check_in->version > 0);
    FUZZ_CHECK(booking::CheckInToken(*g_secrets, check_in->appointment_id, check_in->version) ==
               raw);
  } else {
    CheckRefused(check_in);
  }

  if (size < 12) return 0;
  int64_t id;
  int32_t version;
  std::memcpy(&id, data, sizeof id);
  std::memcpy(&version, data + 8, sizeof version);
  const std::string token = booking::CheckInToken(*g_secrets, id, version);
  const absl::StatusOr<booking::CheckIn> own = booking::VerifyCheckInToken(*g_secrets, token);
  if (id > 0 && version > 0) {
    FUZZ_CHECK(own.ok() && own->appointment_id == id && own->version == version);
  } else {
    CheckRefused(own);
  }
  CheckRefused(booking::VerifyCheckInToken(*g_other, token));

  const std::string forged =
      absl::StrCat("c1.", id, ".", version, ".", std::string(AsText(data + 12, size - 12)));
  if (forged != token) CheckRefused(booking::VerifyCheckInToken(*g_secrets, forged));

  const std::string code = booking::AccessCode(*g_secrets, id, version);
  const absl::StatusOr<std::string> parsed = accueil::input::ParseAccessCode(code, "access_code");
  FUZZ_CHECK(parsed.ok() && *parsed == code);
  FUZZ_CHECK(booking::AccessCodeMatches(*g_secrets, id, version, code));
  return 0;
}
