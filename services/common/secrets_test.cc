#include "services/common/secrets.h"

#include <gtest/gtest.h>

namespace accueil {
namespace {

const std::string kHexA(64, 'a');
const std::string kHexB = std::string(62, 'b') + "0c";

TEST(Secrets, RawKeyFileIsOneKey) {
  absl::StatusOr<Secrets> s = Secrets::Parse(std::string(48, '\x07'), "f");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->key_count(), 1u);
  EXPECT_EQ(s->Mac("p", "m"), Secrets::FromKey(std::string(48, '\x07'))->Mac("p", "m"));
  EXPECT_FALSE(Secrets::Parse("too short", "f").ok());
}

TEST(Secrets, RingSignsWithTheFirstKeyAndVerifiesWithAll) {
  absl::StatusOr<Secrets> ring = Secrets::Parse(
      "accueil-keys 1\n# signing key first\n" + kHexA + "\n\n  " + kHexB + "  \n", "f");
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->key_count(), 2u);
  Secrets a = *Secrets::FromKey(std::string(32, '\xaa'));
  Secrets b = *Secrets::FromKey(std::string(31, '\xbb') + "\x0c");
  EXPECT_EQ(ring->Mac("access-code", "42:1"), a.Mac("access-code", "42:1"));
  std::vector<std::string> macs = ring->Macs("access-code", "42:1");
  ASSERT_EQ(macs.size(), 2u);
  EXPECT_EQ(macs[0], a.Mac("access-code", "42:1"));
  EXPECT_EQ(macs[1], b.Mac("access-code", "42:1"));
  // Purposes are separate.
  EXPECT_NE(a.Mac("access-code", "42:1"), a.Mac("check-in", "42:1"));
}

TEST(Secrets, BadRingsAreRefusedWithTheLine) {
  struct Case {
    std::string content;
    std::string says;
  } cases[] = {
      {"accueil-keys 1\n", "1 to 4 keys"},
      {"accueil-keys 1\r\n" + kHexA + "\r\n", "line 1: expected exactly"},
      {"accueil-keys 2\n" + kHexA + "\n", "line 1: expected exactly"},
      {"\n# keys\naccueil-keys 1\n" + kHexA + "\n", "line 1: expected exactly"},
      {"\xEF\xBB\xBF"
       "accueil-keys 1\n" +
           kHexA + "\n",
       "line 1: expected exactly"},
      {"accueil-keys 1\n# only comments\n", "1 to 4 keys"},
      {"accueil-keys 1\n" + kHexA + "\nnot-hex\n", "line 3"},
      {"accueil-keys 1\n" + kHexA.substr(0, 62) + "\n", "line 2"},
      {"accueil-keys 1\n" + kHexA + "a\n", "line 2"},
      {"accueil-keys 1\n" + std::string(130, 'a') + "\n", "line 2"},
      {"accueil-keys 1\n" + std::string(62, 'g') + "00\n", "line 2"},
      {"accueil-keys 1\n" + kHexA + "\n" + kHexA + "\n", "the same as key 1"},
      // HMAC zero-pads keys: these two are one key.
      {"accueil-keys 1\n" + kHexA + "\n" + kHexB + "\n" + kHexA + "00\n", "signs as key 1"},
      {"accueil-keys 1\n" + kHexA + "\n" + kHexB + "\n" + std::string(64, 'c') + "\n" +
           std::string(64, 'd') + "\n" + std::string(64, 'e') + "\n",
       "1 to 4 keys"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Secrets> s = Secrets::Parse(c.content, "/etc/accueil/keys");
    ASSERT_FALSE(s.ok()) << c.content;
    EXPECT_NE(s.status().message().find("/etc/accueil/keys"), std::string::npos) << s.status();
    EXPECT_NE(s.status().message().find(c.says), std::string::npos) << s.status();
  }
}

TEST(Secrets, KeyIdsNameEachKeySigningFirst) {
  Secrets a = *Secrets::FromKey(std::string(32, 'a'));
  Secrets b = *Secrets::FromKey(std::string(32, 'b'));
  Secrets ring = *Secrets::FromKeys({std::string(32, 'b'), std::string(32, 'a')});
  ASSERT_EQ(ring.KeyIds().size(), 2u);
  EXPECT_EQ(ring.KeyIds()[0], b.KeyIds()[0]);
  EXPECT_EQ(ring.KeyIds()[1], a.KeyIds()[0]);
  EXPECT_NE(a.KeyIds()[0], b.KeyIds()[0]);
  EXPECT_EQ(a.KeyIds()[0].size(), 8u);
  EXPECT_EQ(a.KeyIds()[0].find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Secrets, EqualIsExact) {
  EXPECT_TRUE(Secrets::Equal("abc", "abc"));
  EXPECT_FALSE(Secrets::Equal("abc", "abd"));
  EXPECT_FALSE(Secrets::Equal("abc", "abcd"));
}

}  // namespace
}  // namespace accueil
