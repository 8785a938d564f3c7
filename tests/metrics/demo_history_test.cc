// Generated past activity (`accueil-server demo-history`,
// services/common/history_command.h) against a real PostgreSQL: two months
// across the October daylight-saving change written by booking's and
// reception's hooks, which every event parses strictly and is marked history,
// the schemas' constraints hold, about 30 % of appointments due are missed,
// the rebuilt figures equal both an independent recomputation from the raw
// events and the consumer's replay of the whole log; long-past people are
// erased by the purge; nothing is written twice.
#include "services/common/history_command.h"

#include <gtest/gtest.h>

#include "accueil/events/v1/events.pb.h"
#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "services/allinone/modules.h"
#include "services/common/typed_events.h"
#include "tests/booking/booking_fixture.h"
#include "tests/metrics/history.h"

namespace accueil::testing {
namespace {

namespace mv1 = ::accueil::metrics::v1;
using namespace metrics_test;  // NOLINT: the helpers of this directory

// Tuesday 10 November 2026, 07:00 in Paris (UTC+1), before the desks open.
const absl::Time kNovember10 =
    absl::FromCivil(absl::CivilSecond(2026, 11, 10, 6, 0, 0), absl::UTCTimeZone());

// Without the next-free-slot snapshots, which the snapshot worker takes of
// today whenever it runs (not from the log).
Tables WithoutSnapshots(Tables t) {
  for (auto& [table, rows] : t.rows) {
    std::erase_if(rows, [](const std::string& r) { return r.find("slot.next_free") != r.npos; });
  }
  return t;
}

// A desk open Monday to Friday 09:00-12:00 and 14:00-16:00, 15-minute slots
// of 2 places; today's slots released as usual (outside the history's range).
DeskOptions WeekdayDesk() {
  DeskOptions options;
  options.slot_minutes = 15;
  options.capacity = 2;
  options.weekly.clear();
  for (int day = 1; day <= 5; ++day) {
    options.weekly.push_back(Range(day, 9, 0, 12, 0));
    options.weekly.push_back(Range(day, 14, 0, 16, 0));
  }
  options.first = options.last = absl::CivilDay(2026, 11, 10);
  return options;
}

std::vector<std::unique_ptr<Module>> Modules() {
  std::vector<std::unique_ptr<Module>> modules;
  for (const ModuleFactory& f : AllModules()) modules.push_back(f());
  return modules;
}

class DemoHistory : public ::testing::Test {
 protected:
  DemoHistory() : world_(kNovember10) {
    // Two desks; the first closed on Wednesday 14 October.
    first_ = world_.OpenDesk(WeekdayDesk());
    second_ = world_.OpenDeskAt(first_.site, WeekdayDesk());
    EXPECT_TRUE(
        RpcOk(world_.SetHours(first_.desk.name(), WeekdayDesk().weekly, {Date(2026, 10, 14)})));
    url_ = world_.server().database().url();
    pool_ = *db::Pool::Create(url_, 2);
  }

  absl::StatusOr<history::Summary> Load(history::Request request,
                                        Retention retention = Retention()) {
    return history::Load(*pool_, world_.clock(), world_.server().secrets(), retention, request,
                         modules_);
  }

  history::Request TwoMonths() {
    history::Request request;
    request.site = IdOf(first_.site.name());
    request.options.months = 2;  // 1 September to 9 November: 50 weekdays
    request.options.seed = 7;
    return request;
  }

  std::string Query(const std::string& sql) { return world_.server().database().Query(sql); }

  BookingWorld world_;
  OpenedDesk first_, second_;
  std::string url_;
  std::unique_ptr<db::Pool> pool_;
  std::vector<std::unique_ptr<Module>> modules_ = Modules();
};

TEST_F(DemoHistory, WritesMonthsEveryConsumerReadsAndTheFiguresAgree) {
  Retention retention;
  retention.personal_data = absl::Hours(24 * 30);  // people of before 11 October erased
  absl::StatusOr<history::Summary> s = Load(TwoMonths(), retention);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->skipped);
  EXPECT_EQ(absl::FormatCivilTime(s->range.from), "2026-09-01");
  EXPECT_EQ(absl::FormatCivilTime(s->range.to), "2026-11-09");
  EXPECT_EQ(s->days, 50);  // the weekdays of the range (14 October: one desk of two closed)
  const int64_t due = s->noshows + s->served + s->left;
  ASSERT_GT(due, 1000);
  EXPECT_NEAR(static_cast<double>(s->noshows) / due, 0.30, 0.04);
  EXPECT_NEAR(static_cast<double>(s->cancelled) / s->appointments, 0.12, 0.03);
  EXPECT_GT(s->walk_ins, 0);

