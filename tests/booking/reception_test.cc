// What booking does for the reception module: the arrival window and late
// arrivals, not served, undoing a no-show, rebooking in one call, closures
// cancelling the day, the sweep of no-shows, and the lodge's day list with
// its forgiving search. Reception calls as a service acting for an agent
// (BookingWorld::CallAsService).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

using Stub = v1::BookingService::Stub;

class ReceptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DeskOptions options;
    options.last = absl::CivilDay(2026, 6, 9);  // Tuesdays June 2 and 9
    open_ = world_.OpenDesk(options);
    ASSERT_EQ(open_.slots.size(), 40u);
  }

  // Slot i of June 2 (0-19) or of June 9 (20-39).
  const v1::Slot& Slot(int i) { return open_.slots[i]; }
  absl::Time StartOf(const v1::Appointment& a) { return FromTs(a.start_time()); }

  grpc::Status Arrive(const v1::Appointment& a, v1::Appointment* out, bool late_accepted = false,
                      const std::string& agent = "", const std::string& reason = "",
                      std::optional<absl::Duration> grace = std::nullopt) {
    v1::TransitionAppointmentRequest req;
    req.set_name(a.name());
    req.set_late_accepted(late_accepted);
    if (grace) req.mutable_grace_period()->set_seconds(absl::ToInt64Seconds(*grace));
    return world_.CallAsService(&Stub::MarkArrived, req, out, agent, reason);
  }

  grpc::Status CheckIn(const v1::Appointment& a, v1::Appointment* out, bool late_accepted = false,
                       const std::string& agent = "", const std::string& reason = "") {
    v1::CheckInAppointmentRequest req;
    req.set_check_in_token(a.check_in_token());
    req.set_late_accepted(late_accepted);
    return world_.CallAsService(&Stub::CheckInAppointment, req, out, agent, reason);
  }

  std::string Status(const v1::Appointment& a) {
    return world_.Query("SELECT status FROM booking.appointments WHERE id = " +
                        std::to_string(IdOf(a.name())));
  }

  // The payload of the last event of `type` about `a`, as text.
  std::string LastEvent(const v1::Appointment& a, const std::string& type) {
    return world_.Query("SELECT payload::text FROM events.log WHERE subject = '" + a.name() +
                        "' AND type = '" + type + "' ORDER BY position DESC LIMIT 1");
  }

  std::string Field(const v1::Appointment& a, const std::string& type, const std::string& key) {
    return world_.Query("SELECT payload->>'" + key + "' FROM events.log WHERE subject = '" +
                        a.name() + "' AND type = '" + type + "' ORDER BY position DESC LIMIT 1");
  }

  // Everything a refused call must leave alone.
  std::string Snapshot() {
    return world_.Query(
        "SELECT concat_ws(' ', (SELECT string_agg(concat_ws(',', id, status, update_time), ';' "
        "ORDER BY id) FROM booking.appointments), (SELECT count(*) FROM events.log), "
        "(SELECT sum(booked) FROM booking.slots), (SELECT count(*) FROM booking.persons))");
  }

  BookingWorld world_;
  OpenedDesk open_;
};

