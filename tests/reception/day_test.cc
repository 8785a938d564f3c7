// The reception day against a real PostgreSQL: the day worker's no-shows
// (only where reception was open, exactly once across a restart and across
// two replicas, the other taking over when one stops), its
// automatic closing, the manual closing, sending away and rebooking at
// closing, and the repair of a check-in whose second half failed.
#include <gtest/gtest.h>

#include "services/common/db.h"
#include "services/common/retention.h"
#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

// Paris local time on Tuesday 2 June 2026 (UTC+2).
absl::Time June2At(int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2026, 6, 2, hour, minute),
                         absl::FixedTimeZone(2 * 3600));
}

// WaitUntil polls `done` for up to 30 s (the day worker passes every 5 s).
bool WaitUntil(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return true;
}

TEST(ReceptionDay, NoShowsAreMarkedOnceAndOnlyAtDesksWhereReceptionWasOpen) {
  ReceptionWorld world(3);
  // Another site, with a booked person, which does not use the lodge.
  world.booking.clock().Set(kJune1);
  OpenedDesk other = world.booking.OpenDesk(DeskOptions{});
  v1::Appointment elsewhere;
  ASSERT_TRUE(RpcOk(world.booking.Book(other.slots[0].name(), 9, &elsewhere)));
  // 10:00: person 1 (09:00-09:30) is past the 15-minute grace, person 2
  // (09:30-10:00) is not, person 3 (10:00) checks in.
  world.booking.clock().Set(June2At(10, 0));
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[2].reference(), &visit)));
  ASSERT_TRUE(
      WaitUntil([&] { return world.AppointmentStatus(world.appointments[0]) == "noshow"; }));
  EXPECT_EQ(world.AppointmentStatus(world.appointments[1]), "booked");
  EXPECT_EQ(world.AppointmentStatus(elsewhere), "booked");  // no reception there: no sweep

  // Later, across a restart: person 2 too, and person 1 is not marked twice.
  world.booking.Restart(world.booking.server().secrets());
  world.booking.clock().Set(June2At(10, 20));
  ASSERT_TRUE(
      WaitUntil([&] { return world.AppointmentStatus(world.appointments[1]) == "noshow"; }));
  EXPECT_EQ(world.booking.QueryInt(absl::StrCat(
                "SELECT count(*) FROM events.log WHERE type = 'appointment.noshow' AND subject = '",
                world.appointments[0].name(), "'")),
            1);
  EXPECT_EQ(world.AppointmentStatus(elsewhere), "booked");
}

TEST(ReceptionDay, TwoReplicasMarkEachNoShowOnceAndOneTakesOverWhenTheOtherStops) {
  ReceptionWorld world(4);
  TestServer& server = world.booking.server();
  const int replica = server.StartReplica();
  // Reception opens through the replica: person 4 (10:30) checks in there.
  auto replica_lodge = rv1::ReceptionService::NewStub(
      server.ReplicaChannel(replica, server.Token("lodge-2", {{access::v1::LODGE_AGENT, 0}})));
  world.booking.clock().Set(June2At(10, 0));
  rv1::CheckInVisitorRequest checkin;
  checkin.set_reference(world.appointments[3].reference());
  checkin.set_site(world.desk.site.name());
  rv1::Visit visit;
  ASSERT_TRUE(
      RpcOk(CallOn(*replica_lodge, &rv1::ReceptionService::Stub::CheckInVisitor, checkin, &visit)));
  auto noshows = [&](const v1::Appointment& a) {
    return world.booking.QueryInt(absl::StrCat(
        "SELECT count(*) FROM events.log WHERE type = 'appointment.noshow' AND subject = '",
        a.name(), "'"));
  };
  // Both replicas' day workers pass over the same desk and day (every 5 s):
  // person 1 is marked once, person 2 (09:30-10:00, in its grace) not yet.
  ASSERT_TRUE(
      WaitUntil([&] { return world.AppointmentStatus(world.appointments[0]) == "noshow"; }));
  absl::SleepFor(absl::Seconds(11));  // two more passes of each
  EXPECT_EQ(noshows(world.appointments[0]), 1);
  EXPECT_EQ(world.AppointmentStatus(world.appointments[1]), "booked");
  // The replica is killed in the middle of a pass: the desk's day stays
  // leased to it (a minute of the clock). The first one waits out the lease,
  // then takes over: person 2, once.
  server.StopReplica(replica);
  world.booking.Query(
      absl::StrCat("UPDATE reception.desk_days SET lease_until = '", db::SqlTime(June2At(10, 21)),
                   "' WHERE desk_id = ", IdOf(world.desk.desk.name()), " RETURNING 1"));
  world.booking.clock().Set(June2At(10, 20));
  absl::SleepFor(absl::Seconds(6));  // a pass of the first replica
  EXPECT_EQ(world.AppointmentStatus(world.appointments[1]), "booked");
  world.booking.clock().Set(June2At(10, 22));
  ASSERT_TRUE(
      WaitUntil([&] { return world.AppointmentStatus(world.appointments[1]) == "noshow"; }));
  EXPECT_EQ(noshows(world.appointments[1]), 1);
  EXPECT_EQ(noshows(world.appointments[0]), 1);
  EXPECT_EQ(world.AppointmentStatus(world.appointments[2]), "booked");  // 10:00-10:30
  EXPECT_EQ(world.AppointmentStatus(world.appointments[3]), "arrived");
}

