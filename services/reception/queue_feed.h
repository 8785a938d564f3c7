// The live queue (ReceptionService.WatchQueue): one QueueFeed per process
// feeds every open QueueWatch of the process.
//
// Every change to a site's queue takes the site's next sequence number and
// sends NOTIFY reception_queue in its own transaction
// (reception.queue_changed, db/migrations/0015_reception.sql): PostgreSQL
// delivers notifications in commit order, and the row lock on the site's
// counter makes commit order the number order. The feed LISTENs on a
// dedicated connection, so every replica sees every change without reading
// a log, and for each watch of the site:
//   - sends the change when its number follows the last one the watch got;
//   - ignores it when the watch's state already included it;
//   - sends the whole state again when a number is missing.
// A new watch gets the state first (with the number it includes); so does
// every watch after the feed's connection was re-established (notifications
// may have been lost meanwhile) or when the site's day changes. A keep-alive
// goes to every watch every `keep_alive`.
#pragma once

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/module.h"
#include "services/common/stream.h"
#include "services/reception/booking_client.h"

namespace accueil::reception {

namespace v1 = ::accueil::reception::v1;

class QueueFeed;

// QueueWatch is one WatchQueue stream (stream.h). It copies its request.
class QueueWatch final : public ServerStream<v1::QueueUpdate> {
 public:
  QueueWatch(Gate* gate, grpc::CallbackServerContext* context, QueueFeed* feed,
             BookingClient* booking, const v1::WatchQueueRequest& request);

 private:
  friend class QueueFeed;
  absl::Status Opened(Call& call) override;
  void Closed() override;

  QueueFeed* const feed_;
  BookingClient* const booking_;
  const v1::WatchQueueRequest request_;
  // Set by Opened, then read by the feed.
  int64_t site_ = 0;
  absl::TimeZone zone_;
};

// QueueFeed is the reception module's worker feeding the watches.
// Thread-safe.
class QueueFeed final : public Worker {
 public:
  QueueFeed(db::Pool* pool, const Clock* clock, absl::Duration keep_alive = absl::Seconds(15));
  ~QueueFeed() override;

  std::string_view name() const override { return "queue_feed"; }
  void Start() override;
  void Stop() override;
  // Healthy: listening (or about to).
  bool Healthy() const override { return healthy_; }

  // Add feeds `watch` the state, then every change, until Remove.
  void Add(QueueWatch* watch);
  // Remove returns once the feed no longer touches `watch`.
  void Remove(QueueWatch* watch);

 private:
  // What the feed knows of one watch (guarded by mu_).
  struct Watched {
    int64_t site = 0;
    absl::TimeZone zone;
    absl::CivilDay day;
    int64_t sent = -1;  // the last number sent; -1: the state is due
  };
  void Run();
  // Serve listens on `conn` until it fails or the feed stops.
  void Serve(pqxx::connection& conn);
  // Apply hands one notification to the watches of its site.
  void Apply(const std::string& payload);
  // SendStates sends the state to every watch that needs it, and keep-alives.
  void SendStates(bool keep_alive);
  bool Stopping();

  db::Pool* const pool_;
  const Clock* const clock_;
  const absl::Duration keep_alive_;
  absl::Mutex mu_;
  std::map<QueueWatch*, Watched> watches_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> healthy_{true};
  std::thread thread_;
};

}  // namespace accueil::reception