TEST_F(ReceptionTest, ArrivalsOnlyOnTheDayFromTwoHoursBeforeTheSlot) {
  v1::Appointment a, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(8).name(), 1, &a)));  // 11:00Z, 13:00 in Paris
  const std::string before = Snapshot();
  // The day before (kJune1), and the day after.
  EXPECT_TRUE(RpcFails(Arrive(a, &out), grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_OTHER_DAY",
                       "name"));
  EXPECT_TRUE(RpcFails(CheckIn(a, &out), grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_OTHER_DAY",
                       "check_in_token"));
  // The same day, but more than two hours before.
  world_.clock().Set(StartOf(a) - absl::Hours(2) - absl::Seconds(1));
  EXPECT_TRUE(RpcFails(Arrive(a, &out), grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_TOO_EARLY",
                       "name"));
  EXPECT_TRUE(RpcFails(CheckIn(a, &out), grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_TOO_EARLY",
                       "check_in_token"));
  EXPECT_EQ(Snapshot(), before);
  world_.clock().Set(StartOf(a) - absl::Hours(2));
  ASSERT_TRUE(RpcOk(CheckIn(a, &out)));
  EXPECT_EQ(out.status(), v1::ARRIVED);
  EXPECT_EQ(Field(a, "appointment.arrived", "late"), "false");

  // The day after: refused even with an agent's decision.
  v1::Appointment b;
  world_.clock().Set(kJune1);
  ASSERT_TRUE(RpcOk(world_.Book(Slot(9).name(), 2, &b)));
  world_.clock().Set(absl::FromCivil(absl::CivilSecond(2026, 6, 3, 8, 0, 0), absl::UTCTimeZone()));
  EXPECT_TRUE(RpcFails(Arrive(b, &out, true, "lodge-1", "Venu le lendemain"),
                       grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_OTHER_DAY", "name"));
  EXPECT_EQ(Status(b), "booked");
}

TEST_F(ReceptionTest, ALateArrivalNeedsAnAgentsDecisionWithAReason) {
  v1::Appointment a, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(4).name(), 1, &a)));
  // Later than the default grace period (15 minutes).
  const std::string before = Snapshot();
  world_.clock().Set(StartOf(a) + absl::Minutes(15) + absl::Seconds(1));
  EXPECT_TRUE(
      RpcFails(Arrive(a, &out), grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_LATE", "name"));
  EXPECT_TRUE(RpcFails(CheckIn(a, &out), grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_LATE",
                       "check_in_token"));
  // The desk's own grace period, from reception's settings.
  EXPECT_TRUE(RpcFails(Arrive(a, &out, false, "", "", absl::Minutes(10)),
                       grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_LATE", "name"));
  // A decision needs the agent and their reason.
  EXPECT_TRUE(RpcFails(Arrive(a, &out, true), grpc::StatusCode::INVALID_ARGUMENT,
                       "ACTING_AGENT_REQUIRED", "x-acting-agent"));
  EXPECT_TRUE(RpcFails(Arrive(a, &out, true, "lodge-1"), grpc::StatusCode::INVALID_ARGUMENT,
                       "AGENT_REASON_REQUIRED", "x-agent-reason"));
  EXPECT_TRUE(RpcFails(CheckIn(a, &out, true, "lodge-1"), grpc::StatusCode::INVALID_ARGUMENT,
                       "AGENT_REASON_REQUIRED", "x-agent-reason"));
  // Bad grace periods.
  for (absl::Duration bad : {absl::Seconds(-1), absl::Hours(25)}) {
    EXPECT_TRUE(RpcFails(Arrive(a, &out, false, "", "", bad), grpc::StatusCode::INVALID_ARGUMENT,
                         "INVALID_GRACE_PERIOD", "grace_period"));
  }
  EXPECT_EQ(Snapshot(), before);

  // A longer grace period admits the person without a decision...
  ASSERT_TRUE(RpcOk(Arrive(a, &out, false, "", "", absl::Minutes(30))));
  EXPECT_EQ(Field(a, "appointment.arrived", "late"), "false");

  // ... and a decision admits a late one; the audit record says who and why.
  v1::Appointment b;
  world_.clock().Set(kJune1);
  ASSERT_TRUE(RpcOk(world_.Book(Slot(5).name(), 2, &b)));
  world_.clock().Set(StartOf(b) + absl::Hours(1));
  ASSERT_TRUE(RpcOk(CheckIn(b, &out, true, "lodge-agent-7", "Bus en retard, vu à la loge")));
  EXPECT_EQ(out.status(), v1::ARRIVED);
  EXPECT_EQ(Field(b, "appointment.arrived", "late"), "true");
  EXPECT_EQ(Field(b, "appointment.arrived", "late_accepted"), "true");
  EXPECT_EQ(Field(b, "appointment.arrived", "undid_noshow"), "false");
  EXPECT_EQ(Field(b, "appointment.arrived", "actor"), "service");
  world_.server().AwaitAudit();
  EXPECT_EQ(world_.Query("SELECT concat_ws('|', acting_for, reason, outcome) "
                         "FROM access.audit_log WHERE method LIKE '%.CheckInAppointment' "
                         "AND resource = '" +
                         b.name() + "'"),
            "lodge-agent-7|Bus en retard, vu à la loge|OK");
  // The event holds no personal data: neither the agent nor the reason.
  EXPECT_EQ(LastEvent(b, "appointment.arrived").find("lodge-agent-7"), std::string::npos);
  EXPECT_EQ(LastEvent(b, "appointment.arrived").find("retard"), std::string::npos);
}

TEST_F(ReceptionTest, ANoShowIsUndoneOnItsDayByADecisionAndStaysFinalAfter) {
  v1::Appointment a, b, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(2).name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(3).name(), 2, &b)));
  world_.clock().Set(StartOf(b) + absl::Minutes(30));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::MarkNoShow, a.name(), &out)));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::MarkNoShow, b.name(), &out)));
  // Without a decision a no-show stays final.
  EXPECT_TRUE(RpcFails(Arrive(a, &out), grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION",
                       "status"));
  // The person came after all, the same day.
  world_.clock().Set(absl::FromCivil(absl::CivilSecond(2026, 6, 2, 15, 0, 0), absl::UTCTimeZone()));
  ASSERT_TRUE(RpcOk(Arrive(a, &out, true, "lodge-1", "Arrivée tardive, dossier complet")));
  EXPECT_EQ(out.status(), v1::ARRIVED);
  EXPECT_EQ(Field(a, "appointment.arrived", "from_status"), "noshow");
  EXPECT_EQ(Field(a, "appointment.arrived", "undid_noshow"), "true");
  EXPECT_EQ(Field(a, "appointment.arrived", "late_accepted"), "true");
  // The next day: too late.
  world_.clock().Set(absl::FromCivil(absl::CivilSecond(2026, 6, 3, 7, 0, 0), absl::UTCTimeZone()));
  EXPECT_TRUE(RpcFails(Arrive(b, &out, true, "lodge-1", "Revenu le lendemain"),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  EXPECT_EQ(Status(b), "noshow");
}

TEST_F(ReceptionTest, AnArrivedPersonNotServedEndsWithItsCause) {
  v1::Appointment a, b, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(2).name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(3).name(), 2, &b)));
  v1::MarkNotServedRequest req;
  req.set_name(a.name());
  req.set_cause(v1::MISSED_CALLS);
  // From booked: illegal.
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::MarkNotServed, req, &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  ASSERT_TRUE(RpcOk(world_.ArriveOnTime(a, &out)));
  req.set_cause(v1::NOT_SERVED_CAUSE_UNSPECIFIED);
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::MarkNotServed, req, &out),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CAUSE", "cause"));
  // Agents go through reception.
  auto lodge = world_.server().BookingStub(world_.server().StaffToken());
  req.set_cause(v1::MISSED_CALLS);
  EXPECT_TRUE(RpcFails(CallOn(*lodge, &Stub::MarkNotServed, req, &out, "r"),
                       grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::MarkNotServed, req, &out)));
  EXPECT_EQ(out.status(), v1::NOT_SERVED);
  EXPECT_EQ(Status(a), "not_served");
  EXPECT_EQ(Field(a, "appointment.not_served", "cause"), "missed_calls");
  EXPECT_EQ(Field(a, "appointment.not_served", "from_status"), "arrived");
  // Final: nothing moves it, and the person may book again.
  EXPECT_TRUE(RpcFails(world_.Transition(&Stub::StartService, a.name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  v1::Appointment again;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(25).name(), 1, &again)));
  EXPECT_EQ(world_.InconsistentSlots(), 0);
}

