// Server-streaming methods through the gate (gate.h).
//
// A stream is admitted once, when it opens, exactly as a unary call is: the
// policy from the proto option, the credentials, the public rate limits and
// the site (the stream's Opened names it with Call::AuthorizeSite). Admission
// runs on the gate's small executor, never on gRPC's callback thread, since
// it reads PostgreSQL. The opening is audited like a call for agents,
// administrators and devices; one log line is written when the stream ends
// (method, code, reason, duration, messages sent).
//
// While it is open, the gate checks the opening credentials again every
// `stream_recheck` (30 s by default; one thread for every stream of the
// process): a revoked device token or role, or an expired JWT, ends the
// stream with UNAUTHENTICATED or PERMISSION_DENIED and a reason.
//
// A stream holds no thread (gRPC's callback API): writing is queued.
//
//   class Tail final : public ServerStream<v1::AuditEvent> {
//    public:
//     Tail(Gate* gate, grpc::CallbackServerContext* context, ...)
//         : ServerStream(gate, context, "accueil.access.v1.AccessService.WatchAuditEvents") {}
//     absl::Status Opened(Call& call) override {  // on the executor
//       RETURN_IF_ERROR(call.AuthorizeSite(site_));
//       feed_->Add(this);  // which calls Send(event) from now on
//       return absl::OkStatus();
//     }
//     void Closed() override { feed_->Remove(this); }
//   };
//   grpc::ServerWriteReactor<v1::AuditEvent>* WatchAuditEvents(
//       grpc::CallbackServerContext* context, const v1::WatchAuditEventsRequest* req) override {
//     return OpenStream(new Tail(gate, context, ...));
//   }
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/errors.h"
#include "services/common/gate.h"
#include "services/common/metrics.h"
#include "services/common/grpc_status.h"

namespace accueil {

// StreamCall is what the gate knows of a stream, whatever it sends.
// Thread-safe where stated.
class StreamCall {
 public:
  StreamCall(Gate* gate, grpc::CallbackServerContext* context, std::string_view method)
      : gate_(gate), context_(context), method_(method) {}
  virtual ~StreamCall() = default;
  StreamCall(const StreamCall&) = delete;
  StreamCall& operator=(const StreamCall&) = delete;

  Gate* gate() const { return gate_; }

  // Close ends the stream with `status` (the first call wins; later ones do
  // nothing). Thread-safe; does not block.
  virtual void Close(const absl::Status& status) = 0;

 protected:
  // Opened runs once on the gate's executor after the caller is admitted:
  // validate the request, name the site (Call::AuthorizeSite), start feeding
  // the stream. An error ends the stream with it.
  virtual absl::Status Opened(Call& call) = 0;
  // Closed runs once, on any thread, after the stream has ended and before
  // it is deleted, if Opened ran (whether it succeeded or not): stop feeding
  // the stream.
  virtual void Closed() {}
  // SendHeaders sends the initial metadata once admitted, so that a client
  // knows the stream is open (unless a message or the end already did).
  virtual void SendHeaders() = 0;
  // Outcome is the status the stream ended with and how many messages were
  // sent; read once it has ended.
  virtual absl::Status Outcome(int64_t* sent) = 0;
  // Ended: called by the implementation from gRPC's OnDone.
  void Ended();

 private:
  friend class Gate;
  friend class StreamRegistry;
  Gate* const gate_;
  grpc::CallbackServerContext* const context_;
  const std::string method_;
  Call call_;  // written by admission, then only read
  absl::Time start_;
  std::atomic<bool> admitted_{false};
  Metrics::Stream counted_;  // accueil_rpc_open_streams, from opening to end
  bool opened_ = false;      // Opened ran (set by admission, read after it)
  // Guarded by the registry's mutex: who still holds a pointer to the
  // stream besides gRPC, and whether gRPC is done with it.
  int pins_ = 0;
  bool done_ = false;
};

// StreamRegistry is the gate's part for streams: the open streams, the
// executor admitting them and the one thread checking them again. Used by
// the gate only. Thread-safe.
class StreamRegistry {
 public:
  StreamRegistry(Gate* gate, const GateOptions& options);
  // ~StreamRegistry stops the threads; the server has shut down before.
  ~StreamRegistry();

