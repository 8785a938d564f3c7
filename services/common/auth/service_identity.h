// Service identity: how one module proves to another that the call comes
// from a service of this deployment, not from an agent's token passed along.
//
// The calling process signs a short-lived JWT with its service key
// (ServiceTokens: `iss` kServiceIssuer, `aud` kServiceAudience, `sub` the
// process's service subject "service:<name>", 5 minutes, cached and renewed
// before it expires). The called process verifies it against the service
// JWKS (the public keys of every service key in use, so keys rotate) with
// its own issuer and audience, distinct from the agents' OpenID provider
// (Authenticator), and reads the subject's roles from the role bindings:
// a service subject needs a SERVICE binding (`accueil-server grant-service`).
//
//   absl::StatusOr<ServiceIdentity> identity = LoadServiceIdentity(config, "service:access");
//   ServiceTokens tokens(std::move(identity->signer), identity->subject, &clock);
//   context.AddMetadata("authorization", tokens.Bearer());
//
// Without a configured key (development, tests, one process serving every
// module) the host makes an ephemeral key at start and trusts it alone.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/auth/authenticator.h"
#include "services/common/auth/service_subject.h"
#include "services/common/auth/signer.h"
#include "services/common/clock.h"

namespace accueil::auth {

// ServiceTokens signs this process's service tokens. Thread-safe.
class ServiceTokens {
 public:
  static constexpr absl::Duration kLifetime = absl::Minutes(5);
  // A token with less than this left is replaced: a call in flight never
  // carries one about to expire.
  static constexpr absl::Duration kRenewBefore = absl::Minutes(2);

  ServiceTokens(JwtSigner signer, std::string subject, const Clock* clock);

  // Bearer returns "Bearer <JWT>", the cached token or a new one.
  std::string Bearer();
  const std::string& subject() const { return subject_; }
  const JwtSigner& signer() const { return signer_; }

 private:
  const JwtSigner signer_;
  const std::string subject_;
  const Clock* const clock_;
  absl::Mutex mu_;
  std::string bearer_ ABSL_GUARDED_BY(mu_);
  absl::Time expiry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// ServiceIdentity: this process's signing key and subject, and the keys it
// trusts for service tokens.
struct ServiceIdentity {
  std::unique_ptr<JwtSigner> signer;
  std::string subject;
  // The service JWKS file (reloaded when it changes), or the ephemeral
  // key's own public key.
  std::unique_ptr<KeyProvider> keys;
  // True when no key is configured: the key was made at start and nothing
  // outside this process can sign with it.
  bool ephemeral = false;
};

// LoadServiceIdentity reads `key_file` (PEM private key) signing as `key_id`
// and trusts `jwks_file`; with all three empty, it makes an ephemeral ES256
// key. The configured key's public key must be in the JWKS under `key_id`
// (checked by verifying a token it signs), else the process could not call
// itself. Errors name the configuration key and never the key material.
absl::StatusOr<ServiceIdentity> LoadServiceIdentity(const std::string& key_file,
                                                    const std::string& key_id,
                                                    const std::string& jwks_file,
                                                    const std::string& subject);

}  // namespace accueil::auth
