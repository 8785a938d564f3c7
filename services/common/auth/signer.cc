#include "services/common/auth/signer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"

namespace accueil::auth {
namespace {

std::string B64(const std::string& bytes) { return absl::WebSafeBase64Escape(bytes); }

std::string BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return "";
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

}  // namespace

absl::StatusOr<JwtSigner> JwtSigner::Generate(const std::string& alg, const std::string& kid) {
  EVP_PKEY* key = nullptr;
  if (alg == "RS256") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else if (alg == "ES256") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else {
    return absl::InvalidArgumentError("signer: alg must be RS256 or ES256");
  }
  if (key == nullptr) return absl::InternalError("signer: key generation failed");
  return JwtSigner(alg, kid, key);
}

absl::StatusOr<JwtSigner> JwtSigner::FromPem(const std::string& pem, const std::string& kid) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key =
      bio == nullptr ? nullptr : PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return absl::InvalidArgumentError("not a PEM private key");
  std::string alg;
  char group[64] = {0};
  size_t group_len = 0;
  if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048) {
    alg = "RS256";
  } else if (EVP_PKEY_is_a(key, "EC") &&
             EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                            &group_len) == 1 &&
             std::string(group, group_len) == "prime256v1") {
    alg = "ES256";
  } else {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("the key must be P-256 (ES256) or RSA of 2048 bits or more");
  }
  return JwtSigner(alg, kid, key);
}

std::string JwtSigner::Sign(const std::string& payload_json) const {
  nlohmann::json header = {{"alg", alg_}, {"typ", "JWT"}, {"kid", kid_}};
  std::string input = B64(header.dump()) + "." + B64(payload_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) == 1) {
    sig.resize(len);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (alg_ == "ES256") {
    // OpenSSL signs in DER; JOSE wants R || S, 32 bytes each.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    if (ecdsa != nullptr) {
      BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
      BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
      ECDSA_SIG_free(ecdsa);
    }
    sig = raw;
  }
  return input + "." + B64(sig);
}

std::string JwtSigner::PublicJwk() const {
  nlohmann::json jwk = {{"kid", kid_}, {"alg", alg_}, {"use", "sig"}};
  if (alg_ == "RS256") {
    jwk["kty"] = "RSA";
    jwk["n"] = B64(BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = B64(BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_E));
  } else {
    unsigned char point[65];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = B64(std::string(reinterpret_cast<char*>(point) + 1, 32));
    jwk["y"] = B64(std::string(reinterpret_cast<char*>(point) + 33, 32));
  }
  return jwk.dump();
}

std::string JwksDocument(const std::vector<const JwtSigner*>& signers) {
  nlohmann::json keys = nlohmann::json::array();
  for (const JwtSigner* s : signers) keys.push_back(nlohmann::json::parse(s->PublicJwk()));
  return nlohmann::json{{"keys", keys}}.dump();
}

}  // namespace accueil::auth
