// KeySet::FromJwks (a JWKS document: RSA and P-256 keys, nlohmann-json and
// OpenSSL 3). The JWKS comes from the operator's identity provider, read from
// a file the server reloads: a broken or hostile document must be refused
// with INVALID_JWKS, never crash or throw.
// Properties: a refusal is INVALID_ARGUMENT INVALID_JWKS; an accepted key set
// holds no more keys than the document has entries, and verifying tokens
// against it (one with kid "ec" and ES256, one with kid "rsa" and RS256, both
// with a junk signature) refuses them without crashing.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "fuzz_check.h"
#include "services/common/auth/jwt.h"

namespace {

using accueil::auth::Claims;
using accueil::auth::JwtVerifier;
using accueil::auth::KeySet;
using accueil::fuzz::AsText;

const JwtVerifier* g_verifier = nullptr;
std::string* g_tokens = nullptr;  // two tokens with junk signatures

std::string Token(const std::string& header) {
  const std::string payload =
      R"({"iss":"https://issuer.example","aud":"accueil","sub":"a","exp":1700003600})";
  return absl::WebSafeBase64Escape(header) + "." + absl::WebSafeBase64Escape(payload) + "." +
         absl::WebSafeBase64Escape(std::string(64, '\x01'));
}

void Run(std::string_view jwks) {
  const absl::StatusOr<KeySet> keys = KeySet::FromJwks(jwks);
  if (!keys.ok()) {
    accueil::fuzz::CheckRefusal(keys.status(), absl::StatusCode::kInvalidArgument, {"INVALID_JWKS"},
                                "");
    return;
  }
  size_t kids = 0;
  for (size_t at = jwks.find("kid"); at != std::string_view::npos; at = jwks.find("kid", at + 1)) {
    ++kids;
  }
  // JSON escapes ("\u006bid") can spell "kid" without the three letters.
  if (jwks.find('\\') == std::string_view::npos) FUZZ_CHECK(keys->size() <= kids);
  for (int i = 0; i < 2; ++i) {
    const absl::StatusOr<Claims> claims =
        g_verifier->Verify(g_tokens[i], *keys, absl::FromUnixSeconds(1700000000));
    FUZZ_CHECK(!claims.ok() && claims.status().code() == absl::StatusCode::kUnauthenticated);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_verifier = new JwtVerifier({.issuer = "https://issuer.example", .audience = "accueil"});
  g_tokens = new std::string[2]{Token(R"({"alg":"ES256","kid":"ec"})"),
                                Token(R"({"alg":"RS256","kid":"rsa"})")};
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    Run(AsText(data, size));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uncaught exception from KeySet::FromJwks: %s\n", e.what());
    std::abort();
  }
  return 0;
}
