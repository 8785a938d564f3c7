#include "services/common/auth/jwt.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "services/common/auth/authenticator.h"
#include "services/common/auth/signer.h"
#include "services/common/errors.h"

namespace accueil::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

std::string Payload(nlohmann::json overrides = {}) {
  nlohmann::json p = {
      {"iss", "https://issuer.test"}, {"aud", "accueil"},       {"sub", "agent-7"},
      {"exp", 1800000000 + 300},      {"nbf", 1800000000 - 10}, {"iat", 1800000000 - 10}};
  for (auto& [k, v] : overrides.items()) p[k] = v;
  return p.dump();
}

class JwtTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    signer_ = std::make_unique<JwtSigner>(*JwtSigner::Generate(GetParam(), "k1"));
    other_ = std::make_unique<JwtSigner>(*JwtSigner::Generate(GetParam(), "k1"));
    keys_ = *KeySet::FromJwks(JwksDocument({signer_.get()}));
  }
  std::string Reason(const std::string& token, const KeySet& keys, absl::Time now = kNow) {
    absl::StatusOr<Claims> c = verifier_.Verify(token, keys, now);
    if (c.ok()) return "OK";
    EXPECT_EQ(c.status().code(), absl::StatusCode::kUnauthenticated);
    return ErrorReason(c.status());
  }
  JwtVerifier verifier_{{"https://issuer.test", "accueil", absl::Seconds(60)}};
  std::unique_ptr<JwtSigner> signer_, other_;
  KeySet keys_;
};

TEST_P(JwtTest, AcceptsAValidToken) {
  absl::StatusOr<Claims> c = verifier_.Verify(signer_->Sign(Payload()), keys_, kNow);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->subject, "agent-7");
  nlohmann::json audiences = nlohmann::json::array({"other", "accueil"});
  EXPECT_EQ(Reason(signer_->Sign(Payload({{"aud", audiences}})), keys_), "OK");
}

TEST_P(JwtTest, RefusesExpiredNotYetValidWrongIssuerAndAudience) {
  EXPECT_EQ(Reason(signer_->Sign(Payload()), keys_, kNow + absl::Seconds(361)), "TOKEN_EXPIRED");
  EXPECT_EQ(Reason(signer_->Sign(Payload()), keys_, kNow + absl::Seconds(359)), "OK");  // leeway
  EXPECT_EQ(Reason(signer_->Sign(Payload()), keys_, kNow - absl::Seconds(71)),
            "TOKEN_NOT_YET_VALID");
  EXPECT_EQ(Reason(signer_->Sign(Payload({{"iss", "https://evil.test"}})), keys_), "TOKEN_ISSUER");
  EXPECT_EQ(Reason(signer_->Sign(Payload({{"aud", "other"}})), keys_), "TOKEN_AUDIENCE");
  EXPECT_EQ(Reason(signer_->Sign(Payload({{"exp", "soon"}})), keys_), "TOKEN_MALFORMED");
}

TEST_P(JwtTest, RefusesBadSignatureAndUnknownKey) {
  // Same kid, another key: the signature does not verify.
  EXPECT_EQ(Reason(other_->Sign(Payload()), keys_), "TOKEN_SIGNATURE");
  JwtSigner stranger = *JwtSigner::Generate(GetParam(), "k2");
  EXPECT_EQ(Reason(stranger.Sign(Payload()), keys_), "TOKEN_UNKNOWN_KEY");
  // A payload swapped under a valid signature.
  std::string good = signer_->Sign(Payload());
  std::string forged_payload = signer_->Sign(Payload({{"sub", "admin"}}));
  std::string spliced =
      good.substr(0, good.find('.')) +
      forged_payload.substr(forged_payload.find('.'),
                            forged_payload.rfind('.') - forged_payload.find('.')) +
      good.substr(good.rfind('.'));
  EXPECT_EQ(Reason(spliced, keys_), "TOKEN_SIGNATURE");
  EXPECT_EQ(Reason("not.a.jwt", keys_), "TOKEN_MALFORMED");
  EXPECT_EQ(Reason("", keys_), "TOKEN_MALFORMED");
}

TEST_P(JwtTest, KeyRotationAcceptsBothKeysWhileBothArePublished) {
  JwtSigner next = *JwtSigner::Generate(GetParam(), "k2");
  KeySet both = *KeySet::FromJwks(JwksDocument({signer_.get(), &next}));
  EXPECT_EQ(Reason(signer_->Sign(Payload()), both), "OK");
  EXPECT_EQ(Reason(next.Sign(Payload()), both), "OK");
  KeySet only_next = *KeySet::FromJwks(JwksDocument({&next}));
  EXPECT_EQ(Reason(signer_->Sign(Payload()), only_next), "TOKEN_UNKNOWN_KEY");
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtTest, ::testing::Values("RS256", "ES256"));

TEST(Jwt, RefusesNoneAndHmacAlgorithms) {
  JwtVerifier verifier({"https://issuer.test", "accueil", absl::Seconds(60)});
  KeySet keys;
  auto b64 = [](const std::string& s) { return absl::WebSafeBase64Escape(s); };
  std::string none = b64(R"({"alg":"none","kid":"k1"})") + "." + b64(Payload()) + ".";
  absl::StatusOr<Claims> c = verifier.Verify(none, keys, kNow);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ErrorReason(c.status()), "TOKEN_ALGORITHM");
  std::string hs = b64(R"({"alg":"HS256","kid":"k1"})") + "." + b64(Payload()) + "." + b64("x");
  c = verifier.Verify(hs, keys, kNow);
  EXPECT_EQ(ErrorReason(c.status()), "TOKEN_ALGORITHM");
}

TEST(Jwt, RefusesMalformedJwks) {
  EXPECT_FALSE(KeySet::FromJwks("").ok());
  EXPECT_FALSE(KeySet::FromJwks(R"({"keys": [{"kty": "RSA"}]})").ok());
  EXPECT_FALSE(KeySet::FromJwks(
                   R"({"keys": [{"kty": "EC", "kid": "a", "crv": "P-256", "x": "AA", "y": "AA"}]})")
                   .ok());
  EXPECT_EQ(KeySet::FromJwks(R"({"keys": [{"kty": "oct", "kid": "a", "k": "AA"}]})")->size(), 0u);
}

}  // namespace
}  // namespace accueil::auth

namespace accueil::auth {
namespace {

TEST(JwksFile, ReloadsWhenTheFileChangesAndKeepsKeysOnABadFile) {
  std::string path = ::testing::TempDir() + "/jwks-" + std::to_string(getpid()) + ".json";
  JwtSigner old_key = *JwtSigner::Generate("RS256", "old");
  JwtSigner new_key = *JwtSigner::Generate("ES256", "new");
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
  write(JwksDocument({&old_key}));
  absl::StatusOr<std::unique_ptr<JwksFileKeys>> keys = JwksFileKeys::Load(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_NE((*keys)->Keys()->Find("old"), nullptr);
  EXPECT_EQ((*keys)->Keys()->Find("new"), nullptr);

  // Rotation: publish both, then only the new one.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write(JwksDocument({&old_key, &new_key}));
  EXPECT_NE((*keys)->Keys()->Find("new"), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write(JwksDocument({&new_key}));
  EXPECT_EQ((*keys)->Keys()->Find("old"), nullptr);
  // A broken file keeps the last good keys.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write("{not json");
  EXPECT_NE((*keys)->Keys()->Find("new"), nullptr);
  std::remove(path.c_str());
  EXPECT_FALSE(JwksFileKeys::Load(path).ok());
}

}  // namespace
}  // namespace accueil::auth
