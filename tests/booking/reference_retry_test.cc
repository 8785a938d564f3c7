// CreateAppointment draws another reference when the one it drew is taken
// (the SQL says REFERENCE_TAKEN), and retries nothing else. Test-only
// triggers in the test's database make the failures; a sequence counts the
// attempts, since a failed attempt rolls back everything else it wrote.
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

class ReferenceRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open_ = world_.OpenDesk(DeskOptions{});
    ASSERT_EQ(open_.slots.size(), 20u);
    world_.Query("CREATE SEQUENCE test_attempts");
  }

  int64_t Attempts() {
    return world_.QueryInt(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM test_attempts");
  }

  int64_t Count(const std::string& table) {
    return world_.QueryInt("SELECT count(*) FROM " + table);
  }

  // A trigger before each appointment insert that gives appointment
  // `victim`'s row the reference being inserted, on the first `times`
  // attempts: the reference drawn is then taken.
  void TakeTheReferenceDrawn(int64_t victim, int times) {
    world_.Query(
        absl::StrCat("CREATE FUNCTION test_take_reference() RETURNS trigger LANGUAGE plpgsql AS $$ "
                     "BEGIN "
                     "  IF nextval('test_attempts') <= ",
                     times,
                     " THEN "
                     "    UPDATE booking.appointments SET reference = NEW.reference WHERE id = ",
                     victim,
                     "; "
                     "  END IF; "
                     "  RETURN NEW; "
                     "END $$; "
                     "CREATE TRIGGER test_take_reference BEFORE INSERT ON booking.appointments "
                     "FOR EACH ROW EXECUTE FUNCTION test_take_reference()"));
  }

  BookingWorld world_;
  OpenedDesk open_;
};

TEST_F(ReferenceRetryTest, AnotherDatabaseFailureIsNotRetried) {
  world_.Query(
      "CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ "
      "BEGIN PERFORM nextval('test_attempts'); RAISE EXCEPTION 'test failure'; END $$; "
      "CREATE TRIGGER test_fail BEFORE INSERT ON booking.persons "
      "FOR EACH ROW EXECUTE FUNCTION test_fail()");
  const int64_t requests = Count("shared.requests");
  v1::Appointment a;
  EXPECT_TRUE(
      RpcFails(world_.Book(BookingWorld::BookingRequest(open_.slots[0].name(), 1, "book-1"), &a),
               grpc::StatusCode::INTERNAL, "DATABASE_ERROR", ""));
  EXPECT_EQ(Attempts(), 1);
  EXPECT_EQ(Count("booking.appointments"), 0);
  EXPECT_EQ(Count("shared.requests"), requests);
  EXPECT_EQ(world_.QueryInt("SELECT sum(booked) FROM booking.slots"), 0);
}

TEST_F(ReferenceRetryTest, ATakenReferenceIsDrawnAgainAndTheBookingSucceeds) {
  v1::Appointment first, second;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &first)));
  TakeTheReferenceDrawn(IdOf(first.name()), 1);

  v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(open_.slots[1].name(), 2, "book-retried");
  ASSERT_TRUE(RpcOk(world_.Book(req, &second)));
  EXPECT_EQ(Attempts(), 2);  // the taken reference, then a fresh one
  EXPECT_NE(second.reference(), first.reference());
  // The failed attempt left nothing: the first appointment keeps its
  // reference, one appointment and one event were added.
  EXPECT_EQ(world_.Query("SELECT reference FROM booking.appointments WHERE id = " +
                         std::to_string(IdOf(first.name()))),
            first.reference());
  EXPECT_EQ(world_.Query("SELECT reference FROM booking.appointments WHERE id = " +
                         std::to_string(IdOf(second.name()))),
            second.reference());
  EXPECT_EQ(Count("booking.appointments"), 2);
  EXPECT_EQ(Count("events.log WHERE type = 'appointment.booked'"), 2);
  EXPECT_EQ(world_.InconsistentSlots(), 0);
  // Its retry replays it.
  v1::Appointment again;
  ASSERT_TRUE(RpcOk(world_.Book(req, &again)));
  EXPECT_EQ(again.reference(), second.reference());
  EXPECT_EQ(Count("booking.appointments"), 2);
}

TEST_F(ReferenceRetryTest, ThreeTakenReferencesEndTheCallWithoutBooking) {
  v1::Appointment first, second;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &first)));
  TakeTheReferenceDrawn(IdOf(first.name()), 1000);
  EXPECT_TRUE(RpcFails(world_.Book(open_.slots[1].name(), 2, &second), grpc::StatusCode::ABORTED,
                       "REFERENCE_TAKEN", ""));
  EXPECT_EQ(Attempts(), 3);
  EXPECT_EQ(Count("booking.appointments"), 1);
  EXPECT_EQ(world_.InconsistentSlots(), 0);
}

}  // namespace
}  // namespace accueil::testing
