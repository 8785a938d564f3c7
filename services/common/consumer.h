// Consumer: a module worker (module.h) that applies a log's events
// (events.h) in order, exactly once, in the database.
//
//   - Named, one active instance per name across replicas: the instance
//     holding a session advisory lock on its dedicated connection works, the
//     others stand by and retry; a dead instance's connection closes and
//     frees the lock. The lock is not what makes a batch exactly-once: each
//     batch moves the cursor only from where it read it (AdvanceCursor), so
//     an instance that lost its lock unnoticed rolls back instead, and so
//     does a batch whose cursor a backfill moved meanwhile: such a batch is
//     not a failure, the consumer reads the cursor again and goes on at once.
//   - A batch: read up to `batch_size` events after the cursor, apply each
//     (Handler) in one transaction, advance the cursor in the same
//     transaction, commit. No lock is held while reading, and a batch stops
//     taking events after `max_batch_duration`, so one slow consumer (a long
//     backfill) holds the log's horizon for other readers no longer than
//     that (see "Reading without gaps" in docs/events.md).
//   - Woken by LISTEN on the dedicated connection when a writer rings its
//     log's channel (commit_signal.h), and by polling every `poll_interval`
//     as a backstop.
//   - Lag: how many events are still to apply and how long ago the oldest
//     of them occurred (0 when caught up), after every batch, also in the
//     process's metrics.
//
// A handler runs inside the batch's transaction: it may only write the
// database. Work outside it (an SMS, an e-mail, a call to another service)
// is claimed in the batch as a row of the consumer's own (a committed
// lease), done after the commit, and its outcome recorded in a later
// transaction: never hold a transaction across a network call.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/events.h"
#include "services/common/metrics.h"
#include "services/common/module.h"

namespace accueil::events {

struct ConsumerOptions {
  Log log = Log::kEvents;
  int batch_size = 500;
  absl::Duration max_batch_duration = absl::Milliseconds(500);
  // Backstop when no notification arrives (a writer crashed after commit).
  absl::Duration poll_interval = absl::Seconds(5);
  // How often a standby instance tries to become the active one, and how
  // long a failing batch waits before it is tried again.
  absl::Duration retry_interval = absl::Seconds(2);
  // Where the lag is reported after each batch (accueil_consumer_lag_*);
  // may be null.
  Metrics* metrics = nullptr;
};

// Handler applies one event in the batch's transaction. An error rolls the
// whole batch back; it is retried after `retry_interval`, and the consumer
// reports itself unhealthy until it succeeds.
using Handler = std::function<absl::Status(pqxx::work& tx, const Event& event)>;
// BatchHandler applies a whole batch (up to `batch_size` events, in order)
// in its transaction: for a consumer that does its work in one statement
// per batch rather than one per event (metrics' rollups). Same rules.
using BatchHandler = std::function<absl::Status(pqxx::work& tx, const std::vector<Event>& events)>;

// TryLockConsumer tries to take, on `conn` (a dedicated connection), the
// session advisory lock that makes its holder the active instance of the
// consumer `name`: true when taken. It is held until the connection closes
// (or pg_advisory_unlock), and while it is held every instance of that
// consumer stands by. A backfill takes it too (services/metrics/backfill.h).
bool TryLockConsumer(pqxx::connection& conn, const std::string& name);

// Consumer is thread-safe.
class Consumer final : public Worker {
 public:
  // `name` is the cursor's key in events.cursors: "<module>.<purpose>"
  // (e.g. "access.audit"). `after_commit` (optional) runs after each batch
  // that applied events has committed.
  Consumer(std::string name, db::Pool* pool, const Clock* clock, Handler handler,
           ConsumerOptions options = {}, std::function<void()> after_commit = nullptr);
  Consumer(std::string name, db::Pool* pool, const Clock* clock, BatchHandler handler,
           ConsumerOptions options = {}, std::function<void()> after_commit = nullptr);
  ~Consumer() override;

  std::string_view name() const override { return name_; }
  void Start() override;
  void Stop() override;
  bool Healthy() const override { return healthy_.load(); }

  // Active: this instance holds the name's lock.
  bool Active() const { return active_.load(); }
  // Lag as of the last batch that counted it (zero when caught up or not
  // active; counted at most every kLagCountInterval while catching up).
  absl::Duration Lag() const;
  // Wake makes the consumer read now (in-process writers may call it as
  // well as ringing).
  void Wake();

 private:
  void Run();
  // Serve works while the lock is held on `conn`; returns when the
  // connection fails or the consumer stops.
  void Serve(pqxx::connection& conn);
  struct BatchResult;
  absl::StatusOr<BatchResult> Batch();
  // The cursor as this activation last committed it (read from the
  // database once per activation, and again after a refused advance).
  // Used by the consumer's thread only.
  std::optional<Cursor> cursor_;
  // When the events pending were last counted (Batch; the consumer's thread).
  std::optional<absl::Time> last_lag_count_;
  bool Stopping();
  // Sleep waits up to `d` for a stop or a wake.
  void Sleep(absl::Duration d);

  const std::string name_;
  db::Pool* pool_;
  const Clock* clock_;
  Handler handler_;  // one of these two
  BatchHandler batch_handler_;
  const ConsumerOptions options_;
  std::function<void()> after_commit_;

  std::atomic<bool> healthy_{true};
  std::atomic<bool> active_{false};
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration lag_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace accueil::events
