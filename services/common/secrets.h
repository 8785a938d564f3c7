// Server secrets: a ring of master keys read from one file. Each purpose
// derives its own key from a master key, so a token made for one use never
// verifies for another. The first key of the ring signs; every key verifies,
// which is how keys rotate without invalidating what the public already holds
// (docs/security.md#secrets).
//
//   absl::StatusOr<accueil::Secrets> s = accueil::Secrets::Load(path);
//   std::string mac = s->Mac("access-code", "42:1");          // first key
//   for (const std::string& m : s->Macs("access-code", "42:1")) ...  // all
//
// Key file, either
//   - a key ring (text):
//       accueil-keys 1
//       # the first key signs; the others only verify (rotation)
//       <64 to 128 hex digits>
//       <64 to 128 hex digits>
//   - or, as before rotation existed, one raw key: the whole file, bytes as
//     they are (at least 32).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace accueil {

// Secrets is immutable after Load; thread-safe.
class Secrets {
 public:
  // At most this many keys in a ring (each verification tries them all).
  static constexpr size_t kMaxKeys = 4;

  static absl::StatusOr<Secrets> Load(const std::string& path);
  // Parse reads the content of a key file (see above); `origin` names it in
  // errors.
  static absl::StatusOr<Secrets> Parse(std::string_view content, const std::string& origin);
  // FromKey builds a ring of one key (tests). At least 32 bytes.
  static absl::StatusOr<Secrets> FromKey(std::string key);
  // FromKeys builds a ring, signing key first (tests).
  static absl::StatusOr<Secrets> FromKeys(std::vector<std::string> keys);

  // Mac returns HMAC-SHA256 of `message` under the signing key's key for
  // `purpose` (32 raw bytes).
  std::string Mac(std::string_view purpose, std::string_view message) const;
  // Macs returns the MAC under every key of the ring, signing key first: a
  // value verifies if it equals any of them.
  std::vector<std::string> Macs(std::string_view purpose, std::string_view message) const;
  size_t key_count() const { return keys_.size(); }
  // KeyIds names each key, signing key first: 8 hexadecimal digits of a MAC
  // under it (reveals nothing of the key). Logged at start, printed by
  // `rekey`, stored with device-token hashes: which key signs, which data
  // still depends on an older one.
  const std::vector<std::string>& KeyIds() const { return key_ids_; }

  // Equal compares two MACs in constant time.
  static bool Equal(std::string_view a, std::string_view b);

 private:
  explicit Secrets(std::vector<std::string> keys);
  std::vector<std::string> keys_;
  std::vector<std::string> key_ids_;
};

}  // namespace accueil
