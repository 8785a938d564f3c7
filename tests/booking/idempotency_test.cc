// Every mutation is idempotent by request_id: a retry returns the first
// answer and changes nothing; the same id with another request is refused.
#include <mutex>
#include <set>
#include <sstream>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open_ = world_.OpenDesk(DeskOptions{});
    ASSERT_EQ(open_.slots.size(), 20u);
  }

  int64_t Count(const std::string& table) {
    return world_.QueryInt("SELECT count(*) FROM " + table);
  }

  int64_t Booked(const std::string& slot) {
    return world_.QueryInt("SELECT booked FROM booking.slots WHERE id = " +
                           std::to_string(IdOf(slot)));
  }

  int64_t Events(const std::string& type) {
    return world_.QueryInt("SELECT count(*) FROM events.log WHERE type = '" + type + "'");
  }

  // Everything a refused or replayed request must leave alone.
  std::string Snapshot() {
    return world_.Query(
        "SELECT concat_ws(' ', (SELECT count(*) FROM booking.sites), "
        "(SELECT count(*) FROM booking.desks), (SELECT count(*) FROM booking.slots), "
        "(SELECT sum(booked) FROM booking.slots), "
        "(SELECT count(*) FROM booking.appointments), (SELECT count(*) FROM booking.persons), "
        "(SELECT count(*) FROM shared.requests), (SELECT count(*) FROM events.log), "
        "(SELECT md5(string_agg(concat_ws(',', id, slot_id, status, update_time), ';' "
        "  ORDER BY id)) FROM booking.appointments))");
  }

  BookingWorld world_;
  OpenedDesk open_;
};

TEST_F(IdempotencyTest, RetriedCreateReturnsTheSameAppointment) {
  v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(open_.slots[0].name(), 1, "book-0001");
  v1::Appointment first, again;
  ASSERT_TRUE(RpcOk(world_.Book(req, &first)));
  EXPECT_FALSE(first.reference().empty());
  EXPECT_FALSE(first.access_code().empty());
  const std::string snapshot = Snapshot();

  // The slot (capacity 1) is now full: the retry still gets its answer.
  ASSERT_TRUE(RpcOk(world_.Book(req, &again)));
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(again.reference(), first.reference());
  EXPECT_EQ(again.access_code(), first.access_code());
  EXPECT_EQ(again.check_in_token(), first.check_in_token());
  EXPECT_EQ(again.slot(), first.slot());
  EXPECT_EQ(again.create_time().seconds(), first.create_time().seconds());
  EXPECT_EQ(Snapshot(), snapshot);

  // Even once the appointment has started, the retry is a replay, not a new
  // booking refused as SLOT_IN_PAST.
  world_.clock().Set(FromTs(open_.slots[0].start_time()) + absl::Minutes(5));
  ASSERT_TRUE(RpcOk(world_.Book(req, &again)));
  EXPECT_EQ(again.reference(), first.reference());

  EXPECT_EQ(Count("booking.appointments"), 1);
  EXPECT_EQ(Count("booking.persons"), 1);
  EXPECT_EQ(Booked(open_.slots[0].name()), 1);
  EXPECT_EQ(Events("appointment.booked"), 1);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM shared.requests "
                            "WHERE module = 'booking' AND request_id = 'book-0001'"),
            1);
  EXPECT_EQ(world_.Query("SELECT result->>'appointment_id' FROM shared.requests "
                         "WHERE module = 'booking' AND request_id = 'book-0001'"),
            std::to_string(IdOf(first.name())));
}

TEST_F(IdempotencyTest, ConcurrentRetriesOfOneRequestMakeOneAppointment) {
  constexpr int kRounds = 10;
  constexpr int kCopies = 8;
  for (int round = 0; round < kRounds; ++round) {
    v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(
        open_.slots[round].name(), round, absl::StrCat("concurrent-", round));
    std::mutex mu;
    std::set<std::string> names, references, codes;
    std::vector<std::string> errors;
    RunConcurrently(kCopies, kCopies, [&](int) {
      v1::Appointment a;
      grpc::Status s = world_.Book(req, &a);
      std::lock_guard<std::mutex> lock(mu);
      if (!s.ok()) {
        std::ostringstream text;
        text << Explain(s);
        errors.push_back(text.str());
        return;
      }
      names.insert(a.name());
      references.insert(a.reference());
      codes.insert(a.access_code());
    });
    EXPECT_TRUE(errors.empty()) << "round " << round << ": " << errors.size()
                                << " failed, first: " << (errors.empty() ? "" : errors[0]);
    EXPECT_EQ(names.size(), 1u) << "round " << round;
    EXPECT_EQ(references.size(), 1u) << "round " << round;
    EXPECT_EQ(codes.size(), 1u) << "round " << round;
  }
  EXPECT_EQ(Count("booking.appointments"), kRounds);
  EXPECT_EQ(Count("booking.persons"), kRounds);
  EXPECT_EQ(world_.QueryInt("SELECT sum(booked) FROM booking.slots"), kRounds);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM shared.requests "
                            "WHERE module = 'booking' AND request_id LIKE 'concurrent-%'"),
            kRounds);
  EXPECT_EQ(Events("appointment.booked"), kRounds);
  EXPECT_EQ(world_.InconsistentSlots(), 0);
}

