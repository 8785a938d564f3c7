// The client address behind a trusted proxy: auth::LastForwardedHop, the
// last entry of x-forwarded-for. The proxy appends the address it saw; every
// entry before it is whatever the client sent, so it must never count (rate
// limits and exemptions key on the result).
//
// Input: the header value.
// Properties:
//   - the result holds no ',' and no ASCII whitespace at either end, and is
//     the last entry of the input with only ASCII whitespace removed around
//     it (checked here without absl);
//   - entries put before the input change nothing: LastForwardedHop of
//     input + "," + input, and of "192.0.2.66, " + input, is the input's;
//   - an entry appended after the input is the result: input + ", 198.51.100.7 "
//     gives "198.51.100.7".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "services/common/auth/credentials.h"

namespace {

using accueil::auth::LastForwardedHop;
using accueil::fuzz::AsText;
using accueil::fuzz::AsciiSpace;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header = AsText(data, size);
  const std::string hop = LastForwardedHop(header);

  FUZZ_CHECK(hop.find(',') == std::string::npos);
  FUZZ_CHECK(hop.empty() || (!AsciiSpace(hop.front()) && !AsciiSpace(hop.back())));
  const size_t comma = header.rfind(',');
  const std::string_view last = comma == std::string_view::npos ? header : header.substr(comma + 1);
  size_t begin = 0, end = last.size();
  while (begin < end && AsciiSpace(last[begin])) ++begin;
  while (end > begin && AsciiSpace(last[end - 1])) --end;
  FUZZ_CHECK(last.substr(begin, end - begin) == hop);

  const std::string text(header);
  FUZZ_CHECK(LastForwardedHop(text + "," + text) == hop);
  FUZZ_CHECK(LastForwardedHop("192.0.2.66, " + text) == hop);
  FUZZ_CHECK(LastForwardedHop(text + ", 198.51.100.7 ") == "198.51.100.7");
  return 0;
}
