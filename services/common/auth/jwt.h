// Verifying OpenID Connect ID/access tokens (JWT, RS256 and ES256) against
// the keys of a JWKS document, with the claim checks libjwt 1.10 does not do:
// issuer, audience, expiry and not-before, all against a time the caller
// passes (tests control it).
//
//   absl::StatusOr<KeySet> keys = KeySet::FromJwks(jwks_json);
//   JwtVerifier verifier({.issuer = "https://auth.example", .audience = "accueil"});
//   absl::StatusOr<Claims> claims = verifier.Verify(token, *keys, clock.Now());
//
// Every failure is UNAUTHENTICATED with a reason: TOKEN_MALFORMED,
// TOKEN_ALGORITHM, TOKEN_UNKNOWN_KEY, TOKEN_SIGNATURE, TOKEN_EXPIRED,
// TOKEN_NOT_YET_VALID, TOKEN_ISSUER, TOKEN_AUDIENCE.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace accueil::auth {

// KeySet holds public keys by key id. Immutable, thread-safe.
class KeySet {
 public:
  struct Key;
  // FromJwks parses a JWKS document: RSA keys ("kty": "RSA", n, e) and P-256
  // keys ("kty": "EC", "crv": "P-256", x, y); keys of other types are skipped.
  // Every key needs a "kid". Reason: INVALID_JWKS.
  static absl::StatusOr<KeySet> FromJwks(std::string_view json);
  // Find returns the key with `kid`, or nullptr.
  const Key* Find(const std::string& kid) const;
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, std::shared_ptr<const Key>> keys_;
};

struct Claims {
  std::string issuer;
  std::string subject;
  absl::Time expiry;
};

struct VerifierOptions {
  std::string issuer;
  std::string audience;
  // Tolerated clock difference with the issuer.
  absl::Duration leeway = absl::Seconds(60);
};

// ClaimedIssuer returns the `iss` a token claims, unverified ("" when it
// cannot be read): only to choose which issuer's keys verify it.
std::string ClaimedIssuer(std::string_view token);

class JwtVerifier {
 public:
  explicit JwtVerifier(VerifierOptions options) : options_(std::move(options)) {}
  absl::StatusOr<Claims> Verify(std::string_view token, const KeySet& keys, absl::Time now) const;

 private:
  VerifierOptions options_;
};

}  // namespace accueil::auth
