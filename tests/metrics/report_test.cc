// The monthly indicator report against a real PostgreSQL: a reception day
// played through booking and reception, whose every figure is computed by
// hand below; objectives met or not; who may read and set them; bad input.
#include <gtest/gtest.h>

#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

namespace mv1 = ::accueil::metrics::v1;

// Paris local time on Tuesday 2 June 2026 (UTC+2).
absl::Time June2At(int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2026, 6, 2, hour, minute),
                         absl::FixedTimeZone(2 * 3600));
}

class MetricsReport : public ::testing::Test {
 protected:
  MetricsReport()
      : site_(world_.desk.site.name()),
        officer_(mv1::MetricsService::NewStub(
            world_.booking.server().Channel(world_.booking.server().Token(
                "quality-1", {{access::v1::QUALITY_OFFICER, IdOf(world_.desk.site.name())}})))) {}

  grpc::Status Report(mv1::IndicatorReport* out, const std::string& from = "2026-06",
                      const std::string& to = "2026-06") {
    mv1::GetIndicatorReportRequest req;
    req.set_site(site_);
    req.set_from_month(from);
    req.set_to_month(to);
    return CallOn(*officer_, &mv1::MetricsService::Stub::GetIndicatorReport, req, out);
  }

  // The June cell of an indicator.
  static mv1::MonthValue Cell(const mv1::IndicatorReport& report, const std::string& id) {
    for (const mv1::IndicatorRow& row : report.rows()) {
      if (row.indicator().id() == id) return row.months(0);
    }
    ADD_FAILURE() << "no indicator " << id;
    return {};
  }

