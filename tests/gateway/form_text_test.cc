// The administration forms' values as agents type them (form_text.h).
#include "services/gateway/form_text.h"

#include <gtest/gtest.h>

namespace accueil::gateway {
namespace {

TEST(FormText, ClocksReadTheWaysFrenchAgentsWriteThem) {
  EXPECT_EQ(ParseClock("09:00"), 540);
  EXPECT_EQ(ParseClock(" 9:05 "), 545);
  EXPECT_EQ(ParseClock("9h"), 540);
  EXPECT_EQ(ParseClock("13h30"), 810);
  EXPECT_EQ(ParseClock("24:00"), 1440);
  for (const char* bad :
       {"", "9", "9:", "9:5", "24:01", "25:00", "12:60", "-1:00", "9h5", "09:00:00", "١٠:٠٠"}) {
    EXPECT_EQ(ParseClock(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(FormatClock(545), "09:05");
}

TEST(FormText, ADaysRangesReadBackAsTheyAreShown) {
  EXPECT_EQ(ParseDayRanges(""), DayRanges{});
  EXPECT_EQ(ParseDayRanges("   "), DayRanges{});
  const DayRanges two = {{540, 720}, {810, 990}};
  EXPECT_EQ(ParseDayRanges("09:00-12:00 13:30-16:30"), two);
  EXPECT_EQ(ParseDayRanges("9h-12h, 13h30 - 16h30"), two);
  EXPECT_EQ(ParseDayRanges("9h à 12h; 13h30 à 16h30"), two);
  EXPECT_EQ(ParseDayRanges(FormatDayRanges(two)), two);
  EXPECT_EQ(FormatDayRanges(two), "09:00-12:00 13:30-16:30");
  for (const char* bad : {"12:00-09:00", "09:00-09:00", "09:00", "09:00-", "-12:00",
                          "09:00-12:00-14:00", "9h-12h 14h", "25:00-26:00", "matin"}) {
    EXPECT_EQ(ParseDayRanges(bad), std::nullopt) << bad;
  }
  // More than 8 ranges in a day is not a day's hours.
  EXPECT_EQ(ParseDayRanges("1h-2h 3h-4h 5h-6h 7h-8h 9h-10h 11h-12h 13h-14h 15h-16h 17h-18h"),
            std::nullopt);
}

TEST(FormText, CountsAreDigitsWithinTheirBounds) {
  EXPECT_EQ(ParseCount(" 12 ", 0, 20), 12);
  EXPECT_EQ(ParseCount("0", 0, 20), 0);
  for (const char* bad : {"", "-1", "21", "1.5", "douze", "1e3", "+3", "9999999999"}) {
    EXPECT_EQ(ParseCount(bad, 0, 20), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace accueil::gateway
