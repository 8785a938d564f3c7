// The retention purge: erases personal data once it is no longer needed,
// keeping what the statistics need (docs/security.md, "Personal data"), by
// calling the Purge hook of every module that stores personal data
// (person_data.h). It runs
//   - as `accueil-server purge` (one pass, then exits: a Kubernetes CronJob),
//   - and inside every server process, once an hour (Purger).
// Passes are idempotent, so replicas running them concurrently do no harm.
//
//   accueil::retention::Purger purger(pool, &clock, {}, &registry);
//   purger.Start();
//   ...
//   purger.Stop();
#pragma once

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/person_data.h"

namespace accueil::retention {

using ::accueil::PurgeCounts;
using ::accueil::Retention;

// PurgeOnce runs every module's Purge hook: erases the personal data of what
// ended more than `retention.personal_data` before `now`, and unlinks the
// person keys of what ended more than `retention.history` before it.
absl::StatusOr<PurgeCounts> PurgeOnce(db::Pool& pool, absl::Time now, const Retention& retention,
                                      const PersonDataRegistry& modules);

// RunPurgeCommand is `accueil-server purge`: one pass with the system clock
// on its own connection, logs the counts; returns the process exit code.
int RunPurgeCommand(const std::string& database_url, const Retention& retention,
                    const PersonDataRegistry& modules);

struct PurgerOptions {
  Retention retention;
  // Time between passes, read on the injected clock.
  absl::Duration every = absl::Hours(1);
  // How often the thread looks at the clock (real time).
  absl::Duration poll = absl::Seconds(30);
};

// Purger runs PurgeOnce at Start and then each time the clock has moved on
// by `every`. Thread-safe; Stop (or the destructor) joins the thread.
class Purger {
 public:
  Purger(db::Pool* pool, const Clock* clock, PurgerOptions options,
         const PersonDataRegistry* modules);
  ~Purger();
  Purger(const Purger&) = delete;
  Purger& operator=(const Purger&) = delete;

  void Start();
  void Stop();
  // Passes completed (for tests).
  int passes() const;

 private:
  void Loop();

  db::Pool* pool_;
  const Clock* clock_;
  PurgerOptions options_;
  const PersonDataRegistry* modules_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int passes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace accueil::retention
