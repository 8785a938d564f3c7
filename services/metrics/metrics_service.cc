#include "services/metrics/metrics_service.h"

#include <cmath>
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/idempotency.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/mutation.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/metrics/indicators.h"

namespace accueil::metrics {
namespace {

// A report covers at most three years.
constexpr int kMaxMonths = 36;

std::string MonthText(absl::CivilMonth m) {
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

std::string SqlMonth(absl::CivilMonth m) { return MonthText(m) + "-01"; }

// "{1,2,3}" (a bigint[] or numeric[] as text).
template <typename T>
std::vector<T> ParseArray(const std::string& text) {
  std::vector<T> out;
  if (text.size() < 2) return out;
  for (absl::string_view item : absl::StrSplit(text.substr(1, text.size() - 2), ',')) {
    T v{};
    if constexpr (std::is_same_v<T, double>) {
      (void)absl::SimpleAtod(item, &v);
    } else {
      (void)absl::SimpleAtoi(item, &v);
    }
    out.push_back(v);
  }
  return out;
}

const IndicatorDef* FindIndicator(const std::string& id) {
  for (const IndicatorDef& d : Indicators()) {
    if (d.indicator.id() == id) return &d;
  }
  return nullptr;
}

std::string DirectionText(v1::Direction d) { return d == v1::AT_LEAST ? "at_least" : "at_most"; }
v1::Direction DirectionOf(const std::string& text) {
  return text == "at_least" ? v1::AT_LEAST : v1::AT_MOST;
}

void FillObjective(const pqxx::row& r, v1::Objective* out) {
  out->set_site(absl::StrCat("sites/", r["site_id"].as<int64_t>()));
  out->set_indicator(r["indicator"].as<std::string>());
  out->set_value(r["value"].as<double>());
  out->set_direction(DirectionOf(r["direction"].as<std::string>()));
  *out->mutable_update_time() = ToProto(absl::FromUnixMicros(r["update_micros"].as<int64_t>()));
}

// Attainment of `value` against an objective (null: none).
v1::Attainment Attain(std::optional<double> value, const v1::Objective* objective) {
  if (!value) return v1::NO_DATA;
  if (objective == nullptr) return v1::NO_OBJECTIVE;
  const bool met = objective->direction() == v1::AT_LEAST ? *value >= objective->value()
                                                          : *value <= objective->value();
  return met ? v1::MET : v1::NOT_MET;
}

// SqlDouble: a `NULLIF($n, '')::float8` parameter, exact ("" for none).
std::string SqlDouble(std::optional<double> v) {
  return v ? absl::StrFormat("%.17g", *v) : std::string();
}

std::optional<double> OptionalDouble(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

void FillRestatement(const pqxx::row& r, v1::Restatement* out) {
  out->set_indicator(r["indicator"].as<std::string>());
  out->set_month(r["month_text"].as<std::string>());
  if (!r["old_value"].is_null()) out->set_old_value(r["old_value"].as<double>());
  if (!r["new_value"].is_null()) out->set_new_value(r["new_value"].as<double>());
  *out->mutable_restate_time() = ToProto(absl::FromUnixMicros(r["restate_micros"].as<int64_t>()));
  out->set_reason(r["reason"].as<std::string>());
}

constexpr char kObjectiveColumns[] =
    "site_id, indicator, value::float8 AS value, direction, "
    "(extract(epoch FROM update_time) * 1000000)::bigint AS update_micros";
constexpr char kRestatementColumns[] =
    "indicator, to_char(month, 'YYYY-MM') AS month_text, old_value, new_value, reason, "
    "(extract(epoch FROM restate_time) * 1000000)::bigint AS restate_micros";

void PrepareStatements(db::Pool& pool) {
  pool.Prepare("metrics_measures", "SELECT measure, bounds::text FROM metrics.measures");
  // Months of the site (rolled up beside the desks' months: summing 40 desks'
  // histograms on every call cost 15 ms of the report's 20) or of one desk.
  pool.Prepare("metrics_report",
               "SELECT to_char(month, 'YYYY-MM'), measure, count, sum::float8, histogram::text "
               "FROM metrics.site_month_measures WHERE $4 = 0 AND site_id = $1 AND month "
               "BETWEEN $2::date AND $3::date "
               "UNION ALL "
               "SELECT to_char(month, 'YYYY-MM'), measure, count, sum::float8, histogram::text "
               "FROM metrics.month_measures WHERE $4 <> 0 AND site_id = $1 AND desk_id = $4 "
               "AND month BETWEEN $2::date AND $3::date");
  pool.Prepare("metrics_manual_values",
               "SELECT to_char(month, 'YYYY-MM'), indicator, value FROM metrics.manual_values "
               "WHERE site_id = $1 AND month BETWEEN $2::date AND $3::date");
  pool.Prepare("metrics_published",
               "SELECT to_char(month, 'YYYY-MM'), indicator, value, count, objective, direction "
               "FROM metrics.published_values WHERE site_id = $1 AND month BETWEEN $2::date "
               "AND $3::date");
  pool.Prepare("metrics_published_months",
               "SELECT to_char(month, 'YYYY-MM') FROM metrics.published_months "
               "WHERE site_id = $1 AND month BETWEEN $2::date AND $3::date ORDER BY month");
  pool.Prepare("metrics_restatements",
               absl::StrCat("SELECT ", kRestatementColumns,
                            " FROM metrics.restatements WHERE site_id = $1 AND month BETWEEN "
                            "$2::date AND $3::date AND ($4 = 0 OR publication = $4) "
                            "ORDER BY restate_time, id"));
  pool.Prepare("metrics_objectives",
               absl::StrCat("SELECT ", kObjectiveColumns,
                            " FROM metrics.objectives WHERE site_id = $1 ORDER BY indicator"));
  pool.Prepare("metrics_set_objective",
               "INSERT INTO metrics.objectives (site_id, indicator, value, direction, "
               "update_time) VALUES ($1, $2, $3, $4, $5::timestamptz) "
               "ON CONFLICT (site_id, indicator) DO UPDATE SET value = excluded.value, "
               "direction = excluded.direction, update_time = excluded.update_time");
  pool.Prepare(
      "metrics_set_manual",
      "INSERT INTO metrics.manual_values (site_id, month, indicator, value, update_time) "
      "VALUES ($1, $2::date, $3, $4, $5::timestamptz) ON CONFLICT (site_id, month, "
      "indicator) DO UPDATE SET value = excluded.value, update_time = excluded.update_time");
  pool.Prepare("metrics_lock_published",
               "SELECT 1 FROM metrics.published_months WHERE site_id = $1 AND month = $2::date "
               "FOR UPDATE");
  pool.Prepare("metrics_publish_month",
               "INSERT INTO metrics.published_months (site_id, month, first_publish_time, "
               "publish_time) VALUES ($1, $2::date, $3::timestamptz, $3::timestamptz) "
               "ON CONFLICT (site_id, month) DO UPDATE SET publish_time = excluded.publish_time, "
               "publications = published_months.publications + 1 RETURNING publications");
  pool.Prepare("metrics_published_month",
               "SELECT (extract(epoch FROM first_publish_time) * 1000000)::bigint, "
               "(extract(epoch FROM publish_time) * 1000000)::bigint "
               "FROM metrics.published_months WHERE site_id = $1 AND month = $2::date");
  // Writes a published value; returns the value it replaces, or no row when
  // there was none.
  pool.Prepare("metrics_publish_value",
               "WITH old AS (SELECT value FROM metrics.published_values WHERE site_id = $1 "
               "AND month = $2::date AND indicator = $3) "
               "INSERT INTO metrics.published_values AS p (site_id, month, indicator, value, "
               "count, objective, direction) VALUES ($1, $2::date, $3, NULLIF($4, '')::float8, "
               "$5, NULLIF($6, '')::float8, NULLIF($7, '')) "
               "ON CONFLICT (site_id, month, indicator) DO UPDATE SET value = excluded.value, "
               "count = excluded.count, objective = excluded.objective, "
               "direction = excluded.direction "
               "RETURNING (SELECT count(*) FROM old) AS existed, (SELECT value FROM old) AS old");
  pool.Prepare("metrics_restate",
               "INSERT INTO metrics.restatements (site_id, month, indicator, old_value, "
               "new_value, restate_time, publication, reason) VALUES ($1, $2::date, $3, "
               "NULLIF($4, '')::float8, NULLIF($5, '')::float8, $6::timestamptz, $7, $8)");
  pool.Prepare("metrics_shape",
               "SELECT extract(isodow FROM local_date)::int, local_date::text, measure, "
               "histogram::text FROM metrics.day_measures WHERE site_id = $1 AND local_date "
               "BETWEEN $2::date AND $3::date AND ($4 = 0 OR desk_id = $4) "
               "AND measure IN ('received.appointment', 'received.walk_in')");
}

// CheckValue: a value in the indicator's unit (a percent 0-100, else from 0).
absl::Status CheckValue(const IndicatorDef& def, double value, std::string_view reason,
                        std::string_view field) {
  const bool percent = def.indicator.unit() == "percent";
  if (!std::isfinite(value) || value < 0 || (percent && value > 100) || value > 1e9) {
    return InvalidField(reason, field, percent ? "a percentage from 0 to 100" : "a number from 0");
  }
  return absl::OkStatus();
}

// Scope: what a report or a shape covers (a site or one of its desks, and
// months); ParseScope reads it from a request with `site`, `desk`,
// `from_month`, `to_month`, and authorizes the caller on the site.
struct Scope {
  int64_t site = 0;
  int64_t desk = 0;  // 0: the whole site
  absl::CivilMonth from, to;
};

// The months requested: from <= to, at most kMaxMonths.
absl::Status CheckRange(absl::CivilMonth from, absl::CivilMonth to) {
  if (to < from || to - from >= kMaxMonths) {
    return InvalidField("INVALID_MONTH_RANGE", "to_month",
                        "from_month to to_month: at most 36 months, in order");
  }
  return absl::OkStatus();
}

template <typename Request>
absl::StatusOr<Scope> ParseScope(Call& call, const Request& req) {
  Scope scope;
  ASSIGN_OR_RETURN(scope.site, input::ParseResourceId(req.site(), "sites", "site"));
  if (!req.desk().empty()) {
    ASSIGN_OR_RETURN(scope.desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  }
  ASSIGN_OR_RETURN(scope.from, input::ParseMonth(req.from_month(), "from_month"));
  ASSIGN_OR_RETURN(scope.to, input::ParseMonth(req.to_month(), "to_month"));
  RETURN_IF_ERROR(CheckRange(scope.from, scope.to));
  RETURN_IF_ERROR(call.AuthorizeSite(scope.site));
  call.SetResource(req.site(), scope.site);
  return scope;
}

std::string SqlMonthEnd(absl::CivilMonth m) {
  const absl::CivilDay last = absl::CivilDay(m + 1) - 1;
  return absl::StrFormat("%04d-%02d-%02d", last.year(), last.month(), last.day());
}

// LoadReport fills `out` with the live report of the site (desk 0) or a desk
// over [from, to], read in `tx`: rollups, manual values, objectives, and for
// the site, what was published.
void LoadReport(pqxx::transaction_base& tx, int64_t site, int64_t desk, absl::CivilMonth from,
                absl::CivilMonth to, v1::IndicatorReport* out) {
  std::map<std::string, std::vector<double>> bounds;
  std::map<std::string, Period> months;  // "2026-01" -> measures
  for (const auto& r : tx.exec_prepared("metrics_measures")) {
    bounds[r[0].as<std::string>()] = ParseArray<double>(r[1].as<std::string>());
  }
  for (const auto& r :
       tx.exec_prepared("metrics_report", site, SqlMonth(from), SqlMonth(to), desk)) {
    Rollup& m = months[r[0].as<std::string>()].measures[r[1].as<std::string>()];
    m.count = r[2].as<int64_t>();
    m.sum = r[3].as<double>();
    m.histogram = ParseArray<int64_t>(r[4].as<std::string>());
  }
  // Manual values and publication are the site's.
  std::map<std::pair<std::string, std::string>, std::optional<double>> published;
  if (desk == 0) {
    for (const auto& r :
         tx.exec_prepared("metrics_manual_values", site, SqlMonth(from), SqlMonth(to))) {
      months[r[0].as<std::string>()].manual[r[1].as<std::string>()] = r[2].as<double>();
    }
    for (const auto& r :
         tx.exec_prepared("metrics_published", site, SqlMonth(from), SqlMonth(to))) {
      published[{r[0].as<std::string>(), r[1].as<std::string>()}] = OptionalDouble(r[2]);
    }
  }
  v1::ListObjectivesResponse objectives;
  for (const auto& r : tx.exec_prepared("metrics_objectives", site)) {
    FillObjective(r, objectives.add_objectives());
  }
  for (absl::CivilMonth m = from; m <= to; ++m) out->add_months(MonthText(m));
  for (const IndicatorDef& def : Indicators()) {
    v1::IndicatorRow* row = out->add_rows();
    *row->mutable_indicator() = def.indicator;
    const v1::Objective* objective = nullptr;
    for (const v1::Objective& o : objectives.objectives()) {
      if (o.indicator() == def.indicator.id()) objective = &o;
    }
    if (objective != nullptr) *row->mutable_objective() = *objective;
    for (const std::string& month : out->months()) {
      Period& period = months[month];
      period.bounds = &bounds;
      const IndicatorValue v = Compute(def, period);
      v1::MonthValue* cell = row->add_months();
      cell->set_month(month);
      cell->set_count(v.count);
      if (v.value) cell->set_value(*v.value);
      cell->set_attainment(Attain(v.value, objective));
      auto p = published.find({month, def.indicator.id()});
      if (p != published.end()) {
        cell->set_published(true);
        if (p->second) cell->set_published_value(*p->second);
      }
    }
  }
}

}  // namespace

MetricsService::MetricsService(const ServiceContext& context, MetricsOptions options,
                               const events::Consumer* rollup)
    : ctx_(context), options_(options), rollup_(rollup) {
  PrepareStatements(*ctx_.pool);
}

grpc::Status MetricsService::ListIndicators(grpc::ServerContext* context,
                                            const v1::ListIndicatorsRequest*,
                                            v1::ListIndicatorsResponse* resp) {
  return ctx_.gate->Handle(context, "accueil.metrics.v1.MetricsService.ListIndicators",
                           [&](Call&) -> absl::Status {
                             for (const IndicatorDef& d : Indicators()) {
                               *resp->add_indicators() = d.indicator;
                             }
                             return absl::OkStatus();
                           });
}

absl::Status MetricsService::LoadObjectives(int64_t site, v1::ListObjectivesResponse* out) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    out->Clear();
    pqxx::nontransaction tx(c);
    for (const auto& r : tx.exec_prepared("metrics_objectives", site)) {
      FillObjective(r, out->add_objectives());
    }
    return absl::OkStatus();
  });
}

grpc::Status MetricsService::GetIndicatorReport(grpc::ServerContext* context,
                                                const v1::GetIndicatorReportRequest* req,
                                                v1::IndicatorReport* resp) {
  return ctx_.gate->Handle(
      context, "accueil.metrics.v1.MetricsService.GetIndicatorReport",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(const Scope scope, ParseScope(call, *req));
        const int64_t site = scope.site, desk = scope.desk;
        const absl::CivilMonth from = scope.from, to = scope.to;
        RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          resp->Clear();
          pqxx::read_transaction tx(c);  // one snapshot
          LoadReport(tx, site, desk, from, to, resp);
          return absl::OkStatus();
        }));
        resp->set_site(req->site());
        resp->set_desk(req->desk());
        const absl::Duration lag = rollup_ != nullptr ? rollup_->Lag() : absl::ZeroDuration();
        resp->mutable_lag()->set_seconds(absl::ToInt64Seconds(lag));
        return absl::OkStatus();
      });
}

