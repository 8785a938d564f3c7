// The months a quality officer types for a report: input::ParseMonth.
// Properties: a refusal is INVALID_ARGUMENT INVALID_MONTH on its field; an
// accepted month is 2000-01 to 2199-12 and prints back ("%04d-%02d") to the
// input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/strings/str_format.h"
#include "fuzz_check.h"
#include "services/common/input/input.h"

using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;
using accueil::input::ParseMonth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = AsText(data, size);
  const absl::StatusOr<absl::CivilMonth> month = ParseMonth(raw, "from_month");
  if (month.ok()) {
    FUZZ_CHECK(month->year() >= 2000 && month->year() <= 2199);
    FUZZ_CHECK(absl::StrFormat("%04d-%02d", month->year(), month->month()) == raw);
  } else {
    CheckRefusal(month.status(), absl::StatusCode::kInvalidArgument, {"INVALID_MONTH"},
                 "from_month");
  }
  return 0;
}
