// The appointment lifecycle and the booking rules: legal and illegal
// transitions, time rules (past, release, no-show), closures, one active
// appointment per person and desk, agent overrides, and the event log.
#include <algorithm>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

using Stub = v1::BookingService::Stub;
using TransitionMethod = BookingWorld::TransitionMethod;

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open_ = world_.OpenDesk(DeskOptions{});  // Tuesday 2026-06-02, 20 x 30 min, capacity 1
    ASSERT_EQ(open_.slots.size(), 20u);
  }

  const std::string& Slot(int i) { return open_.slots[i].name(); }
  absl::Time StartOf(int i) { return FromTs(open_.slots[i].start_time()); }

  int64_t Booked(const std::string& slot) {
    return world_.QueryInt("SELECT booked FROM booking.slots WHERE id = " +
                           std::to_string(IdOf(slot)));
  }

  // Event types about one appointment, oldest first.
  std::string EventsOf(const v1::Appointment& a) {
    return world_.Query(
        "SELECT string_agg(type, ',' ORDER BY position) FROM events.log "
        "WHERE subject = '" +
        a.name() + "'");
  }

  v1::AppointmentStatus StatusOf(const v1::Appointment& a) {
    v1::Appointment now;
    grpc::Status s = world_.Get(a, &now);
    EXPECT_TRUE(RpcOk(s));
    return now.status();
  }

  std::vector<std::string> Listed(const std::string& desk) {
    absl::Time now = world_.clock().Now();
    std::vector<std::string> names;
    for (const v1::Slot& s : world_.ListAllSlots(desk, now, now + absl::Hours(24 * 60))) {
      names.push_back(s.name());
    }
    return names;
  }

  bool IsListed(const std::string& desk, const std::string& slot) {
    std::vector<std::string> names = Listed(desk);
    return std::find(names.begin(), names.end(), slot) != names.end();
  }

  BookingWorld world_;
  OpenedDesk open_;
};

TEST_F(LifecycleTest, BookedArrivedInServiceFulfilled) {
  v1::Appointment a, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(4), 1, &a)));
  EXPECT_EQ(a.status(), v1::BOOKED);
  EXPECT_EQ(a.channel(), v1::ONLINE);
  EXPECT_EQ(a.site(), open_.site.name());
  EXPECT_EQ(a.desk(), open_.desk.name());

  world_.clock().Set(StartOf(4) - absl::Minutes(10));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::MarkArrived, a.name(), &out)));
  EXPECT_EQ(out.status(), v1::ARRIVED);
  EXPECT_EQ(out.update_time().seconds(), absl::ToUnixSeconds(world_.clock().Now()));

  world_.clock().Set(StartOf(4) + absl::Minutes(2));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::StartService, a.name(), &out)));
  EXPECT_EQ(out.status(), v1::IN_SERVICE);

  world_.clock().Set(StartOf(4) + absl::Minutes(25));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::CompleteAppointment, a.name(), &out)));
  EXPECT_EQ(out.status(), v1::FULFILLED);
  EXPECT_EQ(out.update_time().seconds(), absl::ToUnixSeconds(world_.clock().Now()));
  EXPECT_EQ(out.reference(), a.reference());
  EXPECT_EQ(out.access_code(), a.access_code());

  EXPECT_EQ(StatusOf(a), v1::FULFILLED);
  EXPECT_EQ(world_.Query("SELECT status FROM booking.appointments WHERE id = " +
                         std::to_string(IdOf(a.name()))),
            "fulfilled");
  EXPECT_EQ(Booked(Slot(4)), 1);  // the place was used, not given back
  EXPECT_EQ(EventsOf(a),
            "appointment.booked,appointment.arrived,appointment.in_service,"
            "appointment.fulfilled");
  EXPECT_EQ(world_.Query("SELECT string_agg(payload->>'from_status', ',' ORDER BY position) "
                         "FROM events.log WHERE subject = '" +
                         a.name() + "' AND type <> 'appointment.booked'"),
            "booked,arrived,in_service");
}