TEST_F(IdempotencyTest, SameRequestIdWithAnotherPayloadIsRefusedAndChangesNothing) {
  v1::Appointment first;
  ASSERT_TRUE(RpcOk(
      world_.Book(BookingWorld::BookingRequest(open_.slots[0].name(), 1, "shared-id"), &first)));
  const std::string snapshot = Snapshot();

  // Another person, another slot.
  v1::Appointment out;
  EXPECT_TRUE(RpcFails(
      world_.Book(BookingWorld::BookingRequest(open_.slots[1].name(), 2, "shared-id"), &out),
      grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "request_id"));
  // The same request but one field changed.
  v1::CreateAppointmentRequest changed =
      BookingWorld::BookingRequest(open_.slots[0].name(), 1, "shared-id");
  changed.set_companions(2);
  EXPECT_TRUE(RpcFails(world_.Book(changed, &out), grpc::StatusCode::INVALID_ARGUMENT,
                       "REQUEST_ID_REUSED", "request_id"));
  // The same id on another method.
  EXPECT_TRUE(RpcFails(world_.Cancel(first, &out, "shared-id"), grpc::StatusCode::INVALID_ARGUMENT,
                       "REQUEST_ID_REUSED", "request_id"));
  EXPECT_TRUE(RpcFails(
      world_.Transition(&v1::BookingService::Stub::MarkArrived, first.name(), &out, "shared-id"),
      grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "request_id"));
  v1::Site site;
  EXPECT_TRUE(RpcFails(world_.CreateSite("Europe/Paris", &site, "shared-id"),
                       grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "request_id"));

  EXPECT_EQ(Snapshot(), snapshot);
  v1::Appointment still;
  ASSERT_TRUE(RpcOk(world_.Get(first, &still)));
  EXPECT_EQ(still.status(), v1::BOOKED);
  EXPECT_EQ(still.slot(), open_.slots[0].name());
  EXPECT_EQ(Booked(open_.slots[1].name()), 0);
}

TEST_F(IdempotencyTest, RetriedCancelIsReplayedOnce) {
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[2].name(), 3, &a)));
  ASSERT_EQ(Booked(open_.slots[2].name()), 1);

  v1::Appointment first, again;
  ASSERT_TRUE(RpcOk(world_.Cancel(a, &first, "cancel-0001", "empêchement")));
  EXPECT_EQ(first.status(), v1::CANCELLED);
  EXPECT_EQ(first.cancel_reason(), "empêchement");
  EXPECT_EQ(Booked(open_.slots[2].name()), 0);
  const std::string snapshot = Snapshot();

  ASSERT_TRUE(RpcOk(world_.Cancel(a, &again, "cancel-0001", "empêchement")));
  EXPECT_EQ(again.status(), v1::CANCELLED);
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(Snapshot(), snapshot);
  EXPECT_EQ(Booked(open_.slots[2].name()), 0);  // not given back twice
  EXPECT_EQ(Events("appointment.cancelled"), 1);

  // The freed place is taken by someone else; the replay still answers and
  // does not free it again.
  v1::Appointment other;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[2].name(), 4, &other)));
  ASSERT_TRUE(RpcOk(world_.Cancel(a, &again, "cancel-0001", "empêchement")));
  EXPECT_EQ(Booked(open_.slots[2].name()), 1);

  // A new request to cancel again is a real (illegal) transition.
  EXPECT_TRUE(RpcFails(world_.Cancel(a, &again, "cancel-0002"),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  // The same id with another reason is refused.
  EXPECT_TRUE(RpcFails(world_.Cancel(a, &again, "cancel-0001", "autre raison"),
                       grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "request_id"));
  EXPECT_EQ(Events("appointment.cancelled"), 1);
  EXPECT_EQ(world_.InconsistentSlots(), 0);
}

TEST_F(IdempotencyTest, RetriedRescheduleIsReplayedOnce) {
  const std::string from = open_.slots[4].name();
  const std::string to = open_.slots[5].name();
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world_.Book(from, 5, &a)));

  v1::Appointment moved, again;
  ASSERT_TRUE(RpcOk(world_.Reschedule(a, to, &moved, "move-0001")));
  EXPECT_EQ(moved.slot(), to);
  EXPECT_EQ(moved.start_time().seconds(), open_.slots[5].start_time().seconds());
  const std::string snapshot = Snapshot();

  ASSERT_TRUE(RpcOk(world_.Reschedule(a, to, &again, "move-0001")));
  EXPECT_EQ(again.slot(), to);
  EXPECT_EQ(again.reference(), a.reference());
  EXPECT_EQ(Snapshot(), snapshot);
  EXPECT_EQ(Booked(from), 0);
  EXPECT_EQ(Booked(to), 1);
  EXPECT_EQ(Events("appointment.rescheduled"), 1);

  // A new request to move into the slot it is already in.
  EXPECT_TRUE(RpcFails(world_.Reschedule(a, to, &again, "move-0002"),
                       grpc::StatusCode::INVALID_ARGUMENT, "SAME_SLOT", "new_slot"));
  EXPECT_EQ(Snapshot(), snapshot);
}

