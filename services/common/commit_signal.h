// CommitSignal: tells the event consumers of every replica that new events
// (or audit records) were committed, so that they read them at once instead
// of at their next poll.
//
// Writers call Ring() after a commit that appended to a log. A thread of its
// own then sends one `NOTIFY accueil_events` on a dedicated connection,
// covering every Ring() since the previous one, at most one every 25 ms. The NOTIFY is sent after
// the commit, in a transaction of its own, on purpose: a NOTIFY inside the writing transaction (a
// trigger on events.log) would take PostgreSQL's notification lock through the commit's WAL flush,
// serialising every booking's commit on one lock. Consumers poll as well (consumer.h), so a signal
// lost to a crash or a broken connection delays events, never loses them.
#pragma once

#include <memory>
#include <thread>

#include <pqxx/pqxx>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/common/db.h"

namespace accueil::events {

// The channel consumers LISTEN on.
inline constexpr char kCommitChannel[] = "accueil_events";

// Thread-safe.
class CommitSignal {
 public:
  // The dedicated connection is opened through `pool` (its settings, not
  // one of its connections).
  explicit CommitSignal(db::Pool* pool);
  ~CommitSignal();  // stops the thread; a pending ring is sent first

  // Ring never blocks on the database.
  void Ring();

 private:
  void Run();

  db::Pool* pool_;
  absl::Mutex mu_;
  bool rung_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace accueil::events
