// The development OpenID Connect issuer: a tiny identity provider on
// loopback, so that the real agent sign-in path (JWT signed by the issuer,
// its JWKS, roles recorded in the Directory) runs on a laptop and in tests,
// and the CLI (`accueil login --dev`) and the web pages can sign in.
//
// Enabled only by the server key `dev_issuer_listen`, which config.cc refuses
// unless both it and `listen` are on loopback: a deployed configuration
// cannot contain it. It checks no identity: whoever reaches it picks a name
// and a role. Never in production.
//
//   absl::StatusOr<std::unique_ptr<DevIssuer>> issuer =
//       DevIssuer::Start("127.0.0.1:0", "accueil", &directory, &clock);
//   Authenticator authenticator(pool, &secrets, &clock, (*issuer)->keys(),
//                               {{(*issuer)->issuer(), "accueil"}, {}});
//
// HTTP endpoints (all answers carry Cache-Control: no-store):
//
//   GET  /.well-known/openid-configuration   discovery document (JSON)
//   GET  /jwks.json                          the public key (JWKS)
//   GET  /authorize?response_type=code&client_id=C&redirect_uri=R&state=S
//        [&nonce=N][&code_challenge=X&code_challenge_method=S256]
//        HTML form (French): subject, role, site. R must be an http URL on
//        loopback (127.0.0.1, localhost, [::1]); otherwise 400 (HTML).
//   POST /authorize  (application/x-www-form-urlencoded) the same fields
//        hidden, plus subject, role, site and decision=allow|deny:
//        302 to R?code=K&state=S (deny: R?error=access_denied&state=S).
//        K is single-use and lives 60 s. Invalid choices: 400, the form
//        again with the error.
//   POST /token      (application/x-www-form-urlencoded)
//        grant_type=authorization_code&code=K&redirect_uri=R
//          [&client_id=C][&code_verifier=V]
//        grant_type=refresh_token&refresh_token=T
//          (T from an authorization_code answer; single use: the answer
//          carries the next one; it lives kRefreshLifetime from sign-in)
//        grant_type=urn:accueil:dev&role=ROLE[&site=sites/N][&subject=S]
//          [&nonce=N]   (subject defaults to "dev-agent", site to every site)
//        subject: 1-100 printable ASCII characters, no spaces, neither
//        "public" nor "devices/..." nor "service:..."; role: one of the
//        five above; site: "sites/N" (N > 0) or empty.
//        200 {"access_token": JWT, "id_token": JWT, "token_type": "Bearer",
//             "expires_in": 28800[, "refresh_token": T]}
//        400 {"error": "invalid_request" | "invalid_grant" |
//                      "unsupported_grant_type", "error_description": "..."}
//        Before answering a code or the direct grant, the role binding
//        (subject, role, site) is recorded in the Directory (granted_by
//        "dev-issuer"; idempotent); a refresh records nothing, so that a
//        role an administrator revoked stays revoked.
//
// The JWT (ES256, a key generated at start) holds iss, aud, sub, iat, nbf,
// exp (now + token_lifetime, 8 h by default, from the injected clock) and
// nonce when one was given.
// Request bodies are limited to 16 KiB; every field is validated; requests
// whose Host header is not the issuer's loopback address are refused (DNS
// rebinding).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/auth/authenticator.h"
#include "services/common/auth/form.h"
#include "services/common/auth/signer.h"
#include "services/common/clock.h"
#include "services/common/auth/directory.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace accueil::auth {

// DevIssuer is thread-safe. It must be stopped (or destroyed) before the
// directory and the clock it was given.
class DevIssuer {
 public:
  static constexpr absl::Duration kTokenLifetime = absl::Hours(8);
  static constexpr absl::Duration kCodeLifetime = absl::Seconds(60);
  static constexpr size_t kMaxBodyBytes = 16 * 1024;
  static constexpr size_t kMaxPendingCodes = 1000;
  static constexpr absl::Duration kRefreshLifetime = absl::Hours(12);

  // Start generates an ES256 key and serves on `listen` ("127.0.0.1:PORT",
  // port 0 picks one; loopback only) on a thread of its own. `audience` is
  // the tokens' "aud".
  static absl::StatusOr<std::unique_ptr<DevIssuer>> Start(const std::string& listen,
                                                          const std::string& audience,
                                                          Directory* directory, const Clock* clock);
  ~DevIssuer();
  DevIssuer(const DevIssuer&) = delete;
  DevIssuer& operator=(const DevIssuer&) = delete;

  // issuer is "http://127.0.0.1:<bound port>" (the host of `listen`).
  const std::string& issuer() const { return issuer_; }
  int port() const { return port_; }
  // keys holds this issuer's JWKS, for the Authenticator.
  KeyProvider* keys() { return &keys_; }
  // jwks is the JWKS document served at /jwks.json.
  const std::string& jwks() const { return jwks_; }

  // Stop stops serving and waits for the server thread. Idempotent.
  void Stop();

 private:
  struct PendingCode {
    std::string subject;
    std::string role;
    int64_t site_id = 0;
    std::string client_id;
    std::string redirect_uri;
    std::string nonce;
    std::string code_challenge;  // S256, base64url; empty: no PKCE
    absl::Time expiry;
  };
  struct RefreshGrant {
    std::string subject;
    std::string role;
    int64_t site_id = 0;
    absl::Time expiry;  // the sign-in's, carried over by each refresh
  };

  DevIssuer(std::string audience, Directory* directory, const Clock* clock, JwtSigner signer);

  void Discovery(const httplib::Request& req, httplib::Response& res) const;
  void AuthorizePage(const httplib::Request& req, httplib::Response& res);
  void AuthorizeSubmit(const Form& form, httplib::Response& res);
  void Token(const Form& form, httplib::Response& res);
  void TokenFromCode(const Form& form, httplib::Response& res);
  void TokenDirect(const Form& form, httplib::Response& res);
  void TokenFromRefresh(const Form& form, httplib::Response& res);
  // Issue records the role binding (unless refreshing) and answers the
  // token response; `refresh_expiry` set: with a refresh token living until
  // then.
  void Issue(const std::string& subject, const std::string& role, int64_t site_id,
             const std::string& nonce, const std::string& grant, httplib::Response& res,
             std::optional<absl::Time> refresh_expiry = std::nullopt);
  bool HostAllowed(const httplib::Request& req) const;

  const std::string audience_;
  Directory* const directory_;
  const Clock* const clock_;
  const JwtSigner signer_;
  std::string jwks_;
  StaticKeys keys_;
  std::string issuer_;
  std::string host_;  // as in `listen`: "127.0.0.1", "localhost", "[::1]"
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;

  absl::Mutex mu_;
  std::map<std::string, PendingCode> codes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RefreshGrant> refresh_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accueil::auth
