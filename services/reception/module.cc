#include "services/reception/module.h"

#include "services/common/status_macros.h"
#include "services/reception/day_worker.h"
#include "services/reception/history.h"
#include "services/reception/reception_service.h"

namespace accueil::reception {
namespace {

// Reception holds no personal data but one free-text field: the reason a
// walk-in came, which the agent is asked to keep anonymous; the retention
// purge empties it anyway. No person keys, nothing to export.
class WalkInReasons final : public PersonDataHooks {
 public:
  absl::StatusOr<PurgeCounts> Purge(db::Pool& pool, absl::Time now,
                                    const Retention& retention) override {
    PurgeCounts counts;
    RETURN_IF_ERROR(pool.Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      counts.erased = tx.exec_params(
                            "UPDATE reception.walk_ins SET reason = '' "
                            "WHERE reason <> '' AND create_time < $1::timestamptz",
                            db::SqlTime(now - retention.personal_data))
                          .affected_rows();
      return absl::OkStatus();
    }));
    return counts;
  }
  absl::StatusOr<RekeyCounts> Rekey(db::Pool&, const Secrets&) override { return RekeyCounts{}; }
};

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

  PersonDataHooks* person_data() override { return &person_data_; }
  history::HistoryHooks* history() override { return &history_; }

 private:
  WalkInReasons person_data_;
  HistoryHooks history_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<ReceptionModule>(); }

}  // namespace accueil::reception
