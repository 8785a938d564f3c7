#include "services/booking/codes.h"

#include <gtest/gtest.h>

#include "services/common/input/input.h"

namespace accueil::booking {
namespace {

Secrets Key(const std::string& k) { return *Secrets::FromKey(k); }

TEST(Codes, ReferencesUseTheUnambiguousAlphabet) {
  for (int i = 0; i < 200; ++i) {
    std::string r = NewReference();
    ASSERT_EQ(r.size(), 8u);
    EXPECT_TRUE(input::ParseReference(r, "reference").ok()) << r;
    EXPECT_EQ(r.find_first_of("01OI"), std::string::npos);
  }
}

TEST(Codes, AccessCodeIsStableAndRevokedByANewVersion) {
  Secrets s = Key(std::string(32, 'k'));
  std::string code = AccessCode(s, 42, 1);
  EXPECT_EQ(code, AccessCode(s, 42, 1));
  EXPECT_TRUE(input::ParseAccessCode(code, "c").ok());
  EXPECT_TRUE(AccessCodeMatches(s, 42, 1, code));
  EXPECT_FALSE(AccessCodeMatches(s, 42, 2, code));
  EXPECT_FALSE(AccessCodeMatches(s, 43, 1, code));
  EXPECT_NE(code, AccessCode(Key(std::string(32, 'j')), 42, 1));
}

TEST(Codes, CheckInTokenVerifiesAndIsNotAnAccessCode) {
  Secrets s = Key(std::string(32, 'k'));
  std::string token = CheckInToken(s, 7, 1);
  absl::StatusOr<CheckIn> in = VerifyCheckInToken(s, token);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->appointment_id, 7);
  EXPECT_EQ(in->version, 1);
  std::string mac = token.substr(token.rfind('.') + 1);
  EXPECT_FALSE(VerifyCheckInToken(s, "c1.8.1." + mac).ok());
  EXPECT_FALSE(VerifyCheckInToken(s, "c1.7.2." + mac).ok());  // version is signed
  EXPECT_FALSE(VerifyCheckInToken(s, "c1.7.1.").ok());
  EXPECT_FALSE(VerifyCheckInToken(Key(std::string(32, 'j')), token).ok());
  EXPECT_FALSE(AccessCodeMatches(s, 7, 1, token));
  EXPECT_NE(CheckInToken(s, 7, 2), token);
}

TEST(Codes, OlderKeysOfTheRingStillVerify) {
  Secrets old_only = Key(std::string(32, 'o'));
  Secrets rotated = *Secrets::FromKeys({std::string(32, 'n'), std::string(32, 'o')});
  Secrets new_only = Key(std::string(32, 'n'));
  std::string code = AccessCode(old_only, 42, 1);
  std::string token = CheckInToken(old_only, 42, 1);
  EXPECT_TRUE(AccessCodeMatches(rotated, 42, 1, code));
  EXPECT_TRUE(VerifyCheckInToken(rotated, token).ok());
  // Made under the signing key now, and verified by it alone.
  EXPECT_EQ(AccessCode(rotated, 42, 1), AccessCode(new_only, 42, 1));
  EXPECT_TRUE(AccessCodeMatches(new_only, 42, 1, AccessCode(rotated, 42, 1)));
  EXPECT_TRUE(VerifyCheckInToken(new_only, CheckInToken(rotated, 42, 1)).ok());
  // Retired: no longer.
  EXPECT_FALSE(AccessCodeMatches(new_only, 42, 1, code));
  EXPECT_FALSE(VerifyCheckInToken(new_only, token).ok());
}

}  // namespace
}  // namespace accueil::booking
