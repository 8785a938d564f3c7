// accueil-metrics-bench: the quality officer's report against a running
// accueil-server on a large history (issue 11; docs/benchmarks.md#metrics).
//
//   report: GetIndicatorReport(site, --from .. --to) --runs times (after 3
//     warm-up calls), as the quality officer (--token-file): p50, p95, max.
//   naive:  the same month-by-month table computed by one GROUP BY query over
//     metrics' raw fact rows (an appointment, a visit, a walk-in per row: no
//     rollups), --naive-runs times on --database-url: p50, max.
// Then a machine-readable line:
//
//   RESULT part=report runs=... p50_ms=... p95_ms=... naive_p50_ms=... speedup=...
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "clients/bench/bench_common.h"

namespace {

namespace mv1 = ::accueil::metrics::v1;
using accueil::bench::Die;

constexpr char kUsage[] =
    "usage: accueil-metrics-bench --server HOST:PORT --token-file FILE --site sites/N\n"
    "         --from YYYY-MM --to YYYY-MM --database-url URL [--runs 50] [--naive-runs 5]\n";

// The report's main figures per month from the raw facts: no-show and
// cancellation rates, delay to obtain (mean, median, p90), waiting time
// (mean, p90, share within 30 min), service time, lateness, volume. Months
// are local months already stored on each fact (start_date, booked_date,
// arrival_date, local_date), as the rollups use them.
constexpr char kNaiveQuery[] = R"sql(
WITH months AS (
  SELECT generate_series($2::date, $3::date, interval '1 month')::date AS month
), due AS (
  SELECT date_trunc('month', start_date)::date AS month,
         count(*) FILTER (WHERE status <> 'cancelled') AS due,
         count(*) FILTER (WHERE status = 'noshow') AS noshows,
         count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
         count(*) FILTER (WHERE status = 'cancelled'
                            AND start_time - cancel_time < interval '24 hours') AS late_cancelled,
         count(*) AS booked,
         avg(extract(epoch FROM arrival_time - start_time) / 60)
           FILTER (WHERE arrival_time > start_time) AS lateness
  FROM metrics.appointments
  WHERE site_id = $1 AND start_date >= $2::date AND start_date < ($3::date + interval '1 month')
  GROUP BY 1
), delay AS (
  SELECT date_trunc('month', booked_date)::date AS month,
         avg(extract(epoch FROM first_start_time - booked_time) / 86400) AS mean_days,
         percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM first_start_time - booked_time) / 86400) AS median_days,
         percentile_cont(0.9) WITHIN GROUP (
           ORDER BY extract(epoch FROM first_start_time - booked_time) / 86400) AS p90_days
  FROM metrics.appointments
  WHERE site_id = $1 AND booked_date >= $2::date AND booked_date < ($3::date + interval '1 month')
  GROUP BY 1
), visits AS (
  SELECT date_trunc('month', arrival_date)::date AS month,
         avg(extract(epoch FROM first_called_time - arrival_time) / 60) AS wait_mean,
         percentile_cont(0.9) WITHIN GROUP (
           ORDER BY extract(epoch FROM first_called_time - arrival_time) / 60) AS wait_p90,
         avg((first_called_time - arrival_time <= interval '30 minutes')::int) AS within_target,
         avg(extract(epoch FROM finish_time - start_time) / 60)
           FILTER (WHERE finish_time IS NOT NULL AND start_time IS NOT NULL) AS service_mean,
         count(*) FILTER (WHERE kind = 'appointment') AS with_appointment,
         count(*) FILTER (WHERE kind = 'walk_in') AS walk_in_visits
  FROM metrics.visits
  WHERE site_id = $1 AND arrival_date >= $2::date AND arrival_date < ($3::date + interval '1 month')
  GROUP BY 1
), walk_ins AS (
  SELECT date_trunc('month', local_date)::date AS month, count(*) AS walk_ins
  FROM metrics.walk_ins
  WHERE site_id = $1 AND local_date >= $2::date AND local_date < ($3::date + interval '1 month')
  GROUP BY 1
)
SELECT m.month, d.due, d.noshows::float8 / nullif(d.due, 0) AS noshow_rate,
       d.cancelled::float8 / nullif(d.booked, 0) AS cancellation_rate,
       d.late_cancelled::float8 / nullif(d.booked, 0) AS late_cancellation_rate, d.lateness,
       l.mean_days, l.median_days, l.p90_days, v.wait_mean, v.wait_p90, v.within_target,
       v.service_mean, v.with_appointment, v.walk_in_visits, w.walk_ins
FROM months m LEFT JOIN due d USING (month) LEFT JOIN delay l USING (month)
LEFT JOIN visits v USING (month) LEFT JOIN walk_ins w USING (month)
ORDER BY m.month
)sql";

