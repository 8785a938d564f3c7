// The administration forms' values: gateway::ParseDayRanges, ParseClock and
// ParseCount.
//
// Input: the text an agent typed into a field.
// Properties:
//   - a day's ranges that parse are at most 8, each within the day
//     (0 <= start < end <= 1440), and FormatDayRanges reads back the same;
//   - a clock that parses is within the day and FormatClock reads back the
//     same; a count is within its bounds and only digits and blanks made it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "services/gateway/form_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = accueil::fuzz::AsText(data, size);
  using namespace accueil::gateway;

  if (std::optional<DayRanges> ranges = ParseDayRanges(input)) {
    FUZZ_CHECK(ranges->size() <= 8);
    for (const auto& [start, end] : *ranges) FUZZ_CHECK(0 <= start && start < end && end <= 1440);
    std::optional<DayRanges> again = ParseDayRanges(FormatDayRanges(*ranges));
    FUZZ_CHECK(again.has_value() && *again == *ranges);
  }
  if (std::optional<int> clock = ParseClock(input)) {
    FUZZ_CHECK(*clock >= 0 && *clock <= 1440);
    FUZZ_CHECK(ParseClock(FormatClock(*clock)) == clock);
  }
  if (std::optional<int> count = ParseCount(input, 0, 500)) {
    FUZZ_CHECK(*count >= 0 && *count <= 500);
    for (char c : input) FUZZ_CHECK((c >= '0' && c <= '9') || c == ' ' || (c >= '\t' && c <= '\r'));
  }
  return 0;
}