grpc::Status MetricsService::SetObjective(grpc::ServerContext* context,
                                          const v1::SetObjectiveRequest* req, v1::Objective* resp) {
  return ctx_.gate->Handle(
      context, "accueil.metrics.v1.MetricsService.SetObjective", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("SetObjective", *req));
        const v1::Objective& o = req->objective();
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(o.site(), "sites", "objective.site"));
        const IndicatorDef* def = FindIndicator(o.indicator());
        if (def == nullptr) {
          return InvalidField("UNKNOWN_INDICATOR", "objective.indicator",
                              "one of the indicators ListIndicators returns");
        }
        RETURN_IF_ERROR(CheckValue(*def, o.value(), "INVALID_OBJECTIVE", "objective.value"));
        const v1::Direction direction = o.direction() == v1::DIRECTION_UNSPECIFIED
                                            ? def->indicator.default_direction()
                                            : o.direction();
        if (!v1::Direction_IsValid(direction)) {
          return InvalidField("INVALID_DIRECTION", "objective.direction", "AT_MOST or AT_LEAST");
        }
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(absl::StrCat(o.site(), "/objectives/", o.indicator()), site);
        const absl::Time now = ctx_.clock->Now();
        RETURN_IF_ERROR(RunMutation(call, *ctx_.pool, ctx_.commit_signal, "metrics", idem, now,
                                    [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                                      tx.exec_prepared("metrics_set_objective", site, o.indicator(),
                                                       o.value(), DirectionText(direction),
                                                       db::SqlTime(now));
                                      return 0;
                                    })
                            .status());
        v1::ListObjectivesResponse all;
        RETURN_IF_ERROR(LoadObjectives(site, &all));
        for (const v1::Objective& saved : all.objectives()) {
          if (saved.indicator() == o.indicator()) *resp = saved;
        }
        return absl::OkStatus();
      });
}

