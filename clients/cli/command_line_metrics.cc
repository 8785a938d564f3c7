// The quality officer's commands (metrics.cc runs them): `accueil report`
// and its commands (publish, objective, manual, published, shape), and
// `accueil indicators`. `report published` is public.
#include <string>

#include "clients/cli/command_line.h"

namespace accueil::cli {
namespace {

constexpr char kMonth[] = "YYYY-MM";

// The options most commands share: the site (required), a value in the
// indicator's unit (required).
void AddSite(CLI::App* command, std::string& site) {
  command->add_option("--site", site, "Site, sites/{id} or {id}")->required();
}

void AddValue(CLI::App* command, double& value) {
  command
      ->add_option("--value", value,
                   "In the indicator's unit: a percent from 0 to 100, else from 0")
      ->type_name("NUMBER")
      ->required();
}

void AddScope(CLI::App* command, ReportOptions& options) {
  command->add_option("--site", options.site, "Site, sites/{id} or {id}");
  command->add_option("--desk", options.desk,
                      "Only this desk, desks/{id} or {id} (default: the "
                      "whole site)");
  command->add_option("--from", options.from, "First month")->type_name(kMonth);
  command->add_option("--to", options.to, "Last month, included (at most 36 months)")
      ->type_name(kMonth);
}

}  // namespace

void AddMetricsCommands(CommandLine& cli) {
  const GlobalOptions& global = cli.global();

  // `report --site ... --from ... --to ...` prints the report; its commands
  // do the rest. Its options are checked by RunReport, not required here:
  // the parser would require them of its commands too.
  ReportOptions& report_options = cli.NewOptions<ReportOptions>();
  CLI::App* report = cli.app().add_subcommand(
      "report",
      "The monthly indicators of a site or desk (quality officers): one row per indicator with "
      "its objective, one column per month with the value and whether the objective was met; "
      "or one of the commands below");
  AddScope(report, report_options);
  report->add_flag("--csv", report_options.csv,
                   "Print CSV (RFC 4180): the indicator's id, title, unit, periodicity, "
                   "objective and direction, then each month's value and attainment");
  cli.OnRun(report, [&global, &report_options] { return RunReport(global, report_options); });

  PublishOptions& publish_options = cli.NewOptions<PublishOptions>();
  CLI::App* publish = report->add_subcommand(
      "publish",
      "Freeze a month of the site's report, once it is over; publishing it again needs "
      "--reason and restates every value that changed");
  AddSite(publish, publish_options.site);
  publish->add_option("--month", publish_options.month, "The month")->type_name(kMonth)->required();
  publish
      ->add_option("--reason", publish_options.reason,
                   "Why the figures changed (to publish a month again; at most 500 characters, "
                   "shown with the public report)")
      ->type_name("TEXT");
  AddRequestIdOption(publish, &publish_options.request_id);
  cli.OnRun(publish,
            [&global, &publish_options] { return RunPublishReport(global, publish_options); });

  CLI::App* objective =
      report->add_subcommand("objective", "The site's objectives: set one, or list them");
  objective->require_subcommand(1);
  ObjectiveOptions& objective_options = cli.NewOptions<ObjectiveOptions>();
  CLI::App* set = objective->add_subcommand("set", "Set the site's objective for an indicator");
  AddSite(set, objective_options.site);
  set->add_option("--indicator", objective_options.indicator,
                  "The indicator's id ('accueil indicators' lists them)")
      ->required();
  AddValue(set, objective_options.value);
  set->add_option("--direction", objective_options.direction,
                  "at-most: the value must not exceed it; at-least: it must reach it (default: "
                  "the indicator's own)")
      ->check(CLI::IsMember({"at-most", "at-least"}));
  AddRequestIdOption(set, &objective_options.request_id);
  cli.OnRun(set,
            [&global, &objective_options] { return RunSetObjective(global, objective_options); });
  std::string& list_site = cli.NewOptions<std::string>();
  CLI::App* list = objective->add_subcommand("list", "List the site's objectives");
  AddSite(list, list_site);
  cli.OnRun(list, [&global, &list_site] { return RunObjectives(global, list_site); });

  ManualValueOptions& manual_options = cli.NewOptions<ManualValueOptions>();
  CLI::App* manual = report->add_subcommand(
      "manual",
      "Enter a month's value of an indicator the system cannot record (calls answered, e-mail "
      "reply delay...)");
  AddSite(manual, manual_options.site);
  manual->add_option("--indicator", manual_options.indicator, "A manual indicator's id")
      ->required();
  manual->add_option("--month", manual_options.month, "The month (begun)")
      ->type_name(kMonth)
      ->required();
  AddValue(manual, manual_options.value);
  AddRequestIdOption(manual, &manual_options.request_id);
  cli.OnRun(manual, [&global, &manual_options] { return RunManualValue(global, manual_options); });

  PublishedReportOptions& published_options = cli.NewOptions<PublishedReportOptions>();
  CLI::App* published = report->add_subcommand(
      "published",
      "The site's published months of a year, as the public sees them (no sign-in): values "
      "over too few observations hidden, restatements listed");
  AddSite(published, published_options.site);
  published->add_option("--year", published_options.year, "The year")
      ->type_name("YYYY")
      ->check(WholeNumber(0))
      ->required();
  published->add_flag("--csv", published_options.csv,
                      "Print CSV, as 'report --csv' (a hidden value: empty, SUPPRESSED)");
  cli.OnRun(published, [&global, &published_options] {
    return RunPublishedReport(global, published_options);
  });

  ReportOptions& shape_options = cli.NewOptions<ReportOptions>();
  CLI::App* shape = report->add_subcommand(
      "shape",
      "The shape of a typical week: the mean number of people received per day, by weekday "
      "and local hour");
  AddScope(shape, shape_options);
  for (const char* name : {"--site", "--from", "--to"}) shape->get_option(name)->required();
  cli.OnRun(shape, [&global, &shape_options] { return RunReceptionShape(global, shape_options); });

  CLI::App* indicators = cli.app().add_subcommand(
      "indicators", "List the indicators, with their unit, default direction and definition");
  cli.OnRun(indicators, [&global] { return RunIndicators(global); });
}

}  // namespace accueil::cli
