#include "services/notify/schedule.h"

namespace accueil::notify {

bool InQuietHours(absl::Time t, absl::TimeZone zone) {
  const int hour = absl::ToCivilHour(t, zone).hour();
  return hour >= kQuietFromHour || hour < kQuietUntilHour;
}

std::optional<absl::Time> OutOfQuietHours(absl::Time t, absl::Time not_before, absl::Time deadline,
                                          absl::TimeZone zone) {
  if (!InQuietHours(t, zone)) return t < deadline ? std::optional<absl::Time>(t) : std::nullopt;
  const absl::CivilHour local = absl::ToCivilHour(t, zone);
  // The local day the quiet hours end on, and the one they began on.
  absl::CivilDay ends = absl::CivilDay(local);
  if (local.hour() >= kQuietFromHour) ends += 1;
  const absl::Time after = absl::FromCivil(absl::CivilHour(ends) + kQuietUntilHour, zone);
  if (after < deadline) return after;
  const absl::Time before =
      absl::FromCivil(absl::CivilMinute(absl::CivilHour(ends - 1) + kQuietFromHour) - 1, zone);
  if (before >= not_before && before < deadline) return before;
  return std::nullopt;
}

Reminders ReminderTimes(absl::Time now, absl::Time start, absl::TimeZone zone,
                        const ReminderSettings& settings) {
  Reminders out;
  auto place = [&](absl::Time due) -> std::optional<absl::Time> {
    if (due < now) return std::nullopt;
    return OutOfQuietHours(due, now, start, zone);
  };
  const absl::CivilSecond local_start = absl::ToCivilSecond(start, zone);
  if (settings.email_before.has_value()) {
    const absl::CivilSecond local_due = local_start - absl::ToInt64Seconds(*settings.email_before);
    out.email = place(absl::FromCivil(local_due, zone));
  }
  if (settings.sms_days_before.has_value()) {
    const absl::CivilDay day = absl::CivilDay(local_start) - *settings.sms_days_before;
    const absl::CivilSecond local_due =
        absl::CivilSecond(day) + absl::ToInt64Seconds(settings.sms_time);
    out.sms = place(absl::FromCivil(local_due, zone));
  }
  return out;
}

}  // namespace accueil::notify