TEST(ReceptionDay, AtClosingTimeTheDayClosesByItselfAndNobodyIsLeftDangling) {
  ReceptionWorld world(3);
  rv1::Visit waiting, served;
  world.booking.clock().Set(June2At(9, 35));
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &served)));
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[2].reference(), &waiting)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  rv1::Visit called;
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  ASSERT_EQ(called.name(), served.name());
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &called)));

  world.booking.clock().Set(June2At(18, 1));  // the default closing time has passed
  ASSERT_TRUE(WaitUntil([&] {
    return world.booking.Query("SELECT closed_by FROM reception.desk_days") == "automatic";
  }));
  EXPECT_EQ(world.booking.Query(absl::StrCat("SELECT status FROM reception.visits WHERE id = ",
                                             IdOf(waiting.name()))),
            "sent_away");
  EXPECT_EQ(world.AppointmentStatus(world.appointments[2]), "not_served");
  EXPECT_EQ(world.booking.Query(absl::StrCat("SELECT outcome FROM reception.visits WHERE id = ",
                                             IdOf(served.name()))),
            "served");
  EXPECT_EQ(world.AppointmentStatus(world.appointments[1]), "fulfilled");
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM reception.counter_days "
                                   "WHERE close_time IS NULL"),
            0);
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM events.log "
                                   "WHERE type = 'reception.day_closed'"),
            1);
}

TEST(ReceptionDay, ClosingByHandSendsAwayOnlyWhenToldAndRebookingKeepsThePerson) {
  ReceptionWorld world(3);
  rv1::Visit a, b;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &a)));
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &b)));
  // Person A is rebooked at closing (a slot of a later day).
  world.booking.clock().Set(kJune1);
  v1::ReleaseSlotsResponse released;
  ASSERT_TRUE(RpcOk(world.booking.Release(world.desk.desk.name(), absl::CivilDay(2026, 6, 9),
                                          absl::CivilDay(2026, 6, 9), &released)));
  std::vector<v1::Slot> later = world.booking.ListAllSlots(
      world.desk.desk.name(), absl::FromCivil(absl::CivilDay(2026, 6, 9), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilDay(2026, 6, 10), absl::UTCTimeZone()));
  ASSERT_FALSE(later.empty());
  world.booking.clock().Set(kJune2Opening);
  rv1::SendAwayVisitorRequest send;
  send.set_visit(a.name());
  send.set_new_slot(later[0].name());
  rv1::FinishVisitResponse rebooked;
  ASSERT_TRUE(
      RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::SendAwayVisitor, send, &rebooked)));
  EXPECT_EQ(rebooked.visit().status(), rv1::SENT_AWAY);
  EXPECT_FALSE(rebooked.new_appointment().reference().empty());
  EXPECT_EQ(world.AppointmentStatus(world.appointments[0]), "not_served");

  rv1::CloseDayRequest close;
  close.set_site(world.desk.site.name());
  rv1::CloseDayResponse closed;
  EXPECT_TRUE(RpcFails(
      CallOn(world.lodge(), &rv1::ReceptionService::Stub::CloseDay, close, &closed),
      grpc::StatusCode::FAILED_PRECONDITION, "PEOPLE_STILL_WAITING", "send_away_remaining"));
  close.set_send_away_remaining(true);
  ASSERT_TRUE(RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::CloseDay, close, &closed)));
  EXPECT_EQ(closed.sent_away_count(), 1);
  ASSERT_EQ(closed.desks_size(), 1);
  EXPECT_EQ(world.AppointmentStatus(world.appointments[1]), "not_served");
  rv1::Visit refused;
  EXPECT_TRUE(RpcFails(world.CheckIn(world.appointments[2].reference(), &refused),
                       grpc::StatusCode::FAILED_PRECONDITION, "DAY_CLOSED", ""));
  EXPECT_EQ(world.AppointmentStatus(world.appointments[2]), "booked");  // nothing moved
}

