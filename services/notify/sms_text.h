// SMS text: which encoding a text needs and how many segments it costs. One
// character outside the GSM 03.38 alphabet (an "ê", a "’") turns the whole
// message into UCS-2: 70 characters a segment instead of 160, 67 and 153
// once split (the rest carries the concatenation header). Templates are kept
// within two segments (a test renders every SMS template).
#pragma once

#include "absl/strings/string_view.h"

namespace accueil::notify {

enum class SmsCoding { kGsm7, kUcs2 };

struct SmsSize {
  SmsCoding coding = SmsCoding::kGsm7;
  // GSM-7 septets (extension characters such as "€" count two) or UTF-16
  // code units.
  int units = 0;
  int segments = 0;
  // The text is not valid UTF-8 (counted as UCS-2, byte by byte).
  bool invalid = false;
};

// MeasureSms measures UTF-8 `text`.
SmsSize MeasureSms(absl::string_view text);

}  // namespace accueil::notify