TEST_F(ReceptionTest, RebookingEndsTheVisitAndBooksTheSamePersonInOneCall) {
  v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(Slot(2).name(), 1);
  req.mutable_accessibility()->set_need(v1::WHEELCHAIR);
  req.mutable_accessibility()->set_note("Fauteuil");
  req.set_companions(1);
  req.mutable_person()->set_preferred_language("ar");
  v1::Appointment a, b, out;
  ASSERT_TRUE(RpcOk(world_.Book(req, &a)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(3).name(), 2, &b)));
  // Another site's slot, and a full slot of this desk, for the refusals;
  // another desk of the site, for a rebooking there.
  OpenedDesk other = world_.OpenDesk(DeskOptions{});
  OpenedDesk second_desk = world_.OpenDeskAt(open_.site, DeskOptions{});
  v1::Appointment taker;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(30).name(), 3, &taker)));

  ASSERT_TRUE(RpcOk(world_.ArriveOnTime(a, &out)));
  v1::RebookAppointmentRequest rebook;
  rebook.set_name(a.name());
  rebook.set_new_slot(Slot(25).name());
  rebook.set_cause(v1::FILE_INCOMPLETE);
  rebook.set_request_id("rebook-a");
  // File incomplete needs the person in service.
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::RebookAppointment, rebook, &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::StartService, a.name(), &out)));
  // The ordinary rule refuses a second appointment at this desk...
  EXPECT_TRUE(RpcFails(world_.Book(Slot(26).name(), 1, &out), grpc::StatusCode::FAILED_PRECONDITION,
                       "ACTIVE_APPOINTMENT_EXISTS", "person"));
  const std::string before = Snapshot();
  rebook.set_request_id("rebook-refused-1");
  rebook.set_new_slot(other.slots[5].name());
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::RebookAppointment, rebook, &out),
                       grpc::StatusCode::INVALID_ARGUMENT, "SLOT_OTHER_SITE", "new_slot"));
  rebook.set_new_slot(Slot(30).name());
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::RebookAppointment, rebook, &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "SLOT_FULL", "new_slot"));
  rebook.set_new_slot(Slot(0).name());  // started already
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::RebookAppointment, rebook, &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "SLOT_IN_PAST", "new_slot"));
  rebook.set_new_slot(Slot(25).name());
  rebook.set_cause(v1::REBOOK_CAUSE_UNSPECIFIED);
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::RebookAppointment, rebook, &out),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CAUSE", "cause"));
  EXPECT_EQ(Snapshot(), before);

  // ... the rebooking does not.
  rebook.set_cause(v1::FILE_INCOMPLETE);
  rebook.set_request_id("rebook-a");
  v1::Appointment next;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::RebookAppointment, rebook, &next)));
  EXPECT_NE(next.name(), a.name());
  EXPECT_EQ(next.status(), v1::BOOKED);
  EXPECT_EQ(next.slot(), Slot(25).name());
  EXPECT_EQ(next.channel(), v1::AGENT);
  EXPECT_EQ(next.person().family_name(), a.person().family_name());
  EXPECT_EQ(next.person().phone(), a.person().phone());
  EXPECT_EQ(next.person().preferred_language(), "ar");
  EXPECT_EQ(next.accessibility().need(), v1::WHEELCHAIR);
  EXPECT_EQ(next.accessibility().note(), "Fauteuil");
  EXPECT_EQ(next.companions(), 1);
  EXPECT_FALSE(next.access_code().empty());
  EXPECT_FALSE(next.check_in_token().empty());
  EXPECT_NE(next.reference(), a.reference());
  EXPECT_EQ(Status(a), "fulfilled");
  EXPECT_EQ(Field(a, "appointment.fulfilled", "outcome"), "file_incomplete");
  EXPECT_EQ(Field(next, "appointment.booked", "rebooked_from"), std::to_string(IdOf(a.name())));
  // The person can see it with the new code.
  ASSERT_TRUE(RpcOk(world_.Get(next, &out)));
  // A retry returns the same new appointment and books nothing more.
  const std::string after = Snapshot();
  v1::Appointment replay;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::RebookAppointment, rebook, &replay)));
  EXPECT_EQ(replay.name(), next.name());
  EXPECT_EQ(replay.access_code(), next.access_code());
  EXPECT_EQ(Snapshot(), after);

  // Rebooked at closing: from arrived to not served, at another desk of the site.
  ASSERT_TRUE(RpcOk(Arrive(b, &out)));
  rebook.set_name(b.name());
  rebook.set_new_slot(second_desk.slots[19].name());
  rebook.set_cause(v1::REBOOKED_AT_CLOSING);
  rebook.set_request_id("rebook-b");
  v1::Appointment b2;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::RebookAppointment, rebook, &b2)));
  EXPECT_EQ(b2.desk(), second_desk.desk.name());
  EXPECT_EQ(Status(b), "not_served");
  EXPECT_EQ(Field(b, "appointment.not_served", "cause"), "rebooked_at_closing");
  EXPECT_EQ(world_.InconsistentSlots(), 0);
}

