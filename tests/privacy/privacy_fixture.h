// Shared set-up of the privacy tests: a history of appointments of various
// ages and statuses, and the indicator figures the statistics compute from
// what the purge keeps.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {

// Appointments of a desk open on Tuesdays from 2026-06-02 to 2026-09-29.
//   old_*: 2026-06-02 (ended long before 2026-09-20);
//   recent_*: 2026-09-15 and 2026-09-29.
struct History {
  OpenedDesk open;
  v1::Appointment old_fulfilled;     // person 1
  v1::Appointment old_cancelled;     // person 2, reason "Cancel-secret-2"
  v1::Appointment old_noshow;        // person 3
  v1::Appointment old_still_booked;  // person 4, never closed: active
  v1::Appointment old_wheelchair;    // person 5, note "Note-secret-5", 2 companions
  v1::Appointment recent_fulfilled;  // person 6
  v1::Appointment recent_cancelled;  // person 7, reason "Cancel-secret-7"
  v1::Appointment recent_booked;     // person 8, in the future
  std::vector<int> old_closed_persons() const { return {1, 2, 3, 5}; }
  std::vector<int> kept_persons() const { return {4, 6, 7, 8}; }
};

// When the purge runs in these tests; with 90 days of retention it erases
// the closed appointments of 2026-06-02 only.
inline const absl::Time kSept20 =
    absl::FromCivil(absl::CivilHour(2026, 9, 20, 8), absl::UTCTimeZone());

inline const v1::Slot* SlotOn(const OpenedDesk& open, const std::string& day, int index) {
  int seen = 0;
  for (const v1::Slot& s : open.slots) {
    if (DateText(s.local_date()) == day && seen++ == index) return &s;
  }
  ADD_FAILURE() << "no slot " << index << " on " << day;
  return nullptr;
}

inline void BookOn(BookingWorld& world, const OpenedDesk& open, const std::string& day, int index,
                   int person, v1::Appointment* out, v1::AccessibilityNeed need = v1::NONE,
                   const std::string& note = "", int companions = 0) {
  const v1::Slot* slot = SlotOn(open, day, index);
  if (slot == nullptr) return;
  v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(slot->name(), person);
  req.mutable_accessibility()->set_need(need);
  req.mutable_accessibility()->set_note(note);
  req.set_companions(companions);
  EXPECT_TRUE(RpcOk(world.Book(req, out))) << "person " << person;
}

// Serve: `a` arrives on time (the clock goes back to its day for the
// arrival window, then returns), is served, and done.
inline void Serve(BookingWorld& world, const v1::Appointment& a) {
  const absl::Time now = world.clock().Now();
  v1::Appointment out;
  EXPECT_TRUE(RpcOk(world.ArriveOnTime(a, &out)));
  EXPECT_TRUE(RpcOk(world.Transition(&v1::BookingService::Stub::StartService, a.name(), &out)));
  EXPECT_TRUE(
      RpcOk(world.Transition(&v1::BookingService::Stub::CompleteAppointment, a.name(), &out)));
  world.clock().Set(now);
}

