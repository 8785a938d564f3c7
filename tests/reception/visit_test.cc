// The visit against a real PostgreSQL: check-in at the lodge, the queue's
// order, counters calling, recalling, serving and finishing, transfers,
// walk-ins, and booking's status moving with each step.
#include <set>

#include <gtest/gtest.h>

#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

TEST(Visit, CheckInGivesATicketAndMarksTheAppointmentArrived) {
  ReceptionWorld world;
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
  EXPECT_EQ(visit.ticket(), "A-001");
  EXPECT_EQ(visit.status(), rv1::WAITING);
  EXPECT_EQ(visit.kind(), rv1::APPOINTMENT);
  EXPECT_EQ(visit.appointment(), world.appointments[0].name());
  EXPECT_EQ(visit.desk(), world.desk.desk.name());
  EXPECT_EQ(visit.position(), 0);
  EXPECT_EQ(world.AppointmentStatus(world.appointments[0]), "arrived");

  // Checking in again (another request) finds the same visit: one ticket.
  rv1::Visit again;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &again)));
  EXPECT_EQ(again.name(), visit.name());
  EXPECT_EQ(again.ticket(), "A-001");

  rv1::Visit second;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &second)));
  EXPECT_EQ(second.ticket(), "A-002");
  EXPECT_EQ(second.position(), 1);
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM reception.visits"), 2);
}

TEST(Visit, WrongAndCancelledReferencesAreRefusedAndChangeNothing) {
  ReceptionWorld world;
  rv1::Visit visit;
  EXPECT_EQ(world.CheckIn("ZZZZZZZZ", &visit).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::Appointment cancelled;
  world.booking.clock().Set(kJune1);
  ASSERT_TRUE(RpcOk(world.booking.Cancel(world.appointments[1], &cancelled)));
  world.booking.clock().Set(kJune2Opening);
  EXPECT_EQ(world.CheckIn(world.appointments[1].reference(), &visit).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  rv1::CheckInVisitorRequest neither;
  neither.set_site(world.desk.site.name());
  EXPECT_TRUE(
      RpcFails(CallOn(world.lodge(), &rv1::ReceptionService::Stub::CheckInVisitor, neither, &visit),
               grpc::StatusCode::INVALID_ARGUMENT, "CHECK_IN_TARGET_REQUIRED", "reference"));
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM reception.visits"), 0);
}

TEST(Visit, ACounterCallsInAppointmentOrderServesAndFinishes) {
  ReceptionWorld world;
  rv1::Visit later, earlier;
  // The 09:30 person arrives first, the 09:00 person second: 09:00 is
  // called first.
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &later)));
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &earlier)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  EXPECT_TRUE(counter.open());

  rv1::Visit called;
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  EXPECT_EQ(called.name(), earlier.name());
  EXPECT_EQ(called.status(), rv1::CALLED);
  EXPECT_EQ(called.counter_display_name(), "Guichet 1");
  EXPECT_EQ(called.call_count(), 1);
  // One person at a time per counter.
  rv1::Visit busy;
  EXPECT_TRUE(RpcFails(world.CallNext(counter, &busy), grpc::StatusCode::FAILED_PRECONDITION,
                       "COUNTER_BUSY", "counter"));

  world.booking.clock().Advance(absl::Minutes(1));
  rv1::Visit started;
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &started)));
  EXPECT_EQ(started.status(), rv1::IN_SERVICE);
  EXPECT_EQ(world.AppointmentStatus(world.appointments[0]), "in_service");

  world.booking.clock().Advance(absl::Minutes(9));
  rv1::FinishVisitResponse finished;
  ASSERT_TRUE(RpcOk(world.Finish(started, rv1::SERVED, &finished)));
  EXPECT_EQ(finished.visit().status(), rv1::DONE);
  EXPECT_EQ(finished.visit().outcome(), rv1::SERVED);
  EXPECT_EQ(FromTs(finished.visit().finish_time()) - FromTs(finished.visit().start_time()),
            absl::Minutes(9));
  EXPECT_EQ(world.AppointmentStatus(world.appointments[0]), "fulfilled");

  // Finishing twice is refused (another request), and changes nothing.
  rv1::FinishVisitResponse twice;
  EXPECT_TRUE(RpcFails(world.Finish(started, rv1::SERVED, &twice),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_VISIT_TRANSITION", "visit"));

  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  EXPECT_EQ(called.name(), later.name());
  rv1::Visit none;
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &none)));
  ASSERT_TRUE(RpcOk(world.Finish(none, rv1::REDIRECTED, &finished)));
  EXPECT_TRUE(
      RpcFails(world.CallNext(counter, &called), grpc::StatusCode::NOT_FOUND, "QUEUE_EMPTY", ""));
}

