#include "services/booking/slot_generation.h"

#include <gtest/gtest.h>

namespace accueil::booking {
namespace {

absl::TimeZone Paris() {
  absl::TimeZone zone;
  // Fail hard: without tzdata Abseil silently means UTC.
  if (!absl::LoadTimeZone("Europe/Paris", &zone)) std::abort();
  return zone;
}

std::string Utc(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M", t, absl::UTCTimeZone()); }

TEST(SlotGeneration, MorningSlotsFollowTheWinterAndSummerOffsets) {
  // Friday 2026-03-27 is UTC+1, Monday 2026-03-30 is UTC+2.
  std::vector<absl::Time> starts = GenerateSlotStarts(
      Paris(), {{5, 9 * 60, 10 * 60}, {1, 9 * 60, 10 * 60}}, {}, absl::CivilDay(2026, 3, 27),
      absl::CivilDay(2026, 3, 30), absl::Minutes(30));
  ASSERT_EQ(starts.size(), 4u);
  EXPECT_EQ(Utc(starts[0]), "2026-03-27 08:00");
  EXPECT_EQ(Utc(starts[1]), "2026-03-27 08:30");
  EXPECT_EQ(Utc(starts[2]), "2026-03-30 07:00");
  EXPECT_EQ(Utc(starts[3]), "2026-03-30 07:30");
}

TEST(SlotGeneration, MarchGapShortensARangeThatCrossesIt) {
  // Sunday 2026-03-29: 02:00 local jumps to 03:00. 01:00-04:00 is 2 real hours.
  std::vector<absl::Time> starts =
      GenerateSlotStarts(Paris(), {{7, 60, 4 * 60}}, {}, absl::CivilDay(2026, 3, 29),
                         absl::CivilDay(2026, 3, 29), absl::Minutes(30));
  ASSERT_EQ(starts.size(), 4u);
  EXPECT_EQ(Utc(starts[0]), "2026-03-29 00:00");  // 01:00 +01
  EXPECT_EQ(Utc(starts[1]), "2026-03-29 00:30");  // 01:30 +01
  EXPECT_EQ(Utc(starts[2]), "2026-03-29 01:00");  // 03:00 +02
  EXPECT_EQ(Utc(starts[3]), "2026-03-29 01:30");  // 03:30 +02
}

TEST(SlotGeneration, OctoberRepeatLengthensARangeThatCrossesIt) {
  // Sunday 2026-10-25: 03:00 local goes back to 02:00. 01:00-04:00 is 4 real hours.
  std::vector<absl::Time> starts =
      GenerateSlotStarts(Paris(), {{7, 60, 4 * 60}}, {}, absl::CivilDay(2026, 10, 25),
                         absl::CivilDay(2026, 10, 25), absl::Hours(1));
  ASSERT_EQ(starts.size(), 4u);
  EXPECT_EQ(Utc(starts[0]), "2026-10-24 23:00");  // 01:00 +02
  EXPECT_EQ(Utc(starts[3]), "2026-10-25 02:00");  // 03:00 +01
  for (size_t i = 1; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i] - starts[i - 1], absl::Hours(1));
  }
}

TEST(SlotGeneration, StartInsideTheGapMeansTheEndOfTheGap) {
  std::vector<absl::Time> starts =
      GenerateSlotStarts(Paris(), {{7, 2 * 60 + 30, 4 * 60}}, {}, absl::CivilDay(2026, 3, 29),
                         absl::CivilDay(2026, 3, 29), absl::Minutes(30));
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(Utc(starts[0]), "2026-03-29 01:00");  // 03:00 +02
}

TEST(SlotGeneration, ClosedDaysAndOtherWeekdaysHaveNoSlots) {
  absl::flat_hash_set<absl::CivilDay> closed = {absl::CivilDay(2026, 12, 25)};
  // Thursday 2026-12-24 open, Friday 25 closed; range on Thursday and Friday.
  std::vector<absl::Time> starts = GenerateSlotStarts(
      Paris(), {{4, 9 * 60, 9 * 60 + 40}, {5, 9 * 60, 10 * 60}}, closed,
      absl::CivilDay(2026, 12, 21), absl::CivilDay(2026, 12, 27), absl::Minutes(20));
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(Utc(starts[0]), "2026-12-24 08:00");
  EXPECT_EQ(Utc(starts[1]), "2026-12-24 08:20");
}

TEST(SlotGeneration, ASlotMustEndInsideItsRange) {
  std::vector<absl::Time> starts =
      GenerateSlotStarts(Paris(), {{1, 9 * 60, 9 * 60 + 50}}, {}, absl::CivilDay(2026, 6, 1),
                         absl::CivilDay(2026, 6, 1), absl::Minutes(20));
  EXPECT_EQ(starts.size(), 2u);  // 09:00, 09:20; 09:40 would end at 10:00
}

TEST(SlotGeneration, IsoWeekdays) {
  EXPECT_EQ(IsoWeekday(absl::CivilDay(2026, 11, 23)), 1);
  EXPECT_EQ(IsoWeekday(absl::CivilDay(2026, 11, 29)), 7);
}

}  // namespace
}  // namespace accueil::booking
