#include "services/notify/tokens.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace accueil::notify {

std::string MessageToken(const Secrets& secrets, absl::string_view purpose, int64_t id) {
  return absl::BytesToHexString(
             secrets.Mac(std::string_view(purpose.data(), purpose.size()), absl::StrCat(id)))
      .substr(0, kTokenHex);
}

bool MessageTokenMatches(const Secrets& secrets, absl::string_view purpose, int64_t id,
                         absl::string_view token) {
  if (token.size() != kTokenHex) return false;
  bool match = false;
  for (const std::string& mac :
       secrets.Macs(std::string_view(purpose.data(), purpose.size()), absl::StrCat(id))) {
    const std::string hex = absl::BytesToHexString(mac).substr(0, kTokenHex);
    match |= CRYPTO_memcmp(hex.data(), token.data(), kTokenHex) == 0;
  }
  return match;
}

}  // namespace accueil::notify
