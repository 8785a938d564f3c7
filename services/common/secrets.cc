#include "services/common/secrets.h"

#include <fstream>
#include <sstream>

#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace accueil {
namespace {

constexpr std::string_view kRingHeader = "accueil-keys 1\n";

std::string MacUnder(const std::string& master, std::string_view purpose,
                     std::string_view message) {
  // Per-purpose key = HMAC(master, purpose); then HMAC(purpose key, message).
  unsigned char purpose_key[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(master.data()),
                              master.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(purpose.data()),
                                purpose.size());
  crypto_auth_hmacsha256_final(&state, purpose_key);

  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, purpose_key, sizeof purpose_key);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(purpose_key, sizeof purpose_key);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Secrets> Secrets::FromKey(std::string key) {
  std::vector<std::string> keys;
  keys.push_back(std::move(key));
  return FromKeys(std::move(keys));
}

absl::StatusOr<Secrets> Secrets::FromKeys(std::vector<std::string> keys) {
  if (keys.empty() || keys.size() > kMaxKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret key: 1 to ", kMaxKeys, " keys are required"));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].size() < 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("secret key ", i + 1, ": at least 32 bytes are required"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (keys[j] == keys[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("secret key ", i + 1, ": the same as key ", j + 1));
      }
      // HMAC pads a short key with zero bytes (and hashes a long one): keys
      // that differ only by trailing zero bytes are one key, and a rotation
      // to it would rotate nothing. Compare what they sign.
      if (MacUnder(keys[j], "distinct-keys", "") == MacUnder(keys[i], "distinct-keys", "")) {
        return absl::InvalidArgumentError(
            absl::StrCat("secret key ", i + 1, ": signs as key ", j + 1,
                         " does (keys that differ only by trailing zero bytes are one HMAC key)"));
      }
    }
  }
  return Secrets(std::move(keys));
}

absl::StatusOr<Secrets> Secrets::Parse(std::string_view content, const std::string& origin) {
  if (content.substr(0, kRingHeader.size()) != kRingHeader) {
    // A ring whose header is not exactly ours (CRLF line ends, another
    // version, a blank line, comment or byte-order mark before it) would
    // otherwise be read as one raw key: a different key, and every code
    // already sent would stop verifying.
    if (content.find("accueil-keys") != std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin,
                       ": line 1: expected exactly \"accueil-keys 1\" as the first line "
                       "(nothing before it, Unix line ends)"));
    }
    // One raw key, as written before key rings existed.
    absl::StatusOr<Secrets> one = FromKey(std::string(content));
    if (!one.ok())
      return absl::InvalidArgumentError(absl::StrCat(origin, ": ", one.status().message()));
    return one;
  }
  std::vector<std::string> keys;
  int line_number = 1;
  for (absl::string_view line : absl::StrSplit(
           absl::string_view(content.data(), content.size()).substr(kRingHeader.size()), '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() < 64 || line.size() > 128 || line.size() % 2 != 0 ||
        !IsHex(std::string_view(line.data(), line.size()))) {
      return absl::InvalidArgumentError(absl::StrCat(
          origin, ": line ", line_number,
          ": a key is 64 to 128 hexadecimal digits (32 to 64 bytes), e.g. `openssl rand -hex 32`"));
    }
    keys.push_back(absl::HexStringToBytes(line));
  }
  absl::StatusOr<Secrets> ring = FromKeys(std::move(keys));
  if (!ring.ok())
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", ring.status().message()));
  return ring;
}

absl::StatusOr<Secrets> Secrets::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("secret key: cannot read ", path));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return Parse(buffer.str(), path);
}

std::string Secrets::Mac(std::string_view purpose, std::string_view message) const {
  return MacUnder(keys_.front(), purpose, message);
}

std::vector<std::string> Secrets::Macs(std::string_view purpose, std::string_view message) const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const std::string& key : keys_) out.push_back(MacUnder(key, purpose, message));
  return out;
}

Secrets::Secrets(std::vector<std::string> keys) : keys_(std::move(keys)) {
  for (const std::string& key : keys_) {
    key_ids_.push_back(absl::BytesToHexString(MacUnder(key, "key-id", "").substr(0, 4)));
  }
}

bool Secrets::Equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace accueil
