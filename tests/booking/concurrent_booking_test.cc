// Many people race for the same places: the database hands out exactly the
// capacity, every loser hears SLOT_FULL, and the books balance afterwards.
#include <map>
#include <mutex>
#include <sstream>
#include <set>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

constexpr int kSlots = 20;
constexpr int kThreads = 32;
constexpr int kPoolSize = 16;

// Race books `calls` times, person i on slot i % 20, and checks everything a
// race can get wrong.
void Race(int capacity, int calls) {
  BookingWorld world(kJune1, kPoolSize);
  DeskOptions options;
  options.capacity = capacity;
  OpenedDesk open = world.OpenDesk(options);
  ASSERT_EQ(open.slots.size(), static_cast<size_t>(kSlots));
  for (const v1::Slot& slot : open.slots) ASSERT_EQ(slot.remaining_capacity(), capacity);
  const int64_t requests_before = world.QueryInt("SELECT count(*) FROM shared.requests");
  const int64_t events_before = world.QueryInt("SELECT count(*) FROM events.log");

  std::mutex mu;
  std::vector<std::pair<int, v1::Appointment>> winners;
  std::vector<std::string> unexpected;
  std::atomic<int> full{0};
  RunConcurrently(kThreads, calls, [&](int i) {
    v1::Appointment a;
    grpc::Status s = world.Book(open.slots[i % kSlots].name(), i, &a);
    std::lock_guard<std::mutex> lock(mu);
    if (s.ok()) {
      winners.emplace_back(i, a);
      return;
    }
    RpcError e = Explain(s);
    if (e.code == grpc::StatusCode::FAILED_PRECONDITION && e.reason == "SLOT_FULL" &&
        e.field == "slot") {
      full.fetch_add(1);
    } else {
      std::ostringstream text;
      text << "call " << i << ": " << e;
      unexpected.push_back(text.str());
    }
  });

  const int places = kSlots * capacity;
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected answers, first: "
                                  << (unexpected.empty() ? "" : unexpected[0]);
  EXPECT_EQ(static_cast<int>(winners.size()), places);
  EXPECT_EQ(full.load(), calls - places);

  // Every winner got a coherent appointment of its own, in the slot asked for.
  std::map<std::string, int> per_slot;
  std::set<std::string> names, references;
  for (const auto& [i, a] : winners) {
    EXPECT_EQ(a.slot(), open.slots[i % kSlots].name());
    EXPECT_EQ(a.status(), v1::BOOKED);
    EXPECT_EQ(a.person().family_name(), PersonNumber(i).family_name());
    EXPECT_EQ(a.person().phone(), PhoneOf(i));
    EXPECT_EQ(a.desk(), open.desk.name());
    EXPECT_EQ(a.start_time().seconds(), open.slots[i % kSlots].start_time().seconds());
    ++per_slot[a.slot()];
    names.insert(a.name());
    references.insert(a.reference());
  }
  EXPECT_EQ(static_cast<int>(names.size()), places);
  EXPECT_EQ(static_cast<int>(references.size()), places);
  EXPECT_EQ(static_cast<int>(per_slot.size()), kSlots);
  for (const auto& [slot, n] : per_slot) EXPECT_EQ(n, capacity) << slot;

  // The database agrees, and the losers left nothing behind.
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments"), places);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.persons"), places);
  EXPECT_EQ(world.QueryInt("SELECT sum(booked) FROM booking.slots"), places);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots WHERE booked > capacity"), 0);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots WHERE booked <> capacity"), 0);
  EXPECT_EQ(world.InconsistentSlots(), 0);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM shared.requests"), requests_before + places);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log"), events_before + places);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log WHERE type = 'appointment.booked'"),
            places);

  // Nothing is offered any more.
  absl::Time now = world.clock().Now();
  EXPECT_TRUE(world.ListAllSlots(open.desk.name(), now, now + absl::Hours(24 * 7)).empty());

  // A latecomer is told the slot is full, whichever slot it picks.
  v1::Appointment late;
  EXPECT_TRUE(RpcFails(world.Book(open.slots[7].name(), calls + 1, &late),
                       grpc::StatusCode::FAILED_PRECONDITION, "SLOT_FULL", "slot"));
}

TEST(ConcurrentBookingTest, TwoHundredCallsOnTwentySlotsOfOneGiveTwentyAppointments) {
  Race(/*capacity=*/1, /*calls=*/200);
}

