#include "services/common/consumer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/commit_signal.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil::events {
namespace {

// The first key of the consumers' advisory locks ("acc" + 1), so that they
// cannot collide with other advisory locks; the second is the name's hash.
constexpr int kLockClass = 0x61636301;

// How long one wait on the connection lasts: the delay of a Stop() or an
// in-process Wake().
constexpr long kWaitSliceMicros = 100000;

// The reason of a batch refused because the cursor moved since it was read.
constexpr char kCursorMoved[] = "CURSOR_MOVED";

// After a wake-up that found nothing readable, the first look again.
constexpr absl::Duration kFirstRecheck = absl::Milliseconds(50);
// How often a consumer catching up counts the events still pending (its lag).
constexpr absl::Duration kLagCountInterval = absl::Seconds(1);

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, Log log, int* received)
      : pqxx::notification_receiver(c, ChannelOf(log)), received_(received) {}
  void operator()(const std::string&, int) override { ++*received_; }

 private:
  int* received_;
};

}  // namespace

bool TryLockConsumer(pqxx::connection& conn, const std::string& name) {
  pqxx::nontransaction tx(conn);
  bool held = tx.exec_params1("SELECT pg_try_advisory_lock($1, hashtext($2)) AS held", kLockClass,
                              name)["held"]
                  .as<bool>();
  tx.commit();
  return held;
}

struct Consumer::BatchResult {
  int applied = 0;
  bool more = false;  // the batch stopped before the end of what was readable
};

Consumer::Consumer(std::string name, db::Pool* pool, const Clock* clock, Handler handler,
                   ConsumerOptions options, std::function<void()> after_commit)
    : name_(std::move(name)),
      pool_(pool),
      clock_(clock),
      handler_(std::move(handler)),
      options_(options),
      after_commit_(std::move(after_commit)) {}

Consumer::Consumer(std::string name, db::Pool* pool, const Clock* clock, BatchHandler handler,
                   ConsumerOptions options, std::function<void()> after_commit)
    : name_(std::move(name)),
      pool_(pool),
      clock_(clock),
      batch_handler_(std::move(handler)),
      options_(options),
      after_commit_(std::move(after_commit)) {}

Consumer::~Consumer() { Stop(); }

void Consumer::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void Consumer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Duration Consumer::Lag() const {
  absl::MutexLock lock(&mu_);
  return lag_;
}

void Consumer::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

bool Consumer::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void Consumer::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](Consumer* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
                             return c->stopping_ || c->woken_;
                           },
                           this),
                       d);
}

void Consumer::Run() {
  while (!Stopping()) {
    absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = pool_->OpenDedicated();
    if (!conn.ok()) {
      Sleep(options_.retry_interval);
      continue;
    }
    try {
      // Stand by until this instance holds the name's lock.
      while (!Stopping()) {
        if (TryLockConsumer(**conn, name_)) break;
        Sleep(options_.retry_interval);
      }
      if (Stopping()) break;
      log::Info("consumer.active", {{"consumer", name_}});
      active_ = true;
      Serve(**conn);
      active_ = false;
    } catch (const std::exception& e) {
      // The dedicated connection broke: the lock went with it. Stand by
      // again (another instance may take over meanwhile).
      active_ = false;
      log::Warn("consumer.connection_lost", {{"consumer", name_}, {"error", e.what()}});
      Sleep(options_.retry_interval);
    }
  }
  active_ = false;
}