TEST(Visit, RecallsThenMissedEndsTheAppointmentNotServed) {
  ReceptionWorld world;
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &visit)));
  // Default: two recalls after the first call.
  for (int call = 2; call <= 3; ++call) {
    ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::RecallVisitor, visit, &visit)));
    EXPECT_EQ(visit.status(), rv1::CALLED);
    EXPECT_EQ(visit.call_count(), call);
  }
  ASSERT_TRUE(RpcOk(
      world.OnVisit(&rv1::ReceptionService::Stub::RecallVisitor, visit, &visit, "recall-missed")));
  EXPECT_EQ(visit.status(), rv1::MISSED);
  EXPECT_EQ(world.AppointmentStatus(world.appointments[0]), "not_served");
  // A retry of the same request replays: still missed, nothing more.
  rv1::Visit replay;
  ASSERT_TRUE(RpcOk(
      world.OnVisit(&rv1::ReceptionService::Stub::RecallVisitor, visit, &replay, "recall-missed")));
  EXPECT_EQ(replay.status(), rv1::MISSED);
  // The counter is free again.
  rv1::Visit next;
  EXPECT_TRUE(
      RpcFails(world.CallNext(counter, &next), grpc::StatusCode::NOT_FOUND, "QUEUE_EMPTY", ""));
}

TEST(Visit, PriorityNeedsAreCalledFirst) {
  ReceptionWorld world(0);
  // Person 1 at 09:00 without a need, person 2 at 09:30 in a wheelchair.
  v1::Appointment first, second;
  world.booking.clock().Set(kJune1);
  ASSERT_TRUE(RpcOk(world.booking.Book(world.desk.slots[0].name(), 1, &first)));
  v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(world.desk.slots[1].name(), 2);
  req.mutable_accessibility()->set_need(v1::WHEELCHAIR);
  ASSERT_TRUE(RpcOk(world.booking.Book(req, &second)));
  world.booking.clock().Set(kJune2Opening);
  rv1::Visit a, b;
  ASSERT_TRUE(RpcOk(world.CheckIn(first.reference(), &a)));
  ASSERT_TRUE(RpcOk(world.CheckIn(second.reference(), &b)));
  EXPECT_TRUE(b.priority());
  EXPECT_FALSE(a.priority());
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  rv1::Visit called;
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  EXPECT_EQ(called.name(), b.name());
}

TEST(Visit, TenCountersCallingAtOnceNeverTakeTheSamePersonAndSkipNobody) {
  constexpr int kPeople = 40;
  constexpr int kCounters = 10;
  // Ten people a slot: everyone is due within the arrival window at 09:00.
  ReceptionWorld world(kPeople, /*capacity=*/10);
  for (int i = 0; i < kPeople; ++i) {
    rv1::Visit v;
    ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[i].reference(), &v)));
  }
  std::vector<rv1::Counter> counters(kCounters);
  for (int c = 0; c < kCounters; ++c) {
    ASSERT_TRUE(RpcOk(world.OpenCounter(absl::StrCat("Guichet ", c + 1), &counters[c])));
  }
  absl::Mutex mu;
  std::vector<std::string> called;
  RunConcurrently(kCounters, kCounters, [&](int c) {
    // Each counter calls, serves at once and calls again until the queue
    // is empty.
    for (;;) {
      rv1::Visit v;
      grpc::Status s = world.CallNext(counters[c], &v);
      if (s.error_code() == grpc::StatusCode::NOT_FOUND) return;
      if (!s.ok()) {
        ADD_FAILURE() << Explain(s);
        return;
      }
      {
        absl::MutexLock lock(&mu);
        called.push_back(v.name());
      }
      rv1::Visit started;
      rv1::FinishVisitResponse done;
      if (!RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, v, &started)) ||
          !RpcOk(world.Finish(started, rv1::SERVED, &done))) {
        ADD_FAILURE() << "serving " << v.ticket();
        return;
      }
    }
  });
  std::set<std::string> distinct(called.begin(), called.end());
  EXPECT_EQ(called.size(), static_cast<size_t>(kPeople));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kPeople));
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM reception.visits WHERE status = 'done'"),
            kPeople);
  EXPECT_EQ(world.booking.QueryInt(
                "SELECT count(*) FROM booking.appointments WHERE status = 'fulfilled'"),
            kPeople);
}

TEST(Visit, AWalkInServedTodayQueuesAfterPeopleDueNow) {
  ReceptionWorld world;
  // 09:40: the 09:00 and 09:30 people are due, the 10:00 one is not.
  world.booking.clock().Set(kJune2Opening + absl::Minutes(40));
  rv1::Visit due0, due1, later;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[2].reference(), &later)));
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &due0, true)));
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &due1)));
  rv1::RegisterWalkInRequest req;
  req.set_site(world.desk.site.name());
  req.set_desk(world.desk.desk.name());
  req.set_reason("Question sur un dossier en cours");
  req.set_outcome(rv1::SERVED_TODAY);
  rv1::WalkIn walk_in;
  ASSERT_TRUE(
      RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, req, &walk_in)));
  EXPECT_EQ(walk_in.visit().kind(), rv1::WALK_IN);
  EXPECT_EQ(walk_in.visit().ticket(), "A-004");
  EXPECT_EQ(walk_in.visit().position(), 2);  // after 09:00 and 09:30, before 10:00

  // Other outcomes are counted without a ticket.
  req.set_outcome(rv1::ORIENTED);
  req.clear_desk();
  ASSERT_TRUE(
      RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, req, &walk_in)));
  EXPECT_FALSE(walk_in.has_visit());
  req.set_outcome(rv1::SERVED_TODAY);
  EXPECT_TRUE(
      RpcFails(CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, req, &walk_in),
               grpc::StatusCode::INVALID_ARGUMENT, "DESK_REQUIRED", "desk"));
  EXPECT_EQ(world.booking.QueryInt("SELECT count(*) FROM reception.walk_ins"), 2);
}

