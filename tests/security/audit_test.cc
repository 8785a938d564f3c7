// An agent's action and its audit record commit in one transaction (the
// audit outbox, services/common/change.h); a refused action is recorded
// after the call. The access module then moves the records into
// access.audit_log (checked by the tests that read the log).
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

TEST(AuditInTransaction, AnAgentsChangeAndItsRecordCommitTogether) {
  BookingWorld world;
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  // A transaction holding an id keeps the records written after it out of
  // the access module's reach (the gap-safe rule, docs/events.md): they stay
  // in the outbox, where their transaction ids can be compared.
  pqxx::connection holder(world.server().database().url());
  pqxx::work hold(holder);
  hold.exec("SELECT pg_current_xact_id()");
  v1::Appointment booked, arrived;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[0].name(), 1, &booked)));
  // The reception service marks the arrival for a lodge agent, who gives a
  // reason: the agent's action, audited.
  v1::TransitionAppointmentRequest arrive;
  arrive.set_name(booked.name());
  auto mark_arrived = [&] {
    return world.CallAsService(&v1::BookingService::Stub::MarkArrived, arrive, &arrived,
                               "lodge-agent-1", "test fixture");
  };
  world.clock().Set(FromTs(booked.start_time()) - absl::Minutes(10));
  ASSERT_TRUE(RpcOk(mark_arrived()));

  // The record of the arrival was written by the transaction that wrote the
  // arrival's event.
  const std::string arrivals =
      "FROM events.audit_outbox a WHERE a.payload->>'method' LIKE '%.MarkArrived' ";
  EXPECT_EQ(world.QueryInt("SELECT count(*) " + arrivals +
                           "AND a.payload->>'outcome' = 'OK' AND a.subject = '" + booked.name() +
                           "' AND a.payload->>'reason' = 'test fixture' "
                           "AND a.payload->>'acting_for' = 'lodge-agent-1' AND EXISTS (SELECT 1 "
                           "FROM events.log l WHERE l.txid = a.txid "
                           "AND l.type = 'appointment.arrived' AND l.subject = a.subject)"),
            1);

  // Arriving twice is refused: nothing changed, and the refusal is recorded
  // on its own, after the call.
  EXPECT_TRUE(RpcFails(mark_arrived(), grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION",
                       "status"));
  EXPECT_EQ(world.QueryInt("SELECT count(*) " + arrivals +
                           "AND a.payload->>'outcome' = 'FAILED_PRECONDITION' AND NOT EXISTS "
                           "(SELECT 1 FROM events.log l WHERE l.txid = a.txid)"),
            1);
  EXPECT_EQ(world.QueryInt("SELECT count(*) " + arrivals), 2);
  // The public's booking is not audited.
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.audit_outbox "
                           "WHERE payload->>'method' LIKE '%.CreateAppointment'"),
            0);
}

}  // namespace
}  // namespace accueil::testing
