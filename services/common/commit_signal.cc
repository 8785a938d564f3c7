#include "services/common/commit_signal.h"

#include <vector>

#include "absl/time/clock.h"
#include "services/common/errors.h"
#include "services/common/log.h"

namespace accueil::events {
namespace {

constexpr absl::Duration kMinInterval = absl::Milliseconds(25);

constexpr Log kLogs[] = {Log::kEvents, Log::kAuditOutbox};

}  // namespace

const char* ChannelOf(Log log) {
  switch (log) {
    case Log::kEvents:
      return "accueil_events";
    case Log::kAuditOutbox:
      return "accueil_audit";
  }
  return "accueil_events";
}

CommitSignal::CommitSignal(db::Pool* pool) : pool_(pool), thread_([this] { Run(); }) {}

CommitSignal::~CommitSignal() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CommitSignal::Ring(Log log) {
  absl::MutexLock lock(&mu_);
  rung_[static_cast<int>(log)] = true;
}

void CommitSignal::Run() {
  std::unique_ptr<pqxx::connection> conn;
  for (;;) {
    std::vector<Log> rung;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitSignal* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->rung_[0] || s->rung_[1] || s->stopping_;
          },
          this));
      for (Log log : kLogs) {
        if (rung_[static_cast<int>(log)]) rung.push_back(log);
        rung_[static_cast<int>(log)] = false;
      }
      if (rung.empty()) return;  // stopping, nothing pending
    }
    if (conn == nullptr || !conn->is_open()) {
      absl::StatusOr<std::unique_ptr<pqxx::connection>> opened = pool_->OpenDedicated();
      if (!opened.ok()) {
        // The consumers' polling covers it; try again on the next ring.
        log::Warn("commit_signal.unavailable", {{"reason", ErrorReason(opened.status())}});
        absl::SleepFor(absl::Seconds(1));
        continue;  // what was rung is dropped: polling covers it
      }
      conn = std::move(*opened);
    }
    try {
      pqxx::nontransaction tx(*conn);
      for (Log log : rung) tx.exec_params("SELECT pg_notify($1, '')", ChannelOf(log));
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
