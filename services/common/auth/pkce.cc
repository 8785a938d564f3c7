#include "services/common/auth/pkce.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"

namespace accueil::auth {

std::string RandomUrlToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string PkceChallenge(const std::string& code_verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(code_verifier.data(), code_verifier.size(), digest, &len, EVP_sha256(), nullptr) !=
      1) {
    return "";
  }
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace accueil::auth
