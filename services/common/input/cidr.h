// IP addresses and CIDR blocks, for the rate limits' exemptions
// (rate_limiter.h): the blocks come from the configuration, the addresses
// from the peer or from a trusted proxy's x-forwarded-for.
//
//   absl::StatusOr<Cidr> block = ParseCidr("192.0.2.0/24");
//   std::optional<IpAddress> client = ParseIpAddress("192.0.2.7");
//   bool exempt = block.ok() && client && Contains(*block, *client);
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace accueil::input {

struct IpAddress {
  std::array<unsigned char, 16> bytes{};  // network order; IPv4 uses the first 4
  int length = 0;                         // 4 (IPv4) or 16 (IPv6)
};

struct Cidr {
  IpAddress address;  // as written: bits past the prefix are kept, and ignored
  int prefix = 0;     // 0 to address.length * 8
};

// ParseIpAddress reads a dotted IPv4 or a textual IPv6 address, as inet_pton
// does: no port, brackets or zone. "::ffff:192.0.2.1" is an IPv6 address (it
// matches IPv6 blocks only). nullopt for anything else, a NUL byte included.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// ParseCidr reads "ADDRESS" (a block of that one address) or
// "ADDRESS/PREFIX" (PREFIX as absl::SimpleAtoi reads it, 0 to 32 for IPv4,
// 0 to 128 for IPv6). INVALID_ARGUMENT otherwise.
absl::StatusOr<Cidr> ParseCidr(std::string_view text);

// Contains: the address is of the block's family and its first `prefix` bits
// are the block's.
bool Contains(const Cidr& block, const IpAddress& address);

}  // namespace accueil::input