TEST_F(LifecycleTest, IllegalTransitionsAreRefusedAndChangeNothing) {
  // One appointment in each state.
  v1::Appointment booked, arrived, cancelled, fulfilled, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(0), 1, &booked)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(1), 2, &arrived)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(2), 3, &cancelled)));
  ASSERT_TRUE(RpcOk(world_.Cancel(cancelled, &out)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(3), 4, &fulfilled)));
  // The morning of the appointments: arrivals are open for slots 1 and 3.
  ASSERT_TRUE(RpcOk(world_.ArriveOnTime(arrived, &out)));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::MarkArrived, fulfilled.name(), &out)));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::StartService, fulfilled.name(), &out)));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::CompleteAppointment, fulfilled.name(), &out)));
  // Past every start, so that no-show and cancel are refused for their state
  // and not for the time.
  world_.clock().Set(StartOf(5));

  const std::string before = world_.Query(
      "SELECT concat_ws(' ', (SELECT string_agg(concat_ws(',', id, status, update_time), ';' "
      "ORDER BY id) FROM booking.appointments), (SELECT count(*) FROM events.log), "
      "(SELECT sum(booked) FROM booking.slots), (SELECT count(*) FROM shared.requests))");

  struct Case {
    const char* what;
    v1::Appointment* appointment;
    TransitionMethod method;
  };
  const std::vector<Case> cases = {
      {"start booked", &booked, &Stub::StartService},
      {"complete booked", &booked, &Stub::CompleteAppointment},
      {"arrive arrived", &arrived, &Stub::MarkArrived},
      {"complete arrived", &arrived, &Stub::CompleteAppointment},
      {"no-show arrived", &arrived, &Stub::MarkNoShow},
      {"arrive cancelled", &cancelled, &Stub::MarkArrived},
      {"start cancelled", &cancelled, &Stub::StartService},
      {"complete cancelled", &cancelled, &Stub::CompleteAppointment},
      {"no-show cancelled", &cancelled, &Stub::MarkNoShow},
      {"arrive fulfilled", &fulfilled, &Stub::MarkArrived},
      {"start fulfilled", &fulfilled, &Stub::StartService},
      {"complete fulfilled", &fulfilled, &Stub::CompleteAppointment},
      {"no-show fulfilled", &fulfilled, &Stub::MarkNoShow},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(RpcFails(world_.Transition(c.method, c.appointment->name(), &out),
                         grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"))
        << c.what;
  }
  EXPECT_TRUE(RpcFails(world_.Cancel(arrived, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ILLEGAL_TRANSITION", "status"));
  EXPECT_TRUE(RpcFails(world_.Cancel(fulfilled, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ILLEGAL_TRANSITION", "status"));
  EXPECT_TRUE(RpcFails(world_.Cancel(cancelled, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ILLEGAL_TRANSITION", "status"));
  EXPECT_TRUE(RpcFails(world_.Reschedule(arrived, Slot(9), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  EXPECT_TRUE(RpcFails(world_.Transition(&Stub::MarkArrived, "appointments/999999", &out),
                       grpc::StatusCode::NOT_FOUND, "APPOINTMENT_NOT_FOUND", "name"));

  const std::string after = world_.Query(
      "SELECT concat_ws(' ', (SELECT string_agg(concat_ws(',', id, status, update_time), ';' "
      "ORDER BY id) FROM booking.appointments), (SELECT count(*) FROM events.log), "
      "(SELECT sum(booked) FROM booking.slots), (SELECT count(*) FROM shared.requests))");
  EXPECT_EQ(after, before);
  EXPECT_EQ(StatusOf(booked), v1::BOOKED);
  EXPECT_EQ(StatusOf(arrived), v1::ARRIVED);
  EXPECT_EQ(StatusOf(cancelled), v1::CANCELLED);
  EXPECT_EQ(StatusOf(fulfilled), v1::FULFILLED);
}

TEST_F(LifecycleTest, NoShowOnlyAfterTheStart) {
  v1::Appointment a, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(6), 1, &a)));
  world_.clock().Set(StartOf(6) - absl::Seconds(1));
  EXPECT_TRUE(RpcFails(world_.Transition(&Stub::MarkNoShow, a.name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "APPOINTMENT_NOT_STARTED", "name"));
  EXPECT_EQ(StatusOf(a), v1::BOOKED);

  world_.clock().Set(StartOf(6) + absl::Minutes(15));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::MarkNoShow, a.name(), &out)));
  EXPECT_EQ(out.status(), v1::NOSHOW);
  EXPECT_EQ(StatusOf(a), v1::NOSHOW);
  EXPECT_EQ(EventsOf(a), "appointment.booked,appointment.noshow");
  EXPECT_TRUE(RpcFails(world_.Transition(&Stub::MarkArrived, a.name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  EXPECT_EQ(Booked(Slot(6)), 1);
}

TEST_F(LifecycleTest, CancelIsRefusedOnceTheAppointmentStarted) {
  v1::Appointment late, early, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(7), 1, &late)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(8), 2, &early)));

  world_.clock().Set(StartOf(7));
  EXPECT_TRUE(RpcFails(world_.Cancel(late, &out, "", "trop tard"),
                       grpc::StatusCode::FAILED_PRECONDITION, "APPOINTMENT_STARTED", "reference"));
  EXPECT_EQ(StatusOf(late), v1::BOOKED);
  EXPECT_EQ(Booked(Slot(7)), 1);
  EXPECT_EQ(EventsOf(late), "appointment.booked");

  // One second before its start, the next one can still be cancelled, and
  // its place is offered again at once.
  world_.clock().Set(StartOf(8) - absl::Seconds(1));
  ASSERT_TRUE(RpcOk(world_.Cancel(early, &out, "", "empêchement")));
  EXPECT_EQ(out.status(), v1::CANCELLED);
  EXPECT_EQ(out.cancel_reason(), "empêchement");
  EXPECT_EQ(Booked(Slot(8)), 0);
  EXPECT_TRUE(IsListed(open_.desk.name(), Slot(8)));
  EXPECT_EQ(EventsOf(early), "appointment.booked,appointment.cancelled");
}

TEST_F(LifecycleTest, OneActiveAppointmentPerPersonAndDesk) {
  v1::Appointment first, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(0), 1, &first)));
  const int64_t persons = world_.QueryInt("SELECT count(*) FROM booking.persons");

  // Same person (same phone), another slot: refused, nothing kept.
  EXPECT_TRUE(RpcFails(world_.Book(Slot(1), 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ACTIVE_APPOINTMENT_EXISTS", "person"));
  // The phone typed the French way, with another e-mail, is the same person.
  v1::CreateAppointmentRequest national = BookingWorld::BookingRequest(Slot(2), 1);
  national.mutable_person()->set_phone("06 10 00 00 01");
  national.mutable_person()->set_email("autre.adresse@example.org");
  ASSERT_EQ(PhoneOf(1), "+33610000001");
  EXPECT_TRUE(RpcFails(world_.Book(national, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ACTIVE_APPOINTMENT_EXISTS", "person"));
  EXPECT_EQ(Booked(Slot(1)), 0);
  EXPECT_EQ(Booked(Slot(2)), 0);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.persons"), persons);

  // Without a phone, the e-mail (case-insensitive) identifies the person.
  v1::CreateAppointmentRequest by_mail = BookingWorld::BookingRequest(Slot(3), 50);
  by_mail.mutable_person()->clear_phone();
  by_mail.mutable_person()->set_email("Zoe.Martin@Example.ORG");
  ASSERT_TRUE(RpcOk(world_.Book(by_mail, &out)));
  EXPECT_EQ(out.person().email(), "zoe.martin@example.org");
  by_mail.set_slot(Slot(4));
  by_mail.mutable_person()->set_email("zoe.martin@example.org");
  EXPECT_TRUE(RpcFails(world_.Book(by_mail, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ACTIVE_APPOINTMENT_EXISTS", "person"));

  // Another desk is another queue.
  OpenedDesk other = world_.OpenDeskAt(open_.site, DeskOptions{});
  ASSERT_FALSE(other.slots.empty());
  v1::Appointment elsewhere;
  ASSERT_TRUE(RpcOk(world_.Book(other.slots[0].name(), 1, &elsewhere)));

  // Cancelled: allowed again.
  ASSERT_TRUE(RpcOk(world_.Cancel(first, &out)));
  v1::Appointment second;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(1), 1, &second)));
  // Still active while arrived and in service; allowed again once fulfilled.
  ASSERT_TRUE(RpcOk(world_.ArriveOnTime(second, &out)));
  EXPECT_TRUE(RpcFails(world_.Book(Slot(5), 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ACTIVE_APPOINTMENT_EXISTS", "person"));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::StartService, second.name(), &out)));
  EXPECT_TRUE(RpcFails(world_.Book(Slot(5), 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ACTIVE_APPOINTMENT_EXISTS", "person"));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::CompleteAppointment, second.name(), &out)));
  v1::Appointment third;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(5), 1, &third)));
  EXPECT_EQ(third.status(), v1::BOOKED);
  // A missed appointment does not block the next one either.
  world_.clock().Set(StartOf(5) + absl::Minutes(1));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::MarkNoShow, third.name(), &out)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(9), 1, &out)));

  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments a "
                            "WHERE a.desk_id = " +
                            std::to_string(IdOf(open_.desk.name())) +
                            " AND a.status IN ('booked', 'arrived', 'in_service') "
                            "AND a.person_key = (SELECT person_key FROM booking.appointments "
                            "WHERE id = " +
                            std::to_string(IdOf(first.name())) + ")"),
            1);
  EXPECT_EQ(world_.InconsistentSlots(), 0);
}

TEST_F(LifecycleTest, AgentOverrideIsAllowedAndRecorded) {
  v1::Appointment first, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(0), 1, &first)));

  v1::CreateAppointmentRequest agent = BookingWorld::BookingRequest(Slot(1), 1);
  agent.set_channel(v1::AGENT);
  EXPECT_TRUE(RpcFails(world_.Book(agent, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ACTIVE_APPOINTMENT_EXISTS", "person"));

  agent.set_override_reason("Convocation urgente du service des étrangers");
  v1::Appointment second;
  ASSERT_TRUE(RpcOk(world_.Book(agent, &second)));
  EXPECT_EQ(second.channel(), v1::AGENT);
  EXPECT_EQ(second.status(), v1::BOOKED);
  EXPECT_EQ(world_.Query("SELECT override_reason FROM booking.appointments WHERE id = " +
                         std::to_string(IdOf(second.name()))),
            "Convocation urgente du service des étrangers");
  EXPECT_EQ(world_.Query("SELECT channel FROM booking.appointments WHERE id = " +
                         std::to_string(IdOf(second.name()))),
            "agent");
  EXPECT_EQ(world_.Query("SELECT payload->>'override' FROM events.log WHERE subject = '" +
                         second.name() + "' AND type = 'appointment.booked'"),
            "true");
  EXPECT_EQ(world_.Query("SELECT payload->>'override' FROM events.log WHERE subject = '" +
                         first.name() + "' AND type = 'appointment.booked'"),
            "false");
  EXPECT_EQ(StatusOf(first), v1::BOOKED);

  // Only an agent may override.
  const int64_t appointments = world_.QueryInt("SELECT count(*) FROM booking.appointments");
  v1::CreateAppointmentRequest online = BookingWorld::BookingRequest(Slot(2), 2);
  online.set_override_reason("je suis pressé");
  EXPECT_TRUE(RpcFails(world_.Book(online, &out), grpc::StatusCode::INVALID_ARGUMENT,
                       "OVERRIDE_NOT_ALLOWED", "override_reason"));
  online.set_channel(v1::CONVOCATION);
  EXPECT_TRUE(RpcFails(world_.Book(online, &out), grpc::StatusCode::INVALID_ARGUMENT,
                       "OVERRIDE_NOT_ALLOWED", "override_reason"));
  online.set_channel(v1::CHANNEL_UNSPECIFIED);  // read as ONLINE
  EXPECT_TRUE(RpcFails(world_.Book(online, &out), grpc::StatusCode::INVALID_ARGUMENT,
                       "OVERRIDE_NOT_ALLOWED", "override_reason"));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments"), appointments);
  EXPECT_EQ(Booked(Slot(2)), 0);
}

TEST_F(LifecycleTest, NoBookingInThePast) {
  v1::Appointment out;
  world_.clock().Set(StartOf(3));  // exactly the start
  EXPECT_TRUE(RpcFails(world_.Book(Slot(3), 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "SLOT_IN_PAST", "slot"));
  world_.clock().Set(StartOf(3) + absl::Minutes(40));
  EXPECT_TRUE(RpcFails(world_.Book(Slot(3), 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "SLOT_IN_PAST", "slot"));
  EXPECT_TRUE(RpcFails(world_.Book(Slot(0), 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "SLOT_IN_PAST", "slot"));
  EXPECT_FALSE(IsListed(open_.desk.name(), Slot(3)));
  EXPECT_FALSE(IsListed(open_.desk.name(), Slot(0)));
  EXPECT_TRUE(IsListed(open_.desk.name(), Slot(5)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(5), 1, &out)));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments"), 1);
  EXPECT_EQ(world_.QueryInt("SELECT sum(booked) FROM booking.slots"), 1);
}

TEST_F(LifecycleTest, NoBookingBeforeTheRelease) {
  v1::Desk desk;
  ASSERT_TRUE(RpcOk(world_.CreateDesk(open_.site.name(), 30, 1, &desk)));
  ASSERT_TRUE(RpcOk(world_.SetHours(desk.name(), {Range(3, 9, 0, 11, 0)})));  // Wednesdays
  const absl::Time release = world_.clock().Now() + absl::Hours(2);
  v1::ReleaseSlotsResponse released;
  ASSERT_TRUE(RpcOk(world_.Release(desk.name(), absl::CivilDay(2026, 6, 3),
                                   absl::CivilDay(2026, 6, 10), &released, release)));
  EXPECT_EQ(released.created_slot_count(), 8);
  EXPECT_EQ(FromTs(released.release_time()), release);

  // Not offered and not bookable yet.
  EXPECT_TRUE(Listed(desk.name()).empty());
  const std::string slot =
      world_.Query("SELECT 'slots/' || min(id) FROM booking.slots WHERE desk_id = " +
                   std::to_string(IdOf(desk.name())));
  v1::Appointment out;
  EXPECT_TRUE(RpcFails(world_.Book(slot, 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "SLOT_NOT_RELEASED", "slot"));
  world_.clock().Set(release - absl::Seconds(1));
  EXPECT_TRUE(Listed(desk.name()).empty());
  EXPECT_TRUE(RpcFails(world_.Book(slot, 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "SLOT_NOT_RELEASED", "slot"));
  EXPECT_EQ(world_.QueryInt("SELECT sum(booked) FROM booking.slots WHERE desk_id = " +
                            std::to_string(IdOf(desk.name()))),
            0);

  // From the release instant on, offered and bookable.
  world_.clock().Set(release);
  EXPECT_EQ(Listed(desk.name()).size(), 8u);
  ASSERT_TRUE(RpcOk(world_.Book(slot, 1, &out)));
  EXPECT_EQ(out.slot(), slot);
  EXPECT_EQ(Listed(desk.name()).size(), 7u);

  // A release window draws the instant in [release_time, release_time + window).
  v1::Desk windowed;
  ASSERT_TRUE(RpcOk(world_.CreateDesk(open_.site.name(), 30, 1, &windowed)));
  ASSERT_TRUE(RpcOk(world_.SetHours(windowed.name(), {Range(4, 9, 0, 10, 0)})));  // Thursdays
  v1::ReleaseSlotsRequest req;
  req.set_desk(windowed.name());
  *req.mutable_start_date() = Date(2026, 6, 4);
  *req.mutable_end_date() = Date(2026, 6, 4);
  const absl::Time from = world_.clock().Now() + absl::Hours(1);
  *req.mutable_release_time() = Ts(from);
  req.mutable_release_window()->set_seconds(3600);
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::ReleaseSlots, req, &released)));
  EXPECT_EQ(released.created_slot_count(), 2);
  const absl::Time drawn = FromTs(released.release_time());
  EXPECT_GE(drawn, from);
  EXPECT_LT(drawn, from + absl::Hours(1));
  EXPECT_EQ(
      world_.QueryInt("SELECT count(*) FROM booking.slots WHERE desk_id = " +
                      std::to_string(IdOf(windowed.name())) + " AND release_time = to_timestamp(" +
                      std::to_string(absl::ToUnixSeconds(drawn)) + ")"),
      2);
  world_.clock().Set(drawn - absl::Seconds(1));
  EXPECT_TRUE(Listed(windowed.name()).empty());
  world_.clock().Set(drawn);
  EXPECT_EQ(Listed(windowed.name()).size(), 2u);
}

TEST_F(LifecycleTest, NoBookingOnAClosedDay) {
  v1::Appointment kept, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(0), 1, &kept)));  // cancelled by the closure

  // The desk closes on Tuesday 2026-06-02 after its slots were released.
  v1::OpeningHours hours;
  ASSERT_TRUE(RpcOk(
      world_.SetHours(open_.desk.name(), {Range(2, 9, 0, 19, 0)}, {Date(2026, 6, 2)}, &hours)));
  ASSERT_EQ(hours.closures_size(), 1);
  EXPECT_EQ(DateText(hours.closures(0).date()), "2026-06-02");

  EXPECT_TRUE(RpcFails(world_.Book(Slot(3), 2, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "DESK_CLOSED", "slot"));
  EXPECT_TRUE(Listed(open_.desk.name()).empty());
  EXPECT_EQ(Booked(Slot(3)), 0);
  // What was booked that day is cancelled (cause closure, actor system),
  // its place given back (reception_test.cc covers the details).
  EXPECT_EQ(StatusOf(kept), v1::CANCELLED);
  EXPECT_EQ(Booked(Slot(0)), 0);

  // A later release skips the closed days.
  ASSERT_TRUE(RpcOk(world_.SetHours(open_.desk.name(), {Range(2, 9, 0, 19, 0)},
                                    {Date(2026, 6, 2), Date(2026, 6, 9)})));
  v1::ReleaseSlotsResponse released;
  ASSERT_TRUE(RpcOk(world_.Release(open_.desk.name(), absl::CivilDay(2026, 6, 2),
                                   absl::CivilDay(2026, 6, 16), &released)));
  EXPECT_EQ(released.created_slot_count(), 20);  // 2026-06-16 only
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.slots WHERE local_date = '2026-06-09'"),
            0);
  std::vector<std::string> listed = Listed(open_.desk.name());
  EXPECT_EQ(listed.size(), 20u);
  // Moving into the closed day is refused as well.
  ASSERT_FALSE(listed.empty());
  v1::Appointment later;
  ASSERT_TRUE(RpcOk(world_.Book(listed.front(), 1, &later)));
  EXPECT_TRUE(RpcFails(world_.Reschedule(later, Slot(3), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "DESK_CLOSED", "new_slot"));

  // Reopened: bookable again.
  ASSERT_TRUE(RpcOk(world_.SetHours(open_.desk.name(), {Range(2, 9, 0, 19, 0)})));
  EXPECT_TRUE(IsListed(open_.desk.name(), Slot(3)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(3), 2, &out)));
}

TEST_F(LifecycleTest, EveryChangeIsLoggedWithoutPersonalData) {
  v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(Slot(2), 0);
  req.mutable_person()->set_given_name("Eulalie");
  req.mutable_person()->set_family_name("Quennevillard");
  req.mutable_person()->set_email("Eulalie.Quennevillard@exemple.fr");
  req.mutable_person()->set_phone("06 98 76 54 32");
  req.mutable_person()->set_preferred_language("en");
  req.mutable_accessibility()->set_need(v1::WHEELCHAIR);
  req.mutable_accessibility()->set_note("Fauteuil électrique large");
  req.set_companions(2);
  v1::Appointment a, out;
  ASSERT_TRUE(RpcOk(world_.Book(req, &a)));
  EXPECT_EQ(a.person().phone(), "+33698765432");
  EXPECT_EQ(a.person().email(), "eulalie.quennevillard@exemple.fr");
  EXPECT_EQ(a.person().preferred_language(), "en");
  EXPECT_EQ(a.accessibility().need(), v1::WHEELCHAIR);
  EXPECT_EQ(a.accessibility().note(), "Fauteuil électrique large");
  EXPECT_EQ(a.companions(), 2);
  ASSERT_TRUE(RpcOk(world_.Reschedule(a, Slot(6), &out)));
  ASSERT_TRUE(RpcOk(world_.Cancel(a, &out, "", "Rendez-vous chez Maître Quennevillard")));

  v1::CreateAppointmentRequest agent = BookingWorld::BookingRequest(Slot(9), 0);
  *agent.mutable_person() = req.person();
  agent.set_channel(v1::AGENT);
  agent.set_override_reason("Dossier Quennevillard prioritaire");
  v1::Appointment b;
  ASSERT_TRUE(RpcOk(world_.Book(agent, &b)));
  ASSERT_TRUE(RpcOk(world_.ArriveOnTime(b, &out)));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::StartService, b.name(), &out)));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::CompleteAppointment, b.name(), &out)));

  // One event per change, in order, the administration first.
  EXPECT_EQ(world_.Query("SELECT string_agg(type, ',' ORDER BY position) FROM events.log"),
            "site.created,desk.created,desk.hours_changed,slots.released,"
            "appointment.booked,appointment.rescheduled,appointment.cancelled,"
            "appointment.booked,appointment.arrived,appointment.in_service,"
            "appointment.fulfilled");
  EXPECT_EQ(
      world_.Query("SELECT string_agg(subject, ',' ORDER BY position) FROM events.log "
                   "WHERE type LIKE 'appointment.%'"),
      absl::StrJoin({a.name(), a.name(), a.name(), b.name(), b.name(), b.name(), b.name()}, ","));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE site_id = " +
                            std::to_string(IdOf(open_.site.name()))),
            11);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE source <> 'booking'"), 0);
  // Booked on June 1st, arrived and served on the day.
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE occurred_time <> "
                            "to_timestamp(" +
                            std::to_string(absl::ToUnixSeconds(kJune1)) + ")"),
            3);

  // Nothing the person told us, and no secret, is in the log.
  const std::string log = world_.Query(
      "SELECT lower(string_agg(concat_ws(' ', type, source, subject, payload::text), ' ')) "
      "FROM events.log");
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(absl::StrContains(log, "appointment.cancelled"));  // the text is there
  for (const std::string& secret :
       {std::string("eulalie"), std::string("quennevillard"), std::string("exemple.fr"),
        std::string("698765432"), std::string("98 76 54 32"), std::string("fauteuil"),
        std::string("maître"), std::string("prioritaire"), absl::AsciiStrToLower(a.access_code()),
        absl::AsciiStrToLower(b.access_code()), absl::AsciiStrToLower(a.check_in_token())}) {
    EXPECT_FALSE(absl::StrContains(log, secret)) << "events.log holds \"" << secret << "\"";
  }
}

}  // namespace
}  // namespace accueil::testing
