// Slot generation from weekly opening hours, in the site's time zone.
//
// Opening ranges are local ("Monday 09:00-12:00"). Each range is turned into
// two instants with the zone's rules of that day, then cut into slots in real
// (absolute) time, so a slot always lasts its duration even on the days the
// clocks change: a range crossing the March gap is an hour shorter, one
// crossing the October repeat an hour longer. A local time inside the March
// gap means the instant the gap ends; a repeated October time means its
// first occurrence.
#pragma once

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace accueil::booking {

struct WeeklyRange {
  int iso_weekday;   // 1 = Monday ... 7 = Sunday
  int start_minute;  // since local midnight
  int end_minute;
};

// LocalInstant converts a local civil time as described above.
absl::Time LocalInstant(const absl::TimeZone& zone, absl::CivilSecond local);

// IsoWeekday returns 1 (Monday) ... 7 (Sunday).
int IsoWeekday(absl::CivilDay day);

// GenerateSlotStarts returns the start of every slot of `slot_length` that
// fits inside a range, for each local day of [first, last] not in `closed`,
// sorted.
std::vector<absl::Time> GenerateSlotStarts(const absl::TimeZone& zone,
                                           const std::vector<WeeklyRange>& weekly,
                                           const absl::flat_hash_set<absl::CivilDay>& closed,
                                           absl::CivilDay first, absl::CivilDay last,
                                           absl::Duration slot_length);

}  // namespace accueil::booking
