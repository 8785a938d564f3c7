#include "services/common/auth/authenticator.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/auth/credentials.h"
#include "services/common/input/cidr.h"
#include "services/common/errors.h"
#include "services/common/log.h"

namespace accueil::auth {
namespace {

absl::Status Unauthenticated(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, reason, message);
}

// PeerAddress reads "ipv4:1.2.3.4:5678" / "ipv6:[::1]:5678" as the address.
std::string PeerAddress(const std::string& peer) {
  absl::string_view p = peer;
  if (absl::ConsumePrefix(&p, "ipv4:")) return std::string(p.substr(0, p.rfind(':')));
  if (absl::ConsumePrefix(&p, "ipv6:")) {
    p = p.substr(0, p.rfind(':'));
    absl::ConsumePrefix(&p, "[");
    absl::ConsumeSuffix(&p, "]");
    return std::string(p);
  }
  return peer;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwksFileKeys>> JwksFileKeys::Load(const std::string& path) {
  std::unique_ptr<JwksFileKeys> keys(new JwksFileKeys(path));
  absl::MutexLock lock(&keys->mu_);
  if (absl::Status s = keys->Reload(); !s.ok()) return s;
  return keys;
}

absl::Status JwksFileKeys::Reload() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("JWKS: cannot read ", path_));
  }
  int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (keys_ != nullptr && mtime == mtime_ns_) return absl::OkStatus();
  std::ifstream in(path_);
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<KeySet> parsed = KeySet::FromJwks(text.str());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS: ", path_, " is not a valid JWKS"));
  }
  keys_ = std::make_shared<const KeySet>(std::move(*parsed));
  mtime_ns_ = mtime;
  return absl::OkStatus();
}

std::shared_ptr<const KeySet> JwksFileKeys::Keys() {
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  if (now - checked_ >= absl::Seconds(1)) {
    checked_ = now;
    if (absl::Status s = Reload(); !s.ok()) {
      log::Error("jwks.reload_failed", {{"path", path_}});  // keep the old keys
    }
  }
  return keys_;
}

void StaticKeys::Set(KeySet keys) {
  absl::MutexLock lock(&mu_);
  keys_ = std::make_shared<const KeySet>(std::move(keys));
}

std::shared_ptr<const KeySet> StaticKeys::Keys() {
  absl::MutexLock lock(&mu_);
  return keys_;
}

