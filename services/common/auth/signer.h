// Signing JWTs with a key held in memory: the development issuer's signer
// (dev_issuer.h), the services' own key (service_identity.h: a key read from
// a PEM file in production, an ephemeral one in development), and what tests
// use to mint tokens. Agents' production tokens come from the OpenID Connect
// provider (ProConnect).
//
//   absl::StatusOr<JwtSigner> signer = JwtSigner::Generate("ES256", "dev-1");
//   std::string token = signer->Sign(R"({"iss":"...","sub":"agent-7",...})");
//   std::string jwks = JwksDocument({&*signer});
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "absl/status/statusor.h"

namespace accueil::auth {

// JwtSigner is immutable after Generate; thread-safe.
class JwtSigner {
 public:
  // Generate makes a fresh key: "RS256" (RSA 2048) or "ES256" (P-256).
  static absl::StatusOr<JwtSigner> Generate(const std::string& alg, const std::string& kid);
  // FromPem reads a private key (PEM, PKCS#8 or traditional): a P-256 key
  // signs ES256, an RSA key of at least 2048 bits RS256. INVALID_ARGUMENT
  // for anything else (the message names no key material).
  static absl::StatusOr<JwtSigner> FromPem(const std::string& pem, const std::string& kid);
  // Sign returns header.payload.signature for the JSON `payload`.
  std::string Sign(const std::string& payload_json) const;
  // PublicJwk returns the public key as one JWK (JSON object text).
  std::string PublicJwk() const;
  const std::string& kid() const { return kid_; }
  const std::string& alg() const { return alg_; }

 private:
  JwtSigner(std::string alg, std::string kid, EVP_PKEY* key)
      : alg_(std::move(alg)), kid_(std::move(kid)), key_(key, EVP_PKEY_free) {}
  std::string alg_;
  std::string kid_;
  std::shared_ptr<EVP_PKEY> key_;
};

// JwksDocument returns {"keys": [...]} with the public keys of `signers`.
std::string JwksDocument(const std::vector<const JwtSigner*>& signers);

}  // namespace accueil::auth
