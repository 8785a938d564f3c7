// The retention purge: what ended more than retention_days ago loses its
// personal data, what is recent or still active keeps it, and the figures
// the statistics compute are the same before and after.
#include <memory>

#include "absl/strings/escaping.h"
#include "services/common/person_key.h"
#include "services/common/retention.h"
#include "tests/privacy/privacy_fixture.h"

namespace accueil::testing {
namespace {

constexpr absl::Duration kNinetyDays = absl::Hours(24 * 90);
constexpr absl::Duration kYear = absl::Hours(24 * 365);
// The default horizons: personal data 90 days, person keys a year.
const retention::Retention kDefault{kNinetyDays, kYear};

std::string Ids(const History& h, bool old) {
  std::vector<const v1::Appointment*> list =
      old ? std::vector<const v1::Appointment*>{&h.old_fulfilled, &h.old_cancelled, &h.old_noshow,
                                                &h.old_wheelchair}
          : std::vector<const v1::Appointment*>{&h.old_still_booked, &h.recent_fulfilled,
                                                &h.recent_cancelled, &h.recent_booked};
  std::string out;
  for (const v1::Appointment* a : list) {
    absl::StrAppend(&out, out.empty() ? "" : ",", IdOf(a->name()));
  }
  return out;
}

// Erased: no name, contact, note or cancel reason left, erase_time set.
int64_t ErasedAmong(BookingWorld& world, const std::string& ids) {
  return world.QueryInt(
      "SELECT count(*) FROM booking.appointments a JOIN booking.persons p "
      "ON p.id = a.person_id WHERE a.id IN (" +
      ids +
      ") AND p.given_name IS NULL "
      "AND p.family_name IS NULL AND p.email IS NULL AND p.phone IS NULL "
      "AND p.accessibility_note = '' AND a.cancel_reason IS NULL "
      "AND p.erase_time IS NOT NULL");
}

// Anywhere in the rows of the tables that could hold it.
int64_t Mentions(BookingWorld& world, const std::string& text) {
  std::string like = absl::StrCat("'%", text, "%'");
  return world.QueryInt(
      "SELECT (SELECT count(*) FROM booking.persons t WHERE t::text LIKE " + like +
      ") + (SELECT count(*) FROM booking.appointments t WHERE t::text LIKE " + like +
      ") + (SELECT count(*) FROM events.log t WHERE t::text LIKE " + like +
      ") + (SELECT count(*) FROM shared.requests t WHERE t::text LIKE " + like + ")");
}

std::unique_ptr<db::Pool> PoolFor(BookingWorld& world) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool =
      db::Pool::Create(world.server().database().url(), 1);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return pool.ok() ? std::move(*pool) : nullptr;
}

bool WaitForPasses(const retention::Purger& purger, int passes) {
  for (int i = 0; i < 2000 && purger.passes() < passes; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return purger.passes() >= passes;
}

TEST(Purge, TheHourlyPurgeErasesOldClosedAppointmentsOnly) {
  BookingWorld world;
  std::unique_ptr<db::Pool> pool = PoolFor(world);
  ASSERT_NE(pool, nullptr);
  retention::PurgerOptions options;
  options.retention = kDefault;
  options.every = absl::Hours(1);
  options.poll = absl::Milliseconds(5);
  retention::Purger purger(pool.get(), &world.clock(), options, &world.server().person_data());
  std::string keys_before;
  History h = BuildHistory(world, [&] {
    // Right after the old appointments closed: nothing is old enough yet.
    purger.Start();
    ASSERT_TRUE(WaitForPasses(purger, 1));
    EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.persons "
                             "WHERE erase_time IS NOT NULL"),
              0);
    EXPECT_EQ(Mentions(world, "Cancel-secret-2"), 1);
    EXPECT_EQ(Mentions(world, "Note-secret-5"), 1);
    // Stopped while BuildHistory moves the clock on: the pass that erases
    // is the one at 2026-09-20 below.
    purger.Stop();
  });
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(ErasedAmong(world, Ids(h, /*old=*/true)), 0);
  keys_before = world.Query(
      "SELECT string_agg(id || ':' || encode(person_key, 'hex') || ':' || status || ':' || "
      "companions || ':' || accessibility_need || ':' || channel, ',' ORDER BY id) "
      "FROM booking.appointments");

  int passes = purger.passes();
  world.clock().Set(kSept20);
  purger.Start();
  ASSERT_TRUE(WaitForPasses(purger, passes + 1));
  purger.Stop();

