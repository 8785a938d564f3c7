#include "services/common/rate_limiter.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace accueil {
namespace {

using access::v1::BOOKING;
using access::v1::NO_LIMIT;
using access::v1::READ;
using access::v1::WRITE;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

std::unique_ptr<RateLimiter> Limiter(RateLimitOptions o = {}) {
  o.read_per_second = 1;
  o.read_burst = 3;
  o.write_per_second = 0.1;
  o.write_burst = 2;
  return std::move(*RateLimiter::Create(o));
}

TEST(RateLimiter, BucketEmptiesThenRefillsWithARetryDelay) {
  auto l = Limiter();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l->Admit("192.0.2.1", READ, kT0).ok());
  absl::Status refused = l->Admit("192.0.2.1", READ, kT0);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(refused), "RATE_LIMITED");
  EXPECT_EQ(ErrorRetryDelay(refused), absl::Seconds(1));
  EXPECT_TRUE(l->Admit("192.0.2.2", READ, kT0).ok());  // another client
  EXPECT_TRUE(l->Admit("192.0.2.1", READ, kT0 + absl::Seconds(1)).ok());
  EXPECT_TRUE(l->Admit("192.0.2.1", NO_LIMIT, kT0).ok());
}

TEST(RateLimiter, ReadsAndWritesHaveSeparateBuckets) {
  auto l = Limiter();
  EXPECT_TRUE(l->Admit("c", WRITE, kT0).ok());
  EXPECT_TRUE(l->Admit("c", WRITE, kT0).ok());
  EXPECT_FALSE(l->Admit("c", WRITE, kT0).ok());
  EXPECT_TRUE(l->Admit("c", READ, kT0).ok());
}

TEST(RateLimiter, HourlyBookingCap) {
  RateLimitOptions o;
  o.bookings_per_hour = 3;
  auto l = Limiter(o);
  absl::Time t = kT0;
  for (int i = 0; i < 3; ++i, t += absl::Minutes(10)) {
    EXPECT_TRUE(l->Admit("198.51.100.7", BOOKING, t).ok()) << i;
  }
  absl::Status capped = l->Admit("198.51.100.7", BOOKING, t);
  EXPECT_EQ(ErrorReason(capped), "BOOKING_CAP_REACHED");
  EXPECT_EQ(ErrorRetryDelay(capped), absl::Minutes(30));  // the first leaves the window
  EXPECT_TRUE(l->Admit("198.51.100.7", BOOKING, kT0 + absl::Hours(1)).ok());
}

TEST(RateLimiter, AWithdrawnBookingDoesNotCount) {
  RateLimitOptions o;
  o.bookings_per_hour = 2;
  o.write_burst = 100;
  std::unique_ptr<RateLimiter> l = std::move(*RateLimiter::Create(o));
  // Malformed attempts are admitted, then withdrawn by the gate.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(l->Admit("198.51.100.9", BOOKING, kT0 + absl::Seconds(i)).ok()) << i;
    l->Withdraw("198.51.100.9", BOOKING, kT0 + absl::Seconds(i));
  }
  EXPECT_TRUE(l->Admit("198.51.100.9", BOOKING, kT0 + absl::Seconds(10)).ok());
  EXPECT_TRUE(l->Admit("198.51.100.9", BOOKING, kT0 + absl::Seconds(11)).ok());
  EXPECT_EQ(ErrorReason(l->Admit("198.51.100.9", BOOKING, kT0 + absl::Seconds(12))),
            "BOOKING_CAP_REACHED");
  // Withdrawing what was never counted changes nothing.
  l->Withdraw("198.51.100.9", BOOKING, kT0 + absl::Seconds(99));
  l->Withdraw("198.51.100.9", READ, kT0 + absl::Seconds(10));
  EXPECT_FALSE(l->Admit("198.51.100.9", BOOKING, kT0 + absl::Seconds(13)).ok());
}

TEST(RateLimiter, ExemptAddressesAndBlocks) {
  RateLimitOptions o;
  o.bookings_per_hour = 1;
  o.exempt = {"203.0.113.0/24", "2001:db8::/32", "192.0.2.9"};
  auto l = Limiter(o);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(l->Admit("203.0.113.77", BOOKING, kT0).ok());
    EXPECT_TRUE(l->Admit("2001:db8::1", READ, kT0).ok());
    EXPECT_TRUE(l->Admit("192.0.2.9", WRITE, kT0).ok());
  }
  EXPECT_FALSE(l->IsExempt("203.0.114.1"));
  EXPECT_FALSE(l->IsExempt("192.0.2.10"));
  EXPECT_FALSE(l->IsExempt("2001:db9::1"));
  EXPECT_FALSE(l->IsExempt("not an address"));
}

TEST(RateLimiter, AnIpv6ClientIsItsSlash64) {
  auto l = Limiter();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(l->Admit(absl::StrCat("2001:db8:1:2::", i + 1), READ, kT0).ok()) << i;
  }
  EXPECT_FALSE(l->Admit("2001:db8:1:2:ffff::9", READ, kT0).ok());  // same /64
  EXPECT_TRUE(l->Admit("2001:db8:1:3::1", READ, kT0).ok());        // next /64
}

TEST(RateLimiter, AFloodOfAddressesDoesNotLiftALimit) {
  auto l = Limiter();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l->Admit("192.0.2.1", READ, kT0).ok());
  ASSERT_FALSE(l->Admit("192.0.2.1", READ, kT0).ok());
  // More distinct clients than the limiter tracks before sweeping.
  for (int i = 0; i < 120000; ++i) {
    (void)l->Admit(absl::StrCat("10.", i >> 16, ".", (i >> 8) & 255, ".", i & 255), READ,
                   kT0 + absl::Milliseconds(1));
  }
  EXPECT_EQ(ErrorReason(l->Admit("192.0.2.1", READ, kT0 + absl::Milliseconds(2))), "RATE_LIMITED");
  // Once refilled, it may be forgotten, and it is admitted again.
  EXPECT_TRUE(l->Admit("192.0.2.1", READ, kT0 + absl::Seconds(20)).ok());
}

TEST(RateLimiter, RefusesMalformedExemptions) {
  for (const char* bad :
       {"10.0.0.0/33", "10.0.0/8", "example.org", "::1/129", "1.2.3.4/x", "10.0.0.0/-1"}) {
    RateLimitOptions o;
    o.exempt = {bad};
    EXPECT_FALSE(RateLimiter::Create(o).ok()) << bad;
  }
}

}  // namespace
}  // namespace accueil
