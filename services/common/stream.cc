#include "services/common/stream.h"

#include <algorithm>

#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil {
namespace {

absl::Status ShuttingDown() {
  return Error(absl::StatusCode::kUnavailable, "SHUTTING_DOWN",
               "the server is shutting down; open the stream again");
}

// Only a caller's credentials or roles end a stream; the directory being
// unreachable for a moment does not (it is checked again next time).
bool Revokes(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnauthenticated ||
         status.code() == absl::StatusCode::kPermissionDenied;
}

}  // namespace

void StreamCall::Ended() { gate_->StreamEnded(this); }

StreamRegistry::StreamRegistry(Gate* gate, const GateOptions& options)
    : gate_(gate), recheck_(options.stream_recheck) {
  for (int i = 0; i < std::max(1, options.stream_admission_threads); ++i) {
    threads_.emplace_back([this] { Admissions(); });
  }
  threads_.emplace_back([this] { Rechecks(); });
}

StreamRegistry::~StreamRegistry() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
  // With the threads gone nothing holds a stream but gRPC.
  std::vector<StreamCall*> gone;
  {
    absl::MutexLock lock(&mu_);
    for (StreamCall* s : streams_) {
      if (s->done_) gone.push_back(s);
    }
    for (StreamCall* s : gone) streams_.erase(s);
  }
  Delete(gone);
}

void StreamRegistry::Delete(const std::vector<StreamCall*>& streams) {
  for (StreamCall* s : streams) {
    if (s->opened_) s->Closed();
    delete s;
  }
}

void StreamRegistry::Add(StreamCall* stream, const absl::Status& refusal_when_closing) {
  bool refuse;
  {
    absl::MutexLock lock(&mu_);
    streams_.insert(stream);
    refuse = closing_;
    if (!refuse) {
      stream->pins_ = 1;  // by its admission
      admissions_.push_back(stream);
    }
  }
  if (refuse) stream->Close(refusal_when_closing);
}

void StreamRegistry::Done(StreamCall* stream) {
  bool gone;
  {
    absl::MutexLock lock(&mu_);
    stream->done_ = true;
    gone = stream->pins_ == 0;
    if (gone) streams_.erase(stream);
  }
  if (gone) Delete({stream});
}

void StreamRegistry::Unpin(const std::vector<StreamCall*>& streams) {
  std::vector<StreamCall*> gone;
  {
    absl::MutexLock lock(&mu_);
    for (StreamCall* s : streams) {
      if (--s->pins_ == 0 && s->done_) {
        streams_.erase(s);
        gone.push_back(s);
      }
    }
  }
  Delete(gone);
}

void StreamRegistry::CloseAll(const absl::Status& status) {
  std::vector<StreamCall*> open;
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    for (StreamCall* s : streams_) {
      if (s->done_) continue;
      ++s->pins_;
      open.push_back(s);
    }
  }
  for (StreamCall* s : open) s->Close(status);
  Unpin(open);
  absl::MutexLock lock(&mu_);
  auto idle = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return admissions_.empty() && busy_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

size_t StreamRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return std::count_if(streams_.begin(), streams_.end(),
                       [](const StreamCall* s) { return !s->done_; });
}

void StreamRegistry::Admissions() {
  for (;;) {
    StreamCall* stream;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !admissions_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      stream = admissions_.front();
      admissions_.pop_front();
      ++busy_;
    }
    // Once closing, the stream has been ended: admitting it is moot.
    if (!closing()) gate_->AdmitStream(stream);
    Unpin({stream});
    absl::MutexLock lock(&mu_);
    --busy_;
  }
}

void StreamRegistry::Rechecks() {
  for (;;) {
    std::vector<StreamCall*> open;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), recheck_);
      if (stopping_) return;
      if (closing_) continue;
      ++busy_;
      for (StreamCall* s : streams_) {
        if (!s->admitted_ || s->done_) continue;
        ++s->pins_;
        open.push_back(s);
      }
    }
    // One pass authenticates each credential once, however many streams
    // share it.
    std::map<std::string, absl::StatusOr<auth::Caller>> callers;
    for (StreamCall* s : open) {
      absl::Status status = gate_->Recheck(*s, callers);
      if (Revokes(status)) {
        log::Info("stream.revoked", {{"request_id", s->call_.request_id()},
                                     {"method", s->method_},
                                     {"reason", ErrorReason(status)}});
        s->Close(status);
      } else if (!status.ok()) {
        log::Warn("stream.recheck_failed", {{"request_id", s->call_.request_id()},
                                            {"method", s->method_},
                                            {"reason", ErrorReason(status)}});
      }
    }
    Unpin(open);
    absl::MutexLock lock(&mu_);
    --busy_;
  }
}

bool StreamRegistry::closing() const {
  absl::MutexLock lock(&mu_);
  return closing_;
}

void Gate::Open(StreamCall* stream) {
  stream->start_ = absl::Now();
  stream->counted_ = metrics_->OpenStream(stream->method_);
  Receive(*stream->context_, stream->method_, stream->call_);
  streams_->Add(stream, ShuttingDown());
}

void Gate::AdmitStream(StreamCall* stream) {
  Call& call = stream->call_;
  absl::Status status = Admit(stream->method_, call);
  if (status.ok()) {
    stream->opened_ = true;
    status = Run(stream->method_, call, [stream](Call& c) { return stream->Opened(c); });
  }
  // The opening is what an agent decided: audited like a call.
  if (call.Audited()) Audit(stream->method_, call, status);
  if (!status.ok()) {
    stream->Close(status);
    return;
  }
  stream->admitted_ = true;
  stream->SendHeaders();
}

void Gate::StreamEnded(StreamCall* stream) {
  int64_t sent = 0;
  absl::Status status = stream->Outcome(&sent);
  Log("rpc", stream->method_, stream->call_, status, stream->start_, sent);
  stream->counted_ = Metrics::Stream();
  streams_->Done(stream);
}

absl::Status Gate::Recheck(const StreamCall& stream,
                           std::map<std::string, absl::StatusOr<auth::Caller>>& callers) const {
  const Call& opened = stream.call_;
  auto it = callers.find(opened.authorization_);
  if (it == callers.end()) {
    it = callers
             .emplace(opened.authorization_,
                      authenticator_->FromAuthorization(opened.authorization_))
             .first;
  }
  RETURN_IF_ERROR(it->second.status());
  Call now = opened;
  now.caller_ = *it->second;
  now.caller_.client = opened.caller_.client;
  RETURN_IF_ERROR(Allowed(now));
  if (now.site_checked_) RETURN_IF_ERROR(now.AuthorizeSite(now.checked_site_));
  return absl::OkStatus();
}

void Gate::CloseStreams() { streams_->CloseAll(ShuttingDown()); }

size_t Gate::OpenStreams() const { return streams_->size(); }

}  // namespace accueil