struct Options {
  std::string server;
  std::string token_file;
  std::string site;
  std::string from;
  std::string to;
  std::string database_url;
  int runs = 50;
  int naive_runs = 5;
};

std::vector<double> Sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}

double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  accueil::bench::Flags flags(argc, argv, {}, kUsage);
  while (flags.Next()) {
    if (flags.name() == "--server")
      o.server = flags.value();
    else if (flags.name() == "--token-file")
      o.token_file = flags.value();
    else if (flags.name() == "--site")
      o.site = flags.value();
    else if (flags.name() == "--from")
      o.from = flags.value();
    else if (flags.name() == "--to")
      o.to = flags.value();
    else if (flags.name() == "--database-url")
      o.database_url = flags.value();
    else if (flags.name() == "--runs")
      o.runs = flags.Number(1, 100000);
    else if (flags.name() == "--naive-runs")
      o.naive_runs = flags.Number(1, 1000);
    else
      flags.Usage(2);
  }
  if (o.server.empty() || o.token_file.empty() || o.site.empty() || o.from.empty() ||
      o.to.empty() || o.database_url.empty()) {
    flags.Usage(2);
  }
  const std::string token = accueil::bench::ReadToken(o.token_file);
  auto stub = mv1::MetricsService::NewStub(
      grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials()));

  mv1::GetIndicatorReportRequest req;
  req.set_site(o.site);
  req.set_from_month(o.from);
  req.set_to_month(o.to);
  int rows = 0;
  // Timed calls as the quality officer, after 3 untimed ones (connection,
  // prepared statements).
  auto timed = [&](const char* what, auto call) {
    std::vector<double> ms;
    for (int i = 0; i < 3 + o.runs; ++i) {
      auto ctx = accueil::bench::Context(absl::Seconds(60), token);
      const absl::Time t0 = absl::Now();
      grpc::Status s = call(ctx.get());
      const double elapsed = absl::ToDoubleMilliseconds(absl::Now() - t0);
      if (!s.ok()) Die(std::string(what) + ": " + accueil::bench::Describe(s));
      if (i >= 3) ms.push_back(elapsed);
    }
    return ms;
  };
  std::printf("report: start\n");
  std::fflush(stdout);
  const std::vector<double> report_ms = timed("GetIndicatorReport", [&](grpc::ClientContext* ctx) {
    mv1::IndicatorReport report;
    grpc::Status s = stub->GetIndicatorReport(ctx, req, &report);
    rows = report.rows_size();
    return s;
  });
  std::printf("report: end\n");
  // The floor: an authenticated call through the gate that reads nothing.
  const std::vector<double> floor_ms = timed("ListIndicators", [&](grpc::ClientContext* ctx) {
    mv1::ListIndicatorsResponse list;
    return stub->ListIndicators(ctx, mv1::ListIndicatorsRequest(), &list);
  });

  pqxx::connection c(o.database_url);
  c.prepare("naive", kNaiveQuery);
  const int64_t site_id = std::stoll(o.site.substr(o.site.find('/') + 1));
  const std::string first = o.from + "-01";
  const std::string last = o.to + "-01";
  std::vector<double> naive_ms;
  size_t months = 0;
  std::printf("naive: start\n");
  std::fflush(stdout);
  for (int i = 0; i < 1 + o.naive_runs; ++i) {
    pqxx::read_transaction tx(c);
    const absl::Time t0 = absl::Now();
    pqxx::result r = tx.exec_prepared("naive", site_id, first, last);
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    months = r.size();
    if (i >= 1) naive_ms.push_back(ms);  // the first warms the cache
  }
  std::printf("naive: end\n");

  const std::vector<double> r = Sorted(report_ms);
  const std::vector<double> n = Sorted(naive_ms);
  std::printf(
      "report: %d calls of GetIndicatorReport(%s, %s..%s), %d indicators: p50 %.2f ms, "
      "p95 %.2f ms, max %.2f ms\n",
      o.runs, o.site.c_str(), o.from.c_str(), o.to.c_str(), rows, Quantile(r, 0.5),
      Quantile(r, 0.95), r.back());
  const std::vector<double> f = Sorted(floor_ms);
  std::printf(
      "floor: %d calls of ListIndicators (the gate, no database): p50 %.2f ms, p95 %.2f "
      "ms\n",
      o.runs, Quantile(f, 0.5), Quantile(f, 0.95));
  std::printf(
      "naive: %d runs of one GROUP BY over the raw facts, %zu months: p50 %.1f ms, max "
      "%.1f ms\n",
      o.naive_runs, months, Quantile(n, 0.5), n.back());
  std::printf("RESULT part=report runs=%d p50_ms=%.2f p95_ms=%.2f naive_p50_ms=%.1f speedup=%.0f\n",
              o.runs, Quantile(r, 0.5), Quantile(r, 0.95), Quantile(n, 0.5),
              Quantile(n, 0.5) / Quantile(r, 0.5));
  return 0;
}
