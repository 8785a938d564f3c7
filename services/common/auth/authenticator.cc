#include "services/common/auth/authenticator.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/auth/credentials.h"
#include "services/common/auth/service_identity.h"
#include "services/common/input/cidr.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil::auth {
namespace {

absl::Status Unauthenticated(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, reason, message);
}

// What gRPC 1.51's in-process transport gives as a call's peer (it sets
// none); the server's listeners are TCP, whose peers are "ipv4:"/"ipv6:".
constexpr char kInProcessPeer[] = "unknown";

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
  RETURN_IF_ERROR(keys->Reload());
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

std::string ClientMetadata(const grpc::ServerContextBase& context, const char* key) {
  auto it = context.client_metadata().find(key);
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

Authenticator::Authenticator(Directory* directory, const Clock* clock, KeyProvider* keys,
                             AuthenticatorOptions options)
    : directory_(directory),
      clock_(clock),
      keys_(keys),
      options_(std::move(options)),
      verifier_(options_.verifier),
      service_verifier_({kServiceIssuer, kServiceAudience, options_.verifier.leeway}) {
  for (const std::string& proxy : options_.trusted_proxies) {
    absl::StatusOr<input::Cidr> block = input::ParseCidr(proxy);
    if (block.ok()) trusted_proxies_.push_back(*block);
  }
}

std::string Authenticator::ClientOf(const grpc::ServerContextBase& context) const {
  std::string peer = PeerAddress(context.peer());
  // A call over the in-process transport comes from this process's own
  // code: in the all-in-one server, the gateway module, which names the
  // person's address in x-forwarded-for (docs/web.md#client-address).
  if (peer == kInProcessPeer) {
    std::string hop = LastForwardedHop(ClientMetadata(context, "x-forwarded-for"));
    return input::ParseIpAddress(hop) ? hop : peer;
  }
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

absl::StatusOr<Caller> Authenticator::Authenticate(const grpc::ServerContextBase& context) const {
  absl::StatusOr<Caller> caller = FromAuthorization(ClientMetadata(context, "authorization"));
  if (caller.ok()) caller->client = ClientOf(context);
  return caller;
}

absl::StatusOr<Caller> Authenticator::FromAuthorization(std::string_view header) const {
  if (header.empty()) return Caller();
  absl::string_view value(header.data(), header.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") || value.empty()) {
    return Unauthenticated("CREDENTIALS_MALFORMED", "expected: authorization: Bearer <token>");
  }
  return absl::StartsWith(value, kDeviceTokenPrefix)
             ? FromDeviceToken(std::string_view(value.data(), value.size()))
             : FromJwt(std::string_view(value.data(), value.size()));
}

absl::StatusOr<Caller> Authenticator::FromJwt(std::string_view token) const {
  if (ClaimedIssuer(token) == kServiceIssuer) return FromServiceJwt(token);
  if (keys_ == nullptr) {
    return Unauthenticated("TOKEN_NOT_ACCEPTED", "this server accepts no agent tokens");
  }
  std::shared_ptr<const KeySet> keys = keys_->Keys();
  ASSIGN_OR_RETURN(Claims claims, verifier_.Verify(token, *keys, clock_->Now()));
  if (absl::StartsWith(claims.subject, kServiceSubjectPrefix)) {
    // Role bindings are keyed by subject: an agent named "service:booking"
    // at the provider must not hold the booking service's roles.
    return Unauthenticated("TOKEN_SUBJECT", "service subjects come only with service tokens");
  }
  ASSIGN_OR_RETURN(std::vector<Grant> grants, directory_->GrantsOf(claims.subject));
  Caller caller;
  caller.subject = claims.subject;
  caller.authenticated = true;
  caller.grants = std::move(grants);
  return caller;
}

absl::StatusOr<Caller> Authenticator::FromServiceJwt(std::string_view token) const {
  if (options_.service_keys == nullptr) {
    return Unauthenticated("TOKEN_NOT_ACCEPTED", "this server accepts no service tokens");
  }
  std::shared_ptr<const KeySet> keys = options_.service_keys->Keys();
  ASSIGN_OR_RETURN(Claims claims, service_verifier_.Verify(token, *keys, clock_->Now()));
  if (!IsServiceSubject(claims.subject)) {
    return Unauthenticated("TOKEN_SUBJECT", "a service token names a service: subject");
  }
  ASSIGN_OR_RETURN(std::vector<Grant> grants, directory_->GrantsOf(claims.subject));
  Caller caller;
  caller.subject = claims.subject;
  caller.authenticated = true;
  caller.service = true;
  caller.grants = std::move(grants);
  if (!caller.Holds(access::v1::SERVICE)) {
    // A misconfigured service fails loudly rather than acting as the public.
    return Error(absl::StatusCode::kPermissionDenied, "SERVICE_NOT_BOUND",
                 absl::StrCat(claims.subject,
                              " holds no SERVICE role: bind it with `accueil-server "
                              "grant-service ",
                              claims.subject, "`"));
  }
  return caller;
}

absl::StatusOr<Caller> Authenticator::FromDeviceToken(std::string_view token) const {
  ASSIGN_OR_RETURN(DeviceTokenParts parts, ParseDeviceToken(token));
  ASSIGN_OR_RETURN(int64_t site, directory_->DeviceSite(parts.id, parts.secret));
  Caller caller;
  caller.subject = absl::StrCat("devices/", parts.id);
  caller.authenticated = true;
  caller.grants.push_back({access::v1::DEVICE, site});
  return caller;
}

}  // namespace accueil::auth
