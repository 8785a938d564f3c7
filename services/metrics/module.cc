#include "services/metrics/module.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/log.h"
#include "services/metrics/backfill.h"
#include "services/metrics/metrics_service.h"
#include "services/metrics/rollup_consumer.h"
#include "services/metrics/slot_snapshot.h"

namespace accueil::metrics {
namespace {

// RunBackfill is `accueil-server metrics-backfill`: the facts and rollups
// rebuilt from the whole event log, the consumer's cursor moved to the last
// event read (backfill.h, docs/indicators.md#backfill).
int RunBackfill(const ServerConfig& config, const std::vector<std::string>&) {
  auto fail = [](const absl::Status& status) {
    std::fprintf(stderr, "accueil-server: metrics-backfill: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  };
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(config.database_url, 1);
  if (!pool.ok()) return fail(pool.status());
  SystemClock clock;
  absl::StatusOr<BackfillResult> r = Backfill(**pool, clock);
  if (!r.ok()) return fail(r.status());
  auto cursor = [](const events::Cursor& c) { return absl::StrCat(c.txid, ":", c.position); };
  std::printf(
      "metrics-backfill: %lld events read, up to %s; facts: %lld appointments, %lld visits, "
      "%lld walk-ins, %lld messages, %lld surveys; rollups: %lld day rows, %lld month rows; "
      "%.1f s\n"
      "metrics-backfill: the consumer %s goes on after %s (it was at %s%s)\n",
      static_cast<long long>(r->events_read), cursor(r->to).c_str(),
      static_cast<long long>(r->appointments), static_cast<long long>(r->visits),
      static_cast<long long>(r->walk_ins), static_cast<long long>(r->messages),
      static_cast<long long>(r->surveys), static_cast<long long>(r->day_rows),
      static_cast<long long>(r->month_rows), absl::ToDoubleSeconds(r->duration),
      kRollupConsumerName, cursor(r->to).c_str(), cursor(r->from).c_str(),
      r->consumer_active ? ", active in a running server" : "");
  log::Info("metrics.backfilled",
            {{"events", absl::StrCat(r->events_read)},
             {"cursor", cursor(r->to)},
             {"previous_cursor", cursor(r->from)},
             {"day_rows", absl::StrCat(r->day_rows)},
             {"duration_ms", absl::StrCat(absl::ToInt64Milliseconds(r->duration))}});
  return 0;
}

// Metrics holds no personal data (ids, desks, times, statuses): no hooks.
// Metrics writes no history of its own: once the other modules' history has
// committed, it rebuilds its figures from the whole log (backfill.h).
class Rebuild final : public history::HistoryHooks {
 public:
  absl::StatusOr<std::string> Finish(db::Pool& pool, const Clock& clock) override {
    absl::StatusOr<BackfillResult> r = Backfill(pool, clock);
    if (!r.ok()) return r.status();
    return absl::StrFormat(
        "metrics: figures rebuilt from %d events (%d appointments, %d visits, %d walk-ins) in "
        "%.1f s",
        r->events_read, r->appointments, r->visits, r->walk_ins,
        absl::ToDoubleSeconds(r->duration));
  }
};

class MetricsModule final : public Module {
 public:
  std::string_view name() const override { return "metrics"; }

  void Configure(ConfigSection& section) override {
    section.Int("anonymity_threshold", &options_.anonymity_threshold, 1, 1000,
                "published indicator values over fewer observations (appointments, visits, "
                "people) are hidden in the public report (docs/indicators.md#publication)");
  }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    ModuleParts parts;
    auto rollup = NewRollupConsumer(context.pool, context.clock, context.metrics);
    auto service = std::make_unique<MetricsService>(context, options_, rollup.get());
    parts.services.push_back({std::move(service), v1::MetricsService::service_full_name()});
    parts.workers.push_back(std::move(rollup));
    parts.workers.push_back(std::make_unique<SlotSnapshot>(context));
    return parts;
  }

  history::HistoryHooks* history() override { return &rebuild_; }

  std::vector<ModuleCommand> commands() override {
    return {{"metrics-backfill",
             "metrics-backfill  rebuilds the indicators' facts and rollups from the whole event "
             "log, set-based, and moves the consumer metrics.rollup to the last event read "
             "(after a restore or a change of definitions; docs/indicators.md#backfill)",
             0, RunBackfill}};
  }

 private:
  MetricsOptions options_;
  Rebuild rebuild_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<MetricsModule>(); }

}  // namespace accueil::metrics