TEST_F(IdempotencyTest, RetriedTransitionIsReplayedOnce) {
  v1::Appointment a, out;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[6].name(), 6, &a)));
  world_.clock().Set(FromTs(a.start_time()) - absl::Minutes(10));
  ASSERT_TRUE(
      RpcOk(world_.Transition(&v1::BookingService::Stub::MarkArrived, a.name(), &out, "arrive-1")));
  EXPECT_EQ(out.status(), v1::ARRIVED);
  ASSERT_TRUE(
      RpcOk(world_.Transition(&v1::BookingService::Stub::MarkArrived, a.name(), &out, "arrive-1")));
  EXPECT_EQ(out.status(), v1::ARRIVED);
  EXPECT_EQ(Events("appointment.arrived"), 1);
  // Without the id, a second MarkArrived is a new, illegal, transition.
  EXPECT_TRUE(RpcFails(world_.Transition(&v1::BookingService::Stub::MarkArrived, a.name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
}

TEST_F(IdempotencyTest, RetriedAdministrationIsReplayed) {
  const int64_t sites = Count("booking.sites");
  v1::Site first, again;
  ASSERT_TRUE(RpcOk(world_.CreateSite("Europe/Paris", &first, "site-0001")));
  world_.clock().Advance(absl::Minutes(1));
  ASSERT_TRUE(RpcOk(world_.CreateSite("Europe/Paris", &again, "site-0001")));
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(again.create_time().seconds(), first.create_time().seconds());
  EXPECT_EQ(Count("booking.sites"), sites + 1);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE type = 'site.created' "
                            "AND subject = '" +
                            first.name() + "'"),
            1);
  EXPECT_TRUE(RpcFails(world_.CreateSite("Indian/Reunion", &again, "site-0001"),
                       grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "request_id"));
  EXPECT_EQ(Count("booking.sites"), sites + 1);

  // Without a request id, the same request twice makes two sites.
  v1::Site a, b;
  ASSERT_TRUE(RpcOk(world_.CreateSite("Europe/Paris", &a)));
  ASSERT_TRUE(RpcOk(world_.CreateSite("Europe/Paris", &b)));
  EXPECT_NE(a.name(), b.name());
  EXPECT_EQ(Count("booking.sites"), sites + 3);

  // CreateDesk replay.
  v1::CreateDeskRequest desk_req;
  desk_req.set_parent(first.name());
  desk_req.mutable_desk()->set_display_name("Naturalisation");
  desk_req.mutable_desk()->set_kind(v1::OTHER);
  desk_req.mutable_desk()->mutable_slot_duration()->set_seconds(20 * 60);
  desk_req.mutable_desk()->set_capacity_per_slot(2);
  desk_req.set_request_id("desk-0001");
  v1::Desk desk, desk_again;
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::CreateDesk, desk_req, &desk)));
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::CreateDesk, desk_req, &desk_again)));
  EXPECT_EQ(desk_again.name(), desk.name());
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.desks WHERE site_id = " +
                            std::to_string(IdOf(first.name()))),
            1);

  // ReleaseSlots replay returns the first answer (20 created), where a new
  // request over the same days creates nothing.
  ASSERT_TRUE(RpcOk(world_.SetHours(desk.name(), {Range(3, 9, 0, 12, 20)})));
  v1::ReleaseSlotsRequest release;
  release.set_desk(desk.name());
  *release.mutable_start_date() = Date(2026, 6, 3);
  *release.mutable_end_date() = Date(2026, 6, 10);
  release.set_request_id("release-0001");
  v1::ReleaseSlotsResponse r1, r2, r3;
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::ReleaseSlots, release, &r1)));
  EXPECT_EQ(r1.created_slot_count(), 20);  // two Wednesdays of 10 x 20 min
  const int64_t slots = Count("booking.slots");
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::ReleaseSlots, release, &r2)));
  EXPECT_EQ(r2.created_slot_count(), 20);
  EXPECT_EQ(r2.release_time().seconds(), r1.release_time().seconds());
  release.set_request_id("release-0002");
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::ReleaseSlots, release, &r3)));
  EXPECT_EQ(r3.created_slot_count(), 0);
  EXPECT_EQ(Count("booking.slots"), slots);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE type = 'slots.released' "
                            "AND subject = '" +
                            desk.name() + "'"),
            2);
}

