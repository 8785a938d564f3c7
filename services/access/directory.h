// The access module's tables behind the gate's interfaces
// (services/common/auth/directory.h): role bindings and device tokens
// (access.role_bindings, access.device_tokens) and the audit log
// (access.audit_log). Every process links them, whether or not it serves
// the AccessService: authenticating a call cannot wait on another process.
#pragma once

#include "services/common/auth/directory.h"
#include "services/common/db.h"
#include "services/common/secrets.h"

namespace accueil::access {

class Directory final : public auth::Directory {
 public:
  Directory(db::Pool* pool, const Secrets* secrets);
  absl::StatusOr<std::vector<auth::Grant>> GrantsOf(const std::string& subject) override;
  absl::StatusOr<int64_t> DeviceSite(int64_t id, std::string_view secret) override;
  absl::Status Bind(const std::string& subject, auth::Role role, int64_t site_id,
                    const std::string& granted_by, absl::Time time) override;

  // NewDeviceToken returns a fresh token for device `id` and the keyed hash
  // to store (under the signing key `key_id`).
  struct DeviceSecret {
    std::string key_id;
    std::string token;
    std::string secret_hash;
  };
  DeviceSecret NewDeviceToken(int64_t id) const;

 private:
  db::Pool* pool_;
  const Secrets* secrets_;
};

}  // namespace accueil::access
