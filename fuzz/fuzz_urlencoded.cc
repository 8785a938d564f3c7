// The gateway's form and query decoding: gateway::ParseUrlEncoded,
// gateway::PercentDecode and gateway::PercentEncode; and the link a form
// carries from a message (gateway::ParseMessageLink).
//
// Input: the text of a query string or an HTML form body.
// Properties:
//   - decoded pairs, encoded again and joined, decode to the same pairs;
//   - PercentEncode keeps only unreserved characters and '%', and decodes
//     back to its input when that holds no NUL;
//   - the limits hold: more than max_pairs pairs or max_bytes bytes is
//     refused;
//   - a message link that parses is 1-18 digits and 32 lower-case
//     hexadecimal digits, and reads back the same from "ID-TOKEN".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "services/gateway/path_template.h"

namespace {

using accueil::gateway::Bindings;
using accueil::gateway::MessageLink;
using accueil::gateway::ParseMessageLink;
using accueil::gateway::ParseUrlEncoded;
using accueil::gateway::PercentDecode;
using accueil::gateway::PercentEncode;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = accueil::fuzz::AsText(data, size);

  if (std::optional<MessageLink> link = ParseMessageLink(input)) {
    FUZZ_CHECK(!link->id.empty() && link->id.size() <= 18 && link->token.size() == 32);
    for (char c : link->id) FUZZ_CHECK(c >= '0' && c <= '9');
    for (char c : link->token) FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    FUZZ_CHECK(ParseMessageLink(link->id + "-" + link->token) == link);
  }

  const std::string encoded = PercentEncode(input);
  for (char c : encoded) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~' || c == '%');
  }
  if (input.find('\0') == std::string_view::npos) {
    FUZZ_CHECK(PercentDecode(encoded, true) == std::string(input));
  }

  std::optional<Bindings> pairs = ParseUrlEncoded(input, 4096, 16);
  if (!pairs) return 0;
  FUZZ_CHECK(pairs->size() <= 16 && input.size() <= 4096);
  std::string again;
  for (const auto& [key, value] : *pairs) {
    if (!again.empty()) again += "&";
    again += PercentEncode(key) + "=" + PercentEncode(value);
  }
  std::optional<Bindings> reparsed = ParseUrlEncoded(again, 1 << 20, 16);
  FUZZ_CHECK(reparsed.has_value());
  // An empty key with an empty value ("=") is kept as a pair, so both agree.
  FUZZ_CHECK(*reparsed == *pairs);
  return 0;
}
