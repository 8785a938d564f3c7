#include "services/metrics/metrics_service.h"

#include <cmath>
#include <map>
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

void FillObjective(const pqxx::row& r, v1::Objective* out) {
  out->set_site(absl::StrCat("sites/", r["site_id"].as<int64_t>()));
  out->set_indicator(r["indicator"].as<std::string>());
  out->set_value(r["value"].as<double>());
  out->set_direction(r["direction"].as<std::string>() == "at_least" ? v1::AT_LEAST : v1::AT_MOST);
  *out->mutable_update_time() = ToProto(absl::FromUnixMicros(r["update_micros"].as<int64_t>()));
}

constexpr char kObjectiveColumns[] =
    "site_id, indicator, value::float8 AS value, direction, "
    "(extract(epoch FROM update_time) * 1000000)::bigint AS update_micros";

void PrepareStatements(db::Pool& pool) {
  pool.Prepare("metrics_measures", "SELECT measure, bounds::text FROM metrics.measures");
  // Months of the site (or of one desk), summed over its desks.
  pool.Prepare("metrics_report",
               "SELECT to_char(month, 'YYYY-MM'), measure, sum(count)::bigint, "
               "sum(sum)::float8, metrics.sum_histograms(histogram)::text "
               "FROM metrics.month_measures WHERE site_id = $1 AND month BETWEEN $2::date "
               "AND $3::date AND ($4 = 0 OR desk_id = $4) GROUP BY month, measure");
  pool.Prepare("metrics_objectives",
               absl::StrCat("SELECT ", kObjectiveColumns,
                            " FROM metrics.objectives WHERE site_id = $1 ORDER BY indicator"));
  pool.Prepare("metrics_set_objective",
               "INSERT INTO metrics.objectives (site_id, indicator, value, direction, "
               "update_time) VALUES ($1, $2, $3, $4, $5::timestamptz) "
               "ON CONFLICT (site_id, indicator) DO UPDATE SET value = excluded.value, "
               "direction = excluded.direction, update_time = excluded.update_time");
}

}  // namespace

MetricsService::MetricsService(const ServiceContext& context, const events::Consumer* rollup)
    : ctx_(context), rollup_(rollup) {
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
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        int64_t desk = 0;
        if (!req->desk().empty()) {
          ASSIGN_OR_RETURN(desk, input::ParseResourceId(req->desk(), "desks", "desk"));
        }
        ASSIGN_OR_RETURN(absl::CivilMonth from, input::ParseMonth(req->from_month(), "from_month"));
        ASSIGN_OR_RETURN(absl::CivilMonth to, input::ParseMonth(req->to_month(), "to_month"));
        if (to < from || to - from >= kMaxMonths) {
          return InvalidField("INVALID_MONTH_RANGE", "to_month",
                              "from_month to to_month: at most 36 months, in order");
        }
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);

        std::map<std::string, std::vector<double>> bounds;
        std::map<std::string, Period> months;  // "2026-01" -> measures
        v1::ListObjectivesResponse objectives;
        RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          bounds.clear();
          months.clear();
          pqxx::read_transaction tx(c);  // one snapshot
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
          for (const auto& r : tx.exec_prepared("metrics_objectives", site)) {
            FillObjective(r, objectives.add_objectives());
          }
          return absl::OkStatus();
        }));

        resp->set_site(req->site());
        resp->set_desk(req->desk());
        for (absl::CivilMonth m = from; m <= to; ++m) resp->add_months(MonthText(m));
        for (const IndicatorDef& def : Indicators()) {
          v1::IndicatorRow* row = resp->add_rows();
          *row->mutable_indicator() = def.indicator;
          const v1::Objective* objective = nullptr;
          for (const v1::Objective& o : objectives.objectives()) {
            if (o.indicator() == def.indicator.id()) objective = &o;
          }
          if (objective != nullptr) *row->mutable_objective() = *objective;
          for (const std::string& month : resp->months()) {
            Period& period = months[month];
            period.bounds = &bounds;
            const IndicatorValue v = Compute(def, period);
            v1::MonthValue* cell = row->add_months();
            cell->set_month(month);
            cell->set_count(v.count);
            if (!v.value) {
              cell->set_attainment(v1::NO_DATA);
              continue;
            }
            cell->set_value(*v.value);
            if (objective == nullptr) {
              cell->set_attainment(v1::NO_OBJECTIVE);
            } else {
              const bool met = objective->direction() == v1::AT_LEAST
                                   ? *v.value >= objective->value()
                                   : *v.value <= objective->value();
              cell->set_attainment(met ? v1::MET : v1::NOT_MET);
            }
          }
        }
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
        const bool percent = def->indicator.unit() == "percent";
        if (!std::isfinite(o.value()) || o.value() < 0 || (percent && o.value() > 100) ||
            o.value() > 1e9) {
          return InvalidField("INVALID_OBJECTIVE", "objective.value",
                              percent ? "a percentage from 0 to 100" : "a number from 0");
        }
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

}  // namespace accueil::metrics
