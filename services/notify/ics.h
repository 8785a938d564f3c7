// The iCalendar (RFC 5545) attachment of an e-mail, written with libical:
// one VEVENT per appointment, UID "appointment-ID@domain" so that a move
// updates the event already in the person's calendar (a higher SEQUENCE:
// the message's id, which only grows) and a cancellation removes it
// (METHOD:CANCEL, STATUS:CANCELLED).
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace accueil::notify {

struct CalendarEvent {
  int64_t appointment = 0;
  int64_t sequence = 0;
  absl::Time start, end, stamp;
  std::string summary, location, description;
  bool cancelled = false;
  std::string domain;
};

// Calendar writes the VCALENDAR text (CRLF line ends, folded).
std::string Calendar(const CalendarEvent& event);

}  // namespace accueil::notify
