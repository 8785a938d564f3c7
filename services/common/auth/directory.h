// What the gate needs to know about callers and to record about their calls,
// as interfaces: the access module owns the tables behind them
// (services/access/directory.h) and provides them to every process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/auth/caller.h"

namespace accueil::auth {

// Directory: who holds which role where, and the devices. Thread-safe.
class Directory {
 public:
  virtual ~Directory() = default;
  // GrantsOf: the active role grants of an OpenID subject.
  virtual absl::StatusOr<std::vector<Grant>> GrantsOf(const std::string& subject) = 0;
  // DeviceSite: the site of live device `id` whose token secret is `secret`;
  // UNAUTHENTICATED DEVICE_TOKEN_INVALID otherwise.
  virtual absl::StatusOr<int64_t> DeviceSite(int64_t id, std::string_view secret) = 0;
  // Bind grants `role` on `site_id` (0: every site) to `subject` outside the
  // API (the development issuer, `accueil-server grant-admin`); idempotent.
  virtual absl::Status Bind(const std::string& subject, Role role, int64_t site_id,
                            const std::string& granted_by, absl::Time time) = 0;
};

// One audited call: who, as what, for whom, did what to which resource, why,
// outcome.
struct AuditRecord {
  absl::Time time;
  std::string subject;
  std::string roles;  // Caller::RoleNames()
  std::string method;
  std::string resource;
  int64_t site_id = 0;
  std::string reason;
  std::string outcome;  // gRPC code name
  // The agent (or device) a service acted for (x-acting-agent); "" when the
  // subject acted for itself.
  std::string acting_for;
};

// AuditLog: the append-only trail of agents', administrators' and devices'
// calls. Thread-safe.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual absl::Status Record(const AuditRecord& record) = 0;
};

}  // namespace accueil::auth
