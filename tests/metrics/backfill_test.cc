// The set-based backfill (services/metrics/backfill.h, metrics.rebuild_facts
// and rebuild_rollups in db/migrations/0024_metrics_apply_batch.sql) against
// a real PostgreSQL: it gives exactly the facts and rollups the consumer
// metrics.rollup made from the same history; the consumer goes on from the
// backfill's cursor, each event applied once, also when a batch of it was
// caught in the middle of the backfill; `accueil-server metrics-backfill`
// runs it.
#include "services/metrics/backfill.h"

#include <thread>

#include <gtest/gtest.h>

#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "services/allinone/modules.h"
#include "services/common/consumer.h"
#include "services/common/server_commands.h"
#include "services/metrics/rollup_consumer.h"
#include "tests/metrics/history.h"
#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

namespace mv1 = ::accueil::metrics::v1;
using namespace metrics_test;  // NOLINT: the helpers of this directory

// Paris local time on Tuesday 2 June 2026 (UTC+2).
absl::Time June2At(int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2026, 6, 2, hour, minute),
                         absl::FixedTimeZone(2 * 3600));
}

// The clock of the backfills whose cursor moves the tests tell apart.
const absl::Time kBackfillTime = absl::FromUnixSeconds(978307200);  // 2001-01-01

// The consumer's moves after the `first`-th form one chain, each from where
// the previous one left it and each forward: no event applied twice by
// committed batches, none skipped.
::testing::AssertionResult Chained(const std::vector<CursorMove>& moves, size_t first) {
  for (size_t i = std::max<size_t>(first, 1); i < moves.size(); ++i) {
    if (!SameCursor(moves[i].from, moves[i - 1].to)) {
      return ::testing::AssertionFailure()
             << "move " << i << " starts at " << CursorText(moves[i].from) << ", not at "
             << CursorText(moves[i - 1].to);
    }
    if (!CursorLess(moves[i].from, moves[i].to)) {
      return ::testing::AssertionFailure()
             << "move " << i << " from " << CursorText(moves[i].from) << " to "
             << CursorText(moves[i].to) << " does not go forward";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(MetricsBackfill, AgreesWithTheConsumerWhichGoesOnFromItsCursor) {
  ReceptionWorld world(6);
  TestServer& server = world.booking.server();
  const std::string url = server.database().url();
  RecordCursorMoves(url);
  const std::string site = world.desk.site.name();
  auto officer = mv1::MetricsService::NewStub(
      server.Channel(server.Token("quality-1", {{access::v1::QUALITY_OFFICER, IdOf(site)}})));
  auto report = [&](mv1::IndicatorReport* out) {
    mv1::GetIndicatorReportRequest req;
    req.set_site(site);
    req.set_from_month("2026-06");
    req.set_to_month("2026-06");
    grpc::Status s = CallOn(*officer, &mv1::MetricsService::Stub::GetIndicatorReport, req, out);
    out->clear_lag();
    return s;
  };

  // A morning through the RPCs: person 1 checks in at 09:05, is called at
  // 09:17 and served until 09:27; person 3 cancels; a walk-in is informed.
  world.booking.clock().Set(June2At(9, 5));
  rv1::Visit visit, called, started;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  world.booking.clock().Set(June2At(9, 17));
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  world.booking.clock().Set(June2At(9, 18));
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &started)));
  world.booking.clock().Set(June2At(9, 27));
  rv1::FinishVisitResponse done;
  ASSERT_TRUE(RpcOk(world.Finish(started, rv1::SERVED, &done)));
  v1::Appointment cancelled;
  ASSERT_TRUE(RpcOk(world.booking.Cancel(world.appointments[2], &cancelled)));
  rv1::RegisterWalkInRequest walk_in;
  walk_in.set_site(site);
  walk_in.set_reason("asks which documents a renewal needs");
  walk_in.set_outcome(rv1::INFORMED);
  rv1::WalkIn registered;
  ASSERT_TRUE(RpcOk(
      CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, walk_in, &registered)));
  // And a random history of other sites, written straight into the log.
  AppendHistory(url, RandomHistory(101, 1000000));

  ASSERT_TRUE(WaitForConsumer(url));
  const Tables incremental = ReadTables(url);
  ASSERT_GT(incremental.rows.at("appointments").size(), 100u);
  ASSERT_GT(incremental.rows.at("visits").size(), 50u);
  ASSERT_GT(incremental.rows.at("month_measures").size(), 100u);
  mv1::IndicatorReport before;
  ASSERT_TRUE(RpcOk(report(&before)));
  ASSERT_EQ(before.rows_size(), 30);  // every indicator, manual ones included

  // The backfill, while the server's consumer is active (it keeps its lock).
  ManualClock clock(kBackfillTime);
  absl::StatusOr<metrics::BackfillResult> backfill = metrics::Backfill(server.pool(), clock);
  ASSERT_TRUE(backfill.ok()) << backfill.status();
  EXPECT_TRUE(backfill->consumer_active);
  // Nothing was written meanwhile: it read what the consumer had applied.
  EXPECT_TRUE(SameCursor(backfill->from, incremental.cursor));
  EXPECT_TRUE(SameCursor(backfill->to, incremental.cursor));
  EXPECT_EQ(backfill->events_read,
            std::stoll(server.database().Query(
                absl::StrCat("SELECT count(*) FROM events.log WHERE (txid, position) <= ('",
                             backfill->to.txid, "'::xid8, ", backfill->to.position, ")"))));
  EXPECT_EQ(backfill->appointments,
            static_cast<int64_t>(incremental.rows.at("appointments").size()));
  EXPECT_EQ(backfill->visits, static_cast<int64_t>(incremental.rows.at("visits").size()));
  EXPECT_EQ(backfill->walk_ins, static_cast<int64_t>(incremental.rows.at("walk_ins").size()));
  EXPECT_EQ(backfill->day_rows, static_cast<int64_t>(incremental.rows.at("day_measures").size()));
  EXPECT_EQ(backfill->month_rows,
            static_cast<int64_t>(incremental.rows.at("month_measures").size()));
  const Tables backfilled = ReadTables(url);
  EXPECT_TRUE(SameCursor(backfilled.cursor, backfill->to));
  EXPECT_TRUE(SameTables(incremental, backfilled));
  mv1::IndicatorReport after;
  ASSERT_TRUE(RpcOk(report(&after)));
  EXPECT_EQ(after.DebugString(), before.DebugString());

  // The backfill's move is the last so far.
  std::vector<CursorMove> moves = CursorMoves(url);
  ASSERT_FALSE(moves.empty());
  const size_t backfill_move = moves.size() - 1;
  EXPECT_EQ(moves.back().time, kBackfillTime);
  EXPECT_TRUE(SameCursor(moves.back().from, backfill->from));
  EXPECT_TRUE(SameCursor(moves.back().to, backfill->to));

  // More: person 2 checks in late, a second walk-in, another random history.
  world.booking.clock().Set(June2At(9, 50));
  rv1::Visit second;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[1].reference(), &second, true)));
  ASSERT_TRUE(RpcOk(
      CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, walk_in, &registered)));
  AppendHistory(url, RandomHistory(102, 2000000));
  ASSERT_TRUE(WaitForConsumer(url));
  const Tables later = ReadTables(url);

  // The consumer went on from the backfill's cursor, each batch after the
  // previous one, to the end of the log.
  moves = CursorMoves(url);
  ASSERT_GT(moves.size(), backfill_move + 1);
  EXPECT_TRUE(SameCursor(moves[backfill_move + 1].from, backfill->to));
  EXPECT_TRUE(Chained(moves, backfill_move + 1));
  EXPECT_TRUE(SameCursor(moves.back().to, later.cursor));
  // What it made is what a backfill of the whole log makes now...
  absl::StatusOr<metrics::BackfillResult> again = metrics::Backfill(server.pool(), clock);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(SameCursor(again->to, later.cursor));
  EXPECT_TRUE(SameTables(later, ReadTables(url)));
  // ...and what the definitions give from the raw events.
  const AtCursor at = ReadAtCursor(url);
  EXPECT_TRUE(SameRollups(at.months, Recompute(at.events)));
}

