// Moving an appointment: the new place is taken and the old one given back
// in one transaction, or nothing changes; concurrent moves neither overbook
// nor deadlock.
#include <algorithm>
#include <map>
#include <mutex>
#include <sstream>

#include <pqxx/pqxx>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

int64_t Booked(BookingWorld& world, const std::string& slot) {
  return world.QueryInt("SELECT booked FROM booking.slots WHERE id = " +
                        std::to_string(IdOf(slot)));
}

// Remaining capacity of each listed slot, by name.
std::map<std::string, int> Remaining(BookingWorld& world, const OpenedDesk& open) {
  absl::Time now = world.clock().Now();
  std::map<std::string, int> out;
  for (const v1::Slot& s : world.ListAllSlots(open.desk.name(), now, now + absl::Hours(24 * 7))) {
    out[s.name()] = s.remaining_capacity();
  }
  return out;
}

TEST(RescheduleTest, MoveGivesBackTheOldPlaceAndTakesTheNewOne) {
  BookingWorld world;
  DeskOptions options;
  options.capacity = 2;
  OpenedDesk open = world.OpenDesk(options);
  ASSERT_EQ(open.slots.size(), 20u);
  const v1::Slot& s0 = open.slots[0];
  const v1::Slot& s1 = open.slots[1];
  v1::Appointment a, b;
  ASSERT_TRUE(RpcOk(world.Book(s0.name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world.Book(s0.name(), 2, &b)));
  std::map<std::string, int> before = Remaining(world, open);
  EXPECT_EQ(before.count(s0.name()), 0u);  // full: no longer offered
  EXPECT_EQ(before[s1.name()], 2);

  world.clock().Advance(absl::Minutes(3));
  v1::Appointment moved;
  ASSERT_TRUE(RpcOk(world.Reschedule(a, s1.name(), &moved)));
  EXPECT_EQ(moved.name(), a.name());
  EXPECT_EQ(moved.reference(), a.reference());
  EXPECT_EQ(moved.access_code(), a.access_code());
  EXPECT_EQ(moved.status(), v1::BOOKED);
  EXPECT_EQ(moved.slot(), s1.name());
  EXPECT_EQ(moved.start_time().seconds(), s1.start_time().seconds());
  EXPECT_EQ(moved.end_time().seconds(), s1.end_time().seconds());
  EXPECT_EQ(moved.update_time().seconds(), absl::ToUnixSeconds(world.clock().Now()));
  EXPECT_EQ(moved.create_time().seconds(), a.create_time().seconds());

  std::map<std::string, int> after = Remaining(world, open);
  EXPECT_EQ(after[s0.name()], 1);
  EXPECT_EQ(after[s1.name()], 1);
  EXPECT_EQ(Booked(world, s0.name()), 1);
  EXPECT_EQ(Booked(world, s1.name()), 1);

  v1::Appointment fetched;
  ASSERT_TRUE(RpcOk(world.Get(a, &fetched)));
  EXPECT_EQ(fetched.slot(), s1.name());
  ASSERT_TRUE(RpcOk(world.Get(b, &fetched)));
  EXPECT_EQ(fetched.slot(), s0.name());

  EXPECT_EQ(world.Query("SELECT concat_ws(',', payload->>'from_slot', payload->>'to_slot') "
                        "FROM events.log WHERE type = 'appointment.rescheduled'"),
            absl::StrCat(IdOf(s0.name()), ",", IdOf(s1.name())));
  EXPECT_EQ(world.InconsistentSlots(), 0);
}

TEST(RescheduleTest, RefusedMovesLeaveTheAppointmentUntouched) {
  BookingWorld world;
  OpenedDesk open = world.OpenDesk(DeskOptions{});  // capacity 1
  ASSERT_EQ(open.slots.size(), 20u);
  OpenedDesk other = world.OpenDeskAt(open.site, DeskOptions{});
  ASSERT_EQ(other.slots.size(), 20u);
  v1::Appointment a, b, c;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[0].name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world.Book(open.slots[1].name(), 2, &b)));
  ASSERT_TRUE(RpcOk(world.Book(open.slots[2].name(), 3, &c)));
  v1::Appointment cancelled;
  ASSERT_TRUE(RpcOk(world.Cancel(c, &cancelled)));

  auto state = [&] {
    return world.Query(
        "SELECT concat_ws(' ', (SELECT string_agg(concat_ws(',', id, slot_id, status, "
        "update_time), ';' ORDER BY id) FROM booking.appointments), "
        "(SELECT string_agg(booked::text, ',' ORDER BY id) FROM booking.slots), "
        "(SELECT count(*) FROM shared.requests), (SELECT count(*) FROM events.log))");
  };
  const std::string before = state();
  world.clock().Advance(absl::Minutes(1));
  v1::Appointment out;

  EXPECT_TRUE(RpcFails(world.Reschedule(a, open.slots[1].name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "SLOT_FULL", "new_slot"));
  EXPECT_TRUE(RpcFails(world.Reschedule(a, other.slots[3].name(), &out),
                       grpc::StatusCode::INVALID_ARGUMENT, "SLOT_OTHER_DESK", "new_slot"));
  EXPECT_TRUE(RpcFails(world.Reschedule(a, "slots/999999", &out), grpc::StatusCode::NOT_FOUND,
                       "SLOT_NOT_FOUND", "new_slot"));
  EXPECT_TRUE(RpcFails(world.Reschedule(a, open.slots[0].name(), &out),
                       grpc::StatusCode::INVALID_ARGUMENT, "SAME_SLOT", "new_slot"));
  EXPECT_TRUE(RpcFails(world.Reschedule(c, open.slots[5].name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ILLEGAL_TRANSITION", "status"));
  v1::Appointment wrong = a;
  wrong.set_access_code(b.access_code());
  EXPECT_TRUE(RpcFails(world.Reschedule(wrong, open.slots[5].name(), &out),
                       grpc::StatusCode::PERMISSION_DENIED, "WRONG_ACCESS_CODE", "access_code"));
  EXPECT_EQ(state(), before);

  // Once a slot has started it cannot be the target; once the appointment
  // has started it cannot move.
  world.clock().Set(FromTs(open.slots[0].start_time()) + absl::Minutes(1));
  EXPECT_TRUE(RpcFails(world.Reschedule(b, open.slots[0].name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "SLOT_IN_PAST", "new_slot"));
  EXPECT_TRUE(RpcFails(world.Reschedule(a, open.slots[6].name(), &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "APPOINTMENT_STARTED", "reference"));
  EXPECT_EQ(state(), before);

  v1::Appointment fetched;
  ASSERT_TRUE(RpcOk(world.Get(a, &fetched)));
  EXPECT_EQ(fetched.slot(), open.slots[0].name());
  EXPECT_EQ(fetched.status(), v1::BOOKED);
  EXPECT_EQ(fetched.update_time().seconds(), a.update_time().seconds());
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log "
                           "WHERE type = 'appointment.rescheduled'"),
            0);
}

// Everybody wants the one free place: one gets it, nobody loses theirs.
TEST(RescheduleTest, ManyMoversIntoOneFreePlaceExactlyOneWins) {
  BookingWorld world(kJune1, 16);
  OpenedDesk open = world.OpenDesk(DeskOptions{});  // 20 slots of capacity 1
  ASSERT_EQ(open.slots.size(), 20u);
  constexpr int kPeople = 19;
  std::vector<v1::Appointment> people(kPeople);
  for (int i = 0; i < kPeople; ++i) {
    ASSERT_TRUE(RpcOk(world.Book(open.slots[i + 1].name(), i, &people[i])));
  }

  // Round after round, everyone still waiting races for the place the
  // previous winner left (round 0: slot 0, never booked).
  std::string free_slot = open.slots[0].name();
  std::vector<int> waiting;
  for (int i = 0; i < kPeople; ++i) waiting.push_back(i);
  for (int round = 0; round < 4; ++round) {
    std::mutex mu;
    std::vector<int> winners;
    std::vector<std::string> unexpected;
    std::atomic<int> full{0};
    RunConcurrently(16, static_cast<int>(waiting.size()), [&](int k) {
      int i = waiting[k];
      v1::Appointment out;
      RpcError e = Explain(world.Reschedule(people[i], free_slot, &out));
      std::lock_guard<std::mutex> lock(mu);
      if (e.ok()) {
        winners.push_back(i);
      } else if (e.code == grpc::StatusCode::FAILED_PRECONDITION && e.reason == "SLOT_FULL" &&
                 e.field == "new_slot") {
        full.fetch_add(1);
      } else {
        std::ostringstream text;
        text << e;
        unexpected.push_back(text.str());
      }
    });
    ASSERT_EQ(winners.size(), 1u) << "round " << round;
    EXPECT_EQ(full.load(), static_cast<int>(waiting.size()) - 1) << "round " << round;
    EXPECT_TRUE(unexpected.empty()) << (unexpected.empty() ? "" : unexpected[0]);

    const int winner = winners[0];
    v1::Appointment now;
    ASSERT_TRUE(RpcOk(world.Get(people[winner], &now)));
    EXPECT_EQ(now.slot(), free_slot);
    const std::string left = people[winner].slot();
    EXPECT_EQ(Booked(world, left), 0) << "round " << round;
    EXPECT_EQ(Booked(world, free_slot), 1) << "round " << round;
    people[winner] = now;
    free_slot = left;
    waiting.erase(std::find(waiting.begin(), waiting.end(), winner));

    // Every loser still holds its own place.
    for (int i : waiting) {
      v1::Appointment still;
      ASSERT_TRUE(RpcOk(world.Get(people[i], &still)));
      EXPECT_EQ(still.slot(), people[i].slot());
      EXPECT_EQ(still.status(), v1::BOOKED);
    }
    EXPECT_EQ(world.InconsistentSlots(), 0) << "round " << round;
  }

  // One appointment per person, no more, no less.
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments WHERE status = 'booked'"),
            kPeople);
  EXPECT_EQ(world.QueryInt("SELECT count(DISTINCT person_key) FROM booking.appointments"), kPeople);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.persons"), kPeople);
  EXPECT_EQ(world.QueryInt("SELECT sum(booked) FROM booking.slots"), kPeople);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log "
                           "WHERE type = 'appointment.rescheduled'"),
            4);
}

