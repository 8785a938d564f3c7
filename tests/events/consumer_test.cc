// The consumer worker (services/common/consumer.h) against a real
// PostgreSQL: order and exactly-once across replicas, bulk transactions,
// wake-up on NOTIFY, a slow consumer not delaying another, failures, lag.
#include "services/common/consumer.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/commit_signal.h"
#include "tests/support/test_database.h"

namespace accueil::events {
namespace {

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::Create();
    auto pool = db::Pool::Create(db_->url(), 6);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
    pqxx::connection c(db_->url());
    pqxx::work tx(c);
    // What the test consumers apply; the primary key turns a second
    // application of one event into an error.
    tx.exec(
        "CREATE TABLE public.applied (consumer text, subject text, seq bigserial, "
        "PRIMARY KEY (consumer, subject))");
    tx.commit();
  }

  // Append writes `n` events in one transaction (one xid), subjects
  // `prefix`0 .. `prefix`n-1, occurred `age` ago.
  void Append(const std::string& prefix, int n, absl::Duration age = absl::ZeroDuration()) {
    pqxx::connection c(db_->url());
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO events.log (type, source, subject, occurred_time) "
        "SELECT 'test.happened', 'test', $1 || i, now() - make_interval(secs => $3) "
        "FROM generate_series(0, $2 - 1) AS i",
        prefix, n, absl::ToDoubleSeconds(age));
    tx.commit();
  }

  int64_t Applied(const std::string& consumer) {
    return std::stoll(db_->Query(
        absl::StrCat("SELECT count(*) FROM public.applied WHERE consumer = '", consumer, "'")));
  }

  // WaitFor polls `done` for up to 30 s (other tests on the cluster can
  // hold the log's horizon for a while).
  static bool WaitFor(const std::function<bool()>& done) {
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  // ReadFirst returns the first `n` events of the log once they are
  // readable (fails the test after 30 s).
  std::vector<Event> ReadFirst(pqxx::connection& c, size_t n) {
    std::vector<Event> events;
    EXPECT_TRUE(WaitFor([&] {
      pqxx::work tx(c);
      events = ReadEvents(tx, Cursor{}, static_cast<int>(n));
      return events.size() == n;
    }));
    return events;
  }

  // Recorder applies an event by inserting its subject, after `delay`.
  static Handler Recorder(const std::string& consumer,
                          absl::Duration delay = absl::ZeroDuration()) {
    return [consumer, delay](pqxx::work& tx, const Event& e) -> absl::Status {
      tx.exec_params("INSERT INTO public.applied (consumer, subject) VALUES ($1, $2)", consumer,
                     e.subject);
      if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
      return absl::OkStatus();
    };
  }

  static ConsumerOptions Fast() {
    ConsumerOptions o;
    o.poll_interval = absl::Milliseconds(100);
    o.retry_interval = absl::Milliseconds(50);
    return o;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<db::Pool> pool_;
  SystemClock clock_;
};

TEST_F(ConsumerTest, AppliesABulkTransactionWhollyAndInOrder) {
  Append("bulk-", 3000);  // one xid, more than a batch
  ConsumerOptions options = Fast();
  options.batch_size = 500;
  Consumer consumer("test.bulk", pool_.get(), &clock_, Recorder("bulk"), options);
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return Applied("bulk") == 3000; }));
  consumer.Stop();
  // Applied in the log's order: seq follows the subjects' numbers.
  EXPECT_EQ(db_->Query("SELECT count(*) FROM (SELECT seq, row_number() OVER (ORDER BY "
                       "substr(subject, 6)::int) AS n, min(seq) OVER () AS first "
                       "FROM public.applied) s WHERE seq - first + 1 <> n"),
            "0");
  EXPECT_EQ(Applied("bulk"), 3000);
  EXPECT_EQ(consumer.Lag(), absl::ZeroDuration());
}

