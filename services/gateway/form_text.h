// Form text: the small values agents type into the administration's forms,
// read strictly (every one comes from a browser, so none is trusted;
// fuzz/fuzz_form_text.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accueil::gateway {

// A time of day as minutes since midnight: "09:00", "9:00", "9h", "9h30",
// "24:00" (a day's end). Anything else: nullopt.
std::optional<int> ParseClock(std::string_view text);
// "09:00".
std::string FormatClock(int minutes);

// A day's opening ranges, as typed: "09:00-12:00 13:30-16:30" (ranges
// apart by spaces, commas or semicolons; "-" or "à" between the ends);
// empty: closed. Each range starts before it ends; at most 8. Anything
// else: nullopt.
using DayRanges = std::vector<std::pair<int, int>>;
std::optional<DayRanges> ParseDayRanges(std::string_view text);
// "09:00-12:00 13:30-16:30", which ParseDayRanges reads back the same.
std::string FormatDayRanges(const DayRanges& ranges);

// A whole number in [min, max], digits only (surrounding blanks allowed).
std::optional<int> ParseCount(std::string_view text, int min, int max);

}  // namespace accueil::gateway