grpc::Status MetricsService::ListObjectives(grpc::ServerContext* context,
                                            const v1::ListObjectivesRequest* req,
                                            v1::ListObjectivesResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.metrics.v1.MetricsService.ListObjectives", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);
        return LoadObjectives(site, resp);
      });
}

grpc::Status MetricsService::RecordManualValue(grpc::ServerContext* context,
                                               const v1::RecordManualValueRequest* req,
                                               v1::ManualValue* resp) {
  return ctx_.gate->Handle(
      context, "accueil.metrics.v1.MetricsService.RecordManualValue",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("RecordManualValue", *req));
        const v1::ManualValue& v = req->value();
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(v.site(), "sites", "value.site"));
        const IndicatorDef* def = FindIndicator(v.indicator());
        if (def == nullptr) {
          return InvalidField("UNKNOWN_INDICATOR", "value.indicator",
                              "one of the indicators ListIndicators returns");
        }
        if (!def->indicator.manual()) {
          return InvalidField("INDICATOR_NOT_MANUAL", "value.indicator",
                              "the system computes this indicator; only manual ones are entered");
        }
        ASSIGN_OR_RETURN(absl::CivilMonth month, input::ParseMonth(v.month(), "value.month"));
        if (month > absl::CivilMonth(absl::ToCivilDay(ctx_.clock->Now(), absl::UTCTimeZone()))) {
          return InvalidField("MONTH_IN_FUTURE", "value.month", "a month already begun");
        }
        RETURN_IF_ERROR(CheckValue(*def, v.value(), "INVALID_VALUE", "value.value"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(absl::StrCat(v.site(), "/manual/", v.indicator(), "/", v.month()), site);
        const absl::Time now = ctx_.clock->Now();
        RETURN_IF_ERROR(RunMutation(call, *ctx_.pool, ctx_.commit_signal, "metrics", idem, now,
                                    [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                                      tx.exec_prepared("metrics_set_manual", site, SqlMonth(month),
                                                       v.indicator(), v.value(), db::SqlTime(now));
                                      return 0;
                                    })
                            .status());
        *resp = v;
        resp->set_month(MonthText(month));
        *resp->mutable_update_time() = ToProto(now);
        return absl::OkStatus();
      });
}

