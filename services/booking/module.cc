#include "services/booking/module.h"

#include "services/booking/booking_service.h"
#include "services/booking/history.h"
#include "services/booking/person_data_hooks.h"

namespace accueil::booking {
namespace {

class BookingModule final : public Module {
 public:
  std::string_view name() const override { return "booking"; }

  void Configure(ConfigSection& section) override {
    section.Seconds("arrival_opens_before", &options_.arrival_opens_before, 24 * 3600,
                    "seconds before its slot an appointment may be checked in (on the slot's "
                    "local day only; docs/booking.md#arrivals)");
    section.Int("noshow_window", &options_.noshow_window_days, 1, 3650,
                "days over which the lodge's day list counts a person's no-shows "
                "(`ListDayAppointments`; shown to agents, never a sanction)");
  }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    ModuleParts parts;
    parts.services.push_back({std::make_unique<BookingService>(context, options_),
                              v1::BookingService::service_full_name()});
    return parts;
  }

  accueil::PersonDataHooks* person_data() override { return &person_data_; }
  history::HistoryHooks* history() override { return &history_; }

 private:
  BookingOptions options_;
  PersonDataHooks person_data_;
  HistoryHooks history_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<BookingModule>(); }

}  // namespace accueil::booking
