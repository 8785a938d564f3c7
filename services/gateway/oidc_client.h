// OidcClient: the gateway's side of OpenID Connect's authorization code
// flow with PKCE (RFC 6749, RFC 7636, OpenID Connect Core 1.0 section 3.1),
// against the provider the services trust (`oidc_issuer`, or the
// development issuer): its discovery document, the authorization URL, the
// code's exchange and the refresh grant, over libcurl (HTTPS verified with
// the system's CAs).
//
// The ID token the token endpoint answers is the token the gateway forwards
// to the services: a JWT signed by the provider whose audience is our
// client id, which the services verify on every call (jwt.h). Received
// straight from the token endpoint over TLS, its claims are read here
// without checking the signature (OpenID Connect Core 3.1.3.7, point 6):
// only the nonce and the expiry, to bind it to the sign-in and to know when
// to refresh it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace accueil::gateway {

struct OidcClientOptions {
  // The provider: discovery at `issuer` + "/.well-known/openid-configuration".
  std::string issuer;
  std::string client_id;
  // Empty: a public client (PKCE alone); else sent in the token requests'
  // body (client_secret_post).
  std::string client_secret;
  absl::Duration timeout = absl::Seconds(10);
};

struct OidcEndpoints {
  std::string authorization;
  std::string token;
  std::string end_session;  // "" when the provider has none
};

struct OidcTokens {
  std::string id_token;       // forwarded to the services
  std::string refresh_token;  // "" when the provider gave none
  absl::Time expiry;          // the ID token's `exp`
  std::string subject;        // its `sub`
  std::string nonce;          // its `nonce` ("" when absent)
};

class OidcClient {
 public:
  explicit OidcClient(OidcClientOptions options) : options_(std::move(options)) {}

  const OidcClientOptions& options() const { return options_; }

  // Endpoints: the discovery document's (fetched once, then kept; a failed
  // fetch is tried again next time). UNAVAILABLE PROVIDER_UNAVAILABLE when
  // the provider cannot be reached or answers nonsense.
  absl::StatusOr<OidcEndpoints> Endpoints();

  // AuthorizationUrl: where the browser goes to sign in.
  absl::StatusOr<std::string> AuthorizationUrl(const std::string& redirect_uri,
                                               const std::string& state, const std::string& nonce,
                                               const std::string& code_verifier);

  // Exchange trades the code for tokens; Refresh uses a refresh token.
  // UNAUTHENTICATED SIGN_IN_REFUSED when the provider refuses (an OAuth
  // error), UNAVAILABLE PROVIDER_UNAVAILABLE when it cannot be reached.
  absl::StatusOr<OidcTokens> Exchange(const std::string& code, const std::string& code_verifier,
                                      const std::string& redirect_uri);
  absl::StatusOr<OidcTokens> Refresh(const std::string& refresh_token);

 private:
  absl::StatusOr<OidcTokens> TokenRequest(const std::string& form);
  // HttpsOnly: every request over HTTPS unless the issuer itself is http://
  // (the development issuer, on loopback).
  bool HttpsOnly() const { return options_.issuer.rfind("http://", 0) != 0; }

  const OidcClientOptions options_;
  absl::Mutex mu_;
  std::optional<OidcEndpoints> endpoints_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accueil::gateway