TEST_F(ReceptionTest, ClosingADayCancelsItsBookedAppointments) {
  v1::Appointment a, b, c, out;
  ASSERT_TRUE(RpcOk(world_.Book(Slot(2).name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(7).name(), 2, &b)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(22).name(), 3, &c)));  // June 9: stays
  ASSERT_TRUE(RpcOk(world_.SetHours(open_.desk.name(), {Range(2, 9, 0, 19, 0)},
                                    {Date(2026, 6, 2), Date(2026, 12, 25)})));
  EXPECT_EQ(Status(a), "cancelled");
  EXPECT_EQ(Status(b), "cancelled");
  EXPECT_EQ(Status(c), "booked");
  EXPECT_EQ(Field(a, "appointment.cancelled", "cause"), "closure");
  EXPECT_EQ(Field(a, "appointment.cancelled", "actor"), "system");
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.slots WHERE booked > 0"), 1);
  EXPECT_EQ(world_.InconsistentSlots(), 0);
  // Setting the same closures again cancels nothing more.
  const std::string before = world_.Query("SELECT count(*) FROM events.log");
  ASSERT_TRUE(RpcOk(world_.SetHours(open_.desk.name(), {Range(2, 9, 0, 19, 0)},
                                    {Date(2026, 6, 2), Date(2026, 12, 25)})));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log"), std::stoll(before) + 1);
  // The sweep finds nothing on a closed day.
  world_.clock().Set(absl::FromCivil(absl::CivilSecond(2026, 6, 2, 20, 0, 0), absl::UTCTimeZone()));
  v1::SweepNoShowsRequest sweep;
  sweep.set_desk(open_.desk.name());
  *sweep.mutable_date() = Date(2026, 6, 2);
  v1::SweepNoShowsResponse swept;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::SweepNoShows, sweep, &swept)));
  EXPECT_EQ(swept.marked_count(), 0);
}

