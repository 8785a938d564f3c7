#include "services/common/retention.h"

#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/clock.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil::retention {
absl::StatusOr<PurgeCounts> PurgeOnce(db::Pool& pool, absl::Time now, const Retention& retention,
                                      const PersonDataRegistry& modules) {
  PurgeCounts counts;
  for (const PersonDataModule& m : modules) {
    absl::StatusOr<PurgeCounts> done = m.hooks->Purge(pool, now, retention);
    if (!done.ok()) {
      log::Error("retention.purge_failed", {{"module", m.module}});
      return done.status();
    }
    log::Info("retention.purged", {{"module", m.module},
                                   {"erased", absl::StrCat(done->erased)},
                                   {"unlinked", absl::StrCat(done->unlinked)}});
    counts.erased += done->erased;
    counts.unlinked += done->unlinked;
  }
  // The event log holds no personal data: only its own retention applies.
  RETURN_IF_ERROR(pool.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    counts.events_pruned = tx.exec_params1("SELECT events.prune_log($1::timestamptz)",
                                           db::SqlTime(now - retention.event_log))[0]
                               .as<int64_t>();
    return absl::OkStatus();
  }));
  log::Info("retention.events_pruned", {{"events", absl::StrCat(counts.events_pruned)}});
  return counts;
}

int RunPurgeCommand(const std::string& database_url, const Retention& retention,
                    const PersonDataRegistry& modules) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(database_url, 1);
  absl::StatusOr<PurgeCounts> counts = pool.ok()
                                           ? PurgeOnce(**pool, absl::Now(), retention, modules)
                                           : absl::StatusOr<PurgeCounts>(pool.status());
  if (!counts.ok()) {
    std::fprintf(stderr, "accueil-server: purge: %s\n",
                 std::string(counts.status().message()).c_str());
    return 1;
  }
  log::Info("retention.done",
            {{"erased", absl::StrCat(counts->erased)},
             {"unlinked", absl::StrCat(counts->unlinked)},
             {"retention_days", absl::StrCat(absl::ToInt64Hours(retention.personal_data) / 24)},
             {"history_retention_days", absl::StrCat(absl::ToInt64Hours(retention.history) / 24)}});
  return 0;
}

Purger::Purger(db::Pool* pool, const Clock* clock, PurgerOptions options,
               const PersonDataRegistry* modules)
    : pool_(pool), clock_(clock), options_(options), modules_(modules) {}

Purger::~Purger() { Stop(); }

void Purger::Start() {
  if (thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Purger::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int Purger::passes() const {
  absl::MutexLock lock(&mu_);
  return passes_;
}

void Purger::Loop() {
  absl::Time next = clock_->Now();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    absl::Time now = clock_->Now();
    if (now >= next) {
      // A failed pass is logged and retried at the next one.
      (void)PurgeOnce(*pool_, now, options_.retention, *modules_);
      next = now + options_.every;
      absl::MutexLock lock(&mu_);
      ++passes_;
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll);
  }
}

}  // namespace accueil::retention
