#include "services/reception/module.h"

#include "services/reception/day_worker.h"
#include "services/reception/reception_service.h"

namespace accueil::reception {
namespace {

class ReceptionModule final : public Module {
 public:
  std::string_view name() const override { return "reception"; }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    ModuleParts parts;
    auto feed = std::make_unique<QueueFeed>(context.pool, context.clock);
    auto service = std::make_unique<ReceptionService>(context, feed.get());
    auto days = std::make_unique<DayWorker>(context, service.get());
    parts.services.push_back({std::move(service), v1::ReceptionService::service_full_name()});
    // Started after the services and stopped before them, by the host.
    parts.workers.push_back(std::move(feed));
    parts.workers.push_back(std::move(days));
    return parts;
  }
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<ReceptionModule>(); }

}  // namespace accueil::reception
