#include "services/common/auth/credentials.h"

#include <string>

#include "gtest/gtest.h"
#include "services/common/errors.h"

namespace accueil::auth {
namespace {

TEST(ParseDeviceToken, SplitsIdAndSecret) {
  absl::StatusOr<DeviceTokenParts> parts = ParseDeviceToken("dt1.42.AbC-_x9");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->id, 42);
  EXPECT_EQ(parts->secret, "AbC-_x9");
}

TEST(ParseDeviceToken, ReadsBackWhatDeviceTokenTextWrites) {
  const std::string token = DeviceTokenText(9007199254740993, "c2VjcmV0");
  EXPECT_EQ(token, "dt1.9007199254740993.c2VjcmV0");
  absl::StatusOr<DeviceTokenParts> parts = ParseDeviceToken(token);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->id, 9007199254740993);
  EXPECT_EQ(parts->secret, "c2VjcmV0");
}

TEST(ParseDeviceToken, LengthLimitIs200Bytes) {
  const std::string head = "dt1.7.";
  EXPECT_TRUE(ParseDeviceToken(head + std::string(200 - head.size(), 's')).ok());
  EXPECT_FALSE(ParseDeviceToken(head + std::string(201 - head.size(), 's')).ok());
}

TEST(ParseDeviceToken, RefusesEveryOtherShapeAsInvalid) {
  for (const char* bad : {"dt1.0.s", "dt1.-3.s", "dt1.x.s", "dt1..s", "dt1.42", "dt1.42.s.t",
                          "dt2.42.s", "DT1.42.s", "dt1.99999999999999999999.s", ""}) {
    absl::StatusOr<DeviceTokenParts> parts = ParseDeviceToken(bad);
    ASSERT_FALSE(parts.ok()) << bad;
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kUnauthenticated) << bad;
    EXPECT_EQ(ErrorReason(parts.status()), "DEVICE_TOKEN_INVALID") << bad;
  }
}

TEST(LastForwardedHop, TakesTheLastEntryTrimmed) {
  EXPECT_EQ(LastForwardedHop("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(LastForwardedHop("198.51.100.1, 203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(LastForwardedHop(" 10.0.0.1 ,\t2001:db8::1 \t"), "2001:db8::1");
  // What the client wrote before the proxy's own entry never counts.
  EXPECT_EQ(LastForwardedHop("127.0.0.1, 192.0.2.1,,198.51.100.7"), "198.51.100.7");
}

TEST(LastForwardedHop, BlankLastEntryIsEmpty) {
  EXPECT_EQ(LastForwardedHop(""), "");
  EXPECT_EQ(LastForwardedHop("192.0.2.1, "), "");
  EXPECT_EQ(LastForwardedHop(","), "");
}

}  // namespace
}  // namespace accueil::auth
