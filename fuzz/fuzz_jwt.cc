// JwtVerifier::Verify (RS256/ES256 JWTs, OpenSSL 3 + nlohmann-json).
//
// Input layout: a mode byte (taken modulo 3: the seeds use '0', '1', '2'),
// then
//   0: a token as a client sends it ("xxx.yyy.zzz");
//   1: "<header JSON>\n<payload JSON>\n<signature bytes>", which the target
//      base64url-encodes into a token, so the fuzzer works on the JSON;
//   2: "<header JSON>\n<payload JSON>", a token the target signs (ES256) with
//      the key trusted under kid "ec", so the claim checks run too.
// Properties: nothing is accepted with an empty key set, nor in mode 1 (a
// signature it cannot forge), nor in mode 2 under a key set holding another
// key under the same kid; every refusal is UNAUTHENTICATED with a TOKEN_*
// reason; an accepted token names the configured issuer and a subject, is
// not expired at `now`, its subject is the token's own `sub`, and its issuer
// is the one ClaimedIssuer reads unverified.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "fuzz_check.h"
#include "fuzz_keys.h"
#include "services/common/auth/jwt.h"

namespace {

using accueil::auth::Claims;
using accueil::auth::JwtVerifier;
using accueil::auth::KeySet;
using accueil::fuzz::AsText;

constexpr char kIssuer[] = "https://issuer.example";
constexpr char kAudience[] = "accueil";
// 2023-11-14T22:13:20Z; the seeds' "exp" and "nbf" are around it.
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

EVP_PKEY* g_signing_key = nullptr;
const KeySet* g_trusted = nullptr;  // "ec": g_signing_key, "rsa": kRsaModulus
const KeySet* g_other = nullptr;    // "ec": another key, "rsa": kRsaModulus
const KeySet* g_empty = nullptr;
const JwtVerifier* g_verifier = nullptr;

std::string B64(std::string_view bytes) {
  return absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()));
}

EVP_PKEY* ReadKey(const char* pem) {
  BIO* bio = BIO_new_mem_buf(pem, -1);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  FUZZ_CHECK(key != nullptr);
  return key;
}

// A JWKS with `ec`'s public key under kid "ec" and the RSA key under "rsa".
const KeySet* MakeKeySet(EVP_PKEY* ec) {
  unsigned char point[65];
  size_t length = 0;
  FUZZ_CHECK(EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                             &length) == 1 &&
             length == 65 && point[0] == 0x04);
  const std::string_view xy(reinterpret_cast<const char*>(point) + 1, 64);
  const std::string jwks = std::string(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"ec","x":")") +
                           B64(xy.substr(0, 32)) + R"(","y":")" + B64(xy.substr(32)) +
                           R"("},{"kty":"RSA","kid":"rsa","e":"AQAB","n":")" +
                           accueil::fuzz::kRsaModulus + R"("}]})";
  absl::StatusOr<KeySet> keys = KeySet::FromJwks(jwks);
  FUZZ_CHECK(keys.ok() && keys->size() == 2);
  return new KeySet(std::move(*keys));
}

// SignEs256 returns the JOSE signature (R || S) of `data`.
std::string SignEs256(std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string der(128, '\0');
  size_t length = der.size();
  FUZZ_CHECK(ctx != nullptr &&
             EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, g_signing_key) == 1 &&
             EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                            reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  EVP_MD_CTX_free(ctx);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length));
  FUZZ_CHECK(sig != nullptr);
  unsigned char raw[64];
  FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) == 32 &&
             BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) == 32);
  ECDSA_SIG_free(sig);
  return std::string(reinterpret_cast<const char*>(raw), sizeof raw);
}

std::string_view FirstLine(std::string_view* rest) {
  const size_t end = rest->find('\n');
  const std::string_view line = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end + 1);
  return line;
}

void CheckRefused(const absl::StatusOr<Claims>& claims) {
  accueil::fuzz::CheckRefusal(
      claims.status(), absl::StatusCode::kUnauthenticated,
      {"TOKEN_MALFORMED", "TOKEN_ALGORITHM", "TOKEN_UNKNOWN_KEY", "TOKEN_SIGNATURE",
       "TOKEN_EXPIRED", "TOKEN_NOT_YET_VALID", "TOKEN_ISSUER", "TOKEN_AUDIENCE"},
      "");
}

void CheckAccepted(const Claims& claims, std::string_view token) {
  FUZZ_CHECK(claims.issuer == kIssuer);
  FUZZ_CHECK(!claims.subject.empty());
  FUZZ_CHECK(kNow <= claims.expiry + absl::Seconds(60));
  // An accepted token has three parts; the middle one is its payload.
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  FUZZ_CHECK(first != std::string_view::npos && second != std::string_view::npos);
  std::string text;
  FUZZ_CHECK(absl::WebSafeBase64Unescape(
      absl::string_view(token.data() + first + 1, second - first - 1), &text));
  const nlohmann::json payload = nlohmann::json::parse(text, nullptr, false);
  FUZZ_CHECK(payload.is_object() && payload.contains("sub") && payload["sub"].is_string() &&
             payload["sub"].get<std::string>() == claims.subject);
}

void Run(std::string_view input) {
  const char mode = static_cast<char>(static_cast<unsigned char>(input[0]) % 3);
  input.remove_prefix(1);
  std::string token;
  if (mode == 0) {
    token = std::string(input);
  } else {
    const std::string_view header = FirstLine(&input);
    const std::string_view payload = FirstLine(&input);
    token = B64(header) + "." + B64(payload);
    token += "." + B64(mode == 1 ? input : std::string_view(SignEs256(token)));
  }

  CheckRefused(g_verifier->Verify(token, *g_empty, kNow));
  // The unverified issuer the authenticator routes on (service tokens or the
  // provider's) is the verified one whenever a token is accepted.
  const std::string claimed_issuer = accueil::auth::ClaimedIssuer(token);
  const absl::StatusOr<Claims> claims = g_verifier->Verify(token, *g_trusted, kNow);
  if (claims.ok()) {
    FUZZ_CHECK(mode != 1);
    FUZZ_CHECK(claimed_issuer == claims->issuer);
    CheckAccepted(*claims, token);
  } else {
    CheckRefused(claims);
  }
  if (mode == 2) CheckRefused(g_verifier->Verify(token, *g_other, kNow));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_signing_key = ReadKey(accueil::fuzz::kSigningKeyPem);
  EVP_PKEY* other = ReadKey(accueil::fuzz::kOtherKeyPem);
  g_trusted = MakeKeySet(g_signing_key);
  g_other = MakeKeySet(other);
  EVP_PKEY_free(other);
  absl::StatusOr<KeySet> empty = KeySet::FromJwks(R"({"keys":[]})");
  FUZZ_CHECK(empty.ok() && empty->size() == 0);
  g_empty = new KeySet(std::move(*empty));
  g_verifier = new JwtVerifier({.issuer = kIssuer, .audience = kAudience});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The verifier must report every failure as a status: an exception escaping
  // it would end the server's request thread (and the process).
  try {
    Run(AsText(data, size));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uncaught exception from JwtVerifier::Verify: %s\n", e.what());
    std::abort();
  }
  return 0;
}