TEST(MetricsBackfill, AConsumerBatchCaughtByTheBackfillRollsBackAndGoesOnAfterIt) {
  std::unique_ptr<TestDatabase> db = TestDatabase::Create();
  const std::string url = db->url();
  RecordCursorMoves(url);
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(url, 4);
  ASSERT_TRUE(pool.ok()) << pool.status();
  SystemClock clock;
  events::ConsumerOptions options = metrics::RollupConsumerOptions();
  options.poll_interval = absl::Milliseconds(100);
  // A failed batch would not be tried again within the test.
  options.retry_interval = absl::Hours(1);
  {
    // A first instance applies a first history, then stops.
    std::unique_ptr<events::Consumer> first =
        metrics::NewRollupConsumer(pool->get(), &clock, nullptr, options);
    AppendHistory(url, RandomHistory(201, 1000000, 100, 30));
    first->Start();
    ASSERT_TRUE(WaitForConsumer(url));
    first->Stop();
  }
  const events::Cursor applied = NewestEvent(url);
  AppendHistory(url, RandomHistory(202, 2000000, 100, 30));
  const events::Cursor written = NewestEvent(url);
  ASSERT_TRUE(CursorLess(applied, written));
  // Readable by anyone from now on (other tests' transactions may delay it).
  ASSERT_TRUE(WaitForReadable(url, written));

  // The test holds the consumer's lock (the backfill sees a consumer
  // active) and the cursor's row (the backfill stops before moving it, with
  // the facts locked).
  pqxx::connection locker(url);
  ASSERT_TRUE(events::TryLockConsumer(locker, metrics::kRollupConsumerName));
  pqxx::connection holder(url);
  pqxx::work hold(holder);
  hold.exec("SELECT 1 FROM events.cursors WHERE consumer = 'metrics.rollup' FOR UPDATE");
  absl::StatusOr<metrics::BackfillResult> backfill;
  // Its own clock tells its move from the consumer's.
  ManualClock backfill_clock(kBackfillTime);
  std::thread backfilling([&] { backfill = metrics::Backfill(**pool, backfill_clock); });
  const ::testing::AssertionResult backfill_waits =
      WaitForLockWait(url, "INSERT INTO events.cursors%");
  // Now a consumer becomes active, reads what the first one did not apply
  // and waits on the facts.
  {
    pqxx::nontransaction unlock(locker);
    unlock.exec("SELECT pg_advisory_unlock_all()");
    unlock.commit();
  }
  std::unique_ptr<events::Consumer> consumer =
      metrics::NewRollupConsumer(pool->get(), &clock, nullptr, options);
  consumer->Start();
  const ::testing::AssertionResult consumer_waits =
      WaitForLockWait(url, "SELECT metrics.apply_events%");
  // Written now, readable once both transactions end.
  AppendHistory(url, RandomHistory(203, 3000000, 50, 20));
  hold.abort();
  backfilling.join();
  ASSERT_TRUE(backfill_waits);
  EXPECT_TRUE(consumer_waits);
  ASSERT_TRUE(backfill.ok()) << backfill.status();
  EXPECT_TRUE(backfill->consumer_active);
  EXPECT_TRUE(SameCursor(backfill->from, applied));
  EXPECT_TRUE(SameCursor(backfill->to, written));

  // Its batch found the cursor moved and rolled back: not a failure (that
  // would wait an hour), it read the cursor again and went on after the
  // backfill's last event with what was written since.
  ASSERT_TRUE(WaitForConsumer(url));
  EXPECT_TRUE(consumer->Healthy());
  const std::vector<CursorMove> moves = CursorMoves(url);
  ASSERT_GE(moves.size(), 3u);
  EXPECT_TRUE(SameCursor(moves[0].from, events::Cursor{}));  // the first instance
  EXPECT_TRUE(Chained(moves, 1));
  size_t backfill_move = 0;
  while (backfill_move < moves.size() && !SameCursor(moves[backfill_move].to, applied)) {
    ++backfill_move;
  }
  ++backfill_move;
  ASSERT_LT(backfill_move, moves.size());
  EXPECT_EQ(moves[backfill_move].time, kBackfillTime);
  EXPECT_TRUE(SameCursor(moves[backfill_move].from, applied));
  EXPECT_TRUE(SameCursor(moves[backfill_move].to, written));
  EXPECT_TRUE(SameCursor(moves.back().to, NewestEvent(url)));

  const Tables incremental = ReadTables(url);
  const AtCursor at = ReadAtCursor(url);
  EXPECT_TRUE(SameRollups(at.months, Recompute(at.events)));
  absl::StatusOr<metrics::BackfillResult> again = metrics::Backfill(**pool, clock);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(SameTables(incremental, ReadTables(url)));
  consumer->Stop();
}

