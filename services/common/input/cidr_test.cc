#include "services/common/input/cidr.h"

#include <string>

#include "gtest/gtest.h"

namespace accueil::input {
namespace {

IpAddress Address(const std::string& text) {
  std::optional<IpAddress> a = ParseIpAddress(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

Cidr Block(const std::string& text) {
  absl::StatusOr<Cidr> b = ParseCidr(text);
  EXPECT_TRUE(b.ok()) << text << ": " << b.status();
  return b.value_or(Cidr{});
}

TEST(ParseIpAddress, ReadsBothFamiliesInNetworkOrder) {
  IpAddress v4 = Address("192.0.2.7");
  EXPECT_EQ(v4.length, 4);
  EXPECT_EQ(v4.bytes[0], 192);
  EXPECT_EQ(v4.bytes[3], 7);
  IpAddress v6 = Address("2001:db8::1");
  EXPECT_EQ(v6.length, 16);
  EXPECT_EQ(v6.bytes[0], 0x20);
  EXPECT_EQ(v6.bytes[1], 0x01);
  EXPECT_EQ(v6.bytes[3], 0xb8);
  EXPECT_EQ(v6.bytes[15], 1);
  EXPECT_EQ(Address("::ffff:192.0.2.1").length, 16);  // mapped: still IPv6
}

TEST(ParseIpAddress, RefusesWhatIsNotABareAddress) {
  for (const std::string& bad :
       {std::string(""), std::string("192.0.2"), std::string("192.0.2.256"),
        std::string(" 192.0.2.1"), std::string("192.0.2.1:80"), std::string("[::1]"),
        std::string("::1%lo"), std::string("example.org"), std::string("192.0.2.1\0x", 11)}) {
    EXPECT_FALSE(ParseIpAddress(bad).has_value()) << bad;
  }
}

TEST(ParseCidr, PrefixDefaultsToTheWholeAddress) {
  EXPECT_EQ(Block("192.0.2.9").prefix, 32);
  EXPECT_EQ(Block("::1").prefix, 128);
  EXPECT_EQ(Block("192.0.2.0/24").prefix, 24);
  EXPECT_EQ(Block("2001:db8::/32").prefix, 32);
  EXPECT_EQ(Block("0.0.0.0/0").prefix, 0);
  EXPECT_EQ(Block("::/0").address.length, 16);
}

TEST(ParseCidr, RefusesMalformedBlocksNamingThem) {
  for (const char* bad : {"10.0.0.0/33", "::1/129", "10.0.0.0/-1", "10.0.0.0/", "/8",
                          "10.0.0.0/8/8", "1.2.3.4/x", "10.0.0/8", "example.org", ""}) {
    absl::StatusOr<Cidr> b = ParseCidr(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(b.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << b.status();
  }
}

TEST(Contains, ComparesThePrefixBitsOnly) {
  Cidr c = Block("203.0.113.0/24");
  EXPECT_TRUE(Contains(c, Address("203.0.113.0")));
  EXPECT_TRUE(Contains(c, Address("203.0.113.255")));
  EXPECT_FALSE(Contains(c, Address("203.0.114.1")));
  // A prefix inside a byte: 10.0.0.0/9 is 10.0.0.0 to 10.127.255.255.
  Cidr nine = Block("10.0.0.0/9");
  EXPECT_TRUE(Contains(nine, Address("10.127.255.255")));
  EXPECT_FALSE(Contains(nine, Address("10.128.0.0")));
  // Host bits written in the block are ignored.
  EXPECT_TRUE(Contains(Block("192.0.2.77/24"), Address("192.0.2.1")));
  Cidr v6 = Block("2001:db8::/32");
  EXPECT_TRUE(Contains(v6, Address("2001:db8:ffff::1")));
  EXPECT_FALSE(Contains(v6, Address("2001:db9::1")));
  EXPECT_TRUE(Contains(Block("2001:db8::5"), Address("2001:db8::5")));
  EXPECT_FALSE(Contains(Block("2001:db8::5"), Address("2001:db8::4")));
}

TEST(Contains, NeverAcrossFamilies) {
  EXPECT_TRUE(Contains(Block("0.0.0.0/0"), Address("198.51.100.1")));
  EXPECT_FALSE(Contains(Block("0.0.0.0/0"), Address("::1")));
  EXPECT_FALSE(Contains(Block("::/0"), Address("198.51.100.1")));
  EXPECT_FALSE(Contains(Block("192.0.2.0/24"), Address("::ffff:192.0.2.1")));
}

}  // namespace
}  // namespace accueil::input
