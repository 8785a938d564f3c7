// DayWorker: the reception module's background pass over the reception
// days of the last two days (reception.desk_days), every `interval`:
//   - no-shows: asks booking to mark the desk's booked appointments whose
//     slot ended more than the grace period ago (SweepNoShows, at most once
//     a minute per desk and day). Only desks where reception was open that
//     day have a row, so a site that does not use the lodge gets no false
//     no-shows; booking never sweeps a closed (holiday) day, and marks each
//     appointment once whatever the number of passes, replicas or restarts;
//   - closing: a desk's day still open at its closing time (or the day
//     after) closes by itself (ReceptionService::CloseDeskDays, automatic);
//   - reconciliation: an appointment booking has as arrived without a
//     visit here (a check-in whose second half failed) gets its ticket.
// Replicas share the days through a committed lease on each row, claimed
// with FOR UPDATE SKIP LOCKED: no transaction is held across the calls to
// booking.
#pragma once

#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/module.h"
#include "services/common/server.h"
#include "services/reception/reception_service.h"

namespace accueil::reception {

class DayWorker final : public Worker {
 public:
  DayWorker(const ServiceContext& context, ReceptionService* service,
            absl::Duration interval = absl::Seconds(5));
  ~DayWorker() override;

  std::string_view name() const override { return "reception_day"; }
  void Start() override;
  void Stop() override;
  bool Healthy() const override { return healthy_; }

 private:
  void Run();
  // Pass claims the days due and works on each; false when one failed.
  bool Pass();
  absl::Status Work(int64_t site, int64_t desk, absl::CivilDay day, bool closed, absl::Time swept);

  const ServiceContext ctx_;
  ReceptionService* const service_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> healthy_{true};
  std::thread thread_;
};

}  // namespace accueil::reception
