#include "services/common/secrets.h"

#include <fstream>
#include <sstream>

#include <sodium.h>

#include "absl/strings/str_cat.h"

namespace accueil {

absl::StatusOr<Secrets> Secrets::FromKey(std::string key) {
  if (key.size() < 32) {
    return absl::InvalidArgumentError(
        "secret key: at least 32 bytes are required");
  }
  return Secrets(std::move(key));
}

absl::StatusOr<Secrets> Secrets::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("secret key: cannot read ", path));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return FromKey(buffer.str());
}

std::string Secrets::Mac(std::string_view purpose,
                         std::string_view message) const {
  // Per-purpose key = HMAC(master, purpose); then HMAC(purpose key, message).
  unsigned char purpose_key[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state,
                              reinterpret_cast<const unsigned char*>(key_.data()),
                              key_.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(purpose.data()),
      purpose.size());
  crypto_auth_hmacsha256_final(&state, purpose_key);

  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, purpose_key, sizeof purpose_key);
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(message.data()),
      message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

bool Secrets::Equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace accueil