  // Transaction ids are the cluster's: a test running beside this one may
  // hold the horizon for a while; the events are all readable after it.
  ASSERT_TRUE(WaitForReadable(url_, NewestEvent(url_)));

  // Every event is marked history and parses strictly into its message.
  std::vector<events::Event> all;
  {
    pqxx::connection c(url_);
    pqxx::work tx(c);
    for (events::Cursor after;;) {
      std::vector<events::Event> batch = events::ReadEvents(tx, after, 10000);
      if (batch.empty()) break;
      after = batch.back().cursor();
      for (events::Event& e : batch) all.push_back(std::move(e));
    }
  }
  int64_t history_events = 0;
  std::map<std::string, int64_t> types;
  for (const events::Event& e : all) {
    if (!e.history) continue;
    ++history_events;
    ++types[e.type];
    absl::Status parsed = events::ParsePayload(e, events::ParseMode::kStrict).status();
    ASSERT_TRUE(parsed.ok()) << e.type << " " << e.payload_json << ": " << parsed;
  }
  EXPECT_EQ(Query("SELECT count(*) FROM events.log WHERE history"), absl::StrCat(history_events));
  EXPECT_EQ(types["appointment.booked"], s->appointments);
  EXPECT_EQ(types["appointment.noshow"], s->noshows);
  EXPECT_EQ(types["appointment.fulfilled"], s->served);
  EXPECT_EQ(types["appointment.not_served"], s->left);
  EXPECT_EQ(types["visit.left"], s->left);
  EXPECT_EQ(types["walk_in.registered"], s->walk_ins);

  // Booking's rows agree with each other and with the hours.
  EXPECT_EQ(Query("SELECT count(*) FROM booking.slots s WHERE booked <> (SELECT count(*) FROM "
                  "booking.appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled')"),
            "0");
  EXPECT_EQ(Query("SELECT count(*) FROM booking.slots WHERE local_date < '2026-11-10' AND "
                  "extract(isodow FROM local_date) > 5"),
            "0");
  EXPECT_EQ(Query("SELECT count(DISTINCT desk_id) FROM booking.slots WHERE local_date = "
                  "'2026-10-14'"),
            "1");
  // 09:00 in Paris is 07:00 UTC before the October change, 08:00 after.
  EXPECT_EQ(Query("SELECT to_char(min(start_time) AT TIME ZONE 'UTC', 'HH24:MI') FROM "
                  "booking.slots WHERE local_date = '2026-10-23'"),
            "07:00");
  EXPECT_EQ(Query("SELECT to_char(min(start_time) AT TIME ZONE 'UTC', 'HH24:MI') FROM "
                  "booking.slots WHERE local_date = '2026-10-26'"),
            "08:00");
  EXPECT_EQ(Query("SELECT count(*) FROM booking.appointments a JOIN booking.slots s ON "
                  "s.id = a.slot_id WHERE a.create_time > s.start_time OR "
                  "a.create_time < s.release_time"),
            "0");
  // Reception's: one visit per appointment that came, tickets by arrival.
  EXPECT_EQ(Query("SELECT count(*) FROM reception.visits WHERE kind = 'appointment'"),
            absl::StrCat(s->served + s->left));
  EXPECT_EQ(Query("SELECT count(*) FROM reception.visits v JOIN reception.visits w ON "
                  "w.desk_id = v.desk_id AND w.local_date = v.local_date AND "
                  "w.ticket_number > v.ticket_number AND w.arrival_time < v.arrival_time"),
            "0");
  EXPECT_EQ(Query("SELECT count(*) FROM reception.desk_days d WHERE last_ticket <> (SELECT "
                  "count(*) FROM reception.visits v WHERE v.desk_id = d.desk_id AND "
                  "v.local_date = d.local_date)"),
            "0");

  // The purge erased the people of appointments ended over 30 days ago and
  // kept the others, whose addresses reach nobody.
  EXPECT_EQ(Query("SELECT count(*) FROM booking.persons p JOIN booking.appointments a ON "
                  "a.person_id = p.id JOIN booking.slots s ON s.id = a.slot_id WHERE "
                  "s.end_time < '2026-10-11' AND p.erase_time IS NULL"),
            "0");
  EXPECT_EQ(Query("SELECT count(*) FROM booking.persons p JOIN booking.appointments a ON "
                  "a.person_id = p.id JOIN booking.slots s ON s.id = a.slot_id WHERE "
                  "s.local_date BETWEEN '2026-10-20' AND '2026-11-09' AND (p.erase_time IS "
                  "NOT NULL OR p.email NOT LIKE '%@example.org')"),
            "0");