void Consumer::Serve(pqxx::connection& conn) {
  int received = 0;
  Receiver receiver(conn, options_.log, &received);
  cursor_.reset();  // another instance may have moved it while this one stood by
  absl::Time next_poll = absl::InfinitePast();
  // Set while looking again after a wake-up that found nothing: the next
  // look's delay.
  std::optional<absl::Duration> recheck;
  bool read_now = true;
  while (!Stopping()) {
    if (absl::Now() >= next_poll) {
      read_now = true;
      next_poll = absl::Now() + options_.poll_interval;
    }
    bool woken = received > 0;
    received = 0;
    {
      absl::MutexLock lock(&mu_);
      woken = woken || woken_;
      woken_ = false;
    }
    if (woken) read_now = true;
    if (read_now) {
      absl::StatusOr<BatchResult> batch = Batch();
      if (!batch.ok() && ErrorReason(batch.status()) == kCursorMoved) {
        // Not a failure: someone else moved the cursor since it was read (a
        // backfill, an instance that was active meanwhile) and the batch
        // rolled back. Read again at once from where the cursor now is.
        log::Info("consumer.cursor_moved", {{"consumer", name_}});
        continue;  // read_now stays true
      }
      if (!batch.ok()) {
        cursor_.reset();  // a commit in doubt may have moved it
        if (healthy_.exchange(false)) {
          log::Error("consumer.batch_failed", {{"consumer", name_},
                                               {"code", CodeName(batch.status().code())},
                                               {"reason", ErrorReason(batch.status())}});
        }
        Sleep(options_.retry_interval);
        continue;  // read_now stays true: try again
      }
      if (!healthy_.exchange(true)) log::Info("consumer.recovered", {{"consumer", name_}});
      if (batch->applied > 0 && after_commit_) after_commit_();
      read_now = batch->more;  // read on at once
      if (read_now) continue;
      if (batch->applied > 0 || (!woken && !recheck)) {
        recheck.reset();
      } else {
        // Woken, and nothing to read: the new events wait behind an older
        // transaction still running. Look again soon, then less and less
        // often, until the poll takes over.
        recheck = recheck ? *recheck * 2 : kFirstRecheck;
        if (*recheck >= options_.poll_interval) {
          recheck.reset();
        } else {
          next_poll = std::min(next_poll, absl::Now() + *recheck);
        }
      }
    }
    conn.await_notification(0, kWaitSliceMicros);
  }
}

absl::StatusOr<Consumer::BatchResult> Consumer::Batch() {
  return pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<BatchResult> {
    pqxx::work tx(c);
    const Cursor from = cursor_ ? *cursor_ : LoadCursor(tx, name_);
    std::vector<Event> batch = ReadEvents(tx, from, options_.batch_size, options_.log);
    const absl::Time deadline = absl::Now() + options_.max_batch_duration;
    BatchResult r;
    r.more = static_cast<int>(batch.size()) == options_.batch_size;
    Cursor to = from;
    if (batch_handler_) {
      if (!batch.empty()) {
        RETURN_IF_ERROR(batch_handler_(tx, batch));
        to = batch.back().cursor();
        r.applied = static_cast<int>(batch.size());
      }
    } else {
      for (const Event& e : batch) {
        if (r.applied > 0 && absl::Now() >= deadline) {
          r.more = true;
          break;
        }
        RETURN_IF_ERROR(handler_(tx, e));
        to = e.cursor();
        ++r.applied;
      }
    }
    if (r.applied > 0 && !AdvanceCursor(tx, name_, from, to, clock_->Now(), options_.log)) {
      cursor_.reset();  // read it again on the next batch
      return Error(absl::StatusCode::kAborted, kCursorMoved,
                   "another instance of the consumer moved its cursor");
    }
    // Everything readable was applied: nothing is pending, the lag is zero.
    // While catching up, the pending events are counted at most every
    // kLagCountInterval (the count reads up to kPendingCountLimit events, a
    // quarter of a batch's time); in between, the lag reported stays.
    const bool report =
        !r.more || !last_lag_count_ || absl::Now() - *last_lag_count_ >= kLagCountInterval;
    const Pending pending = r.more && report ? PendingAfter(tx, to, options_.log) : Pending{};
    tx.commit();
    cursor_ = to;
    if (!report) return r;
    if (r.more) last_lag_count_ = absl::Now();
    absl::Duration lag = pending.oldest
                             ? std::max(absl::ZeroDuration(), clock_->Now() - *pending.oldest)
                             : absl::ZeroDuration();
    if (options_.metrics != nullptr) options_.metrics->SetConsumerLag(name_, pending.count, lag);
    absl::MutexLock lock(&mu_);
    lag_ = lag;
    return r;
  });
}

}  // namespace accueil::events
