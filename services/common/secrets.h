// Server secrets: one master key read from a file, from which each purpose
// derives its own key, so a token made for one use never verifies for another.
//
//   absl::StatusOr<accueil::Secrets> s = accueil::Secrets::Load(path);
//   std::string mac = s->Mac("access-code", "appointment:42:v1");
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace accueil {

// Secrets is immutable after Load; thread-safe.
class Secrets {
 public:
  // Load reads the master key (at least 32 bytes; surrounding whitespace is
  // part of it, so keep the file binary or one line of hex/base64).
  static absl::StatusOr<Secrets> Load(const std::string& path);
  // FromKey builds from key bytes (tests). At least 32 bytes.
  static absl::StatusOr<Secrets> FromKey(std::string key);

  // Mac returns HMAC-SHA256 of `message` under the key for `purpose`
  // (32 raw bytes).
  std::string Mac(std::string_view purpose, std::string_view message) const;

  // Equal compares two MACs in constant time.
  static bool Equal(std::string_view a, std::string_view b);

 private:
  explicit Secrets(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace accueil