TEST(Visit, QueueShowsTicketsAndAnEstimatedWait) {
  ReceptionWorld world;
  for (int i = 0; i < 3; ++i) {
    rv1::Visit v;
    ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[i].reference(), &v)));
  }
  rv1::GetQueueRequest req;
  req.set_site(world.desk.site.name());
  rv1::QueueState queue;
  ASSERT_TRUE(RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::GetQueue, req, &queue)));
  ASSERT_EQ(queue.visits_size(), 3);
  EXPECT_EQ(queue.visits(0).ticket(), "A-001");
  ASSERT_EQ(queue.desks_size(), 1);
  EXPECT_EQ(queue.desks(0).waiting(), 3);
  EXPECT_FALSE(queue.desks(0).has_estimated_wait());  // no counter open
  EXPECT_GE(queue.sequence(), 3);
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  ASSERT_TRUE(RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::GetQueue, req, &queue)));
  // Three people, one counter, 10 minutes each before any visit finished.
  EXPECT_EQ(queue.desks(0).estimated_wait().seconds(), 30 * 60);
}

TEST(Visit, TransferKeepsThePlaceUnderTheOtherDesksTicket) {
  ReceptionWorld world;
  v1::Desk other;
  ASSERT_TRUE(RpcOk(world.booking.CreateDesk(world.desk.site.name(), 30, 1, &other)));
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
  rv1::TransferVisitorRequest req;
  req.set_visit(visit.name());
  req.set_desk(other.name());
  rv1::Visit moved;
  ASSERT_TRUE(
      RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::TransferVisitor, req, &moved)));
  EXPECT_EQ(moved.desk(), other.name());
  EXPECT_EQ(moved.ticket(), "B-001");
  EXPECT_EQ(moved.status(), rv1::WAITING);
  EXPECT_EQ(moved.arrival_time().seconds(), visit.arrival_time().seconds());
  req.set_desk(other.name());
  EXPECT_TRUE(
      RpcFails(CallOn(world.lodge(), &rv1::ReceptionService::Stub::TransferVisitor, req, &moved),
               grpc::StatusCode::INVALID_ARGUMENT, "SAME_DESK", "desk"));
}

TEST(Visit, LeavingTheWaitingRoomEndsTheVisitAndTheAppointment) {
  ReceptionWorld world;
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
  rv1::Visit left;
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::MarkVisitorLeft, visit, &left)));
  EXPECT_EQ(left.status(), rv1::LEFT);
  EXPECT_EQ(world.AppointmentStatus(world.appointments[0]), "not_served");
  rv1::Visit started;
  EXPECT_TRUE(RpcFails(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, visit, &started),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_VISIT_TRANSITION", "visit"));
}

TEST(Visit, TheDesksGracePeriodDecidesWhoIsLate) {
  ReceptionWorld world(2);
  // 20 minutes after the 09:00 slot: late under the default 15 minutes.
  world.booking.clock().Set(kJune2Opening + absl::Minutes(20));
  rv1::Visit visit;
  EXPECT_TRUE(RpcFails(world.CheckIn(world.appointments[0].reference(), &visit),
                       grpc::StatusCode::FAILED_PRECONDITION, "ARRIVAL_LATE", "reference"));
  // The administrator gives the desk 30 minutes.
  v1::UpdateDeskRequest update;
  update.mutable_desk()->set_name(world.desk.desk.name());
  update.mutable_desk()->mutable_arrival_grace()->set_seconds(30 * 60);
  update.mutable_update_mask()->add_paths("arrival_grace");
  v1::Desk desk;
  ASSERT_TRUE(RpcOk(world.booking.Call(&v1::BookingService::Stub::UpdateDesk, update, &desk)));
  EXPECT_EQ(desk.arrival_grace().seconds(), 30 * 60);
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
  EXPECT_FALSE(visit.late());
  // Not a whole number of minutes, or beyond 2 hours: refused, nothing changes.
  update.mutable_desk()->mutable_arrival_grace()->set_seconds(3 * 3600);
  EXPECT_TRUE(RpcFails(world.booking.Call(&v1::BookingService::Stub::UpdateDesk, update, &desk),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_GRACE_PERIOD",
                       "desk.arrival_grace"));
  EXPECT_EQ(world.booking.QueryInt("SELECT arrival_grace_seconds FROM booking.desks WHERE id = " +
                                   std::to_string(IdOf(world.desk.desk.name()))),
            30 * 60);
}

}  // namespace
}  // namespace accueil::testing
