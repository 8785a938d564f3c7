// Gate: the one wrapper around every gRPC handler of every service.
//
// For each call it
//   1. gives the call a request id (the client's x-request-id when it is a
//      short token, else a new one), echoed in the response metadata;
//   2. reads the method's access policy from its proto option
//      (accueil.access.v1.access); a method without one is refused;
//   3. authenticates the caller (auth/authenticator.h), believes
//      x-acting-agent from services only, and applies the public rate limits
//      (rate_limiter.h);
//   4. checks the caller holds one of the policy's roles; for site-scoped
//      methods the handler names the resource's site with Call::AuthorizeSite
//      before acting, and a handler that forgets is a bug answered INTERNAL;
//   5. runs the handler, maps its absl::Status to gRPC (grpc_status.h);
//   6. writes one JSON log line (method, code, reason, duration: never the
//      content) and, for agents, administrators and devices, and services
//      acting for them, an audit row; counts the call and its duration in
//      the metrics (metrics.h).
// (gRPC 1.51 interceptors cannot reject a call, hence a wrapper.)
// Server-streaming methods go through the same steps once, when the stream
// opens, and are checked again while open (stream.h).
//
//   grpc::Status Booking::GetAppointment(grpc::ServerContext* ctx, ...) {
//     return gate_->Handle(ctx, kGetAppointment, [&](Call& call) { ... });
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accueil/access/v1/policy.pb.h"
#include "services/common/auth/authenticator.h"
#include "services/common/auth/caller.h"
#include "services/common/clock.h"
#include "services/common/auth/directory.h"
#include "services/common/auth/service_identity.h"
#include "services/common/rate_limiter.h"

namespace accueil {

class Metrics;
class StreamCall;
class StreamRegistry;

// Call is what a handler knows of the call it serves. Not thread-safe (one
// call, one thread).
class Call {
 public:
  const auth::Caller& caller() const { return caller_; }
  const std::string& request_id() const { return request_id_; }

  // AuthorizeSite: the caller must hold one of the policy's roles on
  // `site_id` (0: the call needs a grant on every site, e.g. CreateSite).
  // PERMISSION_DENIED SITE_NOT_ALLOWED otherwise; and an agent must give a
  // reason where the policy asks for one.
  absl::Status AuthorizeSite(int64_t site_id);

  // IsAgent: the caller holds an agent role (lodge, counter, administrator)
  // somewhere.
  bool IsAgent() const;

  // ActorKind: who acts, as events name it (proto/accueil/events/v1):
  // "service" (SERVICE role), "agent" (an agent role), else "public" (no
  // role, or a DEVICE: a kiosk serves the person, who acts with their own
  // code).
  std::string_view ActorKind() const;

  // AuthorizeAgent: for public methods an agent uses on a person's behalf
  // (no access code): an agent role on `site_id` and, when the policy says
  // so, a reason. PERMISSION_DENIED / INVALID_ARGUMENT AGENT_REASON_REQUIRED.
  absl::Status AuthorizeAgent(int64_t site_id);

  // Downstream prepares a call this handler makes to another module on the
  // caller's behalf (peers.h): this process's service token
  // (auth/service_identity.h), the agent it acts for (x-acting-agent: the
  // caller, or the agent a calling service acted for) and their reason, and
  // a request id derived from this call's and `step`.
  void Downstream(grpc::ClientContext* context, std::string_view step) const;

  // acting_agent: the agent (or device) a calling service acts for, from
  // x-acting-agent, believed only from service tokens holding SERVICE; ""
  // otherwise.
  const std::string& acting_agent() const { return acting_agent_; }

  // agent_reason: the agent's reason (x-agent-reason, or -bin), checked as
  // one line of text; "" when none was given.
  const std::string& agent_reason() const { return agent_reason_; }

  // SetResource names what the call acted on, for the audit log.
  void SetResource(std::string name, int64_t site_id) {
    resource_ = std::move(name);
    resource_site_ = site_id;
  }

  // Audited: the gate records this caller's calls (agents, administrators,
  // devices; not the public, not calls between services).
  bool Audited() const;

  // AuditIn writes this call's audit record (outcome OK) in `tx`, the
  // transaction making the change, so that the action and its record commit
  // together; the gate then writes none after a successful call. Name the
  // resource first. Handlers use RunChange (change.h) rather than this.
  void AuditIn(pqxx::transaction_base& tx);