TEST(MetricsBackfill, TheServerCommandRebuildsFromTheLogAndMovesTheCursor) {
  std::unique_ptr<TestDatabase> db = TestDatabase::Create();
  const std::string url = db->url();
  std::vector<std::unique_ptr<Module>> modules;
  for (const ModuleFactory& make : AllModules()) modules.push_back(make());
  char program[] = "accueil-server";
  char command[] = "metrics-backfill";
  char* argv[] = {program, command};
  ServerCommandLine line;
  ASSERT_FALSE(ParseServerCommandLine(2, argv, modules, &line).has_value());
  EXPECT_EQ(line.command, "metrics-backfill");
  ServerConfig config;
  config.database_url = url;

  // An empty log: nothing to read, the cursor at its beginning.
  ASSERT_EQ(RunServerCommand(line, config, modules), 0);
  EXPECT_EQ(db->Query("SELECT txid::text || ':' || position FROM events.cursors "
                      "WHERE consumer = 'metrics.rollup'"),
            "0:0");
  EXPECT_EQ(db->Query("SELECT count(*) FROM metrics.month_measures"), "0");

  const History history = RandomHistory(301, 1000000);
  AppendHistory(url, history);
  // Transaction ids are the cluster's: a transaction of a test running
  // beside this one (a demo-history load) keeps the new events unsafe to
  // read until it ends (seen once).
  ASSERT_TRUE(WaitForReadable(url, NewestEvent(url)));
  ASSERT_EQ(RunServerCommand(line, config, modules), 0);
  const AtCursor at = ReadAtCursor(url);
  EXPECT_TRUE(SameCursor(at.cursor, NewestEvent(url)));
  EXPECT_EQ(static_cast<int64_t>(at.events.size()), history.events);
  EXPECT_GT(at.months.size(), 100u);
  EXPECT_TRUE(SameRollups(at.months, Recompute(at.events)));
  // Again: the same.
  const Tables first = ReadTables(url);
  ASSERT_EQ(RunServerCommand(line, config, modules), 0);
  EXPECT_TRUE(SameTables(first, ReadTables(url)));
}

}  // namespace
}  // namespace accueil::testing
