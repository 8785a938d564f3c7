// When a message goes out (docs/notify.md#schedule): reminders at a desk's
// offsets, on the site's clock, out of the quiet hours (20:00-08:00 site
// time), never after the appointment started. Pure functions of the times
// and the zone, so that tests cover both daylight-saving changes.
#pragma once

#include <optional>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace accueil::notify {

// A desk's reminder schedule (notify.desk_settings).
struct ReminderSettings {
  // E-mail: this long before the start on the site's clock (48 h before a
  // 09:00 appointment is 09:00 two days before, whatever the clock change
  // in between); none when unset.
  std::optional<absl::Duration> email_before = absl::Hours(48);
  // SMS: `sms_days_before` days before the appointment's local day, at
  // `sms_time` (site time); none when unset.
  std::optional<int> sms_days_before = 1;
  absl::Duration sms_time = absl::Hours(10);  // since local midnight
};

// Quiet hours: no message the person did not ask for right now is sent
// from 20:00 to 08:00 site time.
inline constexpr int kQuietFromHour = 20;
inline constexpr int kQuietUntilHour = 8;
bool InQuietHours(absl::Time t, absl::TimeZone zone);

// OutOfQuietHours: `t` when allowed; otherwise the end of the quiet hours
// (08:00) if that is still before `deadline`, else the last minute before
// they began (19:59) if that is not before `not_before`; none when neither.
std::optional<absl::Time> OutOfQuietHours(absl::Time t, absl::Time not_before, absl::Time deadline,
                                          absl::TimeZone zone);

// ReminderTimes: when the e-mail and SMS reminders of an appointment
// starting at `start` go, decided at `now` (none for a channel whose time has
// passed: the confirmation just sent serves, or that would fall after the
// start once out of the quiet hours).
struct Reminders {
  std::optional<absl::Time> email;
  std::optional<absl::Time> sms;
};
Reminders ReminderTimes(absl::Time now, absl::Time start, absl::TimeZone zone,
                        const ReminderSettings& settings);

}  // namespace accueil::notify