grpc::Status MetricsService::PublishReport(grpc::ServerContext* context,
                                           const v1::PublishReportRequest* req,
                                           v1::PublishedMonth* resp) {
  return ctx_.gate->Handle(
      context, "accueil.metrics.v1.MetricsService.PublishReport", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("PublishReport", *req));
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        ASSIGN_OR_RETURN(absl::CivilMonth month, input::ParseMonth(req->month(), "month"));
        ASSIGN_OR_RETURN(std::string reason, input::ParseFreeText(req->reason(), "reason", 500));
        // Over in every zone (the latest is 12 hours behind UTC), so that no
        // day of it is still to come wherever the site is.
        const absl::Time now = ctx_.clock->Now();
        if (now <
            absl::FromCivil(absl::CivilSecond(month + 1), absl::UTCTimeZone()) + absl::Hours(12)) {
          return InvalidField("MONTH_NOT_OVER", "month",
                              "a month can be published once it is over (from noon UTC on the "
                              "1st of the next month)");
        }
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(absl::StrCat(req->site(), "/reports/", req->month()), site);
        absl::StatusOr<int64_t> publication = RunMutation(
            call, *ctx_.pool, ctx_.commit_signal, "metrics", idem, now,
            [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
              const bool again =
                  !tx.exec_prepared("metrics_lock_published", site, SqlMonth(month)).empty();
              if (again && reason.empty()) {
                return WithField(
                    Error(absl::StatusCode::kFailedPrecondition, "MONTH_ALREADY_PUBLISHED",
                          "the month is published: publishing it again restates it, with a "
                          "reason"),
                    "reason");
              }
              v1::IndicatorReport live;
              LoadReport(tx, site, 0, month, month, &live);
              const int64_t number = tx.exec_prepared1("metrics_publish_month", site,
                                                       SqlMonth(month), db::SqlTime(now))[0]
                                         .as<int64_t>();
              for (const v1::IndicatorRow& row : live.rows()) {
                const v1::MonthValue& cell = row.months(0);
                const std::optional<double> value =
                    cell.has_value() ? std::optional<double>(cell.value()) : std::nullopt;
                const std::string objective =
                    row.has_objective() ? SqlDouble(row.objective().value()) : "";
                const std::string direction =
                    row.has_objective() ? DirectionText(row.objective().direction()) : "";
                const pqxx::row old = tx.exec_prepared1(
                    "metrics_publish_value", site, SqlMonth(month), row.indicator().id(),
                    SqlDouble(value), cell.count(), objective, direction);
                const std::optional<double> old_value = OptionalDouble(old["old"]);
                if (old["existed"].as<int64_t>() > 0 && old_value != value) {
                  tx.exec_prepared("metrics_restate", site, SqlMonth(month), row.indicator().id(),
                                   SqlDouble(old_value), SqlDouble(value), db::SqlTime(now), number,
                                   reason);
                }
              }
              return number;
            });
        RETURN_IF_ERROR(publication.status());
        resp->set_site(req->site());
        resp->set_month(MonthText(month));
        return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          resp->clear_restatements();
          pqxx::read_transaction tx(c);
          const pqxx::row times =
              tx.exec_prepared1("metrics_published_month", site, SqlMonth(month));
          *resp->mutable_first_publish_time() =
              ToProto(absl::FromUnixMicros(times[0].as<int64_t>()));
          *resp->mutable_publish_time() = ToProto(absl::FromUnixMicros(times[1].as<int64_t>()));
          // This publication's restatements (a replay: the first answer's).
          for (const auto& r : tx.exec_prepared("metrics_restatements", site, SqlMonth(month),
                                                SqlMonth(month), *publication)) {
            FillRestatement(r, resp->add_restatements());
          }
          return absl::OkStatus();
        });
      });
}