// Pairs of people swap slots at the same time (A: s1 -> s2 while B: s2 -> s1,
// capacity 2 so both moves fit): no error, books balanced. (Whether the pool
// reports or retries a deadlock, CrossingMovesInSqlNeverDeadlock below sees
// it directly.)
TEST(RescheduleTest, CrossingMovesThroughTheServiceAllSucceed) {
  BookingWorld world(kJune1, 16);
  DeskOptions options;
  options.capacity = 2;
  OpenedDesk open = world.OpenDesk(options);
  ASSERT_EQ(open.slots.size(), 20u);
  constexpr int kPairs = 10;
  std::vector<v1::Appointment> people(2 * kPairs);
  for (int i = 0; i < 2 * kPairs; ++i) {
    ASSERT_TRUE(RpcOk(world.Book(open.slots[i].name(), i, &people[i])));
  }
  for (int round = 0; round < 6; ++round) {
    std::mutex mu;
    std::vector<std::string> errors;
    std::vector<v1::Appointment> next = people;
    RunConcurrently(2 * kPairs, 2 * kPairs, [&](int i) {
      const int partner = i ^ 1;  // 0<->1, 2<->3, ...
      v1::Appointment out;
      grpc::Status s = world.Reschedule(people[i], people[partner].slot(), &out);
      std::lock_guard<std::mutex> lock(mu);
      if (s.ok()) {
        next[i] = out;
      } else {
        std::ostringstream text;
        text << "person " << i << ": " << Explain(s);
        errors.push_back(text.str());
      }
    });
    ASSERT_TRUE(errors.empty()) << "round " << round << ": " << errors[0];
    for (int i = 0; i < 2 * kPairs; ++i) {
      EXPECT_EQ(next[i].slot(), people[i ^ 1].slot()) << "round " << round;
    }
    people = next;
    EXPECT_EQ(world.InconsistentSlots(), 0);
    EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots WHERE booked <> 1"), 0);
  }
}

