// AgentSessions: agents' sign-in to the pages and their sessions
// (docs/security.md#agents-sessions).
//
// Sign-in is OpenID Connect's authorization code flow with PKCE
// (oidc_client.h). Its state, nonce and code verifier wait in a sealed
// cookie sent only to the return path; the session is a sealed cookie too
// (`accueil_session`: HttpOnly, SameSite=Lax, Path=/agent, Secure over
// HTTPS), holding the provider's ID token (the bearer token of the pages'
// calls), its refresh token and the times. The gateway keeps nothing: any
// replica opens any session.
//
// Sealed = AES-256-GCM under a key derived from the server secret (a key
// per purpose; every key of the ring opens, the first seals, so a key
// rotation does not sign everyone out). A cookie that does not open is no
// session.
//
// A session outlives its short-lived token: when the token has less than
// two minutes left, the next page refreshes it with the refresh token (the
// provider's answer is sealed into a new cookie), up to the session's
// lifetime from the sign-in (12 hours by default). Without a refresh token,
// or when the provider refuses (the agent signed out there, or was
// disabled), the session ends and the agent signs in again. What an agent
// may do is never read from the cookie: every page asks the access module
// (WhoAmI) with the token, so a revoked role is gone at the next page.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/secrets.h"
#include "services/gateway/http_server.h"
#include "services/gateway/oidc_client.h"

namespace accueil::gateway {

struct SignInOptions {
  OidcClientOptions provider;
  // The gateway's public address ("https://rdv.prefecture.gouv.fr"): the
  // redirect URI is this + "/agent/retour". Empty: the request's own
  // scheme and Host (a local run); the provider only accepts the redirect
  // URIs registered for the client anyway.
  std::string public_base_url;
  absl::Duration session_lifetime = absl::Hours(12);
  const Secrets* secrets = nullptr;
  const Clock* clock = nullptr;
};

struct AgentSession {
  std::string subject;
  std::string token;  // the ID token, the calls' bearer
  std::string refresh_token;
  absl::Time token_expiry;
  absl::Time start;  // the sign-in
};

class AgentSessions {
 public:
  static constexpr char kSessionCookie[] = "accueil_session";
  static constexpr char kSignInCookie[] = "accueil_signin";
  static constexpr absl::Duration kRefreshBefore = absl::Minutes(2);
  static constexpr absl::Duration kSignInLifetime = absl::Minutes(10);

  explicit AgentSessions(SignInOptions options);

  bool enabled() const { return !options_.provider.issuer.empty() && options_.secrets != nullptr; }

  // Begin: the redirect to the provider, with the sign-in cookie; `back` is
  // the agent page to return to (a path under /agent, else /agent).
  absl::StatusOr<HttpResponse> Begin(const HttpRequest& request, const std::string& back);

  // Finish: the provider's redirect back (?code=&state=, or ?error=). A
  // redirect to the page the sign-in started from, with the session cookie;
  // UNAUTHENTICATED SIGN_IN_FAILED (state missing or different, error from
  // the provider, nonce different) or the provider's failures otherwise.
  absl::StatusOr<HttpResponse> Finish(const HttpRequest& request);

  // Current: the request's session, refreshed when its token is about to
  // expire (the new cookie then goes in `set_cookies`). UNAUTHENTICATED
  // SIGN_IN_REQUIRED when there is none or it is over.
  absl::StatusOr<AgentSession> Current(const HttpRequest& request,
                                       std::vector<std::string>* set_cookies);

  // SignOut: the cookie that ends the session, and where to go (the
  // provider's end of session when it has one, else /agent).
  std::pair<std::string, std::string> SignOut(const HttpRequest& request);

  // Seal and Open (tests): the sealed form of `plain` for `purpose`.
  std::string Seal(std::string_view purpose, const std::string& plain) const;
  std::optional<std::string> Open(std::string_view purpose, const std::string& sealed) const;

 private:
  std::string BaseUrl(const HttpRequest& request) const;
  std::string SessionCookie(const HttpRequest& request, const AgentSession& session) const;

  const SignInOptions options_;
  OidcClient provider_;
};

}  // namespace accueil::gateway