TEST(ReceptionDay, ACheckInWhoseSecondHalfFailedIsRepairedByARetryOrByTheWorker) {
  ReceptionWorld world(2);
  // Reception's half fails: its insert is refused while the table says so.
  world.booking.Query(
      "CREATE TABLE public.fail_visits (on_ boolean); INSERT INTO public.fail_visits VALUES (true);"
      "CREATE FUNCTION public.fail_visit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF (SELECT on_ FROM public.fail_visits) THEN RAISE EXCEPTION 'injected'; END IF; "
      "RETURN NEW; END $$;"
      "CREATE TRIGGER fail_visit BEFORE INSERT ON reception.visits FOR EACH ROW "
      "EXECUTE FUNCTION public.fail_visit()");
  rv1::Visit visit;
  EXPECT_FALSE(world.CheckIn(world.appointments[0].reference(), &visit, false, "check-in-1").ok());
  EXPECT_FALSE(world.CheckIn(world.appointments[1].reference(), &visit).ok());
  // Booking's half went through: arrived, without a ticket.
  EXPECT_EQ(world.AppointmentStatus(world.appointments[0]), "arrived");
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM reception.visits"), 0);
  world.booking.Query("UPDATE public.fail_visits SET on_ = false");

  // The retry of the same request replays booking's half and writes its own.
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit, false, "check-in-1")));
  EXPECT_EQ(visit.appointment(), world.appointments[0].name());
  // Nobody retries the other: the day worker gives it its ticket.
  world.booking.clock().Advance(absl::Minutes(1));
  EXPECT_TRUE(WaitUntil([&] {
    return world.booking.QueryInt(absl::StrCat("SELECT count(*) FROM reception.visits WHERE "
                                               "appointment_id = ",
                                               IdOf(world.appointments[1].name()))) == 1;
  }));
}

TEST(ReceptionDay, AWalkInsReasonIsErasedByTheRetentionPurge) {
  ReceptionWorld world(0);
  rv1::RegisterWalkInRequest req;
  req.set_site(world.desk.site.name());
  req.set_outcome(rv1::INFORMED);
  req.set_reason("Question from Mr Secret-Name");
  rv1::WalkIn old_one, recent;
  ASSERT_TRUE(
      RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, req, &old_one)));
  world.booking.clock().Advance(absl::Hours(24 * 91));
  req.set_reason("Question from Ms Recent-Name");
  ASSERT_TRUE(
      RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, req, &recent)));
  auto pool = db::Pool::Create(world.booking.server().database().url(), 1);
  ASSERT_TRUE(pool.ok()) << pool.status();
  absl::StatusOr<retention::PurgeCounts> counts =
      retention::PurgeOnce(**pool, world.booking.clock().Now(), retention::Retention{},
                           world.booking.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(world.booking.QueryInt(
                "SELECT count(*) FROM reception.walk_ins WHERE reason LIKE '%Secret-Name%'"),
            0);
  EXPECT_EQ(world.booking.QueryInt(
                "SELECT count(*) FROM reception.walk_ins WHERE reason LIKE '%Recent-Name%'"),
            1);
  // The walk-in itself still counts in the volume.
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM reception.walk_ins"), 2);
}

}  // namespace
}  // namespace accueil::testing