  // The rebuilt figures are what the definitions give from the raw events...
  ASSERT_EQ(s->finished.size(), 1u);
  ASSERT_TRUE(WaitForConsumer(url_));  // whatever the backfill could not yet read
  AtCursor at = ReadAtCursor(url_);
  EXPECT_TRUE(SameCursor(at.cursor, NewestEvent(url_)));
  EXPECT_TRUE(SameRollups(at.months, Recompute(at.events)));
  // ... and what the consumer makes applying the whole log again.
  Tables backfilled = WithoutSnapshots(ReadTables(url_));
  ResetConsumer(url_);
  ASSERT_TRUE(WaitForConsumer(url_));
  EXPECT_TRUE(SameTables(backfilled, WithoutSnapshots(ReadTables(url_))));

  // The quality officer's report shows them.
  auto officer = mv1::MetricsService::NewStub(world_.server().Channel(world_.server().Token(
      "quality-1", {{access::v1::QUALITY_OFFICER, IdOf(first_.site.name())}})));
  mv1::GetIndicatorReportRequest req;
  req.set_site(first_.site.name());
  req.set_from_month("2026-09");
  req.set_to_month("2026-10");
  mv1::IndicatorReport report;
  ASSERT_TRUE(
      RpcOk(CallOn(*officer, &mv1::MetricsService::Stub::GetIndicatorReport, req, &report)));
  bool seen = false;
  for (const mv1::IndicatorRow& row : report.rows()) {
    if (row.indicator().id() != "noshow_rate") continue;
    seen = true;
    ASSERT_EQ(row.months_size(), 2);
    for (const mv1::MonthValue& m : row.months()) {
      ASSERT_TRUE(m.has_value()) << m.month();
      EXPECT_NEAR(m.value(), 30, 5) << m.month();
      EXPECT_GT(m.count(), 400) << m.month();
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(DemoHistory, WritesNothingTwice) {
  ASSERT_TRUE(Load(TwoMonths()).ok());
  const std::string events = Query("SELECT count(*) FROM events.log");
  const std::string appointments = Query("SELECT count(*) FROM booking.appointments");
  // --if-empty: the run command's, at every start.
  history::Request again = TwoMonths();
  again.if_empty = true;
  absl::StatusOr<history::Summary> s = Load(again);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->skipped);
  // Without it: every desk-day of the range is taken, none is overwritten.
  s = Load(TwoMonths());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_EQ(Query("SELECT count(*) FROM events.log"), events);
  EXPECT_EQ(Query("SELECT count(*) FROM booking.appointments"), appointments);
}

TEST_F(DemoHistory, SameSeedSameHistory) {
  history::Request request = TwoMonths();
  request.options.months = 0;  // 1 to 9 November
  absl::StatusOr<history::Summary> first = Load(request);
  ASSERT_TRUE(first.ok()) << first.status();
  // What the generator decides does not depend on the database: a second
  // site with the same desks gets the same history.
  v1::Site other;
  ASSERT_TRUE(RpcOk(world_.CreateSite("Europe/Paris", &other)));
  world_.OpenDeskAt(other, WeekdayDesk());
  world_.OpenDeskAt(other, WeekdayDesk());
  request.site = IdOf(other.name());
  absl::StatusOr<history::Summary> second = Load(request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->appointments, first->appointments);
  EXPECT_EQ(second->noshows, first->noshows);
  EXPECT_EQ(second->walk_ins, first->walk_ins);
}

TEST_F(DemoHistory, RefusesWhatItCannotDoAndWritesNothing) {
  using history::ParseArguments;
  EXPECT_EQ(ParseArguments({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseArguments({"--site", "desks/1"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseArguments({"--site", "sites/1", "--months", "-1"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseArguments({"--site", "sites/1", "--months"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseArguments({"--site", "sites/1", "--weeks", "2"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<history::Request> parsed =
      ParseArguments({"--site", "sites/4", "--months", "3", "--appointments", "500", "--seed", "9",
                      "--if-empty", "--no-rebuild"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->site, 4);
  EXPECT_EQ(parsed->options.months, 3);
  EXPECT_EQ(parsed->options.appointments, 500);
  EXPECT_EQ(parsed->options.seed, 9u);
  EXPECT_TRUE(parsed->if_empty);
  EXPECT_TRUE(parsed->no_rebuild);

  const std::string events = Query("SELECT count(*) FROM events.log");
  history::Request unknown = TwoMonths();
  unknown.site = 999;
  EXPECT_EQ(Load(unknown).status().code(), absl::StatusCode::kNotFound);
  // 2 desks x 50 days x 20 slots: a million appointments need more than 100
  // places per slot.
  history::Request too_many = TwoMonths();
  too_many.options.appointments = 1000000;
  absl::StatusOr<history::Summary> s = Load(too_many);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
  EXPECT_EQ(Query("SELECT count(*) FROM events.log"), events);
  EXPECT_EQ(Query("SELECT count(*) FROM booking.slots WHERE local_date < '2026-11-10'"), "0");
}

}  // namespace
}  // namespace accueil::testing