grpc::Status MetricsService::GetPublishedReport(grpc::ServerContext* context,
                                                const v1::GetPublishedReportRequest* req,
                                                v1::PublishedReport* resp) {
  return ctx_.gate->Handle(
      context, "accueil.metrics.v1.MetricsService.GetPublishedReport",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        if (req->year() < 2000 || req->year() > 2199) {
          return InvalidField("INVALID_YEAR", "year", "a year from 2000 to 2199");
        }
        call.SetResource(req->site(), site);
        const absl::CivilMonth from(req->year(), 1), to(req->year(), 12);
        // month -> indicator -> (value, count, objective, direction)
        struct Frozen {
          std::optional<double> value;
          int64_t count = 0;
          std::optional<double> objective;
          v1::Direction direction = v1::AT_MOST;
        };
        std::map<std::string, std::map<std::string, Frozen>> frozen;
        RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          resp->Clear();
          frozen.clear();
          pqxx::read_transaction tx(c);
          for (const auto& r :
               tx.exec_prepared("metrics_published_months", site, SqlMonth(from), SqlMonth(to))) {
            resp->add_months(r[0].as<std::string>());
          }
          for (const auto& r :
               tx.exec_prepared("metrics_published", site, SqlMonth(from), SqlMonth(to))) {
            Frozen& f = frozen[r[0].as<std::string>()][r[1].as<std::string>()];
            f.value = OptionalDouble(r[2]);
            f.count = r[3].as<int64_t>();
            f.objective = OptionalDouble(r[4]);
            if (!r[5].is_null()) f.direction = DirectionOf(r[5].as<std::string>());
          }
          for (const auto& r :
               tx.exec_prepared("metrics_restatements", site, SqlMonth(from), SqlMonth(to), 0)) {
            FillRestatement(r, resp->add_restatements());
          }
          return absl::OkStatus();
        }));
        resp->set_site(req->site());
        resp->set_year(req->year());
        resp->set_anonymity_threshold(options_.anonymity_threshold);
        for (const IndicatorDef& def : Indicators()) {
          v1::IndicatorRow* row = resp->add_rows();
          *row->mutable_indicator() = def.indicator;
          for (const std::string& month : resp->months()) {
            v1::MonthValue* cell = row->add_months();
            cell->set_month(month);
            cell->set_published(true);
            auto it = frozen[month].find(def.indicator.id());
            if (it == frozen[month].end()) {
              cell->set_attainment(v1::NO_DATA);
              continue;
            }
            const Frozen& f = it->second;
            v1::Objective objective;
            if (f.objective) {
              objective.set_site(req->site());
              objective.set_indicator(def.indicator.id());
              objective.set_value(*f.objective);
              objective.set_direction(f.direction);
              *row->mutable_objective() = objective;  // the latest month's
            }
            // Too few observations to be anonymous: hidden (manual values
            // are not counts of people).
            if (!def.indicator.manual() && f.value && f.count < options_.anonymity_threshold) {
              cell->set_suppressed(true);
              cell->set_attainment(v1::NO_DATA);
              continue;
            }
            if (f.value) cell->set_value(*f.value);
            cell->set_count(f.count);
            cell->set_attainment(Attain(f.value, f.objective ? &objective : nullptr));
          }
        }
        return absl::OkStatus();
      });
}

