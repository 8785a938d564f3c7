#include "services/gateway/form_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace accueil::gateway {
namespace {

// Abseil's own string_view (TOOLS.md: Abseil 20220623 does not alias std's).
absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }

bool AllDigits(absl::string_view text, size_t min, size_t max) {
  if (text.size() < min || text.size() > max) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::optional<int> ParseClock(std::string_view input) {
  absl::string_view text = absl::StripAsciiWhitespace(Absl(input));
  size_t sep = text.find_first_of(":hH");
  absl::string_view hours = text.substr(0, sep);
  absl::string_view minutes = sep == absl::string_view::npos ? "" : text.substr(sep + 1);
  if (!AllDigits(hours, 1, 2)) return std::nullopt;
  // "9h" stands for 9:00; "9:" does not.
  if (minutes.empty() && (sep == absl::string_view::npos || text[sep] == ':')) return std::nullopt;
  if (!minutes.empty() && !AllDigits(minutes, 2, 2)) return std::nullopt;
  int h = 0;
  int m = 0;
  if (!absl::SimpleAtoi(hours, &h)) return std::nullopt;
  if (!minutes.empty() && !absl::SimpleAtoi(minutes, &m)) return std::nullopt;
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::string FormatClock(int minutes) {
  return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60);
}

std::optional<DayRanges> ParseDayRanges(std::string_view text) {
  if (text.size() > 200) return std::nullopt;
  // " à " is what a French agent may type between the ends.
  std::string normal = absl::StrReplaceAll(Absl(text), {{"\xC3\xA0", "-"}, {",", " "}, {";", " "}});
  DayRanges ranges;
  // One range, its blanks gone: "9h-12h".
  auto add = [&ranges](absl::string_view range) {
    std::vector<absl::string_view> ends = absl::StrSplit(range, '-');
    if (ends.size() != 2) return false;
    std::optional<int> start = ParseClock(std::string_view(ends[0].data(), ends[0].size()));
    std::optional<int> end = ParseClock(std::string_view(ends[1].data(), ends[1].size()));
    if (!start || !end || *start >= *end) return false;
    ranges.emplace_back(*start, *end);
    return true;
  };
  // Ranges may be typed "9h - 12h": the pieces around a dash join.
  std::string range;
  for (absl::string_view token : absl::StrSplit(normal, ' ', absl::SkipWhitespace())) {
    const bool joins = (!range.empty() && range.back() == '-') || token.front() == '-';
    if (!range.empty() && !joins) {
      if (!add(range)) return std::nullopt;
      range.clear();
    }
    range.append(token.data(), token.size());
  }
  if (!range.empty() && !add(range)) return std::nullopt;
  if (ranges.size() > 8) return std::nullopt;
  return ranges;
}

std::string FormatDayRanges(const DayRanges& ranges) {
  std::string out;
  for (const auto& [start, end] : ranges) {
    if (!out.empty()) out += " ";
    out += FormatClock(start) + "-" + FormatClock(end);
  }
  return out;
}

std::optional<int> ParseCount(std::string_view input, int min, int max) {
  absl::string_view text = absl::StripAsciiWhitespace(Absl(input));
  int value = 0;
  if (!AllDigits(text, 1, 9) || !absl::SimpleAtoi(text, &value)) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

}  // namespace accueil::gateway