  // WaitForReport polls until `done` holds (the consumer applies events
  // within a second or so); fails after 30 s.
  mv1::IndicatorReport WaitForReport(const std::function<bool(const mv1::IndicatorReport&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    mv1::IndicatorReport report;
    while (absl::Now() < deadline) {
      report.Clear();
      EXPECT_TRUE(RpcOk(Report(&report)));
      if (done(report)) return report;
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "the report never got there: " << report.DebugString();
    return report;
  }

  ReceptionWorld world_{4};
  const std::string site_;
  std::unique_ptr<mv1::MetricsService::Stub> officer_;
};

TEST_F(MetricsReport, ADayOfReceptionGivesTheFiguresComputedByHand) {
  // All four were booked on 1 June at 08:00 UTC for slots at 09:00, 09:30,
  // 10:00, 10:30 Paris (07:00-08:30 UTC) on 2 June: 23, 23.5, 24 and
  // 24.5 hours ahead.
  // 09:05: person 1 checks in (5 minutes after the start); called at 09:17
  // (waited 12 minutes), served from 09:18 to 09:27 (9 minutes).
  world_.booking.clock().Set(June2At(9, 5));
  rv1::Visit visit, called, started;
  ASSERT_TRUE(RpcOk(world_.CheckIn(world_.appointments[0].reference(), &visit)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world_.OpenCounter("Guichet 1", &counter)));
  world_.booking.clock().Set(June2At(9, 17));
  ASSERT_TRUE(RpcOk(world_.CallNext(counter, &called)));
  world_.booking.clock().Set(June2At(9, 18));
  ASSERT_TRUE(RpcOk(world_.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &started)));
  world_.booking.clock().Set(June2At(9, 27));
  rv1::FinishVisitResponse done;
  ASSERT_TRUE(RpcOk(world_.Finish(started, rv1::SERVED, &done)));
  // 09:30: person 3 cancels their 10:00 appointment: late (under 24 h).
  world_.booking.clock().Set(June2At(9, 30));
  v1::Appointment cancelled;
  ASSERT_TRUE(RpcOk(world_.booking.Cancel(world_.appointments[2], &cancelled)));
  // 09:40: someone without an appointment is informed.
  world_.booking.clock().Set(June2At(9, 40));
  rv1::RegisterWalkInRequest walk_in;
  walk_in.set_site(site_);
  walk_in.set_reason("asks which documents a renewal needs");
  walk_in.set_outcome(rv1::INFORMED);
  rv1::WalkIn registered;
  ASSERT_TRUE(RpcOk(
      CallOn(world_.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, walk_in, &registered)));
  // 10:20: person 2 (09:30-10:00) is past the 15-minute grace: the day
  // worker marks the no-show. Person 4 (10:30) is still to come.
  world_.booking.clock().Set(June2At(10, 20));

  const mv1::IndicatorReport report = WaitForReport([](const mv1::IndicatorReport& r) {
    return Cell(r, "noshow_rate").count() == 2 && Cell(r, "received_total").value() == 2;
  });
  ASSERT_EQ(report.months_size(), 1);
  EXPECT_EQ(report.months(0), "2026-06");
  auto value = [&](const std::string& id) { return Cell(report, id).value(); };
  auto count = [&](const std::string& id) { return Cell(report, id).count(); };
  // Due: person 1 (honoured) and person 2 (no-show); person 3 cancelled,
  // person 4 unrecorded.
  EXPECT_DOUBLE_EQ(value("noshow_rate"), 50);
  EXPECT_DOUBLE_EQ(value("not_served_rate"), 0);
  EXPECT_EQ(count("noshow_rate"), 2);
  EXPECT_DOUBLE_EQ(value("cancellation_rate"), 25);  // 1 of the 4 scheduled
  EXPECT_DOUBLE_EQ(value("late_cancellation_rate"), 25);
  EXPECT_EQ(count("cancellation_rate"), 4);
  EXPECT_DOUBLE_EQ(value("appointments_unrecorded"), 1);
  // Delays: (23 + 23.5 + 24 + 24.5) / 4 hours = 95/96 day; the median is
  // in the bucket below 1 day (ranks 1-2), the 90th percentile (rank 4) in
  // [1, 2) days: their upper bounds.
  EXPECT_NEAR(value("booking_delay_mean"), 95.0 / 96.0, 1e-9);
  EXPECT_DOUBLE_EQ(value("booking_delay_median"), 1);
  EXPECT_DOUBLE_EQ(value("booking_delay_p90"), 2);
  EXPECT_EQ(count("booking_delay_mean"), 4);
  // Waiting 12 minutes (bucket [12, 13)), served in 9, 5 minutes late.
  EXPECT_DOUBLE_EQ(value("wait_mean"), 12);
  EXPECT_DOUBLE_EQ(value("wait_p90"), 13);
  EXPECT_DOUBLE_EQ(value("wait_within_30min"), 100);
  EXPECT_DOUBLE_EQ(value("service_mean"), 9);
  EXPECT_DOUBLE_EQ(value("lateness_mean"), 5);
  EXPECT_DOUBLE_EQ(value("late_arrival_rate"), 0);
  EXPECT_DOUBLE_EQ(value("received_with_appointment"), 1);
  EXPECT_DOUBLE_EQ(value("received_without_appointment"), 1);
  EXPECT_DOUBLE_EQ(value("received_total"), 2);
  // Nothing personal anywhere in the report.
  EXPECT_EQ(report.DebugString().find("Camille"), std::string::npos);

  // The typical week: Tuesday 2 June, both people at 09:xx.
  mv1::GetReceptionShapeRequest shape_req;
  shape_req.set_site(site_);
  shape_req.set_from_month("2026-06");
  shape_req.set_to_month("2026-06");
  mv1::ReceptionShape shape;
  ASSERT_TRUE(
      RpcOk(CallOn(*officer_, &mv1::MetricsService::Stub::GetReceptionShape, shape_req, &shape)));
  ASSERT_EQ(shape.cells_size(), 1) << shape.DebugString();
  EXPECT_EQ(shape.cells(0).weekday(), 2);
  EXPECT_EQ(shape.cells(0).hour(), 9);
  EXPECT_EQ(shape.cells(0).with_appointment(), 1);
  EXPECT_EQ(shape.cells(0).without_appointment(), 1);
  EXPECT_DOUBLE_EQ(shape.cells(0).mean_per_day(), 2);
  ASSERT_EQ(shape.days_size(), 7);
  EXPECT_EQ(shape.days(1), 1);
  EXPECT_EQ(shape.days(0), 0);

  // May: nothing observed.
  mv1::IndicatorReport two;
  ASSERT_TRUE(RpcOk(Report(&two, "2026-05", "2026-06")));
  ASSERT_EQ(two.months_size(), 2);
  EXPECT_EQ(two.rows(0).months(0).attainment(), mv1::NO_DATA);
  EXPECT_FALSE(two.rows(0).months(0).has_value());
  EXPECT_EQ(two.rows(0).months(1).attainment(), mv1::NO_OBJECTIVE);
}

TEST_F(MetricsReport, ObjectivesSayWhetherEachMonthMetThem) {
  world_.booking.clock().Set(June2At(9, 5));
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world_.CheckIn(world_.appointments[0].reference(), &visit)));
  world_.booking.clock().Set(June2At(10, 20));  // person 2: no-show (50 %)
  auto set = [&](const std::string& indicator, double value, mv1::Direction direction,
                 mv1::Objective* out) {
    mv1::SetObjectiveRequest req;
    req.mutable_objective()->set_site(site_);
    req.mutable_objective()->set_indicator(indicator);
    req.mutable_objective()->set_value(value);
    req.mutable_objective()->set_direction(direction);
    return CallOn(*officer_, &mv1::MetricsService::Stub::SetObjective, req, out);
  };
  mv1::Objective noshow, volume;
  ASSERT_TRUE(RpcOk(set("noshow_rate", 30, mv1::DIRECTION_UNSPECIFIED, &noshow)));
  EXPECT_EQ(noshow.direction(), mv1::AT_MOST);  // the indicator's default
  ASSERT_TRUE(RpcOk(set("received_total", 1, mv1::AT_LEAST, &volume)));
  mv1::IndicatorReport report = WaitForReport(
      [](const mv1::IndicatorReport& r) { return Cell(r, "noshow_rate").count() == 2; });
  EXPECT_EQ(Cell(report, "noshow_rate").attainment(), mv1::NOT_MET);  // 50 > 30
  EXPECT_EQ(Cell(report, "received_total").attainment(), mv1::MET);   // 1 >= 1
  EXPECT_EQ(Cell(report, "wait_mean").attainment(), mv1::NO_DATA);
  EXPECT_EQ(Cell(report, "received_without_appointment").attainment(), mv1::NO_OBJECTIVE);
  // Moved: the same month is now met.
  ASSERT_TRUE(RpcOk(set("noshow_rate", 50, mv1::AT_MOST, &noshow)));
  ASSERT_TRUE(RpcOk(Report(&report)));
  EXPECT_EQ(Cell(report, "noshow_rate").attainment(), mv1::MET);
  mv1::ListObjectivesRequest list;
  list.set_site(site_);
  mv1::ListObjectivesResponse objectives;
  ASSERT_TRUE(
      RpcOk(CallOn(*officer_, &mv1::MetricsService::Stub::ListObjectives, list, &objectives)));
  ASSERT_EQ(objectives.objectives_size(), 2);
  EXPECT_EQ(objectives.objectives(0).indicator(), "noshow_rate");
  EXPECT_EQ(objectives.objectives(0).value(), 50);

  // Bad objectives change nothing.
  mv1::Objective ignored;
  EXPECT_TRUE(RpcFails(set("no_such_thing", 1, mv1::AT_MOST, &ignored), grpc::INVALID_ARGUMENT,
                       "UNKNOWN_INDICATOR", "objective.indicator"));
  EXPECT_TRUE(RpcFails(set("noshow_rate", 120, mv1::AT_MOST, &ignored), grpc::INVALID_ARGUMENT,
                       "INVALID_OBJECTIVE", "objective.value"));
  EXPECT_TRUE(RpcFails(set("wait_mean", -1, mv1::AT_MOST, &ignored), grpc::INVALID_ARGUMENT,
                       "INVALID_OBJECTIVE", "objective.value"));
  ASSERT_TRUE(
      RpcOk(CallOn(*officer_, &mv1::MetricsService::Stub::ListObjectives, list, &objectives)));
  EXPECT_EQ(objectives.objectives_size(), 2);
}

