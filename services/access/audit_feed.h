// The live tail of the audit log (AccessService.WatchAuditEvents): one
// AuditFeed per process reads access.audit_log for every open AuditTail.
//
// The feed polls each second, or at once when woken (Wake: call it when
// audit rows commit), reads the rows after the smallest cursor of the tails
// that have room once, and hands each tail the rows it has not seen, by id.
// Audit rows are written one at a time, so id order is commit order and a
// cursor never skips a row committed late.
//
//   AuditFeed feed(pool);
//   feed.Start();
//   ... OpenStream(new AuditTail(gate, context, &feed, *request)) ...
//   feed.Stop();
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "services/common/db.h"
#include "services/common/module.h"
#include "services/common/stream.h"

namespace accueil::access {

namespace v1 = ::accueil::access::v1;

// kAuditEventColumns: what AuditEventFromRow reads from access.audit_log.
extern const std::string kAuditEventColumns;
void AuditEventFromRow(const pqxx::row& row, v1::AuditEvent* out);

class AuditFeed;

// AuditTail is one WatchAuditEvents stream (stream.h). It copies its request:
// gRPC frees it when the stream ends, maybe before admission.
class AuditTail final : public ServerStream<v1::AuditEvent> {
 public:
  AuditTail(Gate* gate, grpc::CallbackServerContext* context, AuditFeed* feed,
            const v1::WatchAuditEventsRequest& request);

 private:
  friend class AuditFeed;
  absl::Status Opened(Call& call) override;
  void Closed() override;

  AuditFeed* const feed_;
  const v1::WatchAuditEventsRequest request_;
  int64_t site_ = 0;  // 0: every site; set by Opened
};

// AuditFeed is the access module's worker feeding the tails. Thread-safe.
class AuditFeed final : public Worker {
 public:
  // kBatch: rows read at most per query (the feed reads again at once when
  // it got that many).
  static constexpr int kBatch = 500;
  // kRoom: a tail with this many events queued for its client gets no more
  // until they are written (its cursor waits; nothing is lost).
  static constexpr size_t kRoom = 200;

  explicit AuditFeed(db::Pool* pool, absl::Duration poll = absl::Seconds(1));
  ~AuditFeed() override;

  std::string_view name() const override { return "audit_feed"; }
  void Start() override;
  void Stop() override;
  // Healthy: the last read of the log succeeded.
  bool Healthy() const override { return healthy_; }

  // Wake makes the feed read the log now.
  void Wake();
  // LastId is the id of the newest audit row (0: none).
  absl::StatusOr<int64_t> LastId();
  // Add feeds `tail` the rows after `cursor` until Remove.
  void Add(AuditTail* tail, int64_t cursor);
  void Remove(AuditTail* tail);

 private:
  void Run();
  // Poll reads one batch and hands it out; true when there may be more.
  bool Poll();

  db::Pool* const pool_;
  const absl::Duration poll_;
  absl::Mutex mu_;
  std::map<AuditTail*, int64_t> cursors_ ABSL_GUARDED_BY(mu_);
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> healthy_{true};
  std::thread thread_;
};

}  // namespace accueil::access
