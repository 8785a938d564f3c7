// The one clock interface. Services read time only through a Clock, so tests
// decide what "now" is (booking in the past, release instants, DST days).
//
//   accueil::SystemClock clock;
//   absl::Time now = clock.Now();
//
//   accueil::ManualClock test_clock(absl::FromUnixSeconds(1'700'000'000));
//   test_clock.Advance(absl::Hours(1));
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace accueil {

// Clock is thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Now returns the current instant.
  virtual absl::Time Now() const = 0;
};

// SystemClock reads the machine's wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// ManualClock stands still until told to move. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accueil
