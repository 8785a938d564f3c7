#include "services/access/directory.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/auth/credentials.h"
#include "services/common/status_macros.h"

namespace accueil::access {

Directory::Directory(db::Pool* pool, const Secrets* secrets) : pool_(pool), secrets_(secrets) {
  pool_->Prepare("access_grants_of",
                 "SELECT role, coalesce(site_id, 0) AS site_id FROM access.role_bindings "
                 "WHERE subject = $1 AND revoke_time IS NULL");
  pool_->Prepare("access_device_token",
                 "SELECT site_id, encode(secret_hash, 'hex') AS secret_hash "
                 "FROM access.device_tokens WHERE id = $1 AND revoke_time IS NULL");
  // A token whose hash was made under an older key of the ring moves to the
  // signing key when it is used, so that the older key can be retired.
  pool_->Prepare("access_device_token_rehash",
                 "UPDATE access.device_tokens SET secret_hash = decode($3, 'hex'), "
                 "key_id = $4 WHERE id = $1 AND secret_hash = decode($2, 'hex')");
  pool_->Prepare("access_bind",
                 "INSERT INTO access.role_bindings (subject, role, site_id, granted_by, "
                 "grant_time) VALUES ($1, $2, NULLIF($3::bigint, 0), $4, $5::timestamptz) "
                 "ON CONFLICT DO NOTHING");
}

absl::StatusOr<std::vector<auth::Grant>> Directory::GrantsOf(const std::string& subject) {
  std::vector<auth::Grant> grants;
  RETURN_IF_ERROR(pool_->Run([&](pqxx::connection& c) -> absl::Status {
    grants.clear();
    pqxx::nontransaction tx(c);
    for (const pqxx::row& row : tx.exec_prepared("access_grants_of", subject)) {
      auth::Role role = auth::Role::ROLE_UNSPECIFIED;
      if (access::v1::Role_Parse(row["role"].as<std::string>(), &role)) {
        grants.push_back({role, row["site_id"].as<int64_t>()});
      }
    }
    return absl::OkStatus();
  }));
  return grants;
}

absl::StatusOr<int64_t> Directory::DeviceSite(int64_t id, std::string_view secret) {
  const absl::Status bad = auth::DeviceTokenInvalid();
  std::vector<std::string> expected = secrets_->Macs("device-token", secret);
  return pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("access_device_token", id);
    if (r.empty()) return bad;
    std::string stored = r[0]["secret_hash"].as<std::string>();
    int matched = -1;
    for (size_t i = 0; i < expected.size(); ++i) {
      if (Secrets::Equal(stored, absl::BytesToHexString(expected[i]))) {
        matched = static_cast<int>(i);
      }
    }
    if (matched < 0) return bad;
    if (matched > 0) {
      tx.exec_prepared("access_device_token_rehash", id, stored,
                       absl::BytesToHexString(expected[0]), secrets_->KeyIds().front());
    }
    return r[0]["site_id"].as<int64_t>();
  });
}

absl::Status Directory::Bind(const std::string& subject, auth::Role role, int64_t site_id,
                             const std::string& granted_by, absl::Time time) {
  return pool_->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("access_bind", subject, access::v1::Role_Name(role), site_id, granted_by,
                     db::SqlTime(time));
    return absl::OkStatus();
  });
}

Directory::DeviceSecret Directory::NewDeviceToken(int64_t id) const {
  unsigned char bytes[24];
  randombytes_buf(bytes, sizeof bytes);
  std::string secret = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  return {secrets_->KeyIds().front(), auth::DeviceTokenText(id, secret),
          absl::BytesToHexString(secrets_->Mac("device-token", secret))};
}

AuditLog::AuditLog(db::Pool* pool) : pool_(pool) {
  pool_->Prepare("access_audit",
                 "INSERT INTO access.audit_log (time, subject, roles, method, resource, "
                 "site_id, reason, outcome, acting_for) VALUES ($1::timestamptz, $2, $3, $4, "
                 "$5, NULLIF($6, 0), $7, $8, $9)");
}

absl::Status AuditLog::Record(const auth::AuditRecord& r) {
  return pool_->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("access_audit", db::SqlTime(r.time), r.subject, r.roles, r.method, r.resource,
                     r.site_id, r.reason, r.outcome, r.acting_for);
    return absl::OkStatus();
  });
}

}  // namespace accueil::access
