#include "services/common/gate.h"

#include <google/protobuf/descriptor.h>
#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/audit.h"
#include "services/common/errors.h"
#include "services/common/grpc_status.h"
#include "services/common/idempotency.h"
#include "services/common/input/input.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/common/stream.h"

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
  checked_site_ = site_id;
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

Call Gate::WorkerCall(std::string request_id) const {
  Call call;
  call.request_id_ = std::move(request_id);
  call.service_tokens_ = service_tokens_;
  call.clock_ = clock_;
  return call;
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
           const Clock* clock, Metrics* metrics, auth::ServiceTokens* service_tokens,
           GateOptions options)
    : authenticator_(authenticator),
      limiter_(limiter),
      audit_(audit),
      clock_(clock),
      metrics_(metrics),
      service_tokens_(service_tokens),
      streams_(std::make_unique<StreamRegistry>(this, options)) {}

Gate::~Gate() = default;

absl::Status Gate::Admit(grpc::ServerContextBase* context, std::string_view method, Call& call) {
  Receive(*context, method, call);
  return Admit(method, call);
}

void Gate::Receive(grpc::ServerContextBase& context, std::string_view method, Call& call) const {
  std::string client_id = auth::ClientMetadata(context, "x-request-id");
  call.request_id_ = IsSafeToken(client_id, 64) ? client_id : NewRequestId();
  context.AddInitialMetadata("x-request-id", call.request_id_);
  call.policy_ = &PolicyOf(method);
  call.method_ = std::string(method);
  call.clock_ = clock_;
  call.authorization_ = auth::ClientMetadata(context, "authorization");
  call.acting_agent_ = auth::ClientMetadata(context, kActingAgentHeader);  // checked by Admit
  call.caller_.client = authenticator_->ClientOf(context);
  // The agent's reason: x-agent-reason-bin carries UTF-8 (any script),
  // x-agent-reason plain ASCII (gRPC metadata). Checked by Admit.
  call.agent_reason_ = auth::ClientMetadata(context, "x-agent-reason-bin");
  if (call.agent_reason_.empty())
    call.agent_reason_ = auth::ClientMetadata(context, "x-agent-reason");
}

// AdmitActingAgent believes x-acting-agent (read by Receive) only from a
// service token whose subject holds SERVICE: from anyone else it would let a
// caller write another agent's name into the audit log.
absl::Status Gate::AdmitActingAgent(Call& call) {
  std::string agent = std::move(call.acting_agent_);
  call.acting_agent_.clear();
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

absl::Status Gate::Admit(std::string_view method, Call& call) {
  std::string client = std::move(call.caller_.client);
  ASSIGN_OR_RETURN(call.caller_, authenticator_->FromAuthorization(call.authorization_));
  call.caller_.client = std::move(client);
  call.service_tokens_ = service_tokens_;
  RETURN_IF_ERROR(AdmitActingAgent(call));
  std::string reason = std::move(call.agent_reason_);
  call.agent_reason_.clear();
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
  return Allowed(call);
}

absl::Status Gate::Allowed(const Call& call) const {
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
  absl::Status status = Admit(context, method, call);
  if (status.ok()) status = Run(method, call, handler);
  Log("rpc", method, call, status, start);
  // A change's record is already committed with it; a failed change's
  // record rolled back with it, and the refusal is recorded now.
  if (call.Audited() && !(status.ok() && call.audited_in_tx_)) Audit(method, call, status);
  return ToGrpcStatus(status);
}

std::string_view Call::ActorKind() const {
  if (caller_.Holds(access::v1::SERVICE)) return "service";
  return IsAgent() ? "agent" : "public";
}

bool Call::Audited() const {
  if (!caller_.authenticated) return false;
  if (!acting_agent_.empty()) return true;  // a service acting for an agent
  // Calls between services are many and carry no agent decision.
  for (const auth::Grant& g : caller_.grants) {
    if (g.role != access::v1::SERVICE) return true;
  }
  return caller_.grants.empty();
}

auth::AuditRecord Call::Record(const absl::Status& status) const {
  return {clock_->Now(),  caller_.subject, caller_.RoleNames(),     method_,      resource_,
          resource_site_, agent_reason_,   CodeName(status.code()), acting_agent_};
}

void Call::AuditIn(pqxx::transaction_base& tx) {
  if (!Audited()) return;
  events::AppendAudit(tx, Record(absl::OkStatus()));
  audited_in_tx_ = true;
}

absl::Status Gate::Run(std::string_view method, Call& call,
                       const std::function<absl::Status(Call&)>& handler) {
  absl::Status status;
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
  return status;
}

void Gate::Log(std::string_view event, std::string_view method, const Call& call,
               const absl::Status& status, absl::Time start,
               std::optional<int64_t> messages) const {
  absl::Duration elapsed = absl::Now() - start;
  metrics_->RecordCall(method, status.code(), elapsed);
  std::string millis = absl::StrCat(absl::ToDoubleMilliseconds(elapsed));
  std::string code = absl::StatusCodeToString(status.code());
  std::string reason = ErrorReason(status);
  auto write = [&](std::initializer_list<log::Field> fields) {
    if (status.code() == absl::StatusCode::kInternal) {
      log::Error(event, fields);
    } else {
      log::Info(event, fields);
    }
  };
  // One access line per call or stream: method, outcome, duration (and for
  // a stream the messages sent); never the content.
  log::Field id{"request_id", call.request_id_};
  if (messages) {
    write({id,
           {"method", method},
           {"code", code},
           {"reason", reason},
           {"ms", millis},
           {"messages", absl::StrCat(*messages)}});
  } else {
    write({id, {"method", method}, {"code", code}, {"reason", reason}, {"ms", millis}});
  }
}

void Gate::Audit(std::string_view method, const Call& call, const absl::Status& status) {
  absl::Status written = audit_->Record(call.Record(status));
  if (!written.ok()) {
    log::Error("audit.write_failed", {{"request_id", call.request_id_}, {"method", method}});
  }
}

}  // namespace accueil
