// Commands of accueil.metrics.v1.MetricsService (docs/indicators.md): the
// quality officer's monthly report, as a table laid out like the one a
// prefecture publishes or as CSV (report_csv.h); its publication and the
// restatements it records; objectives; manual values; the public report; the
// shape of a typical week; the indicators' definitions.
#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "clients/cli/commands.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"
#include "clients/cli/report_csv.h"
#include "clients/cli/session.h"

namespace accueil::cli {
namespace {

namespace mv1 = ::accueil::metrics::v1;
using Stub = mv1::MetricsService::Stub;

constexpr char kMet[] = "✓";
constexpr char kNotMet[] = "✗";

// Decimal returns `value` with `max_decimals` decimals, trailing zeros
// dropped down to `min_decimals` ("12.50" -> "12.5", "30.00" -> "30").
std::string Decimal(double value, int min_decimals, int max_decimals) {
  std::string text = absl::StrFormat("%.*f", max_decimals, value);
  for (int drop = max_decimals - min_decimals; drop > 0 && text.back() == '0'; --drop) {
    text.pop_back();
  }
  if (text.back() == '.') text.pop_back();
  return text;
}

bool IsCount(const std::string& unit) { return unit == "people" || unit == "appointments"; }

// FormatValue shows a value in its unit: a percent with 1-2 decimals and
// "%", minutes and days with 1 decimal, people as whole numbers.
std::string FormatValue(const std::string& unit, double value) {
  if (unit == "percent") return absl::StrCat(Decimal(value, 1, 2), " %");
  if (unit == "minutes" || unit == "days") return Decimal(value, 1, 1);
  if (IsCount(unit)) return Decimal(value, 0, 0);
  return Decimal(value, 0, 2);
}

std::string DirectionWord(mv1::Direction direction) {
  return direction == mv1::AT_LEAST ? "at least" : "at most";
}

// FormatObjective shows an objective as "<= 30 %", ">= 90 %"; "-" for none.
std::string FormatObjective(const std::string& unit, const mv1::Objective* objective) {
  if (objective == nullptr) return "-";
  return absl::StrCat(objective->direction() == mv1::AT_LEAST ? ">= " : "<= ",
                      Decimal(objective->value(), 0, 2), unit == "percent" ? " %" : "");
}

// RestatementPending: the month is published with another value than the
// one computed now (the report, not the public one, says both).
bool RestatementPending(const mv1::MonthValue& cell) {
  if (!cell.published()) return false;
  if (cell.has_value() != cell.has_published_value()) return true;
  return cell.has_value() && cell.value() != cell.published_value();
}

// Cell is one month of one indicator: the value and whether it met its
// objective; "-" with nothing observed; "(hidden)" when the public report
// hides it; " !" when `live` and the value differs from the published one.
std::string Cell(const std::string& unit, const mv1::MonthValue& cell, bool live) {
  if (cell.suppressed()) return "(hidden)";
  if (!cell.has_value()) return "-";
  std::string text = FormatValue(unit, cell.value());
  if (cell.attainment() == mv1::MET) absl::StrAppend(&text, " ", kMet);
  if (cell.attainment() == mv1::NOT_MET) absl::StrAppend(&text, " ", kNotMet);
  if (live && RestatementPending(cell)) absl::StrAppend(&text, " !");
  return text;
}

const mv1::MonthValue* CellOf(const mv1::IndicatorRow& row, const std::string& month) {
  for (const mv1::MonthValue& cell : row.months()) {
    if (cell.month() == month) return &cell;
  }
  return nullptr;
}

// PrintReportTable prints one row per indicator: title, unit, periodicity,
// objective, then one column per month, marked "*" when `published` has it.
void PrintReportTable(const google::protobuf::RepeatedPtrField<std::string>& months,
                      const google::protobuf::RepeatedPtrField<mv1::IndicatorRow>& rows,
                      const std::set<std::string>& published, bool live) {
  std::vector<std::string> headers = {"INDICATOR", "UNIT", "PERIODICITY", "OBJECTIVE"};
  for (const std::string& month : months) {
    headers.push_back(published.count(month) > 0 ? month + "*" : month);
  }
  Table table(std::move(headers));
  for (const mv1::IndicatorRow& row : rows) {
    const mv1::Indicator& indicator = row.indicator();
    std::vector<std::string> cells = {
        indicator.title(), indicator.unit(), indicator.periodicity(),
        FormatObjective(indicator.unit(), row.has_objective() ? &row.objective() : nullptr)};
    for (const std::string& month : months) {
      const mv1::MonthValue* cell = CellOf(row, month);
      cells.push_back(cell == nullptr ? "-" : Cell(indicator.unit(), *cell, live));
    }
    table.AddRow(std::move(cells));
  }
  table.Print(std::cout);
}

// Indicators returns the indicators by id, for showing values in their unit
// once a call has succeeded; empty when they cannot be read (values are then
// shown plainly).
std::map<std::string, mv1::Indicator> Indicators(Session& session) {
  grpc::ClientContext context;
  session.Prepare(&context);
  mv1::ListIndicatorsResponse response;
  std::map<std::string, mv1::Indicator> out;
  if (!session.metrics().ListIndicators(&context, mv1::ListIndicatorsRequest(), &response).ok()) {
    return out;
  }
  for (const mv1::Indicator& indicator : response.indicators()) out[indicator.id()] = indicator;
  return out;
}

// Known: what a restatement or an objective needs of its indicator.
struct Known {
  std::string title;
  std::string unit;
};

Known Lookup(const std::map<std::string, mv1::Indicator>& indicators, const std::string& id) {
  auto it = indicators.find(id);
  if (it == indicators.end()) return Known{id, ""};
  return Known{it->second.title(), it->second.unit()};
}

std::string OptionalValue(const std::string& unit, bool has, double value) {
  return has ? FormatValue(unit, value) : "-";
}

// PrintRestatements lists restatements: month, indicator, the value
// published before, the one after, when and why.
void PrintRestatements(const google::protobuf::RepeatedPtrField<mv1::Restatement>& restatements,
                       const std::map<std::string, Known>& known, const Zone& zone) {
  Table table({"MONTH", "INDICATOR", "PUBLISHED", "RESTATED", absl::StrCat("ON (", zone.name, ")"),
               "REASON"});
  for (const mv1::Restatement& r : restatements) {
    auto it = known.find(r.indicator());
    const Known k = it == known.end() ? Known{r.indicator(), ""} : it->second;
    table.AddRow({r.month(), k.title, OptionalValue(k.unit, r.has_old_value(), r.old_value()),
                  OptionalValue(k.unit, r.has_new_value(), r.new_value()),
                  FormatTime(r.restate_time(), zone), r.reason()});
  }
  table.Print(std::cout);
}

// PrintSaved prints what the officer set for an indicator of a site: the
// site, the indicator and its title, `fields(indicator)`, and when.
template <typename Fields>
void PrintSaved(Session& session, const std::string& site, const std::string& indicator,
                const google::protobuf::Timestamp& update_time, Fields fields) {
  const Known k = Lookup(Indicators(session), indicator);
  const Zone zone = session.DisplayZone(site);
  std::vector<Field> all = {{"site", site}, {"indicator", indicator}, {"title", k.title}};
  for (Field& field : fields(k)) all.push_back(std::move(field));
  all.emplace_back("updated", absl::StrCat(FormatTime(update_time, zone), " (", zone.name, ")"));
  PrintFields(std::cout, all);
}

// Scoped returns a request of a report or a shape for the site or desk and
// months of `options`.
template <typename Request>
Request Scoped(const ReportOptions& options) {
  Request request;
  request.set_site(ResourceName("sites", options.site));
  request.set_desk(ResourceName("desks", options.desk));
  request.set_from_month(options.from);
  request.set_to_month(options.to);
  return request;
}

// Fetch makes one call of MetricsService that reads, and prints the answer
// as JSON with --json, else with `print(session, answer)`.
template <typename Request, typename Response, typename Print>
int Fetch(const GlobalOptions& global, const Request& request,
          grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
          Print print) {
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  Response response;
  grpc::Status status = (session.metrics().*method)(&context, request, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  return print(session, response);
}

// Change makes one call of MetricsService that changes something, under
// --request-id or a random one (Mutate).
template <typename Request, typename Response, typename Print>
int Change(const GlobalOptions& global, Request request, const std::string& request_id,
           grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
           Print print) {
  absl::StatusOr<std::string> id = RequestIdOrNew(request_id);
  if (!id.ok()) return Report(LocalError(id.status().message()));
  request.set_request_id(*id);
  return Mutate(global, *id, &Session::metrics, method, request, print);
}

std::string CsvOrJson(const GlobalOptions& global, bool csv) {
  return global.json && csv ? "--csv and --json: choose one" : "";
}

constexpr std::array<const char*, 7> kWeekdays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

}  // namespace

int RunReport(const GlobalOptions& global, const ReportOptions& options) {
  if (options.site.empty() || options.from.empty() || options.to.empty()) {
    return Report(
        UsageError("report: give --site, --from and --to, or one of its commands (publish, "
                   "objective, manual, published, shape): see 'accueil report --help'"));
  }
  if (std::string conflict = CsvOrJson(global, options.csv); !conflict.empty()) {
    return Report(UsageError(conflict));
  }
  const auto request = Scoped<mv1::GetIndicatorReportRequest>(options);
  return Fetch(global, request, &Stub::GetIndicatorReport,
               [&options](Session&, const mv1::IndicatorReport& report) {
                 if (options.csv) {
                   std::cout << ReportCsv(report);
                   return kExitOk;
                 }
                 std::set<std::string> published;
                 std::vector<std::string> pending;
                 for (const mv1::IndicatorRow& row : report.rows()) {
                   for (const mv1::MonthValue& cell : row.months()) {
                     if (cell.published()) published.insert(cell.month());
                     if (!RestatementPending(cell)) continue;
                     const std::string& unit = row.indicator().unit();
                     pending.push_back(absl::StrCat(
                         "  ", row.indicator().title(), ", ", cell.month(), ": published ",
                         OptionalValue(unit, cell.has_published_value(), cell.published_value()),
                         ", now ", OptionalValue(unit, cell.has_value(), cell.value())));
                   }
                 }
                 std::cout << report.site() << ", "
                           << (report.desk().empty() ? "whole site" : report.desk()) << ": "
                           << (report.months().empty() ? "" : report.months(0)) << " to "
                           << (report.months().empty() ? "" : *report.months().rbegin()) << "\n\n";
                 PrintReportTable(report.months(), report.rows(), published, /*live=*/true);
                 std::cout << '\n'
                           << kMet << " objective met, " << kNotMet
                           << " not met, - nothing observed";
                 if (!published.empty()) std::cout << "; * published month";
                 std::cout << "\n";
                 if (!pending.empty()) {
                   std::cout << "! differs from the published value: publish the month again with "
                                "--reason to restate it\n"
                             << absl::StrJoin(pending, "\n") << "\n";
                 }
                 if (report.lag().seconds() > 0) {
                   std::cout << "The figures are "
                             << absl::FormatDuration(absl::Seconds(report.lag().seconds()))
                             << " behind the event log.\n";
                 }
                 return kExitOk;
               });
}

int RunPublishReport(const GlobalOptions& global, const PublishOptions& options) {
  mv1::PublishReportRequest request;
  request.set_site(ResourceName("sites", options.site));
  request.set_month(options.month);
  request.set_reason(options.reason);
  return Change(
      global, request, options.request_id, &Stub::PublishReport,
      [](Session& session, const mv1::PublishedMonth& month) {
        const Zone zone = session.DisplayZone(month.site());
        const bool first = month.first_publish_time().seconds() == month.publish_time().seconds() &&
                           month.first_publish_time().nanos() == month.publish_time().nanos();
        std::vector<Field> fields = {
            {"site", month.site()},
            {"month", month.month()},
            {"published",
             absl::StrCat(FormatTime(month.publish_time(), zone), " (", zone.name, ")")},
        };
        if (!first) {
          fields.emplace_back(
              "first published",
              absl::StrCat(FormatTime(month.first_publish_time(), zone), " (", zone.name, ")"));
        }
        PrintFields(std::cout, fields);
        std::cout << '\n';
        if (month.restatements().empty()) {
          std::cout << (first ? "First publication: the month's values are frozen.\n"
                              : "No value changed since the last publication: nothing "
                                "restated.\n");
          return;
        }
        std::map<std::string, Known> known;
        const std::map<std::string, mv1::Indicator> indicators = Indicators(session);
        for (const mv1::Restatement& r : month.restatements()) {
          known[r.indicator()] = Lookup(indicators, r.indicator());
        }
        std::cout << "Restated (" << month.restatements_size() << "):\n";
        PrintRestatements(month.restatements(), known, zone);
      });
}

int RunSetObjective(const GlobalOptions& global, const ObjectiveOptions& options) {
  mv1::SetObjectiveRequest request;
  mv1::Objective& objective = *request.mutable_objective();
  objective.set_site(ResourceName("sites", options.site));
  objective.set_indicator(options.indicator);
  objective.set_value(options.value);
  if (options.direction == "at-most") objective.set_direction(mv1::AT_MOST);
  if (options.direction == "at-least") objective.set_direction(mv1::AT_LEAST);
  return Change(global, request, options.request_id, &Stub::SetObjective,
                [](Session& session, const mv1::Objective& saved) {
                  PrintSaved(session, saved.site(), saved.indicator(), saved.update_time(),
                             [&saved](const Known& k) -> std::vector<Field> {
                               return {{"objective", FormatObjective(k.unit, &saved)},
                                       {"direction", DirectionWord(saved.direction())}};
                             });
                });
}

int RunObjectives(const GlobalOptions& global, const std::string& site) {
  mv1::ListObjectivesRequest request;
  request.set_site(ResourceName("sites", site));
  return Fetch(
      global, request, &Stub::ListObjectives,
      [&request](Session& session, const mv1::ListObjectivesResponse& response) {
        if (response.objectives().empty()) {
          std::cout << "No objectives at " << request.site() << ".\n";
          return kExitOk;
        }
        const std::map<std::string, mv1::Indicator> indicators = Indicators(session);
        const Zone zone = session.DisplayZone(request.site());
        Table table({"INDICATOR", "OBJECTIVE", absl::StrCat("UPDATED (", zone.name, ")"), "TITLE"});
        for (const mv1::Objective& objective : response.objectives()) {
          const Known k = Lookup(indicators, objective.indicator());
          table.AddRow({objective.indicator(), FormatObjective(k.unit, &objective),
                        FormatTime(objective.update_time(), zone), k.title});
        }
        table.Print(std::cout);
        return kExitOk;
      });
}

int RunManualValue(const GlobalOptions& global, const ManualValueOptions& options) {
  mv1::RecordManualValueRequest request;
  mv1::ManualValue& value = *request.mutable_value();
  value.set_site(ResourceName("sites", options.site));
  value.set_indicator(options.indicator);
  value.set_month(options.month);
  value.set_value(options.value);
  return Change(
      global, request, options.request_id, &Stub::RecordManualValue,
      [](Session& session, const mv1::ManualValue& saved) {
        PrintSaved(
            session, saved.site(), saved.indicator(), saved.update_time(),
            [&saved](const Known& k) -> std::vector<Field> {
              return {{"month", saved.month()}, {"value", FormatValue(k.unit, saved.value())}};
            });
      });
}

int RunPublishedReport(const GlobalOptions& global, const PublishedReportOptions& options) {
  if (std::string conflict = CsvOrJson(global, options.csv); !conflict.empty()) {
    return Report(UsageError(conflict));
  }
  mv1::GetPublishedReportRequest request;
  request.set_site(ResourceName("sites", options.site));
  request.set_year(options.year);
  return Fetch(global, request, &Stub::GetPublishedReport,
               [&options](Session& session, const mv1::PublishedReport& report) {
                 if (options.csv) {
                   std::cout << ReportCsv(report);
                   return kExitOk;
                 }
                 if (report.months().empty()) {
                   std::cout << "Nothing published for " << report.site() << " in " << report.year()
                             << ".\n";
                   return kExitOk;
                 }
                 std::cout << report.site() << ", published report " << report.year() << "\n\n";
                 PrintReportTable(report.months(), report.rows(), {}, /*live=*/false);
                 std::cout << '\n'
                           << kMet << " objective met, " << kNotMet
                           << " not met, - nothing observed; (hidden): fewer than "
                           << report.anonymity_threshold()
                           << " observations, so that nobody can be recognised\n";
                 if (report.restatements().empty()) return kExitOk;
                 std::map<std::string, Known> known;
                 for (const mv1::IndicatorRow& row : report.rows()) {
                   known[row.indicator().id()] = {row.indicator().title(), row.indicator().unit()};
                 }
                 std::cout << "\nRestatements:\n";
                 PrintRestatements(report.restatements(), known,
                                   session.DisplayZone(report.site()));
                 return kExitOk;
               });
}

int RunReceptionShape(const GlobalOptions& global, const ReportOptions& options) {
  const auto request = Scoped<mv1::GetReceptionShapeRequest>(options);
  return Fetch(global, request, &Stub::GetReceptionShape,
               [&request](Session&, const mv1::ReceptionShape& shape) {
                 const std::string scope =
                     absl::StrCat(request.site(),
                                  request.desk().empty() ? "" : absl::StrCat(", ", request.desk()));
                 if (shape.cells().empty()) {
                   std::cout << "Nobody received at " << scope << " from " << request.from_month()
                             << " to " << request.to_month() << ".\n";
                   return kExitOk;
                 }
                 int first = 23, last = 0;
                 std::map<std::pair<int, int>, double> mean;  // (weekday, hour)
                 for (const mv1::ReceptionShape::Cell& cell : shape.cells()) {
                   first = std::min(first, cell.hour());
                   last = std::max(last, cell.hour());
                   mean[{cell.weekday(), cell.hour()}] = cell.mean_per_day();
                 }
                 std::cout << "People received at " << scope << ", " << request.from_month()
                           << " to " << request.to_month()
                           << ": the mean per day with reception, by weekday and local hour\n\n";
                 std::vector<std::string> headers = {"DAY", "DAYS"};
                 for (int hour = first; hour <= last; ++hour)
                   headers.push_back(absl::StrFormat("%02d", hour));
                 headers.push_back("PER DAY");
                 Table table(std::move(headers));
                 for (int weekday = 1; weekday <= 7; ++weekday) {
                   const int days = weekday <= shape.days_size() ? shape.days(weekday - 1) : 0;
                   std::vector<std::string> cells = {kWeekdays[weekday - 1], absl::StrCat(days)};
                   double total = 0;
                   for (int hour = first; hour <= last; ++hour) {
                     auto it = mean.find({weekday, hour});
                     cells.push_back(it == mean.end() ? "-" : Decimal(it->second, 1, 1));
                     if (it != mean.end()) total += it->second;
                   }
                   cells.push_back(days == 0 ? "-" : Decimal(total, 1, 1));
                   table.AddRow(std::move(cells));
                 }
                 table.Print(std::cout);
                 return kExitOk;
               });
}

int RunIndicators(const GlobalOptions& global) {
  return Fetch(
      global, mv1::ListIndicatorsRequest(), &Stub::ListIndicators,
      [](Session&, const mv1::ListIndicatorsResponse& response) {
        Table table({"ID", "UNIT", "PERIODICITY", "OBJECTIVE BY DEFAULT", "SOURCE", "TITLE"});
        std::vector<Field> definitions;
        for (const mv1::Indicator& indicator : response.indicators()) {
          table.AddRow({indicator.id(), indicator.unit(), indicator.periodicity(),
                        DirectionWord(indicator.default_direction()),
                        indicator.manual() ? "entered monthly" : "computed", indicator.title()});
          definitions.emplace_back(indicator.id(), indicator.definition());
        }
        table.Print(std::cout);
        std::cout << "\nDefinitions:\n\n";
        PrintFields(std::cout, definitions);
        return kExitOk;
      });
}

}  // namespace accueil::cli
