// SlotSnapshot: the metrics module's daily look at the next free slot of
// every desk, as a person booking would see it (booking's public
// ListSlots), once per desk and local day: the first pass of the day records
// it (metrics.next_free_slots) and adds its observation to the rollups
// (metrics.add_observations), in one transaction. Replicas may both look; the
// first row wins. Every 10 s it lists the sites (one call), and a site's
// desks until all were looked at that day.
#pragma once

#include <atomic>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/common/module.h"
#include "services/common/server.h"

namespace accueil::metrics {

class SlotSnapshot final : public Worker {
 public:
  SlotSnapshot(const ServiceContext& context, absl::Duration interval = absl::Seconds(10));
  ~SlotSnapshot() override;

  std::string_view name() const override { return "metrics_slot_snapshot"; }
  void Start() override;
  void Stop() override;
  bool Healthy() const override { return healthy_; }

 private:
  void Run();
  absl::Status Pass();

  const ServiceContext ctx_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> healthy_{true};
  // The local day each site was fully looked at (its desks asked only
  // once a day; a desk created later waits for the next day). Thread only.
  std::map<int64_t, absl::CivilDay> complete_;
  std::thread thread_;
};

}  // namespace accueil::metrics
