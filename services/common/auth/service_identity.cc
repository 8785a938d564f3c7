#include "services/common/auth/service_identity.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/server.h"
#include "services/common/status_macros.h"

namespace accueil::auth {

ServiceTokens::ServiceTokens(JwtSigner signer, std::string subject, const Clock* clock)
    : signer_(std::move(signer)), subject_(std::move(subject)), clock_(clock) {}

std::string ServiceTokens::Bearer() {
  absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  // A clock set back (tests, a corrected host clock) must not keep a token
  // issued in its future either.
  if (now + kRenewBefore < expiry_ && now + kLifetime >= expiry_) return bearer_;
  int64_t iat = absl::ToUnixSeconds(now);
  int64_t exp = absl::ToUnixSeconds(now + kLifetime);
  nlohmann::json payload = {{"iss", kServiceIssuer},
                            {"aud", kServiceAudience},
                            {"sub", subject_},
                            {"iat", iat},
                            {"nbf", iat},
                            {"exp", exp}};
  bearer_ = absl::StrCat("Bearer ", signer_.Sign(payload.dump()));
  expiry_ = absl::FromUnixSeconds(exp);
  return bearer_;
}

absl::StatusOr<ServiceIdentity> LoadServiceIdentity(const std::string& key_file,
                                                    const std::string& key_id,
                                                    const std::string& jwks_file,
                                                    const std::string& subject) {
  if (!IsServiceSubject(subject)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "configuration: service_subject: \"", subject,
        "\" is not a service subject (service: then lower-case letters, digits, . _ + -)"));
  }
  ServiceIdentity identity;
  identity.subject = subject;
  if (key_file.empty() && key_id.empty() && jwks_file.empty()) {
    // The key id says which process made it, for the logs; it is never
    // published beyond this process.
    unsigned char bytes[6];
    randombytes_buf(bytes, sizeof bytes);
    std::string kid = absl::StrCat(
        "ephemeral-",
        absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(bytes), sizeof bytes)));
    ASSIGN_OR_RETURN(JwtSigner signer, JwtSigner::Generate("ES256", kid));
    auto keys = std::make_unique<StaticKeys>();
    ASSIGN_OR_RETURN(KeySet set, KeySet::FromJwks(JwksDocument({&signer})));
    keys->Set(std::move(set));
    identity.signer = std::make_unique<JwtSigner>(std::move(signer));
    identity.keys = std::move(keys);
    identity.ephemeral = true;
    return identity;
  }
  if (key_file.empty() || key_id.empty() || jwks_file.empty()) {
    return absl::InvalidArgumentError(
        "configuration: service_key_file, service_key_id and service_jwks_file go together: "
        "set all three or none");
  }
  ASSIGN_OR_RETURN(std::string pem, ReadPem("service_key_file", key_file));
  absl::StatusOr<JwtSigner> signer = JwtSigner::FromPem(pem, key_id);
  if (!signer.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("configuration: service_key_file: ", signer.status().message()));
  }
  absl::StatusOr<std::unique_ptr<JwksFileKeys>> jwks = JwksFileKeys::Load(jwks_file);
  if (!jwks.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("configuration: service_jwks_file: ", jwks.status().message()));
  }
  // The process calls itself (in-process peers) and its replicas: its own
  // key must verify. A token it signs now is checked as a receiver would.
  absl::Time now = absl::Now();
  nlohmann::json probe = {{"iss", kServiceIssuer},
                          {"aud", kServiceAudience},
                          {"sub", subject},
                          {"exp", absl::ToUnixSeconds(now + absl::Minutes(1))}};
  JwtVerifier verifier({kServiceIssuer, kServiceAudience, absl::Seconds(60)});
  if (!verifier.Verify(signer->Sign(probe.dump()), *(*jwks)->Keys(), now).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("configuration: service_jwks_file: ", jwks_file,
                     " does not hold the public key of service_key_file under the key id \"",
                     key_id, "\" (service_key_id): add it before signing with it"));
  }
  identity.signer = std::make_unique<JwtSigner>(std::move(*signer));
  identity.keys = std::move(*jwks);
  return identity;
}

}  // namespace accueil::auth
