#include "services/common/input/cidr.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace accueil::input {

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton reads a C string: a NUL would cut the text short.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string c_text(text);
  IpAddress address;
  if (inet_pton(AF_INET, c_text.c_str(), address.bytes.data()) == 1) {
    address.length = 4;
    return address;
  }
  if (inet_pton(AF_INET6, c_text.c_str(), address.bytes.data()) == 1) {
    address.length = 16;
    return address;
  }
  return std::nullopt;
}

absl::StatusOr<Cidr> ParseCidr(std::string_view text) {
  std::string_view address_text = text;
  int prefix = -1;  // none written: the whole address
  bool prefix_ok = true;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    address_text = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    prefix_ok =
        absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &prefix) && prefix >= 0;
  }
  std::optional<IpAddress> address = ParseIpAddress(address_text);
  if (!address || !prefix_ok || prefix > address->length * 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", absl::string_view(text.data(), text.size()), "\" is not an address or CIDR block"));
  }
  return Cidr{*address, prefix == -1 ? address->length * 8 : prefix};
}

bool Contains(const Cidr& block, const IpAddress& address) {
  if (block.address.length != address.length) return false;
  const int whole = block.prefix / 8, rest = block.prefix % 8;
  if (std::memcmp(block.address.bytes.data(), address.bytes.data(), static_cast<size_t>(whole)) !=
      0) {
    return false;
  }
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (block.address.bytes[whole] & mask) == (address.bytes[whole] & mask);
}

}  // namespace accueil::input