TEST_F(ConsumerTest, ReplicasOfOneNameApplyEachEventOnce) {
  std::vector<std::unique_ptr<Consumer>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(
        std::make_unique<Consumer>("test.replicated", pool_.get(), &clock_, Recorder("r"), Fast()));
    replicas.back()->Start();
  }
  for (int round = 0; round < 20; ++round) Append(absl::StrCat("r", round, "-"), 10);
  ASSERT_TRUE(WaitFor([&] { return Applied("r") == 200; }));
  int active = 0;
  for (const auto& r : replicas) {
    active += r->Active() ? 1 : 0;
    EXPECT_TRUE(r->Healthy());  // a double application would have failed
  }
  EXPECT_EQ(active, 1);
  // The active one stops: another takes over and applies what follows.
  for (auto& r : replicas) {
    if (r->Active()) {
      r->Stop();
      break;
    }
  }
  Append("after-", 5);
  EXPECT_TRUE(WaitFor([&] { return Applied("r") == 205; }));
}

TEST_F(ConsumerTest, AStaleInstanceCannotMoveTheCursorBack) {
  Append("x", 2);
  pqxx::connection c(db_->url());
  const std::vector<Event> events = ReadFirst(c, 2);
  ASSERT_EQ(events.size(), 2u);
  Cursor first;
  {
    pqxx::work tx(c);
    first = events[0].cursor();
    EXPECT_TRUE(AdvanceCursor(tx, "test.stale", Cursor{}, events[1].cursor(), absl::Now()));
    tx.commit();
  }
  pqxx::work tx(c);
  // Read before the advance, applied after it: refused.
  EXPECT_FALSE(AdvanceCursor(tx, "test.stale", Cursor{}, first, absl::Now()));
}

TEST_F(ConsumerTest, FindingItsCursorMovedIsNotAFailure) {
  Append("m", 2);  // one transaction
  absl::Notification reading, moved;
  ConsumerOptions options = Fast();
  options.batch_size = 1;
  options.retry_interval = absl::Hours(1);  // a failed batch would wait an hour
  Consumer consumer(
      "test.moved", pool_.get(), &clock_,
      [&](pqxx::work& tx, const Event& e) -> absl::Status {
        tx.exec_params("INSERT INTO public.applied (consumer, subject) VALUES ('moved', $1)",
                       e.subject);
        if (e.subject == "m0" && !reading.HasBeenNotified()) {
          reading.Notify();
          moved.WaitForNotification();
        }
        return absl::OkStatus();
      },
      options);
  // However the test ends, the batch in flight is let go first.
  absl::Cleanup let_go = [&] {
    if (!moved.HasBeenNotified()) moved.Notify();
  };
  consumer.Start();
  ASSERT_TRUE(reading.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // Meanwhile a backfill applied both and moved the cursor past them.
  pqxx::connection c(db_->url());
  const std::vector<Event> events = ReadFirst(c, 2);
  ASSERT_EQ(events.size(), 2u);
  {
    pqxx::work tx(c);
    ASSERT_TRUE(AdvanceCursor(tx, "test.moved", Cursor{}, events[1].cursor(), absl::Now()));
    tx.commit();
  }
  Append("n", 1);  // readable once the batch in flight ends
  moved.Notify();
  // The batch in flight rolled back (m0 is not applied); the consumer read
  // its cursor again and went on at once after the backfill's last event.
  ASSERT_TRUE(WaitFor([&] { return Applied("moved") == 1; }));
  EXPECT_EQ(db_->Query("SELECT subject FROM public.applied WHERE consumer = 'moved'"), "n0");
  EXPECT_TRUE(consumer.Healthy());
  consumer.Stop();
}

TEST_F(ConsumerTest, IsWokenByTheCommitSignal) {
  ConsumerOptions options = Fast();
  options.poll_interval = absl::Hours(1);  // only the first read polls
  Consumer consumer("test.woken", pool_.get(), &clock_, Recorder("w"), options);
  CommitSignal signal(pool_.get());  // as a writer in another process would
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.Active(); }));
  Append("first", 1);
  signal.Ring(Log::kEvents);
  ASSERT_TRUE(WaitFor([&] { return Applied("w") == 1; }));
  Append("second", 1);
  signal.Ring(Log::kEvents);
  EXPECT_TRUE(WaitFor([&] { return Applied("w") == 2; }));
}