// Booking claims, raises and appends through the shared blocks
// (0010_shared.sql): the previous release's booking.* names, kept only for
// its pods during an upgrade, can go without changing anything.
TEST_F(IdempotencyTest, BookingNeedsNoneOfThePreviousReleasesNames) {
  world_.Query(
      "DROP VIEW booking.requests; "
      "DROP FUNCTION booking.raise(text, text, text, text); "
      "DROP FUNCTION booking.claim_request(text, bytea, timestamptz); "
      "DROP FUNCTION booking.finish_request(text, jsonb); "
      "DROP FUNCTION booking.append_event(text, text, bigint, timestamptz, jsonb)");
  const int64_t events = Count("events.log");
  v1::Site site, site_again;
  ASSERT_TRUE(RpcOk(world_.CreateSite("Europe/Paris", &site, "after-site")));
  ASSERT_TRUE(RpcOk(world_.CreateSite("Europe/Paris", &site_again, "after-site")));
  EXPECT_EQ(site_again.name(), site.name());
  v1::Appointment a, again, cancelled, out;
  v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(open_.slots[0].name(), 1, "after-book");
  ASSERT_TRUE(RpcOk(world_.Book(req, &a)));
  ASSERT_TRUE(RpcOk(world_.Book(req, &again)));
  EXPECT_EQ(again.name(), a.name());
  EXPECT_TRUE(RpcFails(world_.Book(open_.slots[0].name(), 2, &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "SLOT_FULL", "slot"));
  ASSERT_TRUE(RpcOk(world_.Cancel(a, &cancelled, "after-cancel")));
  EXPECT_EQ(cancelled.status(), v1::CANCELLED);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM shared.requests "
                            "WHERE module = 'booking' AND request_id LIKE 'after-%'"),
            3);
  // site.created, appointment.booked, appointment.cancelled: all booking's.
  EXPECT_EQ(Count("events.log"), events + 3);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE source <> 'booking'"), 0);
}

// The release instant drawn from a window is part of the first answer: a
// retry gets the same instant, not a new draw.
TEST_F(IdempotencyTest, RetriedWindowedReleaseKeepsItsInstant) {
  v1::Desk desk;
  ASSERT_TRUE(RpcOk(world_.CreateDesk(open_.site.name(), 30, 1, &desk)));
  v1::SetOpeningHoursRequest hours;
  hours.mutable_opening_hours()->set_desk(desk.name());
  *hours.mutable_opening_hours()->add_weekly() = Range(5, 9, 0, 10, 0);  // Fridays
  hours.set_request_id("hours-0001");
  v1::OpeningHours h1, h2;
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::SetOpeningHours, hours, &h1)));
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::SetOpeningHours, hours, &h2)));
  EXPECT_EQ(h2.weekly_size(), 1);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE type = "
                            "'desk.hours_changed' AND subject = '" +
                            desk.name() + "'"),
            1);

  v1::ReleaseSlotsRequest release;
  release.set_desk(desk.name());
  *release.mutable_start_date() = Date(2026, 6, 5);
  *release.mutable_end_date() = Date(2026, 6, 5);
  *release.mutable_release_time() = Ts(kJune1 + absl::Hours(1));
  release.mutable_release_window()->set_seconds(24 * 3600);
  release.set_request_id("windowed-0001");
  std::set<int64_t> instants;
  for (int i = 0; i < 5; ++i) {
    v1::ReleaseSlotsResponse r;
    ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::ReleaseSlots, release, &r)));
    EXPECT_EQ(r.created_slot_count(), 2);
    instants.insert(r.release_time().seconds());
  }
  EXPECT_EQ(instants.size(), 1u);
  EXPECT_EQ(world_.QueryInt("SELECT count(DISTINCT release_time) FROM booking.slots "
                            "WHERE desk_id = " +
                            std::to_string(IdOf(desk.name()))),
            1);
  EXPECT_EQ(world_.QueryInt("SELECT extract(epoch FROM min(release_time))::bigint "
                            "FROM booking.slots WHERE desk_id = " +
                            std::to_string(IdOf(desk.name()))),
            *instants.begin());
}

}  // namespace
}  // namespace accueil::testing