TEST(ConcurrentBookingTest, TwoHundredFortyCallsOnTwentySlotsOfThreeGiveSixtyAppointments) {
  Race(/*capacity=*/3, /*calls=*/240);
}

// A place freed by a cancellation goes to exactly one of the people racing
// for it.
TEST(ConcurrentBookingTest, APlaceFreedByACancellationGoesToExactlyOneRacer) {
  BookingWorld world(kJune1, kPoolSize);
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  ASSERT_EQ(open.slots.size(), static_cast<size_t>(kSlots));
  const std::string slot = open.slots[3].name();
  v1::Appointment first;
  ASSERT_TRUE(RpcOk(world.Book(slot, 1, &first)));
  v1::Appointment cancelled;
  ASSERT_TRUE(RpcOk(world.Cancel(first, &cancelled)));
  EXPECT_EQ(cancelled.status(), v1::CANCELLED);

  std::atomic<int> ok{0}, full{0}, other{0};
  RunConcurrently(kThreads, 64, [&](int i) {
    v1::Appointment a;
    RpcError e = Explain(world.Book(slot, 100 + i, &a));
    if (e.ok()) {
      ok.fetch_add(1);
    } else if (e.reason == "SLOT_FULL") {
      full.fetch_add(1);
    } else {
      other.fetch_add(1);
    }
  });
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(full.load(), 63);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(
      world.QueryInt("SELECT booked FROM booking.slots WHERE id = " + std::to_string(IdOf(slot))),
      1);
  EXPECT_EQ(world.InconsistentSlots(), 0);
}

// One person tries every slot at once (say, a script): the one-active-
// appointment rule holds under concurrency, and the refused attempts give
// their places back.
TEST(ConcurrentBookingTest, OnePersonBookingEverySlotAtOnceGetsOne) {
  BookingWorld world(kJune1, kPoolSize);
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  ASSERT_EQ(open.slots.size(), static_cast<size_t>(kSlots));
  std::atomic<int> ok{0}, exists{0}, other{0};
  RunConcurrently(kSlots, kSlots, [&](int i) {
    v1::Appointment a;
    RpcError e = Explain(world.Book(open.slots[i].name(), 7, &a));
    if (e.ok()) {
      ok.fetch_add(1);
    } else if (e.code == grpc::StatusCode::FAILED_PRECONDITION &&
               e.reason == "ACTIVE_APPOINTMENT_EXISTS" && e.field == "person") {
      exists.fetch_add(1);
    } else {
      other.fetch_add(1);
    }
  });
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exists.load(), kSlots - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments"), 1);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.persons"), 1);
  EXPECT_EQ(world.QueryInt("SELECT sum(booked) FROM booking.slots"), 1);
  EXPECT_EQ(world.InconsistentSlots(), 0);
  absl::Time now = world.clock().Now();
  EXPECT_EQ(world.ListAllSlots(open.desk.name(), now, now + absl::Hours(48)).size(),
            static_cast<size_t>(kSlots - 1));
}

// Several agents cancel the same appointment at once (distinct request ids):
// one cancellation, the place given back once.
TEST(ConcurrentBookingTest, ConcurrentCancellationsGiveThePlaceBackOnce) {
  BookingWorld world(kJune1, kPoolSize);
  DeskOptions options;
  options.capacity = 3;
  OpenedDesk open = world.OpenDesk(options);
  ASSERT_EQ(open.slots.size(), static_cast<size_t>(kSlots));
  const std::string slot = open.slots[0].name();
  std::vector<v1::Appointment> people(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(RpcOk(world.Book(slot, i, &people[i])));

  std::atomic<int> ok{0}, illegal{0}, other{0};
  RunConcurrently(12, 12, [&](int k) {
    v1::Appointment out;
    RpcError e = Explain(world.Cancel(people[0], &out, absl::StrCat("cancel-", k)));
    if (e.ok()) {
      ok.fetch_add(1);
    } else if (e.code == grpc::StatusCode::FAILED_PRECONDITION &&
               e.reason == "ILLEGAL_TRANSITION") {
      illegal.fetch_add(1);
    } else {
      other.fetch_add(1);
    }
  });
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(illegal.load(), 11);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(
      world.QueryInt("SELECT booked FROM booking.slots WHERE id = " + std::to_string(IdOf(slot))),
      2);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log "
                           "WHERE type = 'appointment.cancelled'"),
            1);
  EXPECT_EQ(world.InconsistentSlots(), 0);
}

}  // namespace
}  // namespace accueil::testing
