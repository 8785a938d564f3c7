// The server's key file: Secrets::Parse (a key ring "accueil-keys 1" with
// one hex key a line, or one raw key). Operator-written, but a mistake must
// be refused with the file named, never crash, throw or yield a ring that
// signs with another key than the first.
//
// Input: the file's content.
// Properties:
//   - parsing never throws;
//   - a refusal is INVALID_ARGUMENT and its message starts with the file's
//     name;
//   - an accepted ring has 1 to Secrets::kMaxKeys keys; Macs() gives one MAC
//     a key, all different, and Mac() equals Macs()[0];
//   - a ring file: its key count is the number of its key lines (neither
//     blank nor '#'), and it signs as the first of them alone does;
//   - any other file is one raw key of at least 32 bytes: it signs as
//     Secrets::FromKey(content).
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "fuzz_check.h"
#include "services/common/secrets.h"

namespace {

using accueil::Secrets;
using accueil::fuzz::AsText;

constexpr char kOrigin[] = "/etc/accueil/secret.key";
constexpr std::string_view kHeader = "accueil-keys 1\n";

// KeyLines: the ring's lines that hold a key, whitespace stripped.
std::vector<std::string> KeyLines(std::string_view content) {
  std::vector<std::string> lines;
  std::string_view rest = content.substr(kHeader.size());
  while (true) {
    const size_t end = rest.find('\n');
    const absl::string_view line =
        absl::StripAsciiWhitespace(absl::string_view(rest.data(), rest.substr(0, end).size()));
    if (!line.empty() && line.front() != '#') lines.emplace_back(line);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return lines;
}

absl::StatusOr<Secrets> ParseWithoutThrowing(std::string_view content) {
  try {
    return Secrets::Parse(content, kOrigin);
  } catch (...) {
    FUZZ_CHECK(!"Secrets::Parse threw");
  }
  return absl::InternalError("unreachable");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(sodium_init() >= 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content = AsText(data, size);
  const absl::StatusOr<Secrets> ring = ParseWithoutThrowing(content);
  if (!ring.ok()) {
    FUZZ_CHECK(ring.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(ring.status().message(), std::string(kOrigin) + ": "));
    return 0;
  }
  FUZZ_CHECK(ring->key_count() >= 1 && ring->key_count() <= Secrets::kMaxKeys);
  const std::string message(content.substr(0, 16));
  const std::vector<std::string> macs = ring->Macs("fuzz", message);
  FUZZ_CHECK(macs.size() == ring->key_count());
  FUZZ_CHECK(ring->Mac("fuzz", message) == macs[0]);
  for (size_t i = 0; i < macs.size(); ++i) {
    FUZZ_CHECK(macs[i].size() == 32);
    for (size_t j = 0; j < i; ++j) FUZZ_CHECK(macs[i] != macs[j]);
  }

  std::string first_key(content);
  if (content.starts_with(kHeader)) {
    const std::vector<std::string> lines = KeyLines(content);
    FUZZ_CHECK(lines.size() == ring->key_count());
    first_key = absl::HexStringToBytes(lines[0]);
  }
  const absl::StatusOr<Secrets> alone = Secrets::FromKey(first_key);
  FUZZ_CHECK(alone.ok() && alone->Mac("fuzz", message) == macs[0]);
  return 0;
}
