#include "services/booking/slot_generation.h"

#include <algorithm>

namespace accueil::booking {

absl::Time LocalInstant(const absl::TimeZone& zone, absl::CivilSecond local) {
  absl::TimeZone::TimeInfo info = zone.At(local);
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
    case absl::Weekday::sunday:
      return 7;
  }
  return 0;
}

std::vector<absl::Time> GenerateSlotStarts(const absl::TimeZone& zone,
                                           const std::vector<WeeklyRange>& weekly,
                                           const absl::flat_hash_set<absl::CivilDay>& closed,
                                           absl::CivilDay first, absl::CivilDay last,
                                           absl::Duration slot_length) {
  std::vector<absl::Time> starts;
  if (slot_length <= absl::ZeroDuration()) return starts;
  for (absl::CivilDay day = first; day <= last; ++day) {
    if (closed.contains(day)) continue;
    int weekday = IsoWeekday(day);
    for (const WeeklyRange& range : weekly) {
      if (range.iso_weekday != weekday) continue;
      absl::Time begin =
          LocalInstant(zone, absl::CivilSecond(day) + int64_t{range.start_minute} * 60);
      absl::Time end = LocalInstant(zone, absl::CivilSecond(day) + int64_t{range.end_minute} * 60);
      for (absl::Time t = begin; t + slot_length <= end; t += slot_length) {
        starts.push_back(t);
      }
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  return starts;
}

}  // namespace accueil::booking