TEST_F(MetricsReport, TheNextFreeSlotIsLookedAtOnceADayAsAPersonWouldSeeIt) {
  // 2 June 09:00 Paris, the clock still: slots 09:00-10:30 are taken
  // (capacity 1) or starting, the next free one is 11:00, two hours ahead.
  const std::string desk = std::to_string(IdOf(world_.desk.desk.name()));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (world_.booking.Query("SELECT count(*) FROM metrics.next_free_slots WHERE desk_id = " +
                              desk + " AND local_date = '2026-06-02'") != "1" &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(world_.booking.QueryInt("SELECT seconds FROM metrics.next_free_slots WHERE desk_id = " +
                                    desk + " AND local_date = '2026-06-02'"),
            2 * 3600);
  // The month's mean is over the days looked at (1 June too, if the worker
  // passed after the slots were released that day).
  const int64_t days = world_.booking.QueryInt(
      "SELECT count(*) FROM metrics.next_free_slots WHERE desk_id = " + desk +
      " AND seconds IS NOT NULL AND local_date >= '2026-06-01'");
  const std::string mean = world_.booking.Query(
      "SELECT avg(seconds)::float8 / 86400 FROM metrics.next_free_slots WHERE desk_id = " + desk +
      " AND seconds IS NOT NULL AND local_date >= '2026-06-01'");
  mv1::IndicatorReport report;
  ASSERT_TRUE(RpcOk(Report(&report)));
  EXPECT_EQ(Cell(report, "next_free_slot_mean").count(), days);
  EXPECT_NEAR(Cell(report, "next_free_slot_mean").value(), std::stod(mean), 1e-9);
}

TEST_F(MetricsReport, APublishedMonthIsFrozenAndCorrectionsAreRestatements) {
  world_.booking.clock().Set(June2At(9, 5));
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world_.CheckIn(world_.appointments[0].reference(), &visit)));
  world_.booking.clock().Set(June2At(10, 20));  // person 2: no-show
  WaitForReport([](const mv1::IndicatorReport& r) { return Cell(r, "noshow_rate").count() == 2; });
  auto publish = [&](const std::string& reason, mv1::PublishedMonth* out) {
    mv1::PublishReportRequest req;
    req.set_site(site_);
    req.set_month("2026-06");
    req.set_reason(reason);
    return CallOn(*officer_, &mv1::MetricsService::Stub::PublishReport, req, out);
  };
  auto record = [&](const std::string& indicator, double value, mv1::ManualValue* out) {
    mv1::RecordManualValueRequest req;
    req.mutable_value()->set_site(site_);
    req.mutable_value()->set_indicator(indicator);
    req.mutable_value()->set_month("2026-06");
    req.mutable_value()->set_value(value);
    return CallOn(*officer_, &mv1::MetricsService::Stub::RecordManualValue, req, out);
  };
  mv1::PublishedMonth published;
  EXPECT_TRUE(RpcFails(publish("", &published), grpc::INVALID_ARGUMENT, "MONTH_NOT_OVER", "month"));
  mv1::ManualValue manual;
  ASSERT_TRUE(RpcOk(record("calls_answered_rate", 89.65, &manual)));
  EXPECT_TRUE(RpcFails(record("noshow_rate", 10, &manual), grpc::INVALID_ARGUMENT,
                       "INDICATOR_NOT_MANUAL", "value.indicator"));
  EXPECT_TRUE(RpcFails(record("calls_answered_rate", 101, &manual), grpc::INVALID_ARGUMENT,
                       "INVALID_VALUE", "value.value"));

  // 2 July: June is over everywhere.
  world_.booking.clock().Set(absl::FromCivil(absl::CivilHour(2026, 7, 2, 8), absl::UTCTimeZone()));
  ASSERT_TRUE(RpcOk(publish("", &published)));
  EXPECT_EQ(published.month(), "2026-06");
  EXPECT_EQ(published.restatements_size(), 0);
  EXPECT_TRUE(RpcFails(publish("", &published), grpc::FAILED_PRECONDITION,
                       "MONTH_ALREADY_PUBLISHED", "reason"));

  // The public report: no token; counts under the threshold (5) hidden.
  auto anyone = mv1::MetricsService::NewStub(world_.booking.server().Channel());
  mv1::GetPublishedReportRequest public_req;
  public_req.set_site(site_);
  public_req.set_year(2026);
  mv1::PublishedReport open;
  ASSERT_TRUE(
      RpcOk(CallOn(*anyone, &mv1::MetricsService::Stub::GetPublishedReport, public_req, &open)));
  ASSERT_EQ(open.months_size(), 1);
  EXPECT_EQ(open.anonymity_threshold(), 5);
  auto public_cell = [](const mv1::PublishedReport& r, const std::string& id) {
    for (const mv1::IndicatorRow& row : r.rows()) {
      if (row.indicator().id() == id) return row.months(0);
    }
    return mv1::MonthValue();
  };
  EXPECT_TRUE(public_cell(open, "noshow_rate").suppressed());  // 2 appointments due
  EXPECT_FALSE(public_cell(open, "noshow_rate").has_value());
  EXPECT_EQ(public_cell(open, "noshow_rate").count(), 0);
  EXPECT_DOUBLE_EQ(public_cell(open, "calls_answered_rate").value(), 89.65);

  // A correction: the telephone figures were wrong. The officer's report
  // shows the new value beside the published one until June is restated.
  ASSERT_TRUE(RpcOk(record("calls_answered_rate", 90.32, &manual)));
  mv1::IndicatorReport live;
  ASSERT_TRUE(RpcOk(Report(&live)));
  EXPECT_DOUBLE_EQ(Cell(live, "calls_answered_rate").value(), 90.32);
  EXPECT_TRUE(Cell(live, "calls_answered_rate").published());
  EXPECT_DOUBLE_EQ(Cell(live, "calls_answered_rate").published_value(), 89.65);
  ASSERT_TRUE(
      RpcOk(CallOn(*anyone, &mv1::MetricsService::Stub::GetPublishedReport, public_req, &open)));
  EXPECT_DOUBLE_EQ(public_cell(open, "calls_answered_rate").value(), 89.65);  // not silently

  world_.booking.clock().Set(absl::FromCivil(absl::CivilHour(2026, 7, 3, 8), absl::UTCTimeZone()));
  ASSERT_TRUE(RpcOk(publish("telephone figures corrected", &published)));
  ASSERT_EQ(published.restatements_size(), 1) << published.DebugString();
  const mv1::Restatement& r = published.restatements(0);
  EXPECT_EQ(r.indicator(), "calls_answered_rate");
  EXPECT_DOUBLE_EQ(r.old_value(), 89.65);
  EXPECT_DOUBLE_EQ(r.new_value(), 90.32);
  EXPECT_EQ(r.reason(), "telephone figures corrected");
  EXPECT_LT(published.first_publish_time().seconds(), published.publish_time().seconds());
  ASSERT_TRUE(
      RpcOk(CallOn(*anyone, &mv1::MetricsService::Stub::GetPublishedReport, public_req, &open)));
  EXPECT_DOUBLE_EQ(public_cell(open, "calls_answered_rate").value(), 90.32);
  ASSERT_EQ(open.restatements_size(), 1);
  EXPECT_EQ(open.restatements(0).reason(), "telephone figures corrected");
  // Published again with nothing changed: no restatement.
  ASSERT_TRUE(RpcOk(publish("checked again", &published)));
  EXPECT_EQ(published.restatements_size(), 0);

  // Only the site's quality officer publishes.
  auto lodge = mv1::MetricsService::NewStub(world_.booking.server().Channel(
      world_.booking.server().Token("lodge-1", {{access::v1::LODGE_AGENT, IdOf(site_)}})));
  mv1::PublishReportRequest req;
  req.set_site(site_);
  req.set_month("2026-06");
  EXPECT_EQ(CallOn(*lodge, &mv1::MetricsService::Stub::PublishReport, req, &published).error_code(),
            grpc::PERMISSION_DENIED);
}

