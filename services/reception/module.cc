#include "services/reception/module.h"

#include "services/reception/reception_service.h"

namespace accueil::reception {
namespace {

class ReceptionModule final : public Module {
 public:
  std::string_view name() const override { return "reception"; }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    ModuleParts parts;
    parts.services.push_back(
        {std::make_unique<ReceptionService>(context), v1::ReceptionService::service_full_name()});
    return parts;
  }
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<ReceptionModule>(); }

}  // namespace accueil::reception
