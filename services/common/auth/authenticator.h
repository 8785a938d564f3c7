// Authenticator: turns a call's credentials into a Caller.
//
//   - No `authorization` metadata: the public.
//   - `Bearer <JWT>`: an agent or service account authenticated by the OpenID
//     Connect provider (ProConnect in production, the development issuer
//     locally); its roles come from the Directory (the access module).
//   - `Bearer <JWT>` whose `iss` is the service issuer: another module of
//     this deployment (service_identity.h), verified against the service
//     JWKS; its subject ("service:<name>") must hold a SERVICE binding.
//     Agents' tokens may not claim a "service:" subject.
//   - `Bearer dt1.<id>.<secret>`: a device token (kiosk, display), bound to
//     one site, revocable.
// A credential that is present but wrong is UNAUTHENTICATED, never "public".
//
// The client identity for rate limits is the peer address, or, when the peer
// is a configured trusted proxy or this very process (an in-process call,
// the gateway's), the last address of x-forwarded-for.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/server_context.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/common/auth/caller.h"
#include "services/common/auth/jwt.h"
#include "services/common/clock.h"
#include "services/common/auth/directory.h"
#include "services/common/input/cidr.h"

namespace accueil::auth {

// KeyProvider supplies the identity provider's current public keys.
// Thread-safe.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  virtual std::shared_ptr<const KeySet> Keys() = 0;
};

// JwksFileKeys reads a JWKS file and reloads it when it changes (checked at
// most once a second), so keys rotate without a restart. A file that fails
// to parse keeps the previous keys (and is logged).
class JwksFileKeys final : public KeyProvider {
 public:
  // Load fails if the file cannot be read or parsed at start-up.
  static absl::StatusOr<std::unique_ptr<JwksFileKeys>> Load(const std::string& path);
  std::shared_ptr<const KeySet> Keys() override;

 private:
  explicit JwksFileKeys(std::string path) : path_(std::move(path)) {}
  absl::Status Reload();
  const std::string path_;
  absl::Mutex mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  int64_t mtime_ns_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time checked_ ABSL_GUARDED_BY(mu_);
};

// StaticKeys holds keys set in process (development issuer, tests).
class StaticKeys final : public KeyProvider {
 public:
  void Set(KeySet keys);
  std::shared_ptr<const KeySet> Keys() override;

 private:
  absl::Mutex mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_) = std::make_shared<KeySet>();
};

struct AuthenticatorOptions {
  VerifierOptions verifier;
  // Peers (IP addresses or CIDR blocks, as input::ParseCidr reads them;
  // the configuration refuses others) whose x-forwarded-for is believed.
  std::vector<std::string> trusted_proxies;
  // The service JWKS (service_identity.h); null: service tokens are refused.
  KeyProvider* service_keys = nullptr;
};

// ClientMetadata is the value of the request header `key` ("" when absent).
std::string ClientMetadata(const grpc::ServerContextBase& context, const char* key);

// Authenticator is thread-safe.
class Authenticator {
 public:
  // `keys` may be null: then JWTs are refused (device tokens still work).
  Authenticator(Directory* directory, const Clock* clock, KeyProvider* keys,
                AuthenticatorOptions options);

  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& context) const;

  // FromAuthorization: the caller whose `authorization` header is `header`
  // ("" for the public), without the client address. The gate checks an
  // open stream's opening credentials again with it.
  absl::StatusOr<Caller> FromAuthorization(std::string_view header) const;

  // ClientOf: the client identity of the call for rate limits (no I/O).
  std::string ClientOf(const grpc::ServerContextBase& context) const;

 private:
  absl::StatusOr<Caller> FromJwt(std::string_view token) const;
  absl::StatusOr<Caller> FromServiceJwt(std::string_view token) const;
  absl::StatusOr<Caller> FromDeviceToken(std::string_view token) const;

  Directory* directory_;
  const Clock* clock_;
  KeyProvider* keys_;
  AuthenticatorOptions options_;
  std::vector<input::Cidr> trusted_proxies_;
  JwtVerifier verifier_;
  JwtVerifier service_verifier_;
};

}  // namespace accueil::auth
