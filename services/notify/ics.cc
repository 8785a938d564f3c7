#include "services/notify/ics.h"

#include <libical/ical.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/proto_time.h"

namespace accueil::notify {
namespace {

// SEQUENCE counts seconds from here: an int32 until 2092, and larger for
// every later change of the appointment.
const absl::Time kSequenceEpoch = absl::FromUnixSeconds(1704067200);  // 2024-01-01 UTC

icaltimetype Utc(absl::Time t) {
  return icaltime_from_timet_with_zone(absl::ToTimeT(t), 0, icaltimezone_get_utc_timezone());
}

}  // namespace

CalendarEvent AppointmentEvent(const booking::v1::Appointment& a, const booking::v1::Site& site,
                               const booking::v1::Desk& desk, const std::string& manage_url,
                               const std::string& domain, absl::Time now) {
  CalendarEvent event;
  const std::string& name = a.name();
  absl::SimpleAtoi(name.substr(name.rfind('/') + 1), &event.appointment);
  event.sequence =
      std::max<int64_t>(0, absl::ToInt64Seconds(FromProto(a.update_time()) - kSequenceEpoch));
  event.start = FromProto(a.start_time());
  event.end = FromProto(a.end_time());
  event.stamp = now;
  event.summary = absl::StrCat(desk.display_name(), " - ", site.display_name());
  event.location = site.address();
  event.description = absl::StrCat("Ref. ", a.reference(), " - ", manage_url);
  event.cancelled = a.status() == booking::v1::CANCELLED;
  event.domain = domain;
  return event;
}

std::string Calendar(const CalendarEvent& e) {
  const std::string uid = absl::StrCat("appointment-", e.appointment, "@", e.domain);
  icalcomponent* event = icalcomponent_vanew(
      ICAL_VEVENT_COMPONENT, icalproperty_new_uid(uid.c_str()),
      icalproperty_new_dtstamp(Utc(e.stamp)), icalproperty_new_dtstart(Utc(e.start)),
      icalproperty_new_dtend(Utc(e.end)),
      icalproperty_new_sequence(static_cast<int>(e.sequence % 2000000000)),
      icalproperty_new_summary(e.summary.c_str()), icalproperty_new_location(e.location.c_str()),
      icalproperty_new_status(e.cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED),
      nullptr);
  if (!e.description.empty()) {
    icalcomponent_add_property(event, icalproperty_new_description(e.description.c_str()));
  }
  icalcomponent* calendar = icalcomponent_vanew(
      ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
      icalproperty_new_prodid("-//Accueil//notify//FR"),
      icalproperty_new_method(e.cancelled ? ICAL_METHOD_CANCEL : ICAL_METHOD_PUBLISH), event,
      nullptr);
  char* text = icalcomponent_as_ical_string_r(calendar);
  std::string out = text != nullptr ? text : "";
  std::free(text);
  icalcomponent_free(calendar);
  return out;
}

}  // namespace accueil::notify