// A person cancels while (on another device) moving the same appointment:
// whichever wins, the books balance and the place is never given back twice.
TEST(RescheduleTest, CancelRacingAMoveKeepsTheBooksBalanced) {
  BookingWorld world(kJune1, 16);
  DeskOptions options;
  options.capacity = 2;
  OpenedDesk open = world.OpenDesk(options);
  ASSERT_EQ(open.slots.size(), 20u);
  int cancelled_first = 0, moved_first = 0;
  for (int round = 0; round < 9; ++round) {
    const std::string from = open.slots[2 * round].name();
    const std::string to = open.slots[2 * round + 1].name();
    v1::Appointment a;
    ASSERT_TRUE(RpcOk(world.Book(from, round, &a)));
    RpcError cancel, move;
    RunConcurrently(2, 2, [&](int k) {
      v1::Appointment out;
      if (k == 0) {
        cancel = Explain(world.Cancel(a, &out));
      } else {
        move = Explain(world.Reschedule(a, to, &out));
      }
    });
    EXPECT_TRUE(cancel.ok()) << cancel;  // a moved appointment can still be cancelled
    v1::Appointment now;
    ASSERT_TRUE(RpcOk(world.Get(a, &now)));
    EXPECT_EQ(now.status(), v1::CANCELLED);
    if (move.ok()) {
      ++moved_first;
      EXPECT_EQ(now.slot(), to);
    } else {
      ++cancelled_first;
      EXPECT_EQ(move.reason, "ILLEGAL_TRANSITION") << move;
      EXPECT_EQ(now.slot(), from);
    }
    EXPECT_EQ(Booked(world, from), 0) << "round " << round;
    EXPECT_EQ(Booked(world, to), 0) << "round " << round;
  }
  EXPECT_EQ(cancelled_first + moved_first, 9);
  EXPECT_EQ(world.InconsistentSlots(), 0);
  EXPECT_EQ(world.QueryInt("SELECT sum(booked) FROM booking.slots"), 0);
}