std::string ClientMetadata(const grpc::ServerContext& context, const char* key) {
  auto it = context.client_metadata().find(key);
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

Authenticator::Authenticator(db::Pool* pool, const Secrets* secrets, const Clock* clock,
                             KeyProvider* keys, AuthenticatorOptions options)
    : pool_(pool),
      secrets_(secrets),
      clock_(clock),
      keys_(keys),
      options_(std::move(options)),
      verifier_(options_.verifier) {
  for (const std::string& proxy : options_.trusted_proxies) {
    absl::StatusOr<input::Cidr> block = input::ParseCidr(proxy);
    if (block.ok()) trusted_proxies_.push_back(*block);
  }
  pool_->Prepare("access_grants_of",
                 "SELECT role, coalesce(site_id, 0) FROM access.role_bindings "
                 "WHERE subject = $1 AND revoke_time IS NULL");
  pool_->Prepare("access_device_token",
                 "SELECT site_id, encode(secret_hash, 'hex') FROM access.device_tokens "
                 "WHERE id = $1 AND revoke_time IS NULL");
  // A token whose hash was made under an older key of the ring moves to the
  // signing key when it is used, so that the older key can be retired.
  pool_->Prepare("access_device_token_rehash",
                 "UPDATE access.device_tokens SET secret_hash = decode($3, 'hex'), "
                 "key_id = $4 WHERE id = $1 AND secret_hash = decode($2, 'hex')");
}

std::string Authenticator::ClientOf(const grpc::ServerContext& context) const {
  std::string peer = PeerAddress(context.peer());
  if (trusted_proxies_.empty()) return peer;
  std::optional<input::IpAddress> address = input::ParseIpAddress(peer);
  if (!address) return peer;
  for (const input::Cidr& proxy : trusted_proxies_) {
    if (!input::Contains(proxy, *address)) continue;
    std::string forwarded = ClientMetadata(context, "x-forwarded-for");
    if (forwarded.empty()) break;
    // What the proxy appended must be an address; else the proxy itself
    // counts, rather than one bucket shared by every malformed header.
    std::string hop = LastForwardedHop(forwarded);
    if (!input::ParseIpAddress(hop)) break;
    return hop;
  }
  return peer;
}

absl::StatusOr<Caller> Authenticator::Authenticate(const grpc::ServerContext& context) const {
  std::string header = ClientMetadata(context, "authorization");
  absl::StatusOr<Caller> caller = Caller();
  if (!header.empty()) {
    absl::string_view value = header;
    if (!absl::ConsumePrefix(&value, "Bearer ") || value.empty()) {
      return Unauthenticated("CREDENTIALS_MALFORMED", "expected: authorization: Bearer <token>");
    }
    caller = absl::StartsWith(value, kDeviceTokenPrefix)
                 ? FromDeviceToken(std::string_view(value.data(), value.size()))
                 : FromJwt(std::string_view(value.data(), value.size()));
  }
  if (caller.ok()) caller->client = ClientOf(context);
  return caller;
}

absl::StatusOr<Caller> Authenticator::FromJwt(std::string_view token) const {
  if (keys_ == nullptr) {
    return Unauthenticated("TOKEN_NOT_ACCEPTED", "this server accepts no agent tokens");
  }
  std::shared_ptr<const KeySet> keys = keys_->Keys();
  absl::StatusOr<Claims> claims = verifier_.Verify(token, *keys, clock_->Now());
  if (!claims.ok()) return claims.status();
  Caller caller;
  caller.subject = claims->subject;
  caller.authenticated = true;
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    for (const auto& row : tx.exec_prepared("access_grants_of", caller.subject)) {
      access::v1::Role role = access::v1::ROLE_UNSPECIFIED;
      if (access::v1::Role_Parse(row[0].as<std::string>(), &role)) {
        caller.grants.push_back({role, row[1].as<int64_t>()});
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return caller;
}

Authenticator::DeviceSecret Authenticator::NewDeviceToken(int64_t id) const {
  unsigned char bytes[24];
  randombytes_buf(bytes, sizeof bytes);
  std::string secret = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  return {secrets_->KeyIds().front(), DeviceTokenText(id, secret),
          absl::BytesToHexString(secrets_->Mac("device-token", secret))};
}

absl::StatusOr<Caller> Authenticator::FromDeviceToken(std::string_view token) const {
  absl::StatusOr<DeviceTokenParts> parts = ParseDeviceToken(token);
  if (!parts.ok()) return parts.status();
  const int64_t id = parts->id;
  const absl::Status bad = DeviceTokenInvalid();
  std::vector<std::string> expected = secrets_->Macs("device-token", parts->secret);
  Caller caller;
  absl::Status s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("access_device_token", id);
    if (r.empty()) return bad;
    std::string stored = r[0][1].as<std::string>();
    int matched = -1;
    for (size_t i = 0; i < expected.size(); ++i) {
      if (Secrets::Equal(stored, absl::BytesToHexString(expected[i])))
        matched = static_cast<int>(i);
    }
    if (matched < 0) return bad;
    if (matched > 0) {
      tx.exec_prepared("access_device_token_rehash", id, stored,
                       absl::BytesToHexString(expected[0]), secrets_->KeyIds().front());
    }
    caller.subject = absl::StrCat("devices/", id);
    caller.authenticated = true;
    caller.grants.push_back({access::v1::DEVICE, r[0][0].as<int64_t>()});
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return caller;
}

}  // namespace accueil::auth
