#include "services/notify/sms_text.h"

#include <cstdint>
#include <vector>

namespace accueil::notify {
namespace {

// GSM 03.38 basic alphabet (one septet) and its extension table (two), as
// Unicode code points.
bool InBasic(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  static constexpr char32_t kOthers[] = {
      '@',   0xA3, '$',  0xA5,  0xE8, 0xE9,  0xF9,  0xEC,  0xF2,  0xC7,  '\n',  0xD8,  0xF8,
      '\r',  0xC5, 0xE5, 0x394, '_',  0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398,
      0x39E, 0xC6, 0xE6, 0xDF,  0xC9, ' ',   '!',   '"',   '#',   0xA4,  '%',   '&',   '\'',
      '(',   ')',  '*',  '+',   ',',  '-',   '.',   '/',   ':',   ';',   '<',   '=',   '>',
      '?',   0xA1, 0xC4, 0xD6,  0xD1, 0xDC,  0xA7,  0xBF,  0xE4,  0xF6,  0xF1,  0xFC,  0xE0};
  for (char32_t k : kOthers) {
    if (c == k) return true;
  }
  return false;
}

bool InExtension(char32_t c) {
  static constexpr char32_t kExtension[] = {'^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC, 0x0C};
  for (char32_t k : kExtension) {
    if (c == k) return true;
  }
  return false;
}

// DecodeUtf8 appends the code points of `text`; false when it is not valid
// UTF-8 (overlong forms, surrogates and truncated sequences included).
bool DecodeUtf8(absl::string_view text, std::vector<char32_t>& out) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<uint8_t>(text[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) return false;
    char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < len; ++k) {
      const auto cont = static_cast<uint8_t>(text[i + k]);
      if ((cont >> 6) != 0x2) return false;
      c = (c << 6) | (cont & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kMin[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    out.push_back(c);
    i += len;
  }
  return true;
}

int Segments(int units, int single, int split) {
  if (units == 0) return 1;
  if (units <= single) return 1;
  return (units + split - 1) / split;
}

}  // namespace

SmsSize MeasureSms(absl::string_view text) {
  SmsSize size;
  std::vector<char32_t> points;
  if (!DecodeUtf8(text, points)) {
    size.invalid = true;
    size.coding = SmsCoding::kUcs2;
    size.units = static_cast<int>(text.size());
    size.segments = Segments(size.units, 70, 67);
    return size;
  }
  int septets = 0;
  bool gsm = true;
  for (char32_t c : points) {
    if (InBasic(c)) {
      septets += 1;
    } else if (InExtension(c)) {
      septets += 2;
    } else {
      gsm = false;
      break;
    }
  }
  if (gsm) {
    size.units = septets;
    size.segments = Segments(septets, 160, 153);
    return size;
  }
  size.coding = SmsCoding::kUcs2;
  for (char32_t c : points) size.units += c > 0xFFFF ? 2 : 1;
  size.segments = Segments(size.units, 70, 67);
  return size;
}

}  // namespace accueil::notify