  EXPECT_EQ(ErasedAmong(world, Ids(h, /*old=*/true)), 4);
  EXPECT_EQ(ErasedAmong(world, Ids(h, /*old=*/false)), 0);
  for (int person : h.old_closed_persons()) {
    EXPECT_EQ(Mentions(world, absl::StrCat("Durand-", person)), 0) << person;
    EXPECT_EQ(Mentions(world, absl::StrFormat("personne.%d@", person)), 0) << person;
    EXPECT_EQ(Mentions(world, PhoneOf(person)), 0) << person;
  }
  EXPECT_EQ(Mentions(world, "Cancel-secret-2"), 0);
  EXPECT_EQ(Mentions(world, "Note-secret-5"), 0);
  // Recent or still active: untouched.
  for (int person : h.kept_persons()) {
    EXPECT_EQ(world.QueryInt(absl::StrCat(
                  "SELECT count(*) FROM booking.persons WHERE given_name = 'Camille' AND "
                  "family_name = 'Durand-",
                  person, "' AND phone = '", PhoneOf(person), "' AND email = 'personne.", person,
                  "@example.org'")),
              1)
        << person;
  }
  EXPECT_EQ(world.Query(absl::StrCat("SELECT cancel_reason FROM booking.appointments "
                                     "WHERE id = ",
                                     IdOf(h.recent_cancelled.name()))),
            "Cancel-secret-7");
  // What the statistics need stays, person_key included.
  EXPECT_EQ(
      world.Query("SELECT string_agg(id || ':' || encode(person_key, 'hex') || ':' || status || "
                  "':' || companions || ':' || accessibility_need || ':' || channel, ',' "
                  "ORDER BY id) FROM booking.appointments"),
      keys_before);

  // The person reading their appointment now sees no personal data.
  v1::Appointment read;
  ASSERT_TRUE(RpcOk(world.Get(h.old_wheelchair, &read)));
  EXPECT_EQ(read.person().family_name(), "");
  EXPECT_EQ(read.person().phone(), "");
  EXPECT_EQ(read.accessibility().need(), v1::WHEELCHAIR);
  EXPECT_EQ(read.accessibility().note(), "");
  EXPECT_EQ(read.companions(), 2);
  EXPECT_EQ(read.status(), v1::FULFILLED);
}

TEST(Purge, FiguresAreEqualBeforeAndAfterAPurge) {
  BookingWorld world;
  History h = BuildHistory(world);
  ASSERT_FALSE(HasFailure());
  world.clock().Set(kSept20);
  std::map<std::string, std::string> before = Figures(world);
  // The history is not trivial: every figure has something to count.
  EXPECT_EQ(before["no_show_rate"], "0.250000");
  EXPECT_EQ(before["companions"], "2");
  EXPECT_EQ(before["cancellations"], "2/late=2");
  EXPECT_NE(before["accessibility"].find("wheelchair=1"), std::string::npos)
      << before["accessibility"];
  EXPECT_NE(before["by_status_desk_month"].find("2026-06/noshow=1"), std::string::npos)
      << before["by_status_desk_month"];

  std::unique_ptr<db::Pool> pool = PoolFor(world);
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<retention::PurgeCounts> counts =
      retention::PurgeOnce(*pool, world.clock().Now(), kDefault, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->erased, 4);
  EXPECT_EQ(counts->unlinked, 0);
  std::map<std::string, std::string> after = Figures(world);
  for (const auto& [name, value] : before) {
    EXPECT_EQ(after[name], value) << name;
    EXPECT_FALSE(value.empty()) << name;
  }
  // A second pass erases nothing more and changes nothing.
  counts = retention::PurgeOnce(*pool, world.clock().Now(), kDefault, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->erased, 0);
  EXPECT_EQ(Figures(world), before);
  EXPECT_EQ(ErasedAmong(world, Ids(h, /*old=*/false)), 0);
}

