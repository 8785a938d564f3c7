#include "services/common/history_command.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/commit_signal.h"
#include "services/common/errors.h"
#include "services/common/host.h"
#include "services/common/input/resource.h"
#include "services/common/log.h"
#include "services/common/retention.h"
#include "services/common/server_commands.h"
#include "services/common/status_macros.h"

namespace accueil::history {
namespace {

absl::Status Invalid(absl::string_view option, absl::string_view what) {
  return InvalidField("INVALID_OPTION", std::string_view(option.data(), option.size()),
                      absl::StrCat("demo-history: ", option, ": ", what));
}

}  // namespace

absl::StatusOr<Request> ParseArguments(const std::vector<std::string>& args) {
  Request request;
  bool site = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (option == "--if-empty") {
      request.if_empty = true;
      continue;
    }
    if (option == "--no-rebuild") {
      request.no_rebuild = true;
      continue;
    }
    if (i + 1 >= args.size()) return Invalid(option, "unknown option, or its value is missing");
    const std::string& value = args[++i];
    if (option == "--site") {
      absl::StatusOr<int64_t> id = input::ParseResourceId(value, "sites", "site");
      if (!id.ok()) return Invalid(option, "a site's name, sites/N");
      request.site = *id;
      site = true;
    } else if (option == "--months") {
      if (!absl::SimpleAtoi(value, &request.options.months) || request.options.months < 0 ||
          request.options.months > 120) {
        return Invalid(option, "a number of months, from 0 to 120");
      }
    } else if (option == "--appointments") {
      if (!absl::SimpleAtoi(value, &request.options.appointments) ||
          request.options.appointments < 0) {
        return Invalid(option, "a number of appointments, 0 for about 90 % of the capacity");
      }
    } else if (option == "--seed") {
      if (!absl::SimpleAtoi(value, &request.options.seed)) {
        return Invalid(option, "a non-negative integer");
      }
    } else {
      return Invalid(option, "unknown option");
    }
  }
  if (!site) return Invalid("--site", "is required");
  return request;
}

absl::StatusOr<Summary> Load(db::Pool& pool, const Clock& clock, const Secrets& secrets,
                             const Retention& retention, Request request,
                             const std::vector<std::unique_ptr<Module>>& modules) {
  Summary summary;
  if (request.options.now == absl::Time()) request.options.now = clock.Now();
  const absl::Time began = absl::Now();
  std::vector<HistoryHooks*> hooks;
  for (const auto& m : modules) {
    if (HistoryHooks* h = m->history()) hooks.push_back(h);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pqxx::connection> conn, pool.OpenDedicated());
  try {
    pqxx::work tx(*conn);
    // Two loads of one site at once would each skip nothing of the other's.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('history'), $1::integer)",
                   static_cast<int>(request.site));
    if (request.if_empty &&
        !tx.exec_params("SELECT 1 FROM events.log WHERE history AND site_id = $1 LIMIT 1",
                        request.site)
             .empty()) {
      summary.skipped = true;
      return summary;
    }
    Site site;
    site.id = request.site;
    for (HistoryHooks* h : hooks) RETURN_IF_ERROR(h->Describe(tx, request.options, site));
    if (site.desks.empty()) {
      return Error(
          absl::StatusCode::kFailedPrecondition, "SITE_WITHOUT_DESKS",
          absl::StrCat("demo-history: site ", site.id, " has no desk (or no module describes it)"));
    }
    summary.range = RangeOf(request.options, site.zone);
    ASSIGN_OR_RETURN(Generator generator, Generator::Create(site, request.options));
    summary.capacity_factor = generator.capacity_factor();
    const LoadContext context{&secrets};
    for (;;) {
      ASSIGN_OR_RETURN(std::optional<Day> day, generator.Next());
      if (!day) break;
      for (HistoryHooks* h : hooks) RETURN_IF_ERROR(h->Load(tx, site, *day, context));
      ++summary.days;
      summary.slots += static_cast<int64_t>(day->slots.size());
      summary.appointments += static_cast<int64_t>(day->appointments.size());
      summary.walk_ins += static_cast<int64_t>(day->walk_ins.size());
      for (const Appointment& a : day->appointments) {
        switch (a.fate) {
          case Fate::kCancelled:
            ++summary.cancelled;
            break;
          case Fate::kNoShow:
            ++summary.noshows;
            break;
          case Fate::kServed:
            ++summary.served;
            break;
          case Fate::kLeft:
            ++summary.left;
            break;
        }
      }
    }
    tx.commit();
  } catch (const std::exception& e) {
    return db::FromException(e);  // nothing was written: the transaction rolled back
  }
  summary.load_time = absl::Now() - began;
  // Statistics for the tables that just grew by millions of rows: without
  // them the planner would read the log by a sequential scan (the consumers,
  // the backfill) until autovacuum gets there.
  RETURN_IF_ERROR(pool.Run([](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec("ANALYZE");
    return absl::OkStatus();
  }));
  // What the hourly purge would have done to these people long ago.
  RETURN_IF_ERROR(
      retention::PurgeOnce(pool, request.options.now, retention, PersonDataRegistryOf(modules))
          .status());
  for (HistoryHooks* h : hooks) {
    if (request.no_rebuild) break;
    ASSIGN_OR_RETURN(std::string line, h->Finish(pool, clock));
    if (!line.empty()) summary.finished.push_back(line);
  }
  return summary;
}

int RunCommand(const ServerConfig& config, const Secrets& secrets, const Request& request,
               const std::vector<std::unique_ptr<Module>>& modules) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(config.database_url, 2);
  if (!pool.ok()) return ReportFailure(pool.status());
  SystemClock clock;
  absl::StatusOr<Summary> s = Load(**pool, clock, secrets, RetentionOf(config), request, modules);
  if (!s.ok()) return ReportFailure(s.status());
  if (s->skipped) {
    std::printf("demo-history: sites/%lld already has history; nothing written\n",
                static_cast<long long>(request.site));
    return 0;
  }
  {
    // Running servers' consumers learn of the new events at once.
    events::CommitSignal signal(pool->get());
    signal.Ring(events::Log::kEvents);
  }
  std::printf(
      "demo-history: sites/%lld, %s to %s: %d days, %lld slots (x%d places), %lld appointments "
      "(%lld cancelled, %lld no-shows, %lld served, %lld left unserved), %lld walk-ins; "
      "%.1f s\n",
      static_cast<long long>(request.site), absl::FormatCivilTime(s->range.from).c_str(),
      absl::FormatCivilTime(s->range.to).c_str(), s->days, static_cast<long long>(s->slots),
      s->capacity_factor, static_cast<long long>(s->appointments),
      static_cast<long long>(s->cancelled), static_cast<long long>(s->noshows),
      static_cast<long long>(s->served), static_cast<long long>(s->left),
      static_cast<long long>(s->walk_ins), absl::ToDoubleSeconds(s->load_time));
  for (const std::string& line : s->finished) std::printf("demo-history: %s\n", line.c_str());
  log::Info("history.loaded", {{"site", absl::StrCat(request.site)},
                               {"days", absl::StrCat(s->days)},
                               {"appointments", absl::StrCat(s->appointments)}});
  return 0;
}

}  // namespace accueil::history
