#include "services/common/auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"

namespace accueil::auth {

struct KeySet::Key {
  std::string kty;  // "RSA" or "EC"
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, EVP_PKEY_free};
};

namespace {

using Json = nlohmann::json;

absl::Status Unauthenticated(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, reason, message);
}

// Str returns the string member `key` of `object`, or "" when it is missing or
// not a string: nlohmann's value(key, "") throws on a member of another type.
std::string Str(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// NumericDate reads a time claim (RFC 7519: seconds since the epoch, may be
// fractional); false when it is not a number. Out-of-range values saturate
// (converting such a double to int64_t would be undefined behaviour).
bool NumericDate(const Json& value, absl::Time* out) {
  if (value.is_number_unsigned()) {
    const uint64_t seconds = value.get<uint64_t>();
    *out = seconds > static_cast<uint64_t>(INT64_MAX)
               ? absl::InfiniteFuture()
               : absl::FromUnixSeconds(static_cast<int64_t>(seconds));
  } else if (value.is_number_integer()) {
    *out = absl::FromUnixSeconds(value.get<int64_t>());
  } else if (value.is_number_float()) {
    *out = absl::UnixEpoch() + absl::Seconds(value.get<double>());
  } else {
    return false;
  }
  return true;
}

bool B64(const std::string& in, std::string* out) { return absl::WebSafeBase64Unescape(in, out); }

// PublicKey builds an EVP_PKEY from OSSL parameters.
EVP_PKEY* FromParams(const char* type, OSSL_PARAM* params) {
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  return pkey;
}

EVP_PKEY* RsaKey(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY* pkey = nullptr;
  if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)) {
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    if (params != nullptr) pkey = FromParams("RSA", params);
    OSSL_PARAM_free(params);
  }
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return pkey;
}

EVP_PKEY* P256Key(const std::string& x, const std::string& y) {
  if (x.size() != 32 || y.size() != 32) return nullptr;
  std::string point = "\x04" + x + y;  // uncompressed SEC1 point
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY* pkey = nullptr;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    if (params != nullptr) pkey = FromParams("EC", params);
    OSSL_PARAM_free(params);
  }
  OSSL_PARAM_BLD_free(bld);
  return pkey;
}

// RawToDer turns a JOSE ES256 signature (R || S, 32 bytes each) into the DER
// ECDSA-Sig-Value OpenSSL verifies.
bool RawToDer(const std::string& raw, std::string* der) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* out = nullptr;
  int len = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (len <= 0) return false;
  der->assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return true;
}

bool VerifySha256(EVP_PKEY* key, const std::string& data, const std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace

absl::StatusOr<KeySet> KeySet::FromJwks(std::string_view text) {
  absl::Status bad =
      Error(absl::StatusCode::kInvalidArgument, "INVALID_JWKS", "the JWKS document is not valid");
  Json doc = Json::parse(text.begin(), text.end(), nullptr, false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) return bad;
  KeySet set;
  for (const Json& jwk : doc["keys"]) {
    if (!jwk.is_object() || !jwk.contains("kid") || !jwk["kid"].is_string() ||
        !jwk.contains("kty") || !jwk["kty"].is_string()) {
      return bad;
    }
    auto key = std::make_shared<Key>();
    key->kty = jwk["kty"].get<std::string>();
    std::string a, b;
    if (key->kty == "RSA") {
      if (!jwk.value("n", Json()).is_string() || !jwk.value("e", Json()).is_string() ||
          !B64(jwk["n"].get<std::string>(), &a) || !B64(jwk["e"].get<std::string>(), &b)) {
        return bad;
      }
      key->pkey.reset(RsaKey(a, b));
    } else if (key->kty == "EC") {
      if (Str(jwk, "crv") != "P-256" || !jwk.value("x", Json()).is_string() ||
          !jwk.value("y", Json()).is_string() || !B64(jwk["x"].get<std::string>(), &a) ||
          !B64(jwk["y"].get<std::string>(), &b)) {
        return bad;
      }
      key->pkey.reset(P256Key(a, b));
    } else {
      continue;  // a key type we do not use
    }
    if (key->pkey == nullptr) return bad;
    set.keys_[jwk["kid"].get<std::string>()] = std::move(key);
  }
  return set;
}

const KeySet::Key* KeySet::Find(const std::string& kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : it->second.get();
}

std::string ClaimedIssuer(std::string_view token) {
  if (token.size() > 16384) return "";
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  std::string payload_text;
  if (parts.size() != 3 || !B64(parts[1], &payload_text)) return "";
  Json payload = Json::parse(payload_text, nullptr, false);
  return payload.is_object() ? Str(payload, "iss") : "";
}

absl::StatusOr<Claims> JwtVerifier::Verify(std::string_view token, const KeySet& keys,
                                           absl::Time now) const {
  absl::Status malformed = Unauthenticated("TOKEN_MALFORMED", "the token is not a JWT");
  if (token.size() > 16384) return malformed;
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  if (parts.size() != 3) return malformed;
  std::string header_text, payload_text, signature;
  if (!B64(parts[0], &header_text) || !B64(parts[1], &payload_text) || !B64(parts[2], &signature)) {
    return malformed;
  }
  Json header = Json::parse(header_text, nullptr, false);
  Json payload = Json::parse(payload_text, nullptr, false);
  if (!header.is_object() || !payload.is_object()) return malformed;

  std::string alg = Str(header, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return Unauthenticated("TOKEN_ALGORITHM", "only RS256 and ES256 tokens are accepted");
  }
  const KeySet::Key* key = keys.Find(Str(header, "kid"));
  if (key == nullptr || (alg == "RS256") != (key->kty == "RSA")) {
    return Unauthenticated("TOKEN_UNKNOWN_KEY", "the token's key is not trusted");
  }
  std::string signed_part = parts[0] + "." + parts[1];
  std::string der;
  bool valid = alg == "RS256"
                   ? VerifySha256(key->pkey.get(), signed_part, signature)
                   : RawToDer(signature, &der) && VerifySha256(key->pkey.get(), signed_part, der);
  if (!valid) return Unauthenticated("TOKEN_SIGNATURE", "the token's signature is wrong");

  // Claims: only now that the payload is known to come from the issuer.
  absl::Time exp;
  if (!NumericDate(payload.value("exp", Json()), &exp)) return malformed;
  if (now > exp + options_.leeway) {
    return Unauthenticated("TOKEN_EXPIRED", "the token has expired");
  }
  if (payload.contains("nbf")) {
    absl::Time nbf;
    if (!NumericDate(payload["nbf"], &nbf)) return malformed;
    if (now + options_.leeway < nbf) {
      return Unauthenticated("TOKEN_NOT_YET_VALID", "the token is not valid yet");
    }
  }
  if (Str(payload, "iss") != options_.issuer) {
    return Unauthenticated("TOKEN_ISSUER", "the token comes from another issuer");
  }
  bool audience_ok = false;
  const Json& aud = payload.value("aud", Json());
  if (aud.is_string()) audience_ok = aud.get<std::string>() == options_.audience;
  if (aud.is_array()) {
    for (const Json& a : aud)
      audience_ok |= a.is_string() && a.get<std::string>() == options_.audience;
  }
  if (!audience_ok) {
    return Unauthenticated("TOKEN_AUDIENCE", "the token is meant for another audience");
  }
  if (!payload.value("sub", Json()).is_string() || payload["sub"].get<std::string>().empty()) {
    return malformed;
  }
  Claims claims;
  claims.issuer = options_.issuer;
  claims.subject = payload["sub"].get<std::string>();
  claims.expiry = exp;
  return claims;
}

}  // namespace accueil::auth
