// ParseEmail, ParseName, ParseFreeText and ParseLanguage on the same input.
// Properties: accepted values are normalised (parsing them again gives them
// back), within their limits, and the UTF-8 verdict of ParseName and
// ParseFreeText agrees with an independent decoder written differently (by
// the byte ranges of Unicode 15, table 3-7), in both directions.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "services/common/input/input.h"

namespace {

using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool Forbidden(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

// Counts the code points of `s` if it is well-formed UTF-8 without a
// forbidden code point; -1 otherwise. Well-formed sequences as in The
// Unicode Standard, table 3-7.
long CountAllowed(std::string_view s) {
  long count = 0;
  size_t i = 0;
  const auto at = [&](size_t k) -> unsigned {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0x100u;
  };
  const auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  while (i < s.size()) {
    const unsigned b0 = at(i), b1 = at(i + 1), b2 = at(i + 2), b3 = at(i + 3);
    char32_t cp;
    size_t n;
    if (b0 <= 0x7F) {
      cp = b0, n = 1;
    } else if (in(b0, 0xC2, 0xDF) && in(b1, 0x80, 0xBF)) {
      cp = ((b0 & 0x1F) << 6) | (b1 & 0x3F), n = 2;
    } else if ((b0 == 0xE0 && in(b1, 0xA0, 0xBF)) ||
               ((in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) && in(b1, 0x80, 0xBF)) ||
               (b0 == 0xED && in(b1, 0x80, 0x9F))) {
      if (!in(b2, 0x80, 0xBF)) return -1;
      cp = ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F), n = 3;
    } else if ((b0 == 0xF0 && in(b1, 0x90, 0xBF)) || (in(b0, 0xF1, 0xF3) && in(b1, 0x80, 0xBF)) ||
               (b0 == 0xF4 && in(b1, 0x80, 0x8F))) {
      if (!in(b2, 0x80, 0xBF) || !in(b3, 0x80, 0xBF)) return -1;
      cp = ((b0 & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F);
      n = 4;
    } else {
      return -1;
    }
    if (Forbidden(cp)) return -1;
    ++count;
    i += n;
  }
  return count;
}

void CheckEmail(std::string_view raw) {
  const absl::StatusOr<std::string> email = accueil::input::ParseEmail(raw, "person.email");
  if (!email.ok()) {
    CheckRefusal(email.status(), absl::StatusCode::kInvalidArgument, {"INVALID_EMAIL"},
                 "person.email");
    return;
  }
  FUZZ_CHECK(!email->empty() && email->size() <= 254);
  size_t ats = 0;
  for (char c : *email) {
    FUZZ_CHECK(c > ' ' && c < 0x7F && !(c >= 'A' && c <= 'Z'));
    ats += c == '@';
  }
  FUZZ_CHECK(ats == 1);
  const size_t at = email->find('@');
  FUZZ_CHECK(at > 0 && at <= 64);
  FUZZ_CHECK(email->find('.', at) != std::string::npos);
  const absl::StatusOr<std::string> again = accueil::input::ParseEmail(*email, "person.email");
  FUZZ_CHECK(again.ok() && *again == *email);
}

void CheckName(std::string_view raw) {
  const absl::StatusOr<std::string> name = accueil::input::ParseName(raw, "person.given_name");
  const std::string_view trimmed = Trim(raw);
  const long chars = CountAllowed(trimmed);
  const bool expected = !trimmed.empty() && chars >= 1 && chars <= 100;
  FUZZ_CHECK(name.ok() == expected);
  if (!name.ok()) {
    CheckRefusal(name.status(), absl::StatusCode::kInvalidArgument, {"INVALID_NAME"},
                 "person.given_name");
    return;
  }
  FUZZ_CHECK(*name == trimmed);
  const absl::StatusOr<std::string> again = accueil::input::ParseName(*name, "person.given_name");
  FUZZ_CHECK(again.ok() && *again == *name);
}

void CheckFreeText(std::string_view raw, int max_chars) {
  const absl::StatusOr<std::string> text = accueil::input::ParseFreeText(raw, "note", max_chars);
  const std::string_view trimmed = Trim(raw);
  const long chars = CountAllowed(trimmed);
  const bool expected = chars >= 0 && chars <= (max_chars > 0 ? max_chars : 0);
  FUZZ_CHECK(text.ok() == expected);
  if (!text.ok()) {
    CheckRefusal(text.status(), absl::StatusCode::kInvalidArgument, {"INVALID_TEXT"}, "note");
    return;
  }
  FUZZ_CHECK(*text == trimmed);
  const absl::StatusOr<std::string> again = accueil::input::ParseFreeText(*text, "note", max_chars);
  FUZZ_CHECK(again.ok() && *again == *text);
}

void CheckLanguage(std::string_view raw) {
  const absl::StatusOr<std::string> language = accueil::input::ParseLanguage(raw, "language");
  if (!language.ok()) {
    CheckRefusal(language.status(), absl::StatusCode::kInvalidArgument, {"UNSUPPORTED_LANGUAGE"},
                 "language");
    return;
  }
  bool supported = false;
  for (const std::string& code : accueil::input::SupportedLanguages()) {
    supported = supported || *language == code;
  }
  FUZZ_CHECK(supported);
  FUZZ_CHECK(!raw.empty() || *language == "fr");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = AsText(data, size);
  CheckEmail(raw);
  CheckName(raw);
  // The limits the services use, and the edge cases of the limit itself.
  for (int max_chars : {-1, 0, 1, 4, 500}) CheckFreeText(raw, max_chars);
  CheckLanguage(raw);
  return 0;
}
