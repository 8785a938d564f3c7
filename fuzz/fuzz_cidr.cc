// Addresses and CIDR blocks of the rate limits' exemptions:
// input::ParseCidr (operator-written `rate_limit_exempt` entries),
// input::ParseIpAddress (the client's address, from the peer or from a
// trusted proxy's x-forwarded-for) and input::Contains.
//
// Input: a block, then optionally '\n' and an address (without '\n', the
// whole input is tried as both).
// Properties:
//   - a refused block is INVALID_ARGUMENT; an accepted one is IPv4 or IPv6
//     with a prefix of 0 to 32 or 128; without '/', ParseCidr accepts exactly
//     what ParseIpAddress accepts, as the /32 or /128 block of it;
//   - a block contains its own network address (bits past the prefix
//     cleared), its last address (those bits set) and the address written in
//     it, and no address of the other family;
//   - an address that parses is contained in the /32 or /128 block made from
//     it, and inet_ntop's text of it parses back to the same bytes;
//   - Contains(block, address) is a bit-by-bit comparison of the first
//     `prefix` bits of the same family, and then every shorter prefix of the
//     block contains the address too.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "services/common/input/cidr.h"

namespace {

using accueil::fuzz::AsText;
using accueil::input::Cidr;
using accueil::input::Contains;
using accueil::input::IpAddress;
using accueil::input::ParseCidr;
using accueil::input::ParseIpAddress;

bool Bit(const IpAddress& a, int i) { return (a.bytes[i / 8] >> (7 - i % 8)) & 1; }

bool SameBits(const Cidr& block, const IpAddress& address) {
  if (block.address.length != address.length) return false;
  for (int i = 0; i < block.prefix; ++i) {
    if (Bit(block.address, i) != Bit(address, i)) return false;
  }
  return true;
}

// Edge: the block's address with every bit past the prefix set to `bit`.
IpAddress Edge(const Cidr& block, bool bit) {
  IpAddress a = block.address;
  for (int i = block.prefix; i < a.length * 8; ++i) {
    const unsigned char mask = static_cast<unsigned char>(0x80 >> (i % 8));
    a.bytes[i / 8] = bit ? (a.bytes[i / 8] | mask) : (a.bytes[i / 8] & ~mask);
  }
  return a;
}

void CheckBlock(std::string_view text) {
  const absl::StatusOr<Cidr> block = ParseCidr(text);
  if (text.find('/') == std::string_view::npos) {
    const std::optional<IpAddress> address = ParseIpAddress(text);
    FUZZ_CHECK(block.ok() == address.has_value());
    if (address) {
      FUZZ_CHECK(block->prefix == address->length * 8);
      FUZZ_CHECK(block->address.bytes == address->bytes);
    }
  }
  if (!block.ok()) {
    FUZZ_CHECK(block.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  const int bits = block->address.length * 8;
  FUZZ_CHECK(bits == 32 || bits == 128);
  FUZZ_CHECK(block->prefix >= 0 && block->prefix <= bits);
  FUZZ_CHECK(Contains(*block, Edge(*block, false)));
  FUZZ_CHECK(Contains(*block, Edge(*block, true)));
  FUZZ_CHECK(Contains(*block, block->address));
  IpAddress other;
  other.length = bits == 32 ? 16 : 4;
  other.bytes = block->address.bytes;
  FUZZ_CHECK(!Contains(*block, other));
}

void CheckAddress(std::string_view text, std::string_view block_text) {
  const std::optional<IpAddress> address = ParseIpAddress(text);
  if (!address) return;
  FUZZ_CHECK(address->length == 4 || address->length == 16);
  const Cidr self{*address, address->length * 8};
  FUZZ_CHECK(Contains(self, *address));

  char printed[INET6_ADDRSTRLEN];
  FUZZ_CHECK(inet_ntop(address->length == 4 ? AF_INET : AF_INET6, address->bytes.data(), printed,
                       sizeof printed) != nullptr);
  const std::optional<IpAddress> again = ParseIpAddress(printed);
  FUZZ_CHECK(again && again->length == address->length && again->bytes == address->bytes);

  const absl::StatusOr<Cidr> block = ParseCidr(block_text);
  if (!block.ok()) return;
  const bool contained = Contains(*block, *address);
  FUZZ_CHECK(contained == SameBits(*block, *address));
  if (!contained) return;
  for (int prefix : {block->prefix / 2, block->prefix > 0 ? block->prefix - 1 : 0, 0}) {
    FUZZ_CHECK(Contains(Cidr{block->address, prefix}, *address));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = AsText(data, size);
  const size_t newline = input.find('\n');
  const std::string_view block = input.substr(0, newline);
  const std::string_view address =
      newline == std::string_view::npos ? input : input.substr(newline + 1);
  CheckBlock(block);
  CheckBlock(address);
  CheckAddress(address, block);
  CheckAddress(block, address);
  return 0;
}