grpc::Status MetricsService::GetReceptionShape(grpc::ServerContext* context,
                                               const v1::GetReceptionShapeRequest* req,
                                               v1::ReceptionShape* resp) {
  return ctx_.gate->Handle(
      context, "accueil.metrics.v1.MetricsService.GetReceptionShape",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(const Scope scope, ParseScope(call, *req));
        const int64_t site = scope.site, desk = scope.desk;
        const absl::CivilMonth from = scope.from, to = scope.to;
        // [weekday 0-6][hour 0-23] -> {with, without}; days per weekday.
        int64_t people[7][24][2] = {};
        std::set<std::string> days[7];
        RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          std::fill(&people[0][0][0], &people[0][0][0] + 7 * 24 * 2, 0);
          for (auto& d : days) d.clear();
          pqxx::nontransaction tx(c);
          for (const auto& r :
               tx.exec_prepared("metrics_shape", site, SqlMonth(from), SqlMonthEnd(to), desk)) {
            const int weekday = r[0].as<int>() - 1;
            days[weekday].insert(r[1].as<std::string>());
            const int kind = r[2].as<std::string>() == "received.appointment" ? 0 : 1;
            // One bucket per hour: bucket i is hour i.
            const std::vector<int64_t> hours = ParseArray<int64_t>(r[3].as<std::string>());
            for (size_t h = 0; h < hours.size() && h < 24; ++h)
              people[weekday][h][kind] += hours[h];
          }
          return absl::OkStatus();
        }));
        for (int w = 0; w < 7; ++w) {
          resp->add_days(static_cast<int32_t>(days[w].size()));
          for (int h = 0; h < 24; ++h) {
            const int64_t with = people[w][h][0], without = people[w][h][1];
            if (with + without == 0) continue;
            v1::ReceptionShape::Cell* cell = resp->add_cells();
            cell->set_weekday(w + 1);
            cell->set_hour(h);
            cell->set_with_appointment(with);
            cell->set_without_appointment(without);
            cell->set_mean_per_day(static_cast<double>(with + without) /
                                   static_cast<double>(days[w].size()));
          }
        }
        return absl::OkStatus();
      });
}

}  // namespace accueil::metrics