// The closed day is the site's local day, also on the days the clocks
// change and in another zone.
TEST(ReceptionClosures, TheDayClosedIsTheSitesLocalDayAcrossDaylightSavingAndZones) {
  BookingWorld world(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 8, 0, 0), absl::UTCTimeZone()));
  DeskOptions paris;
  paris.weekly = {Range(7, 0, 0, 4, 0)};  // Sundays 00:00-04:00 local, across the change
  paris.first = absl::CivilDay(2026, 3, 28);
  paris.last = absl::CivilDay(2026, 10, 26);
  OpenedDesk desk = world.OpenDesk(paris);
  // Book the first slot of each Sunday around the changes, and the last.
  std::map<std::string, std::vector<v1::Appointment>> booked;
  int person = 1;
  for (const v1::Slot& slot : desk.slots) {
    const std::string day = DateText(slot.local_date());
    if (day != "2026-03-29" && day != "2026-10-25" && day != "2026-04-05") continue;
    v1::Appointment a;
    ASSERT_TRUE(RpcOk(world.Book(slot.name(), person++, &a)));
    booked[day].push_back(a);
  }
  ASSERT_EQ(booked["2026-03-29"].size(), 6u);   // 00:00-04:00 less the missing hour
  ASSERT_EQ(booked["2026-10-25"].size(), 10u);  // and one more hour
  ASSERT_TRUE(RpcOk(
      world.SetHours(desk.desk.name(), paris.weekly, {Date(2026, 3, 29), Date(2026, 10, 25)})));
  auto status = [&](const v1::Appointment& a) {
    return world.Query("SELECT status FROM booking.appointments WHERE id = " +
                       std::to_string(IdOf(a.name())));
  };
  for (const std::string day : {"2026-03-29", "2026-10-25"}) {
    for (const v1::Appointment& a : booked[day]) EXPECT_EQ(status(a), "cancelled") << day;
  }
  for (const v1::Appointment& a : booked["2026-04-05"]) EXPECT_EQ(status(a), "booked");

  // Nouméa (UTC+11): 08:00 local on June 2 is 21:00Z on June 1.
  DeskOptions noumea;
  noumea.time_zone = "Pacific/Noumea";
  noumea.weekly = {Range(2, 8, 0, 9, 0)};
  noumea.first = absl::CivilDay(2026, 6, 2);
  noumea.last = absl::CivilDay(2026, 6, 2);
  world.clock().Set(kJune1 - absl::Hours(24));
  OpenedDesk far = world.OpenDesk(noumea);
  ASSERT_EQ(far.slots.size(), 2u);
  EXPECT_EQ(Utc(far.slots[0].start_time()), "2026-06-01T21:00:00Z");
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world.Book(far.slots[0].name(), 100, &a)));
  ASSERT_TRUE(RpcOk(world.SetHours(far.desk.name(), noumea.weekly, {Date(2026, 6, 1)})));
  EXPECT_EQ(status(a), "booked");  // June 1 in UTC, not in Nouméa
  ASSERT_TRUE(RpcOk(world.SetHours(far.desk.name(), noumea.weekly, {Date(2026, 6, 2)})));
  EXPECT_EQ(status(a), "cancelled");
}

