#include "services/common/commit_signal.h"

#include "absl/time/clock.h"
#include "services/common/errors.h"
#include "services/common/log.h"

namespace accueil::events {
namespace {

constexpr absl::Duration kMinInterval = absl::Milliseconds(25);

}  // namespace

CommitSignal::CommitSignal(db::Pool* pool) : pool_(pool), thread_([this] { Run(); }) {}

CommitSignal::~CommitSignal() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CommitSignal::Ring() {
  absl::MutexLock lock(&mu_);
  rung_ = true;
}

void CommitSignal::Run() {
  std::unique_ptr<pqxx::connection> conn;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitSignal* s)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->rung_ || s->stopping_; },
          this));
      if (!rung_) return;  // stopping, nothing pending
      rung_ = false;
    }
    if (conn == nullptr || !conn->is_open()) {
      absl::StatusOr<std::unique_ptr<pqxx::connection>> opened = pool_->OpenDedicated();
      if (!opened.ok()) {
        // The consumers' polling covers it; try again on the next ring.
        log::Warn("commit_signal.unavailable", {{"reason", ErrorReason(opened.status())}});
        absl::SleepFor(absl::Seconds(1));
        continue;
      }
      conn = std::move(*opened);
    }
    try {
      pqxx::nontransaction tx(*conn);
      tx.exec_params("SELECT pg_notify($1, '')", kCommitChannel);
    } catch (const std::exception& e) {
      log::Warn("commit_signal.failed", {{"error", e.what()}});
      conn.reset();
    }
    // At most one NOTIFY per interval: under load every booking rings, and
    // a NOTIFY each (plus a batch read by every consumer it wakes) would
    // cost the database more than the bookings themselves.
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), kMinInterval);
  }
}

}  // namespace accueil::events
