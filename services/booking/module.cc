#include "services/booking/module.h"

#include "services/booking/booking_service.h"
#include "services/booking/person_data_hooks.h"

namespace accueil::booking {
namespace {

class BookingModule final : public Module {
 public:
  std::string_view name() const override { return "booking"; }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    ModuleParts parts;
    parts.services.push_back(
        {std::make_unique<BookingService>(context), v1::BookingService::service_full_name()});
    return parts;
  }

  accueil::PersonDataHooks* person_data() override { return &person_data_; }

 private:
  PersonDataHooks person_data_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<BookingModule>(); }

}  // namespace accueil::booking