TEST_F(ReceptionTest, TheSweepMarksOnceAfterTheGracePeriodNeverAheadOfTime) {
  std::vector<v1::Appointment> a(4);
  v1::Appointment out;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(RpcOk(world_.Book(Slot(i * 2).name(), i + 1, &a[i])));
  // a[1] arrives; a[0] (07:00-07:30Z) and a[2] (09:00-09:30Z) are missed;
  // at 10:40Z, a[3] (10:00-10:30Z) is not yet 15 minutes over.
  world_.clock().Set(StartOf(a[1]) - absl::Minutes(5));
  ASSERT_TRUE(RpcOk(Arrive(a[1], &out)));
  world_.clock().Set(FromTs(a[3].end_time()) + absl::Minutes(10));
  v1::SweepNoShowsRequest sweep;
  sweep.set_desk(open_.desk.name());
  *sweep.mutable_date() = Date(2026, 6, 2);
  sweep.set_request_id("sweep-1");
  v1::SweepNoShowsResponse swept;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::SweepNoShows, sweep, &swept)));
  EXPECT_EQ(swept.marked_count(), 2);
  EXPECT_EQ(absl::StrJoin(swept.appointments(), ","), a[0].name() + "," + a[2].name());
  EXPECT_EQ(Field(a[0], "appointment.noshow", "cause"), "sweep");
  EXPECT_EQ(Field(a[0], "appointment.noshow", "actor"), "service");
  // The same request replays its answer; a new one marks nothing more.
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::SweepNoShows, sweep, &swept)));
  EXPECT_EQ(swept.marked_count(), 2);
  sweep.set_request_id("sweep-2");
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::SweepNoShows, sweep, &swept)));
  EXPECT_EQ(swept.marked_count(), 0);
  EXPECT_EQ(Status(a[3]), "booked");
  // Past the grace period, a[3] too; a custom grace period is respected.
  world_.clock().Set(FromTs(a[3].end_time()) + absl::Minutes(15));
  sweep.set_request_id("sweep-3");
  sweep.mutable_grace_period()->set_seconds(16 * 60);
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::SweepNoShows, sweep, &swept)));
  EXPECT_EQ(swept.marked_count(), 0);
  sweep.clear_grace_period();
  sweep.set_request_id("sweep-4");
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::SweepNoShows, sweep, &swept)));
  EXPECT_EQ(swept.marked_count(), 1);
  EXPECT_EQ(Status(a[1]), "arrived");
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE type = 'appointment.noshow'"),
            3);

  // Refusals.
  const std::string before = Snapshot();
  sweep.set_request_id("sweep-5");
  *sweep.mutable_date() = Date(2026, 6, 3);
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::SweepNoShows, sweep, &swept),
                       grpc::StatusCode::INVALID_ARGUMENT, "DATE_IN_FUTURE", "date"));
  *sweep.mutable_date() = Date(2026, 2, 30);
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::SweepNoShows, sweep, &swept),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_DATE", "date"));
  *sweep.mutable_date() = Date(2026, 6, 2);
  sweep.mutable_grace_period()->set_seconds(-5);
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::SweepNoShows, sweep, &swept),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_GRACE_PERIOD", "grace_period"));
  sweep.clear_grace_period();
  sweep.set_desk("desks/999999");
  EXPECT_TRUE(RpcFails(world_.Call(&Stub::SweepNoShows, sweep, &swept), grpc::StatusCode::NOT_FOUND,
                       "DESK_NOT_FOUND", ""));
  auto staff = world_.server().BookingStub(world_.server().StaffToken());
  sweep.set_desk(open_.desk.name());
  EXPECT_TRUE(RpcFails(CallOn(*staff, &Stub::SweepNoShows, sweep, &swept, "r"),
                       grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(ReceptionTest, TheDayListShowsAgentsWhatTheLodgeNeedsAndForgivesSpelling) {
  v1::CreateAppointmentRequest eloise = BookingWorld::BookingRequest(Slot(24).name(), 1);
  eloise.mutable_person()->set_given_name("Éloïse");
  eloise.mutable_person()->set_family_name("Dupré");
  eloise.mutable_accessibility()->set_need(v1::REDUCED_MOBILITY);
  eloise.mutable_accessibility()->set_note("Canne");
  eloise.set_companions(2);
  v1::Appointment missed, e, other, out;
  OpenedDesk elsewhere = world_.OpenDesk(DeskOptions{});  // another site
  // Éloïse missed June 2, and is booked again on June 9.
  ASSERT_TRUE(RpcOk(world_.Book(Slot(3).name(), 1, &missed)));
  world_.clock().Set(StartOf(missed) + absl::Hours(1));
  ASSERT_TRUE(RpcOk(world_.Transition(&Stub::MarkNoShow, missed.name(), &out)));
  ASSERT_TRUE(RpcOk(world_.Book(eloise, &e)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(21).name(), 2, &other)));
  world_.clock().Set(absl::FromCivil(absl::CivilSecond(2026, 6, 9, 6, 0, 0), absl::UTCTimeZone()));

  auto lodge = world_.server().BookingStub(
      world_.server().Token("lodge-9", {{access::v1::LODGE_AGENT, IdOf(open_.site.name())}}));
  auto list = [&](const std::string& query, v1::ListDayAppointmentsResponse* resp) {
    v1::ListDayAppointmentsRequest req;
    req.set_site(open_.site.name());
    *req.mutable_date() = Date(2026, 6, 9);
    req.set_query(query);
    return CallOn(*lodge, &Stub::ListDayAppointments, req, resp);  // no reason asked
  };
  v1::ListDayAppointmentsResponse day;
  ASSERT_TRUE(RpcOk(list("", &day)));
  ASSERT_EQ(day.appointments_size(), 2);
  EXPECT_EQ(day.appointments(0).appointment().name(), other.name());  // 07:30Z before 09:00Z
  const v1::DayAppointment& row = day.appointments(1);
  EXPECT_EQ(row.appointment().name(), e.name());
  EXPECT_EQ(row.appointment().person().given_name(), "Éloïse");
  EXPECT_EQ(row.appointment().accessibility().need(), v1::REDUCED_MOBILITY);
  EXPECT_EQ(row.appointment().accessibility().note(), "Canne");
  EXPECT_EQ(row.appointment().companions(), 2);
  EXPECT_EQ(row.appointment().status(), v1::BOOKED);
  EXPECT_EQ(row.appointment().reference(), e.reference());
  EXPECT_TRUE(row.appointment().access_code().empty());
  EXPECT_TRUE(row.appointment().check_in_token().empty());
  EXPECT_EQ(row.noshow_count(), 1);
  EXPECT_EQ(day.appointments(0).noshow_count(), 0);

  for (const std::string& query : std::vector<std::string>{"eloise dupre", "ELOISE", "Eloize Dupre",
                                                           "dupré", "Dup", e.reference()}) {
    ASSERT_TRUE(RpcOk(list(query, &day))) << query;
    ASSERT_EQ(day.appointments_size(), 1) << query;
    EXPECT_EQ(day.appointments(0).appointment().name(), e.name()) << query;
  }
  ASSERT_TRUE(RpcOk(list("Zacharie", &day)));
  EXPECT_EQ(day.appointments_size(), 0);

  // Paging, by desk.
  v1::ListDayAppointmentsRequest paged;
  paged.set_site(open_.site.name());
  *paged.mutable_date() = Date(2026, 6, 9);
  paged.set_desk(open_.desk.name());
  paged.set_page_size(1);
  ASSERT_TRUE(RpcOk(CallOn(*lodge, &Stub::ListDayAppointments, paged, &day)));
  ASSERT_EQ(day.appointments_size(), 1);
  ASSERT_FALSE(day.next_page_token().empty());
  paged.set_page_token(day.next_page_token());
  ASSERT_TRUE(RpcOk(CallOn(*lodge, &Stub::ListDayAppointments, paged, &day)));
  ASSERT_EQ(day.appointments_size(), 1);
  EXPECT_EQ(day.appointments(0).appointment().name(), e.name());
  EXPECT_TRUE(day.next_page_token().empty());

  // One audit record per listing, without a reason.
  world_.server().AwaitAudit();
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM access.audit_log WHERE subject = 'lodge-9' "
                            "AND method LIKE '%.ListDayAppointments' AND outcome = 'OK' "
                            "AND resource = '" +
                            open_.site.name() + "' AND reason = ''"),
            1 + 6 + 1 + 2);

  // Refusals: the public, another site, bad input.
  v1::ListDayAppointmentsRequest req;
  req.set_site(open_.site.name());
  *req.mutable_date() = Date(2026, 6, 9);
  EXPECT_TRUE(RpcFails(CallOn(world_.stub(), &Stub::ListDayAppointments, req, &day),
                       grpc::StatusCode::UNAUTHENTICATED, "AUTHENTICATION_REQUIRED", ""));
  req.set_site(elsewhere.site.name());
  EXPECT_TRUE(RpcFails(CallOn(*lodge, &Stub::ListDayAppointments, req, &day),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  req.set_site(open_.site.name());
  req.set_desk(elsewhere.desk.name());
  EXPECT_TRUE(RpcFails(CallOn(*lodge, &Stub::ListDayAppointments, req, &day),
                       grpc::StatusCode::INVALID_ARGUMENT, "DESK_OTHER_SITE", "desk"));
  req.clear_desk();
  *req.mutable_date() = Date(2026, 13, 1);
  EXPECT_TRUE(RpcFails(CallOn(*lodge, &Stub::ListDayAppointments, req, &day),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_DATE", "date"));
  *req.mutable_date() = Date(2026, 6, 9);
  req.set_page_token("garbage");
  EXPECT_TRUE(RpcFails(CallOn(*lodge, &Stub::ListDayAppointments, req, &day),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
}

TEST_F(ReceptionTest, SearchAppointmentsForgivesAccentsCaseAndMisspellings) {
  v1::CreateAppointmentRequest eloise = BookingWorld::BookingRequest(Slot(4).name(), 1);
  eloise.mutable_person()->set_given_name("Éloïse");
  eloise.mutable_person()->set_family_name("Dupré");
  v1::Appointment e, other;
  ASSERT_TRUE(RpcOk(world_.Book(eloise, &e)));
  ASSERT_TRUE(RpcOk(world_.Book(Slot(5).name(), 2, &other)));  // Camille Durand-2
  auto staff = world_.server().BookingStub(world_.server().StaffToken());
  for (const std::string& query :
       std::vector<std::string>{"eloise dupre", "ELOISE", "Eloize Dupre", "Dupre", "dupr",
                                e.reference(), PhoneOf(1), "personne.1@example.org"}) {
    v1::SearchAppointmentsRequest req;
    req.set_site(open_.site.name());
    req.set_query(query);
    v1::SearchAppointmentsResponse found;
    ASSERT_TRUE(RpcOk(CallOn(*staff, &Stub::SearchAppointments, req, &found, "Au guichet")))
        << query;
    ASSERT_EQ(found.appointments_size(), 1) << query;
    EXPECT_EQ(found.appointments(0).name(), e.name()) << query;
  }
}

}  // namespace
}  // namespace accueil::testing