// The same crossing moves straight against the SQL function, on connections
// of our own, without any retry, so any lock-order deadlock surfaces as
// "deadlock detected" (SQLSTATE 40P01).
TEST(RescheduleTest, CrossingMovesInSqlNeverDeadlock) {
  BookingWorld world;
  DeskOptions options;
  options.capacity = 2;
  OpenedDesk open = world.OpenDesk(options);
  ASSERT_EQ(open.slots.size(), 20u);
  constexpr int kPairs = 10;
  std::vector<int64_t> ids(2 * kPairs), slot_of(2 * kPairs);
  for (int i = 0; i < 2 * kPairs; ++i) {
    v1::Appointment a;
    ASSERT_TRUE(RpcOk(world.Book(open.slots[i].name(), i, &a)));
    ids[i] = IdOf(a.name());
    slot_of[i] = IdOf(a.slot());
  }
  const std::string now =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", world.clock().Now(), absl::UTCTimeZone());
  const std::string url = world.server().database().url();

  constexpr int kRounds = 40;
  std::atomic<int> deadlocks{0}, other_errors{0}, moves{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int i = 0; i < 2 * kPairs; ++i) {
    threads.emplace_back([&, i] {
      pqxx::connection c(url);
      const int partner = i ^ 1;
      int64_t mine = slot_of[i], theirs = slot_of[partner];
      ready.fetch_add(1);
      while (ready.load() < 2 * kPairs) std::this_thread::yield();
      for (int round = 0; round < kRounds; ++round) {
        try {
          pqxx::nontransaction tx(c);
          tx.exec_params(
              "SELECT id FROM booking.reschedule_appointment("
              "$1, '\\x01'::bytea, $2::timestamptz, $3, $4)",
              absl::StrCat("raw-", i, "-", round), now, ids[i], theirs);
          std::swap(mine, theirs);
          moves.fetch_add(1);
        } catch (const std::exception& e) {
          // libpqxx 6 throws pqxx::deadlock_detected, which is not an
          // sql_error; newer versions throw an sql_error with 40P01.
          const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
          bool deadlock = dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr ||
                          (sql != nullptr && sql->sqlstate() == "40P01");
          (deadlock ? deadlocks : other_errors).fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.empty()) first_error = e.what();
          // Not moved: the next round tries the same move again.
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(deadlocks.load(), 0) << first_error;
  EXPECT_EQ(other_errors.load(), 0) << first_error;
  EXPECT_EQ(moves.load(), 2 * kPairs * kRounds);
  EXPECT_EQ(world.InconsistentSlots(), 0);
  EXPECT_EQ(world.QueryInt("SELECT sum(booked) FROM booking.slots"), 2 * kPairs);
}

}  // namespace
}  // namespace accueil::testing
