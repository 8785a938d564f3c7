#include "services/metrics/module.h"

#include "services/metrics/metrics_service.h"
#include "services/metrics/rollup_consumer.h"
#include "services/metrics/slot_snapshot.h"

namespace accueil::metrics {
namespace {

// Metrics holds no personal data (ids, desks, times, statuses): no hooks.
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

 private:
  MetricsOptions options_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<MetricsModule>(); }

}  // namespace accueil::metrics
