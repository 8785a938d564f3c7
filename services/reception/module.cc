#include "services/reception/module.h"

#include "services/reception/reception_service.h"

namespace accueil::reception {
namespace {

class ReceptionModule final : public Module {
 public:
  std::string_view name() const override { return "reception"; }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    ModuleParts parts;
    auto feed = std::make_unique<QueueFeed>(context.pool, context.clock);
    parts.services.push_back({std::make_unique<ReceptionService>(context, feed.get()),
                              v1::ReceptionService::service_full_name()});
    // Started after the services and stopped before them, by the host.
    parts.workers.push_back(std::move(feed));
    return parts;
  }
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<ReceptionModule>(); }

}  // namespace accueil::reception
