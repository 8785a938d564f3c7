// Helpers shared by the fuzz targets: a property check that aborts (so
// libFuzzer records the input as a crash) and the checks every parser's
// refusal must pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "services/common/errors.h"

// FUZZ_CHECK(cond) aborts with the failed condition when `cond` is false.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace accueil::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// AsciiSpace: the whitespace absl strips and skips (space, \t \n \v \f \r),
// written out so that targets check absl-based parsers without absl.
inline bool AsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// CheckRefusal: a parser refused its input the documented way: `code`, one of
// `reasons`, and the field the caller named (when `field` is not empty).
inline void CheckRefusal(const absl::Status& status, absl::StatusCode code,
                         std::initializer_list<std::string_view> reasons, std::string_view field) {
  FUZZ_CHECK(!status.ok());
  FUZZ_CHECK(status.code() == code);
  const std::string reason = ErrorReason(status);
  bool known = false;
  for (std::string_view r : reasons) known = known || reason == r;
  FUZZ_CHECK(known);
  if (!field.empty()) FUZZ_CHECK(ErrorField(status) == field);
}

}  // namespace accueil::fuzz
