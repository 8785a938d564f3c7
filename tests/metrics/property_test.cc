// A property of metrics on randomised histories (tests/metrics/history.h):
// the month rollups equal a recomputation from the raw events with the
// definitions of docs/indicators.md, after the consumer applied the events
// one batch after the other, after it replayed the log from zero, after a
// backfill, and after the retention purge (which changes no figure). Seeded:
// a failure names its seed; ACCUEIL_METRICS_SEED=N runs that seed alone.
#include <cstdlib>

#include <gtest/gtest.h>

#include "services/common/retention.h"
#include "services/metrics/backfill.h"
#include "tests/metrics/history.h"
#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

using namespace metrics_test;  // NOLINT: the helpers of this directory

// Paris local time on Tuesday 2 June 2026 (UTC+2).
absl::Time June2At(int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2026, 6, 2, hour, minute),
                         absl::FixedTimeZone(2 * 3600));
}

// The month rollups of the sites of ids above `id_base` (a seed's).
size_t RollupsAbove(const Rollups& rollups, int64_t id_base) {
  size_t n = 0;
  for (const auto& [key, rollup] : rollups) n += std::get<0>(key) > id_base ? 1 : 0;
  return n;
}

TEST(MetricsProperty, RollupsEqualARecomputationFromTheRawEvents) {
  // Real appointments and visits too, with personal data for the purge.
  ReceptionWorld world(4);
  TestServer& server = world.booking.server();
  const std::string url = server.database().url();
  world.booking.clock().Set(June2At(9, 5));
  rv1::Visit visit, called;
  ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  world.booking.clock().Set(June2At(9, 20));
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  v1::Appointment cancelled;
  ASSERT_TRUE(RpcOk(world.booking.Cancel(world.appointments[2], &cancelled)));

  std::vector<uint32_t> seeds = {1, 2, 3, 4, 5};
  if (const char* seed = std::getenv("ACCUEIL_METRICS_SEED")) {
    seeds = {static_cast<uint32_t>(std::strtoul(seed, nullptr, 10))};
  }
  SystemClock clock;
  const absl::Time long_after = absl::FromCivil(absl::CivilDay(2028, 1, 1), absl::UTCTimeZone());
  int round = 0;
  for (uint32_t seed : seeds) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, " (ACCUEIL_METRICS_SEED=", seed, " runs it alone)"));
    const int64_t id_base = int64_t{1000000} * ++round;
    AppendHistory(url, RandomHistory(seed, id_base));

    // 1. Applied by the consumer, batch after batch.
    ASSERT_TRUE(WaitForConsumer(url));
    const AtCursor incremental = ReadAtCursor(url);
    ASSERT_GT(RollupsAbove(incremental.months, id_base), 100u);
    ASSERT_TRUE(SameRollups(incremental.months, Recompute(incremental.events)))
        << "applied incrementally";

    // 2. Replayed from the beginning of the log.
    ResetConsumer(url);
    ASSERT_TRUE(WaitForConsumer(url));
    const AtCursor replayed = ReadAtCursor(url);
    EXPECT_TRUE(SameRollups(replayed.months, Recompute(replayed.events))) << "replayed from zero";
    EXPECT_TRUE(SameRollups(replayed.months, incremental.months)) << "replayed from zero";

    // 3. Backfilled.
    absl::StatusOr<metrics::BackfillResult> backfill = metrics::Backfill(server.pool(), clock);
    ASSERT_TRUE(backfill.ok()) << backfill.status();
    const AtCursor backfilled = ReadAtCursor(url);
    EXPECT_TRUE(SameCursor(backfilled.cursor, backfill->to));
    EXPECT_TRUE(SameRollups(backfilled.months, Recompute(backfilled.events))) << "backfilled";
    EXPECT_TRUE(SameRollups(backfilled.months, incremental.months)) << "backfilled";

    // 4. The retention purge erases personal data, never a figure.
    absl::StatusOr<retention::PurgeCounts> purged = retention::PurgeOnce(
        server.pool(), long_after, retention::Retention{}, server.person_data());
    ASSERT_TRUE(purged.ok()) << purged.status();
    if (round == 1) {
      EXPECT_GT(purged->erased, 0);
    }
    ASSERT_TRUE(WaitForConsumer(url));
    const AtCursor after_purge = ReadAtCursor(url);
    EXPECT_TRUE(SameRollups(after_purge.months, Recompute(after_purge.events)))
        << "after the purge";
    EXPECT_TRUE(SameRollups(after_purge.months, incremental.months)) << "after the purge";
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace accueil::testing
