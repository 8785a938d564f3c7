#include "services/common/gate.h"

#include <google/protobuf/descriptor.h>
#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/errors.h"
#include "services/common/grpc_status.h"
#include "services/common/idempotency.h"
#include "services/common/input/input.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil {
namespace {

using access::v1::Role;

// A client-chosen id is echoed in logs, so it must be a harmless token.
bool IsSafeToken(std::string_view id, size_t max) {
  if (id.empty() || id.size() > max) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// PolicyOf reads the method's option (it lives as long as the generated
// descriptors: no copy per call); a method without one gets an empty policy,
// which admits nobody.
const access::v1::AccessPolicy& PolicyOf(std::string_view method) {
  const google::protobuf::MethodDescriptor* m =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(std::string(method));
  if (m == nullptr) return access::v1::AccessPolicy::default_instance();
  return m->options().GetExtension(access::v1::access);
}

bool Allows(const access::v1::AccessPolicy& policy, Role role) {
  for (int r : policy.roles()) {
    if (r == role) return true;
  }
  return false;
}

constexpr char kActingAgentHeader[] = "x-acting-agent";

constexpr Role kAgentRoles[] = {access::v1::LODGE_AGENT, access::v1::COUNTER_AGENT,
                                access::v1::ADMINISTRATOR};

}  // namespace

std::string NewRequestId() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

absl::Status Call::Authorize(int64_t site_id, const std::function<bool(Role)>& role_allowed,
                             bool reason_needed) {
  site_checked_ = true;
  if (resource_site_ == 0) resource_site_ = site_id;
  bool allowed = false;
  for (int r = access::v1::Role_MIN; r <= access::v1::Role_MAX && !allowed; ++r) {
    allowed = access::v1::Role_IsValid(r) && role_allowed(static_cast<Role>(r)) &&
              (r == access::v1::PUBLIC || caller_.HoldsOn(static_cast<Role>(r), site_id));
  }
  if (!allowed && !caller_.authenticated) {
    // The public reached an agent's path (the agent channel, acting without
    // an access code): what is missing is a sign-in, not a site.
    return Error(absl::StatusCode::kUnauthenticated, "AUTHENTICATION_REQUIRED",
                 "this needs an agent's sign-in");
  }
  if (!allowed) {
    return Error(
        absl::StatusCode::kPermissionDenied, "SITE_NOT_ALLOWED",
        site_id == 0 ? "this needs a role on every site" : "your role does not cover this site");
  }
  if (reason_needed && policy_->agent_reason_required() && agent_reason_.empty()) {
    return InvalidField("AGENT_REASON_REQUIRED", "x-agent-reason",
                        "say why you act on this person's behalf");
  }
  return absl::OkStatus();
}

absl::Status Call::AuthorizeSite(int64_t site_id) {
  return Authorize(
      site_id, [&](Role r) { return Allows(*policy_, r); }, IsAgent());
}

void Call::Downstream(grpc::ClientContext* context, std::string_view step) const {
  context->AddMetadata("authorization", service_tokens_->Bearer());
  // The agent behind the call: a service passes on the one it acts for.
  std::string agent = caller_.service         ? acting_agent_
                      : caller_.authenticated ? caller_.subject
                                              : std::string();
  if (!agent.empty()) context->AddMetadata(kActingAgentHeader, agent);
  if (!agent_reason_.empty()) context->AddMetadata("x-agent-reason-bin", agent_reason_);
  context->AddMetadata("x-request-id", DerivedRequestId(request_id_, step));
}

bool Call::IsAgent() const {
  for (Role r : kAgentRoles) {
    if (caller_.Holds(r)) return true;
  }
  return false;
}

absl::Status Call::AuthorizeAgent(int64_t site_id) {
  return Authorize(
      site_id,
      [](Role r) {
        return std::find(std::begin(kAgentRoles), std::end(kAgentRoles), r) !=
               std::end(kAgentRoles);
      },
      /*reason_needed=*/true);
}

Gate::Gate(auth::Authenticator* authenticator, RateLimiter* limiter, auth::AuditLog* audit,
           const Clock* clock, auth::ServiceTokens* service_tokens)
    : authenticator_(authenticator),
      limiter_(limiter),
      audit_(audit),
      clock_(clock),
      service_tokens_(service_tokens) {}

// AdmitActingAgent believes x-acting-agent only from a service token whose
// subject holds SERVICE: from anyone else it would let a caller write
// another agent's name into the audit log.
absl::Status Gate::AdmitActingAgent(const grpc::ServerContext& context, Call& call) {
  std::string agent = auth::ClientMetadata(context, kActingAgentHeader);
  if (agent.empty()) return absl::OkStatus();
  if (!call.caller_.service || !call.caller_.Holds(Role::SERVICE)) {
    return WithField(Error(absl::StatusCode::kPermissionDenied, "ACTING_AGENT_NOT_ALLOWED",
                           "only a service may act for an agent"),
                     kActingAgentHeader);
  }
  bool valid = agent.size() <= 200 && agent != "public" &&
               !absl::StartsWith(agent, auth::kServiceSubjectPrefix);
  for (char c : agent) valid = valid && c > 0x20 && c < 0x7f;
  if (!valid) {
    return InvalidField("INVALID_ACTING_AGENT", kActingAgentHeader,
                        "the subject of an agent or device: 1 to 200 printable ASCII characters");
  }
  call.acting_agent_ = std::move(agent);
  return absl::OkStatus();
}

absl::Status Gate::Admit(grpc::ServerContext* context, std::string_view method, Call& call) {
  call.policy_ = &PolicyOf(method);
  ASSIGN_OR_RETURN(call.caller_, authenticator_->Authenticate(*context));
  call.service_tokens_ = service_tokens_;
  RETURN_IF_ERROR(AdmitActingAgent(*context, call));
  // The agent's reason: x-agent-reason-bin carries UTF-8 (any script),
  // x-agent-reason plain ASCII (gRPC metadata).
  std::string reason = auth::ClientMetadata(*context, "x-agent-reason-bin");
  if (reason.empty()) reason = auth::ClientMetadata(*context, "x-agent-reason");
  if (!reason.empty()) {
    absl::StatusOr<std::string> text = reason.size() > 2000
                                           ? absl::InvalidArgumentError("too long")
                                           : input::ParseFreeText(reason, "x-agent-reason", 500);
    if (!text.ok()) {
      return InvalidField("INVALID_AGENT_REASON", "x-agent-reason",
                          "one line of at most 500 characters");
    }
    call.agent_reason_ = *text;
  }
  if (call.policy_->roles_size() == 0) {
    log::Error("rpc.no_policy", {{"method", method}});
    return Error(absl::StatusCode::kPermissionDenied, "NO_POLICY",
                 "this method declares no access policy");
  }
  if (call.caller_.IsPublic() && limiter_ != nullptr) {
    call.admitted_ = clock_->Now();
    RETURN_IF_ERROR(
        limiter_->Admit(call.caller_.client, call.policy_->rate_limit(), call.admitted_));
  }
  if (Allows(*call.policy_, access::v1::PUBLIC)) return absl::OkStatus();
  for (const auth::Grant& g : call.caller_.grants) {
    if (Allows(*call.policy_, g.role)) return absl::OkStatus();
  }
  if (!call.caller_.authenticated) {
    return Error(absl::StatusCode::kUnauthenticated, "AUTHENTICATION_REQUIRED",
                 "sign in to do this");
  }
  return Error(
      absl::StatusCode::kPermissionDenied, "ROLE_REQUIRED",
      call.caller_.grants.empty() ? "your account holds no role" : "your role does not allow this");
}

grpc::Status Gate::Handle(grpc::ServerContext* context, std::string_view method,
                          const std::function<absl::Status(Call&)>& handler) {
  absl::Time start = absl::Now();
  Call call;
  std::string client_id = auth::ClientMetadata(*context, "x-request-id");
  call.request_id_ = IsSafeToken(client_id, 64) ? client_id : NewRequestId();
  context->AddInitialMetadata("x-request-id", call.request_id_);

  absl::Status status = Admit(context, method, call);
  if (status.ok()) {
    try {
      status = handler(call);
    } catch (const std::exception& e) {
      log::Error("rpc.exception",
                 {{"request_id", call.request_id_}, {"method", method}, {"what", e.what()}});
      status = Error(absl::StatusCode::kInternal, "INTERNAL", "internal error");
    }
    if (status.code() == absl::StatusCode::kInvalidArgument && call.caller_.IsPublic() &&
        limiter_ != nullptr) {
      // A malformed request books nothing: it does not count towards the cap.
      limiter_->Withdraw(call.caller_.client, call.policy_->rate_limit(), call.admitted_);
    }
    if (status.ok() && call.policy_->site_scoped() && !call.site_checked_) {
      // Deny by default: a site-scoped handler must say which site it touched.
      log::Error("rpc.site_unchecked", {{"method", method}});
      status = Error(absl::StatusCode::kInternal, "SITE_UNCHECKED", "internal error");
    }
  }
  std::string millis = absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - start));
  std::string code = absl::StatusCodeToString(status.code());
  std::string reason = ErrorReason(status);
  // One access line per call: method, outcome, duration; never the content.
  auto line = {log::Field{"request_id", call.request_id_}, log::Field{"method", method},
               log::Field{"code", code}, log::Field{"reason", reason}, log::Field{"ms", millis}};
  if (status.code() == absl::StatusCode::kInternal) {
    log::Error("rpc", line);
  } else {
    log::Info("rpc", line);
  }
  if (call.caller_.authenticated) Audit(method, call, status);
  return ToGrpcStatus(status);
}

void Gate::Audit(std::string_view method, const Call& call, const absl::Status& status) {
  // Calls between services are many and carry no agent decision, unless
  // the service acts for an agent: then the row names both.
  bool only_service = !call.caller_.grants.empty() && call.acting_agent_.empty();
  for (const auth::Grant& g : call.caller_.grants) {
    only_service = only_service && g.role == access::v1::SERVICE;
  }
  if (only_service) return;
  absl::Status written =
      audit_->Record({clock_->Now(), call.caller_.subject, call.caller_.RoleNames(),
                      std::string(method), call.resource_, call.resource_site_, call.agent_reason_,
                      CodeName(status.code()), call.acting_agent_});
  if (!written.ok()) {
    log::Error("audit.write_failed", {{"request_id", call.request_id_}, {"method", method}});
  }
}

}  // namespace accueil