// The event log holds no personal data: the purge keeps it its own
// retention (3 years by default), then prunes only what every consumer of
// the log has read; the figures computed from it stay.
TEST(Purge, TheEventLogIsKeptItsRetentionThenPrunedOnceEveryConsumerReadIt) {
  BookingWorld world;
  BuildHistory(world);
  ASSERT_FALSE(HasFailure());
  // Every consumer of the log has read everything (metrics' figures are
  // made, notify has decided).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  auto unread = [&] {
    return world.QueryInt(
        "SELECT count(*) FROM events.log l, events.cursors c WHERE c.log = 'events.log' "
        "AND (l.txid, l.position) > (c.txid, c.position)");
  };
  while (unread() != 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_EQ(unread(), 0);
  const std::string figures_sql =
      "SELECT string_agg(month || measure || count || sum, ',' ORDER BY month, measure, desk_id) "
      "FROM metrics.month_measures";
  const std::string figures = world.Query(figures_sql);
  ASSERT_FALSE(figures.empty());
  const int64_t events = world.QueryInt("SELECT count(*) FROM events.log");
  ASSERT_GT(events, 5);
  std::unique_ptr<db::Pool> pool = PoolFor(world);
  ASSERT_NE(pool, nullptr);

  // Within the 3 years: kept, although the personal data goes.
  absl::StatusOr<retention::PurgeCounts> counts =
      retention::PurgeOnce(*pool, kSept20, kDefault, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->events_pruned, 0);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log"), events);
  // Outside the purge, the log stays append-only.
  EXPECT_ANY_THROW(world.Query("DELETE FROM events.log"));

  // Four years on, with a consumer of the log still at its first event:
  // only that one goes. The audit outbox's consumer does not hold it back.
  world.Query(
      "INSERT INTO events.cursors (consumer, txid, position, log) SELECT 'test.lagging', txid, "
      "position, 'events.log' FROM events.log ORDER BY txid, position LIMIT 1 RETURNING 1");
  const absl::Time later = kSept20 + absl::Hours(24 * 365 * 4);
  counts = retention::PurgeOnce(*pool, later, kDefault, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->events_pruned, 1);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log"), events - 1);
  world.Query("DELETE FROM events.cursors WHERE consumer = 'test.lagging' RETURNING 1");
  counts = retention::PurgeOnce(*pool, later, kDefault, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->events_pruned, events - 1);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log"), 0);
  // The figures stay.
  EXPECT_EQ(world.Query(figures_sql), figures);
}

TEST(Purge, ALongerRetentionKeepsEverything) {
  BookingWorld world;
  History h = BuildHistory(world);
  ASSERT_FALSE(HasFailure());
  std::unique_ptr<db::Pool> pool = PoolFor(world);
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<retention::PurgeCounts> counts =
      retention::PurgeOnce(*pool, kSept20, {kYear, kYear}, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->erased, 0);
  EXPECT_EQ(counts->unlinked, 0);
  EXPECT_EQ(Mentions(world, "Cancel-secret-2"), 1);
  EXPECT_EQ(ErasedAmong(world, Ids(h, /*old=*/true)), 0);
}

TEST(Purge, PersonKeysLinkNothingAfterTheHistoryRetention) {
  BookingWorld world;
  History h = BuildHistory(world);
  ASSERT_FALSE(HasFailure());
  world.clock().Set(kSept20);
  std::map<std::string, std::string> before = Figures(world);
  auto stored_under_own_key = [&](int person) {
    return world.QueryInt(absl::StrCat(
        "SELECT count(*) FROM booking.appointments WHERE person_key = decode('",
        absl::BytesToHexString(PersonKey(world.server().secrets(), PhoneOf(person))), "', 'hex')"));
  };
  for (int person : {1, 2, 3, 4, 5, 6}) ASSERT_EQ(stored_under_own_key(person), 1) << person;

  // 2026-06-02 ended 110 days before 2026-09-20: past a 100-day history
  // horizon, not the September appointments.
  std::unique_ptr<db::Pool> pool = PoolFor(world);
  ASSERT_NE(pool, nullptr);
  const retention::Retention horizons{kNinetyDays, absl::Hours(24 * 100)};
  absl::StatusOr<retention::PurgeCounts> counts =
      retention::PurgeOnce(*pool, kSept20, horizons, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->erased, 4);
  EXPECT_EQ(counts->unlinked, 4);
  for (int person : h.old_closed_persons()) EXPECT_EQ(stored_under_own_key(person), 0) << person;
  // The still-booked one needs its key for the one-active rule; recent ones
  // keep theirs.
  for (int person : h.kept_persons()) EXPECT_EQ(stored_under_own_key(person), 1) << person;
  // Unlinked keys link to nothing, not even to each other.
  EXPECT_EQ(world.QueryInt("SELECT count(DISTINCT person_key) FROM booking.appointments "
                           "WHERE person_key_unlinked"),
            4);
  // The figures are the same (these persons were distinct anyway).
  EXPECT_EQ(Figures(world), before);
  counts = retention::PurgeOnce(*pool, kSept20, horizons, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->unlinked, 0);
}

TEST(Purge, AnAgentsOverrideReasonIsErasedButTheOverrideShows) {
  BookingWorld world;
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  ASSERT_FALSE(open.slots.empty());
  v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(open.slots[0].name(), 1);
  req.set_channel(v1::AGENT);
  req.set_override_reason("Override-secret: lost her permit");
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world.Book(req, &a)));
  Serve(world, a);
  std::unique_ptr<db::Pool> pool = PoolFor(world);
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<retention::PurgeCounts> counts =
      retention::PurgeOnce(*pool, kSept20, kDefault, world.server().person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->erased, 1);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments "
                           "WHERE override_reason LIKE '%Override-secret%'"),
            0);
  EXPECT_EQ(world.Query("SELECT override_reason = '' FROM booking.appointments"), "t");
}

}  // namespace
}  // namespace accueil::testing