 private:
  friend class Gate;
  // Authorize: a role `role_allowed` admits, held on `site_id` (PUBLIC needs
  // none), and the agent's reason when `reason_needed` and the policy asks.
  absl::Status Authorize(int64_t site_id, const std::function<bool(access::v1::Role)>& role_allowed,
                         bool reason_needed);
  auth::Caller caller_;
  const access::v1::AccessPolicy* policy_ = &access::v1::AccessPolicy::default_instance();
  std::string request_id_;
  auth::ServiceTokens* service_tokens_ = nullptr;
  std::string acting_agent_;
  // The credentials the call was admitted with (a stream's recheck).
  std::string authorization_;
  std::string agent_reason_;
  absl::Time admitted_;  // when the rate limiter counted the call
  std::string resource_;
  int64_t resource_site_ = 0;
  bool site_checked_ = false;
  std::string method_;
  const Clock* clock_ = nullptr;
  bool audited_in_tx_ = false;
  auth::AuditRecord Record(const absl::Status& status) const;
  int64_t checked_site_ = 0;  // the last site Authorize checked
};

struct GateOptions {
  // How often the credentials an open stream was admitted with are checked
  // again (a revoked role or device token, an expired JWT end it).
  absl::Duration stream_recheck = absl::Seconds(30);
  // Threads admitting streams (authentication reads PostgreSQL).
  int stream_admission_threads = 2;
};

// Gate is thread-safe.
class Gate {
 public:
  // `limiter` may be null (no rate limits). `audit` records the calls of
  // agents, administrators and devices, and of services acting for them (the
  // access module's log); `metrics` counts every call. `service_tokens`
  // signs this process's calls to other modules (Call::Downstream); null
  // only where no handler calls one.
  Gate(auth::Authenticator* authenticator, RateLimiter* limiter, auth::AuditLog* audit,
       const Clock* clock, Metrics* metrics, auth::ServiceTokens* service_tokens,
       GateOptions options = {});
  ~Gate();

  // Handle runs `handler` for the method whose full proto name is `method`
  // ("accueil.booking.v1.BookingService.CreateAppointment").
  grpc::Status Handle(grpc::ServerContext* context, std::string_view method,
                      const std::function<absl::Status(Call&)>& handler);

  // Open admits a new server stream on the gate's executor (stream.h's
  // OpenStream calls it); the stream ends with the refusal if any.
  void Open(StreamCall* stream);

  // CloseStreams ends every open stream with UNAVAILABLE SHUTTING_DOWN and
  // refuses new ones (before the server shuts down: it waits for streams).
  void CloseStreams();

  // OpenStreams: streams opened and not yet ended.
  size_t OpenStreams() const;

  // WorkerCall is the Call of a module's background work (a worker acts
  // on nobody's request): no caller, no agent; Downstream signs with this
  // process's service identity, so the worker reaches other modules as a
  // service. `request_id` is the parent of the ids Downstream derives:
  // the same for the same work, so that a retried pass replays.
  Call WorkerCall(std::string request_id) const;

 private:
  friend class StreamCall;
  friend class StreamRegistry;
  absl::Status Admit(grpc::ServerContextBase* context, std::string_view method, Call& call);
  // Receive gives the call its request id (echoed in the response metadata)
  // and copies what admission needs from its metadata, without I/O (a
  // stream's context may be gone by the time it is admitted); Admit(method,
  // call) then authenticates and checks the policy.
  void Receive(grpc::ServerContextBase& context, std::string_view method, Call& call) const;
  absl::Status Admit(std::string_view method, Call& call);
  // Allowed: the caller holds a role of the policy somewhere (or it is public).
  absl::Status Allowed(const Call& call) const;
  // Run runs an admitted call's handler, then the checks every handler owes.
  absl::Status Run(std::string_view method, Call& call,
                   const std::function<absl::Status(Call&)>& handler);
  // Log writes the access line of a call or stream (`messages`: sent).
  void Log(std::string_view event, std::string_view method, const Call& call,
           const absl::Status& status, absl::Time start,
           std::optional<int64_t> messages = std::nullopt) const;
  // AdmitActingAgent checks the x-acting-agent Receive copied.
  absl::Status AdmitActingAgent(Call& call);
  void Audit(std::string_view method, const Call& call, const absl::Status& status);
  // Streams (stream.cc).
  void AdmitStream(StreamCall* stream);
  void StreamEnded(StreamCall* stream);
  // Recheck: the stream's opening credentials still admit it; `callers`
  // caches the callers authenticated during one pass, by credential.
  absl::Status Recheck(const StreamCall& stream,
                       std::map<std::string, absl::StatusOr<auth::Caller>>& callers) const;

  auth::Authenticator* authenticator_;
  RateLimiter* limiter_;
  auth::AuditLog* audit_;
  const Clock* clock_;
  Metrics* metrics_;
  auth::ServiceTokens* service_tokens_;
  std::unique_ptr<StreamRegistry> streams_;
};

// NewRequestId returns a random identifier (hex, 128 bits).
std::string NewRequestId();

}  // namespace accueil