  // Add registers a new stream and runs its admission on the executor;
  // when closing, the stream is ended instead.
  void Add(StreamCall* stream, const absl::Status& refusal_when_closing);
  // Done: gRPC is done with the stream; it is deleted once no one holds it.
  void Done(StreamCall* stream);
  // CloseAll ends every open stream with `status`, refuses new ones, drops
  // the admissions not started and returns once no admission or recheck is
  // under way (what feeds the streams may then stop).
  void CloseAll(const absl::Status& status);
  bool closing() const;
  size_t size() const;

 private:
  void Admissions();
  void Rechecks();
  void Unpin(const std::vector<StreamCall*>& streams);
  // Delete deletes streams no one holds any more.
  static void Delete(const std::vector<StreamCall*>& streams);

  Gate* const gate_;
  const absl::Duration recheck_;
  mutable absl::Mutex mu_;
  std::set<StreamCall*> streams_ ABSL_GUARDED_BY(mu_);
  std::deque<StreamCall*> admissions_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int busy_ ABSL_GUARDED_BY(mu_) = 0;  // admissions and recheck passes under way
  std::vector<std::thread> threads_;
};

// ServerStream is a server-streaming reactor admitted by the gate; derive
// from it and implement Opened (and Closed). Send and Close are thread-safe.
template <class Response>
class ServerStream : public grpc::ServerWriteReactor<Response>, public StreamCall {
 public:
  // kMaxQueued: messages waiting for a slow client beyond which the stream
  // ends with RESOURCE_EXHAUSTED STREAM_TOO_SLOW (feeds look at Queued()).
  static constexpr size_t kMaxQueued = 1000;

  ServerStream(Gate* gate, grpc::CallbackServerContext* context, std::string_view method)
      : StreamCall(gate, context, method) {}

  // Send queues `message`; false once the stream is ending.
  bool Send(Response message) {
    const Response* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (ending_) return false;
      if (queue_.size() < kMaxQueued) {
        queue_.push_back(std::move(message));
        if (writing_) return true;
        writing_ = true;
        headers_sent_ = true;  // with the first message
        next = &queue_.front();
      }
    }
    if (next == nullptr) {
      Close(Error(absl::StatusCode::kResourceExhausted, "STREAM_TOO_SLOW",
                  "the client reads too slowly; open the stream again"));
      return false;
    }
    this->StartWrite(next);
    return true;
  }

  // Queued: messages not yet written to the client.
  size_t Queued() {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }

  void Close(const absl::Status& status) override {
    {
      absl::MutexLock lock(&mu_);
      if (ending_) return;
      ending_ = true;
      outcome_ = status;
      // A write in flight finishes the stream when it completes.
      if (writing_) return;
      finished_ = true;
    }
    this->Finish(ToGrpcStatus(status));
  }

 private:
  void SendHeaders() override {
    absl::MutexLock lock(&mu_);
    if (ending_ || headers_sent_) return;
    headers_sent_ = true;
    this->StartSendInitialMetadata();
  }

  absl::Status Outcome(int64_t* sent) override {
    absl::MutexLock lock(&mu_);
    *sent = sent_;
    return outcome_;
  }

  void OnWriteDone(bool ok) override {
    const Response* next = nullptr;
    bool finish = false;
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      queue_.pop_front();
      if (ok) {
        ++sent_;
      } else if (!ending_) {
        // The client is gone; OnCancel says so too.
        ending_ = true;
        outcome_ = Error(absl::StatusCode::kCancelled, "STREAM_CANCELLED", "the client left");
      }
      if (!ending_ && !queue_.empty()) {
        next = &queue_.front();
      } else {
        queue_.clear();
        writing_ = false;
        finish = ending_ && !finished_;
        finished_ = finished_ || finish;
        status = outcome_;
      }
    }
    if (next != nullptr) this->StartWrite(next);
    if (finish) this->Finish(ToGrpcStatus(status));
  }

  void OnCancel() override {
    Close(Error(absl::StatusCode::kCancelled, "STREAM_CANCELLED", "the client ended the stream"));
  }

  void OnDone() override { Ended(); }

  absl::Mutex mu_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(mu_);  // front: the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool headers_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status outcome_ ABSL_GUARDED_BY(mu_);
  int64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
};

// OpenStream hands a new stream to its gate, which admits it on its
// executor, and returns it for the generated callback method to return.
template <class Stream>
Stream* OpenStream(Stream* stream) {
  stream->gate()->Open(stream);
  return stream;
}

}  // namespace accueil
