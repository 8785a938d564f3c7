#include "services/common/retention.h"

#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/clock.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace accueil::retention {
namespace {

// Every purge function of the schema: (p_now timestamptz, p_retention
// interval) -> integer, with the horizon it is given. Later services append
// theirs.
enum class Horizon { kPersonalData, kHistory };
struct PurgeFunction {
  const char* name;
  Horizon horizon;
};
constexpr PurgeFunction kPurgeFunctions[] = {
    {"booking.purge_personal_data", Horizon::kPersonalData},
    {"booking.unlink_person_keys", Horizon::kHistory},
};

}  // namespace

absl::StatusOr<PurgeCounts> PurgeOnce(db::Pool& pool, absl::Time now, const Retention& retention) {
  PurgeCounts counts;
  for (const auto& [function, horizon] : kPurgeFunctions) {
    const bool history = horizon == Horizon::kHistory;
    std::string interval = absl::StrCat(
        absl::ToInt64Seconds(history ? retention.history : retention.personal_data), " seconds");
    absl::StatusOr<int> done = pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
      pqxx::work tx(c);
      pqxx::row r =
          tx.exec_params1(absl::StrCat("SELECT ", function, "($1::timestamptz, $2::interval)"),
                          db::SqlTime(now), interval);
      int n = r[0].as<int>();
      tx.commit();
      return n;
    });
    if (!done.ok()) {
      log::Error("retention.purge_failed", {{"function", function}});
      return done.status();
    }
    log::Info("retention.purged", {{"function", function}, {"records", absl::StrCat(*done)}});
    (history ? counts.unlinked : counts.erased) += *done;
  }
  return counts;
}

int RunPurgeCommand(const std::string& database_url, const Retention& retention) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(database_url, 1);
  absl::StatusOr<PurgeCounts> counts = pool.ok() ? PurgeOnce(**pool, absl::Now(), retention)
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

Purger::Purger(db::Pool* pool, const Clock* clock, PurgerOptions options)
    : pool_(pool), clock_(clock), options_(options) {}

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
      (void)PurgeOnce(*pool_, now, options_.retention);
      next = now + options_.every;
      absl::MutexLock lock(&mu_);
      ++passes_;
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll);
  }
}

}  // namespace accueil::retention