// BuildHistory leaves the clock at 2026-09-15T18:00Z; `between` runs when
// the old appointments are closed, before the clock jumps to September.
inline History BuildHistory(
    BookingWorld& world, const std::function<void()>& between = [] {}) {
  History h;
  DeskOptions options;
  options.first = absl::CivilDay(2026, 6, 2);
  options.last = absl::CivilDay(2026, 9, 29);
  h.open = world.OpenDesk(options);
  v1::Appointment out;
  // 2026-06-01T08:00Z: book the old ones, cancel one.
  BookOn(world, h.open, "2026-06-02", 0, 1, &h.old_fulfilled);
  BookOn(world, h.open, "2026-06-02", 1, 2, &h.old_cancelled);
  BookOn(world, h.open, "2026-06-02", 2, 3, &h.old_noshow);
  BookOn(world, h.open, "2026-06-02", 3, 4, &h.old_still_booked);
  BookOn(world, h.open, "2026-06-02", 4, 5, &h.old_wheelchair, v1::WHEELCHAIR, "Note-secret-5", 2);
  EXPECT_TRUE(RpcOk(world.Cancel(h.old_cancelled, &out, "", "Cancel-secret-2")));
  // After the day: serve, mark the no-show.
  world.clock().Set(absl::FromCivil(absl::CivilHour(2026, 6, 2, 18), absl::UTCTimeZone()));
  Serve(world, h.old_fulfilled);
  Serve(world, h.old_wheelchair);
  EXPECT_TRUE(
      RpcOk(world.Transition(&v1::BookingService::Stub::MarkNoShow, h.old_noshow.name(), &out)));
  between();
  // September.
  world.clock().Set(absl::FromCivil(absl::CivilHour(2026, 9, 14, 8), absl::UTCTimeZone()));
  BookOn(world, h.open, "2026-09-15", 0, 6, &h.recent_fulfilled);
  BookOn(world, h.open, "2026-09-15", 1, 7, &h.recent_cancelled);
  BookOn(world, h.open, "2026-09-29", 0, 8, &h.recent_booked);
  EXPECT_TRUE(RpcOk(world.Cancel(h.recent_cancelled, &out, "", "Cancel-secret-7")));
  world.clock().Set(absl::FromCivil(absl::CivilHour(2026, 9, 15, 18), absl::UTCTimeZone()));
  Serve(world, h.recent_fulfilled);
  return h;
}

// Figures computes the indicators the statistics derive from what the purge
// keeps, each as one line of text.
inline std::map<std::string, std::string> Figures(BookingWorld& world) {
  const std::string from = " FROM booking.appointments a JOIN booking.slots s ON s.id = a.slot_id ";
  std::map<std::string, std::string> out;
  out["by_status_desk_month"] = world.Query(
      "SELECT string_agg(desk_id || '/' || month || '/' || status || '=' || n, ',' "
      "ORDER BY desk_id, month, status) FROM (SELECT a.desk_id, "
      "to_char(s.local_date, 'YYYY-MM') AS month, a.status, count(*) AS n" +
      from + "GROUP BY 1, 2, 3) t");
  out["no_show_rate"] = world.Query(
      "SELECT round(count(*) FILTER (WHERE a.status = 'noshow')::numeric / "
      "nullif(count(*) FILTER (WHERE a.status IN ('fulfilled', 'noshow')), 0), 6)" +
      from);
  out["mean_delay_minutes"] = world.Query(
      "SELECT round(avg(extract(epoch FROM s.start_time - a.create_time) / 60)::numeric, 3)" +
      from + "WHERE a.status <> 'cancelled'");
  out["cancellations"] = world.Query(
      "SELECT count(*) || '/late=' || count(*) FILTER (WHERE a.update_time > "
      "s.start_time - interval '24 hours')" +
      from + "WHERE a.status = 'cancelled'");
  out["companions"] =
      world.Query("SELECT sum(a.companions)" + from + "WHERE a.status = 'fulfilled'");
  out["accessibility"] = world.Query(
      "SELECT string_agg(need || '=' || n, ',' ORDER BY need) FROM (SELECT "
      "a.accessibility_need AS need, count(*) AS n" +
      from + "GROUP BY 1) t");
  out["channels"] = world.Query(
      "SELECT string_agg(channel || '=' || n, ',' ORDER BY channel) FROM (SELECT "
      "a.channel, count(*) AS n" +
      from + "GROUP BY 1) t");
  out["languages"] = world.Query(
      "SELECT string_agg(l || '=' || n, ',' ORDER BY l) FROM (SELECT "
      "p.preferred_language AS l, count(*) AS n FROM booking.appointments a "
      "JOIN booking.persons p ON p.id = a.person_id GROUP BY 1) t");
  out["distinct_persons"] =
      world.Query("SELECT count(DISTINCT person_key) FROM booking.appointments");
  out["events"] = world.Query(
      "SELECT string_agg(type || '=' || n, ',' ORDER BY type) FROM (SELECT type, "
      "count(*) AS n FROM events.log GROUP BY 1) t");
  return out;
}

}  // namespace accueil::testing
