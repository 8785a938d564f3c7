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
//      acting for them, an audit row.
// (gRPC 1.51 interceptors cannot reject a call, hence a wrapper.)
//
//   grpc::Status Booking::GetAppointment(grpc::ServerContext* ctx, ...) {
//     return gate_->Handle(ctx, kGetAppointment, [&](Call& call) { ... });
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "accueil/access/v1/policy.pb.h"
#include "services/common/auth/authenticator.h"
#include "services/common/auth/caller.h"
#include "services/common/clock.h"
#include "services/common/auth/directory.h"
#include "services/common/auth/service_identity.h"
#include "services/common/rate_limiter.h"

namespace accueil {

// Call is what a handler knows of the call it serves. Not thread-safe (one
// call, one thread).
class Call {
 public:
  const auth::Caller& caller() const { return caller_; }

  // AuthorizeSite: the caller must hold one of the policy's roles on
  // `site_id` (0: the call needs a grant on every site, e.g. CreateSite).
  // PERMISSION_DENIED SITE_NOT_ALLOWED otherwise; and an agent must give a
  // reason where the policy asks for one.
  absl::Status AuthorizeSite(int64_t site_id);

  // IsAgent: the caller holds an agent role (lodge, counter, administrator)
  // somewhere.
  bool IsAgent() const;

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

  // SetResource names what the call acted on, for the audit log.
  void SetResource(std::string name, int64_t site_id) {
    resource_ = std::move(name);
    resource_site_ = site_id;
  }

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
  std::string agent_reason_;
  absl::Time admitted_;  // when the rate limiter counted the call
  std::string resource_;
  int64_t resource_site_ = 0;
  bool site_checked_ = false;
};

// Gate is thread-safe.
class Gate {
 public:
  // `limiter` may be null (no rate limits). `audit` records the calls of
  // agents, administrators and devices, and of services acting for them (the
  // access module's log). `service_tokens` signs this process's calls to
  // other modules (Call::Downstream); null only where no handler calls one.
  Gate(auth::Authenticator* authenticator, RateLimiter* limiter, auth::AuditLog* audit,
       const Clock* clock, auth::ServiceTokens* service_tokens);

  // Handle runs `handler` for the method whose full proto name is `method`
  // ("accueil.booking.v1.BookingService.CreateAppointment").
  grpc::Status Handle(grpc::ServerContext* context, std::string_view method,
                      const std::function<absl::Status(Call&)>& handler);

 private:
  absl::Status Admit(grpc::ServerContext* context, std::string_view method, Call& call);
  absl::Status AdmitActingAgent(const grpc::ServerContext& context, Call& call);
  void Audit(std::string_view method, const Call& call, const absl::Status& status);

  auth::Authenticator* authenticator_;
  RateLimiter* limiter_;
  auth::AuditLog* audit_;
  const Clock* clock_;
  auth::ServiceTokens* service_tokens_;
};

// NewRequestId returns a random identifier (hex, 128 bits).
std::string NewRequestId();

}  // namespace accueil