TEST_F(ConsumerTest, IsWokenByItsOwnLogsChannelOnly) {
  ConsumerOptions options = Fast();
  options.poll_interval = absl::Hours(1);  // only the first read polls
  Consumer consumer("test.own_channel", pool_.get(), &clock_, Recorder("o"), options);
  CommitSignal signal(pool_.get());
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.Active(); }));
  // Let the first poll end, so that "first" is read because of the ring.
  absl::SleepFor(absl::Milliseconds(300));
  Append("first", 1);
  signal.Ring(Log::kEvents);  // as its writer does
  ASSERT_TRUE(WaitFor([&] { return Applied("o") == 1; }));
  // A wake-up still pending from the first ring would read "second" below
  // (seen in CI once): let it be served while there is nothing to read.
  absl::SleepFor(absl::Milliseconds(300));
  Append("second", 1);
  signal.Ring(Log::kAuditOutbox);  // another log's writer: not for this consumer
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(Applied("o"), 1);
  signal.Ring(Log::kEvents);
  EXPECT_TRUE(WaitFor([&] { return Applied("o") == 2; }));
}

TEST_F(ConsumerTest, ASlowConsumerDoesNotDelayAnother) {
  Append("backlog-", 400);
  ConsumerOptions slow_options = Fast();
  slow_options.batch_size = 1000;                             // the whole backlog in one read...
  slow_options.max_batch_duration = absl::Milliseconds(200);  // ...cut by time
  // 400 events at 25 ms: a 10 s backfill, writing as it goes.
  Consumer slow("test.slow", pool_.get(), &clock_, Recorder("slow", absl::Milliseconds(25)),
                slow_options);
  slow.Start();
  ASSERT_TRUE(WaitFor([&] { return Applied("slow") > 0; }));

  std::atomic<int64_t> slow_done_when_seen{-1};
  Consumer fast(
      "test.fast", pool_.get(), &clock_,
      [&](pqxx::work& tx, const Event& e) -> absl::Status {
        if (e.subject == "news0") {
          slow_done_when_seen = std::stoll(
              tx.exec("SELECT count(*) FROM public.applied WHERE consumer = 'slow'")[0][0]
                  .as<std::string>());
        }
        return absl::OkStatus();
      },
      Fast());
  fast.Start();
  Append("news", 1);
  ASSERT_TRUE(WaitFor([&] { return slow_done_when_seen.load() >= 0; }));
  // The fast consumer saw the news while the slow one was still backfilling.
  EXPECT_LT(slow_done_when_seen.load(), 400);
  slow.Stop();
  fast.Stop();
}

TEST_F(ConsumerTest, AFailingBatchIsRolledBackAndRetried) {
  Append("f", 3);
  std::atomic<int> failures_left{3};
  Consumer consumer(
      "test.failing", pool_.get(), &clock_,
      [&](pqxx::work& tx, const Event& e) -> absl::Status {
        tx.exec_params("INSERT INTO public.applied (consumer, subject) VALUES ('f', $1)",
                       e.subject);
        if (e.subject == "f2" && failures_left.fetch_sub(1) > 0) {
          return absl::UnavailableError("not yet");
        }
        return absl::OkStatus();
      },
      Fast());
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return !consumer.Healthy(); }));
  EXPECT_EQ(Applied("f"), 0);  // the batch's first events rolled back with it
  ASSERT_TRUE(WaitFor([&] { return Applied("f") == 3; }));
  EXPECT_TRUE(WaitFor([&] { return consumer.Healthy(); }));
}

TEST_F(ConsumerTest, ReportsItsLag) {
  Append("old", 2, absl::Hours(1));  // one transaction: readable together
  absl::Notification first_applied, release;
  ConsumerOptions options = Fast();
  options.batch_size = 1;
  Consumer consumer(
      "test.lag", pool_.get(), &clock_,
      [&](pqxx::work&, const Event& e) -> absl::Status {
        if (e.subject == "old0") {
          first_applied.Notify();
        } else {
          release.WaitForNotification();
        }
        return absl::OkStatus();
      },
      options);
  consumer.Start();
  first_applied.WaitForNotification();
  // After the first batch, one event an hour old is still to apply.
  EXPECT_TRUE(WaitFor([&] { return consumer.Lag() >= absl::Minutes(59); }));
  release.Notify();
  EXPECT_TRUE(WaitFor([&] { return consumer.Lag() == absl::ZeroDuration(); }));
}

}  // namespace
}  // namespace accueil::events
