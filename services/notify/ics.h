// The iCalendar (RFC 5545) file of an appointment, written with libical:
// the e-mails' attachment and "add to my calendar" (GetCalendar). One
// VEVENT, UID "appointment-ID@domain", SEQUENCE from the appointment's last
// change: a move updates the event already in the person's calendar and a
// cancellation removes it (METHOD:CANCEL, STATUS:CANCELLED), whichever
// way each version came.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "accueil/booking/v1/booking.pb.h"

namespace accueil::notify {

struct CalendarEvent {
  int64_t appointment = 0;
  int64_t sequence = 0;
  absl::Time start, end, stamp;
  std::string summary, location, description;
  bool cancelled = false;
  std::string domain;
};

// AppointmentEvent: the event of appointment `a` at `site` and `desk`
// (cancelled when the appointment is), stamped `now`; the description gives
// the reference and `manage_url`.
CalendarEvent AppointmentEvent(const booking::v1::Appointment& a, const booking::v1::Site& site,
                               const booking::v1::Desk& desk, const std::string& manage_url,
                               const std::string& domain, absl::Time now);

// Calendar writes the VCALENDAR text (CRLF line ends, folded).
std::string Calendar(const CalendarEvent& event);

}  // namespace accueil::notify
