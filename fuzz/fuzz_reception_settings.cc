// The reception settings an administrator types: input::ParseTimeOfDay (a
// desk's closing time) and input::ParseTicketPrefix.
// Properties: a refusal is INVALID_ARGUMENT with its reason and field; an
// accepted time is 0 to 1439 minutes and prints back ("%02d:%02d") to the
// input; an accepted prefix is the input, one or two letters A-Z.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "fuzz_check.h"
#include "services/common/input/input.h"

using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;
using accueil::input::ParseTicketPrefix;
using accueil::input::ParseTimeOfDay;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = AsText(data, size);
  const absl::StatusOr<int> minutes = ParseTimeOfDay(raw, "settings.closing_time");
  if (minutes.ok()) {
    FUZZ_CHECK(*minutes >= 0 && *minutes < 24 * 60);
    FUZZ_CHECK(absl::StrFormat("%02d:%02d", *minutes / 60, *minutes % 60) == raw);
  } else {
    CheckRefusal(minutes.status(), absl::StatusCode::kInvalidArgument, {"INVALID_TIME_OF_DAY"},
                 "settings.closing_time");
  }
  const absl::StatusOr<std::string> prefix = ParseTicketPrefix(raw, "settings.ticket_prefix");
  if (prefix.ok()) {
    FUZZ_CHECK(*prefix == raw);
    FUZZ_CHECK(prefix->size() == 1 || prefix->size() == 2);
    for (char c : *prefix) FUZZ_CHECK(c >= 'A' && c <= 'Z');
  } else {
    CheckRefusal(prefix.status(), absl::StatusCode::kInvalidArgument, {"INVALID_TICKET_PREFIX"},
                 "settings.ticket_prefix");
  }
  return 0;
}
