#include "services/common/input/input.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "phonenumbers/phonenumber.pb.h"
#include "phonenumbers/phonenumberutil.h"
#include "services/common/errors.h"

namespace accueil::input {
namespace {

// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so absl::StrCat and friends are avoided on the
// std::string_view parameters: plain std::string concatenation instead.

std::string ToLowerAscii(std::string_view s) {
  std::string lower(s);
  for (char& c : lower) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return lower;
}

// Error messages never repeat the input: it is personal data and the status
// may end up in logs.

// Removes ASCII spaces (only ' ') at both ends. Other whitespace such as tabs
// or line feeds is left in place so that the control-character check rejects
// it rather than silently hiding what the client sent. Safe on UTF-8: the byte
// 0x20 never occurs inside a multi-byte sequence.
std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Decodes the UTF-8 sequence starting at s[*pos] into *cp and advances *pos.
// Returns false on anything that is not well-formed UTF-8 (RFC 3629): stray
// continuation bytes, truncated sequences, overlong encodings, UTF-16
// surrogates and code points above U+10FFFF. Overlongs matter because they
// can smuggle a '\0' or '/' past byte-level checks in other software.
bool DecodeUtf8(std::string_view s, size_t* pos, char32_t* cp) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(*pos);
  size_t length;
  char32_t value;
  char32_t minimum;  // smallest code point that needs this many bytes
  if (lead < 0x80) {
    *cp = lead;
    *pos += 1;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return false;  // continuation byte in lead position, or 0xF8..0xFF
  }
  if (s.size() - *pos < length) return false;  // truncated
  for (size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(*pos + i);
    if ((next & 0xC0) != 0x80) return false;
    value = (value << 6) | (next & 0x3F);
  }
  if (value < minimum) return false;                     // overlong
  if (value >= 0xD800 && value <= 0xDFFF) return false;  // surrogate
  if (value > 0x10FFFF) return false;
  *cp = value;
  *pos += length;
  return true;
}

// True for code points no name or note may contain:
// - C0 controls (including U+0000, tab, CR and LF), DEL and C1 controls
//   (including U+0085 NEXT LINE): they break displays, CSV exports and logs;
// - the line and paragraph separators U+2028 and U+2029: the text is a
//   single line wherever it is shown;
// - bidi embeddings/overrides U+202A..U+202E and isolates U+2066..U+2069:
//   they can reorder what an agent sees on screen ("Trojan Source");
// - U+FEFF (byte order mark / zero-width no-break space): invisible, and
//   makes two names that look equal compare different.
bool IsForbidden(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

enum class TextProblem { kNone, kBadUtf8, kForbidden, kTooLong };

// Checks that `s` is well-formed UTF-8 without forbidden code points and with
// at most `max_chars` code points; stores the number of code points. Stops at
// the first problem, so a huge input costs no more than reading it once.
TextProblem CheckText(std::string_view s, size_t max_chars, size_t* chars) {
  size_t pos = 0;
  *chars = 0;
  while (pos < s.size()) {
    char32_t cp;
    if (!DecodeUtf8(s, &pos, &cp)) return TextProblem::kBadUtf8;
    if (IsForbidden(cp)) return TextProblem::kForbidden;
    if (++*chars > max_chars) return TextProblem::kTooLong;
  }
  return TextProblem::kNone;
}

// ---------------------------------------------------------------- Phone

constexpr size_t kMaxPhoneBytes = 64;

// ------------------------------------------------------------------ Email

constexpr size_t kMaxEmailLength = 254;  // RFC 5321 path limit minus "<>"
constexpr size_t kMaxLocalLength = 64;   // RFC 5321 section 4.5.3.1.1
constexpr size_t kMaxLabelLength = 63;   // RFC 1035

bool IsAtext(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

// A dot-atom (RFC 5322 section 3.2.3): atext characters in runs separated by
// single dots. Quoted local parts ("john doe"@x) are deliberately refused:
// legal but never seen in practice, and many mail systems mishandle them.
bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char previous = '\0';
  for (char c : s) {
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

// `domain` is already lower-cased. Host names only (RFC 1123): address
// literals such as [192.0.2.1] and single-label domains cannot receive mail
// from us in practice, and a TLD is never numeric.
bool IsDomain(std::string_view domain) {
  size_t labels = 0;
  std::string_view last;
  while (true) {
    const size_t dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelLength) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
        return false;
      }
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  if (labels < 2 || last.size() < 2) return false;
  for (char c : last) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// ----------------------------------------------------------- References

constexpr size_t kMaxCodeInputBytes = 32;

// Shared by references and access codes: drop the separators people type or
// copy ("ABCD-2345", "abcd 2345"), raise lower case, then require exactly
// kReferenceLength characters of kReferenceAlphabet.
absl::StatusOr<std::string> ParseCode(std::string_view raw, std::string_view field,
                                      std::string_view reason, std::string_view what) {
  // Bounded before any work: the normalised form is short, so a long input
  // can only be garbage.
  if (raw.size() > kMaxCodeInputBytes) {
    return InvalidField(reason, field, std::string(what) + " is too long");
  }
  std::string code;
  code.reserve(kReferenceLength);
  for (char c : raw) {
    if (c == ' ' || c == '-') continue;
    const char upper = absl::ascii_toupper(static_cast<unsigned char>(c));
    if (kReferenceAlphabet.find(upper) == std::string_view::npos) {
      return InvalidField(reason, field,
                          std::string(what) + " may only contain the letters and digits " +
                              std::string(kReferenceAlphabet) + " (no 0, O, 1 or I)");
    }
    code.push_back(upper);
  }
  if (code.size() != static_cast<size_t>(kReferenceLength)) {
    return InvalidField(
        reason, field,
        std::string(what) + " must have " + std::to_string(kReferenceLength) + " characters");
  }
  return code;
}

// Shared by names and free text once the limits are known.
absl::Status TextError(TextProblem problem, std::string_view reason, std::string_view field,
                       size_t max_chars) {
  switch (problem) {
    case TextProblem::kNone:
      return absl::OkStatus();
    case TextProblem::kBadUtf8:
      return InvalidField(reason, field, "not valid UTF-8");
    case TextProblem::kForbidden:
      return InvalidField(reason, field,
                          "contains a control, line break or bidirectional-override character");
    case TextProblem::kTooLong:
      return InvalidField(reason, field,
                          "longer than " + std::to_string(max_chars) + " characters");
  }
  return InvalidField(reason, field, "invalid text");  // not reached
}

}  // namespace

absl::StatusOr<std::string> ParseMobilePhone(std::string_view raw, std::string_view field) {
  constexpr std::string_view kInvalid = "INVALID_PHONE_NUMBER";
  if (raw.empty()) {
    return InvalidField(kInvalid, field, "a phone number is required");
  }
  // libphonenumber is lenient and not built to face arbitrary bytes: bound the
  // size and make sure it only ever sees clean UTF-8 on one line.
  if (raw.size() > kMaxPhoneBytes) {
    return InvalidField(kInvalid, field, "too long for a phone number");
  }
  size_t chars;
  if (CheckText(raw, kMaxPhoneBytes, &chars) != TextProblem::kNone) {
    return InvalidField(kInvalid, field, "contains characters not allowed in a phone number");
  }

  // libphonenumber reads letters as keypad digits ("06 12 34 AB CD" becomes
  // +33612342223) and skips text around a number ("Tel: ...", "... x"). For a
  // number that must receive our text messages, a letter is a typo or junk:
  // refuse it rather than store a number nobody typed.
  for (char c : raw) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      return InvalidField(kInvalid, field, "a phone number may not contain letters");
    }
  }

  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  // Numbers without "+" or "00" are read as French: "06 12 34 56 78".
  if (util.Parse(std::string(raw), "FR", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return InvalidField(kInvalid, field, "not a phone number");
  }
  // E.164 has no room for an extension, and dropping it silently would store
  // a different number from the one typed.
  if (number.has_extension()) {
    return InvalidField(kInvalid, field, "a phone number with an extension cannot receive SMS");
  }
  // GetNumberType is UNKNOWN exactly when IsValidNumber is false (both match
  // the number against its region's patterns): one match instead of two, on
  // the booking path.
  const PhoneNumberUtil::PhoneNumberType type = util.GetNumberType(number);
  if (type == PhoneNumberUtil::UNKNOWN) {
    return InvalidField(kInvalid, field, "not a valid phone number");
  }
  // Reminders go out by SMS. FIXED_LINE_OR_MOBILE is what the metadata says
  // where the two cannot be told apart (e.g. the US): give it the benefit of
  // the doubt.
  if (type != PhoneNumberUtil::MOBILE && type != PhoneNumberUtil::FIXED_LINE_OR_MOBILE) {
    return InvalidField("PHONE_NOT_MOBILE", field,
                        "not a mobile number: text messages cannot reach it");
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

absl::StatusOr<std::string> ParseEmail(std::string_view raw, std::string_view field) {
  constexpr std::string_view kInvalid = "INVALID_EMAIL";
  const std::string_view trimmed = TrimSpaces(raw);
  if (trimmed.empty()) {
    return InvalidField(kInvalid, field, "an e-mail address is required");
  }
  if (trimmed.size() > kMaxEmailLength) {
    return InvalidField(kInvalid, field, "e-mail address too long");
  }
  // Printable ASCII only: internationalised addresses (SMTPUTF8) are not
  // supported by every relay we send through. This also rejects inner spaces
  // and control characters.
  for (char c : trimmed) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) {
      return InvalidField(kInvalid, field, "e-mail address contains a character not allowed");
    }
  }
  const size_t at = trimmed.find('@');
  if (at == std::string_view::npos || trimmed.find('@', at + 1) != std::string_view::npos) {
    return InvalidField(kInvalid, field, "an e-mail address has exactly one '@'");
  }
  // Lower-cased whole: the domain is case-insensitive, and treating the local
  // part the same way avoids two accounts for "Zoe@x.fr" and "zoe@x.fr".
  std::string address = ToLowerAscii(trimmed);
  const std::string_view local = std::string_view(address).substr(0, at);
  const std::string_view domain = std::string_view(address).substr(at + 1);
  if (local.size() > kMaxLocalLength || !IsDotAtom(local)) {
    return InvalidField(kInvalid, field, "the part before '@' is not a valid mailbox name");
  }
  if (!IsDomain(domain)) {
    return InvalidField(kInvalid, field, "the part after '@' is not a valid domain");
  }
  return address;
}

absl::StatusOr<std::string> ParseName(std::string_view raw, std::string_view field) {
  constexpr std::string_view kInvalid = "INVALID_NAME";
  constexpr size_t kMaxNameChars = 100;
  const std::string_view name = TrimSpaces(raw);
  if (name.empty()) return InvalidField(kInvalid, field, "a name is required");
  size_t chars;
  const TextProblem problem = CheckText(name, kMaxNameChars, &chars);
  if (problem != TextProblem::kNone) {
    return TextError(problem, kInvalid, field, kMaxNameChars);
  }
  return std::string(name);
}

absl::StatusOr<std::string> ParseFreeText(std::string_view raw, std::string_view field,
                                          int max_chars) {
  constexpr std::string_view kInvalid = "INVALID_TEXT";
  // A negative limit is a caller bug; read it as "nothing allowed" rather
  // than as a huge unsigned number.
  const size_t limit = max_chars > 0 ? static_cast<size_t>(max_chars) : 0;
  const std::string_view text = TrimSpaces(raw);
  size_t chars;
  const TextProblem problem = CheckText(text, limit, &chars);
  if (problem != TextProblem::kNone) {
    return TextError(problem, kInvalid, field, limit);
  }
  return std::string(text);
}

const std::vector<std::string>& SupportedLanguages() {
  // French first: the default. The others are the languages most asked for
  // at prefecture desks. Never destroyed, so safe to use during shutdown.
  static const auto* const kLanguages =
      new std::vector<std::string>{"fr", "en", "ar", "es", "pt", "it", "de", "ro",
                                   "ru", "uk", "tr", "zh", "fa", "ps", "ta", "bn"};
  return *kLanguages;
}

absl::StatusOr<std::string> ParseLanguage(std::string_view raw, std::string_view field) {
  if (raw.empty()) return std::string("fr");
  const std::string code = ToLowerAscii(raw);
  for (const std::string& supported : SupportedLanguages()) {
    if (code == supported) return code;
  }
  return InvalidField(
      "UNSUPPORTED_LANGUAGE", field,
      "unsupported language; supported: " + absl::StrJoin(SupportedLanguages(), ", "));
}

absl::StatusOr<std::string> ParseReference(std::string_view raw, std::string_view field) {
  return ParseCode(raw, field, "INVALID_REFERENCE", "a reference");
}

absl::StatusOr<std::string> ParseAccessCode(std::string_view raw, std::string_view field) {
  return ParseCode(raw, field, "INVALID_ACCESS_CODE", "an access code");
}

absl::StatusOr<int> ParseTimeOfDay(std::string_view raw, std::string_view field) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (raw.size() != 5 || raw[2] != ':' || !digit(raw[0]) || !digit(raw[1]) || !digit(raw[3]) ||
      !digit(raw[4])) {
    return InvalidField("INVALID_TIME_OF_DAY", field, "a local time HH:MM");
  }
  const int hours = (raw[0] - '0') * 10 + (raw[1] - '0');
  const int minutes = (raw[3] - '0') * 10 + (raw[4] - '0');
  if (hours > 23 || minutes > 59) {
    return InvalidField("INVALID_TIME_OF_DAY", field, "a local time from 00:00 to 23:59");
  }
  return hours * 60 + minutes;
}

absl::StatusOr<absl::CivilMonth> ParseMonth(std::string_view raw, std::string_view field) {
  auto digits = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) {
      if (raw[i] < '0' || raw[i] > '9') return -1;
      v = v * 10 + (raw[i] - '0');
    }
    return v;
  };
  if (raw.size() != 7 || raw[4] != '-') {
    return InvalidField("INVALID_MONTH", field, "a month YYYY-MM");
  }
  const int year = digits(0, 4);
  const int month = digits(5, 2);
  if (year < 2000 || year > 2199 || month < 1 || month > 12) {
    return InvalidField("INVALID_MONTH", field, "a month from 2000-01 to 2199-12");
  }
  return absl::CivilMonth(year, month);
}

absl::StatusOr<std::string> ParseTicketPrefix(std::string_view raw, std::string_view field) {
  if (raw.empty() || raw.size() > 2) {
    return InvalidField("INVALID_TICKET_PREFIX", field, "one or two capital letters A-Z");
  }
  for (char c : raw) {
    if (c < 'A' || c > 'Z') {
      return InvalidField("INVALID_TICKET_PREFIX", field, "one or two capital letters A-Z");
    }
  }
  return std::string(raw);
}

}  // namespace accueil::input