TEST_F(MetricsReport, OnlyTheSitesQualityOfficerReadsAndBadMonthsAreRefused) {
  TestServer& server = world_.booking.server();
  mv1::IndicatorReport report;
  mv1::GetIndicatorReportRequest req;
  req.set_site(site_);
  req.set_from_month("2026-01");
  req.set_to_month("2026-06");
  auto as = [&](const std::string& token) {
    return mv1::MetricsService::NewStub(server.Channel(token));
  };
  const int64_t site = IdOf(site_);
  for (const std::string& token :
       {server.Token("lodge-1", {{access::v1::LODGE_AGENT, site}}),
        server.Token("counter-1", {{access::v1::COUNTER_AGENT, site}}),
        server.Token("quality-9", {{access::v1::QUALITY_OFFICER, site + 100}})}) {
    auto stub = as(token);
    EXPECT_EQ(
        CallOn(*stub, &mv1::MetricsService::Stub::GetIndicatorReport, req, &report).error_code(),
        grpc::PERMISSION_DENIED);
  }
  auto anonymous = as("");
  EXPECT_EQ(
      CallOn(*anonymous, &mv1::MetricsService::Stub::GetIndicatorReport, req, &report).error_code(),
      grpc::UNAUTHENTICATED);
  EXPECT_TRUE(RpcFails(Report(&report, "2026-13", "2026-06"), grpc::INVALID_ARGUMENT,
                       "INVALID_MONTH", "from_month"));
  EXPECT_TRUE(RpcFails(Report(&report, "2026-06", "June"), grpc::INVALID_ARGUMENT, "INVALID_MONTH",
                       "to_month"));
  EXPECT_TRUE(RpcFails(Report(&report, "2026-06", "2026-05"), grpc::INVALID_ARGUMENT,
                       "INVALID_MONTH_RANGE", "to_month"));
  EXPECT_TRUE(RpcFails(Report(&report, "2023-01", "2026-01"), grpc::INVALID_ARGUMENT,
                       "INVALID_MONTH_RANGE", "to_month"));
  EXPECT_TRUE(RpcOk(Report(&report, "2023-02", "2026-01")));  // 36 months
  EXPECT_EQ(report.months_size(), 36);
}

}  // namespace
}  // namespace accueil::testing
