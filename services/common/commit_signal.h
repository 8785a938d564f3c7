// CommitSignal: tells the event consumers of every replica that new events
// (or audit records) were committed, so that they read them at once instead
// of at their next poll.
//
// Writers call Ring(log) after a commit that appended to a log. A thread of
// its own then sends one NOTIFY on that log's channel (ChannelOf) on a
// dedicated connection, covering every Ring() since the previous one, at
// most one per channel every 25 ms. One channel per log, so that a public
// booking (events.log) does not wake the audit consumer, whose outbox it
// never writes. The NOTIFY is sent after
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
#include "services/common/events.h"

namespace accueil::events {

// The channel a log's consumers LISTEN on: accueil_events, accueil_audit.
const char* ChannelOf(Log log);

// Thread-safe.
class CommitSignal {
 public:
  // The dedicated connection is opened through `pool` (its settings, not
  // one of its connections).
  explicit CommitSignal(db::Pool* pool);
  ~CommitSignal();  // stops the thread; a pending ring is sent first

  // Ring never blocks on the database.
  void Ring(Log log);

 private:
  void Run();

  db::Pool* pool_;
  absl::Mutex mu_;
  // Indexed by Log: rung since the last NOTIFY on its channel.
  bool rung_[2] ABSL_GUARDED_BY(mu_) = {false, false};
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace accueil::events
