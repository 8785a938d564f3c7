#include "services/gateway/agent_session.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/auth/pkce.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/gateway/path_template.h"

namespace accueil::gateway {
namespace {

using Json = nlohmann::json;

constexpr char kSessionPurpose[] = "gateway-agent-session";
constexpr char kSignInPurpose[] = "gateway-agent-sign-in";
constexpr char kReturnPath[] = "/agent/retour";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// Browsers keep cookies up to 4096 bytes, name and attributes included.
constexpr size_t kMaxCookieBytes = 3900;

absl::Status SignInRequired() {
  return Error(absl::StatusCode::kUnauthenticated, "SIGN_IN_REQUIRED",
               "this page needs an agent's sign-in");
}

absl::Status SignInFailed(const std::string& why) {
  log::Info("gateway.sign_in_failed", {{"why", why}});
  return Error(absl::StatusCode::kUnauthenticated, "SIGN_IN_FAILED",
               "the sign-in did not complete; start again");
}

// AesGcm seals (encrypt = true) or opens `in` with `key` (32 bytes) and
// `nonce`, authenticating `aad`; the tag is appended to the sealed text.
std::optional<std::string> AesGcm(bool encrypt, const std::string& key, const std::string& nonce,
                                  std::string_view aad, std::string_view in) {
  std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)> ctx(EVP_CIPHER_CTX_new(),
                                                                 EVP_CIPHER_CTX_free);
  if (ctx == nullptr || key.size() != 32 || nonce.size() != kNonceBytes) return std::nullopt;
  std::string_view body = in;
  std::string tag;
  if (!encrypt) {
    if (in.size() < kTagBytes) return std::nullopt;
    body = in.substr(0, in.size() - kTagBytes);
    tag = std::string(in.substr(in.size() - kTagBytes));
  }
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  int ok = encrypt ? EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k, iv)
                   : EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k, iv);
  if (ok != 1) return std::nullopt;
  int len = 0;
  auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  if (update(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
             static_cast<int>(aad.size())) != 1) {
    return std::nullopt;
  }
  std::string out(body.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (update(ctx.get(), o, &len, reinterpret_cast<const unsigned char*>(body.data()),
             static_cast<int>(body.size())) != 1) {
    return std::nullopt;
  }
  int total = len;
  if (encrypt) {
    if (EVP_EncryptFinal_ex(ctx.get(), o + total, &len) != 1) return std::nullopt;
    total += len;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, o + total) != 1) {
      return std::nullopt;
    }
    out.resize(total + kTagBytes);
    return out;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + total, &len) != 1) {
    return std::nullopt;
  }
  out.resize(total + len);
  return out;
}

std::string Text(const Json& json, const char* key) {
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t Number(const Json& json, const char* key) {
  auto it = json.find(key);
  return it != json.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// Back: the agent page to return to after the sign-in (only a path of
// ours under /agent: never another site).
std::string Back(const std::string& path) {
  if (!absl::StartsWith(path, "/agent") || path.find("//") != std::string::npos ||
      path.find('\\') != std::string::npos || path.size() > 300) {
    return "/agent";
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
      return "/agent";
    }
  }
  return path;
}

HttpResponse Redirect(const std::string& location) {
  HttpResponse response;
  response.status = 303;
  response.headers.emplace_back("Location", location);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace

AgentSessions::AgentSessions(SignInOptions options)
    : options_(std::move(options)), provider_(options_.provider) {}

std::string AgentSessions::Seal(std::string_view purpose, const std::string& plain) const {
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonceBytes) != 1) return "";
  std::optional<std::string> sealed =
      AesGcm(true, options_.secrets->Mac(purpose, "cookie-key"), nonce, purpose, plain);
  if (!sealed) return "";
  return absl::StrCat("v1.", absl::WebSafeBase64Escape(nonce + *sealed));
}

std::optional<std::string> AgentSessions::Open(std::string_view purpose,
                                               const std::string& sealed) const {
  std::string raw;
  if (!absl::StartsWith(sealed, "v1.") || sealed.size() > 8192 ||
      !absl::WebSafeBase64Unescape(sealed.substr(3), &raw) || raw.size() < kNonceBytes) {
    return std::nullopt;
  }
  const std::string nonce = raw.substr(0, kNonceBytes);
  const std::string_view body = std::string_view(raw).substr(kNonceBytes);
  for (const std::string& key : options_.secrets->Macs(purpose, "cookie-key")) {
    if (std::optional<std::string> plain = AesGcm(false, key, nonce, purpose, body)) return plain;
  }
  return std::nullopt;
}

std::string AgentSessions::BaseUrl(const HttpRequest& request) const {
  if (!options_.public_base_url.empty()) return options_.public_base_url;
  return absl::StrCat(request.tls ? "https://" : "http://", request.Header("host"));
}

std::string AgentSessions::SessionCookie(const HttpRequest& request,
                                         const AgentSession& session) const {
  Json plain = {{"sub", session.subject},
                {"tok", session.token},
                {"ref", session.refresh_token},
                {"exp", absl::ToUnixSeconds(session.token_expiry)},
                {"start", absl::ToUnixSeconds(session.start)}};
  std::string sealed = Seal(kSessionPurpose, plain.dump());
  return absl::StrCat(kSessionCookie, "=", sealed, "; Path=/agent; HttpOnly; SameSite=Lax",
                      request.tls ? "; Secure" : "");
}

absl::StatusOr<HttpResponse> AgentSessions::Begin(const HttpRequest& request,
                                                  const std::string& back) {
  if (!enabled()) {
    return Error(absl::StatusCode::kFailedPrecondition, "SIGN_IN_NOT_CONFIGURED",
                 "no identity provider is configured for agents");
  }
  const std::string state = auth::RandomUrlToken();
  const std::string nonce = auth::RandomUrlToken();
  const std::string verifier = auth::RandomUrlToken();
  if (state.empty() || nonce.empty() || verifier.empty()) {
    return Error(absl::StatusCode::kInternal, "NO_RANDOMNESS", "no random bytes");
  }
  absl::StatusOr<std::string> url =
      provider_.AuthorizationUrl(BaseUrl(request) + kReturnPath, state, nonce, verifier);
  if (!url.ok()) return url.status();
  Json pending = {{"state", state},
                  {"nonce", nonce},
                  {"verifier", verifier},
                  {"back", Back(back)},
                  {"at", absl::ToUnixSeconds(options_.clock->Now())}};
  HttpResponse response = Redirect(*url);
  response.headers.emplace_back(
      "Set-Cookie",
      absl::StrCat(kSignInCookie, "=", Seal(kSignInPurpose, pending.dump()), "; Path=", kReturnPath,
                   "; Max-Age=", absl::ToInt64Seconds(kSignInLifetime), "; HttpOnly; SameSite=Lax",
                   request.tls ? "; Secure" : ""));
  return response;
}

absl::StatusOr<HttpResponse> AgentSessions::Finish(const HttpRequest& request) {
  if (!enabled()) return SignInFailed("sign-in not configured");
  const Bindings query = ParseUrlEncoded(request.query).value_or(Bindings());
  auto param = [&](const char* key) { return Param(query, key); };
  std::optional<std::string> plain = Open(kSignInPurpose, request.Cookie(kSignInCookie));
  Json pending = plain ? Json::parse(*plain, nullptr, false) : Json();
  if (!pending.is_object()) return SignInFailed("no sign-in under way in this browser");
  if (absl::FromUnixSeconds(Number(pending, "at")) + kSignInLifetime < options_.clock->Now()) {
    return SignInFailed("the sign-in took too long");
  }
  const std::string state = Text(pending, "state");
  if (state.empty() || param("state") != state) return SignInFailed("state differs");
  if (!param("error").empty()) return SignInFailed("the provider answered " + param("error"));
  if (param("code").empty()) return SignInFailed("no code");
  absl::StatusOr<OidcTokens> tokens =
      provider_.Exchange(param("code"), Text(pending, "verifier"), BaseUrl(request) + kReturnPath);
  if (!tokens.ok()) return tokens.status();
  if (tokens->nonce != Text(pending, "nonce")) return SignInFailed("nonce differs");
  if (tokens->subject.empty()) return SignInFailed("no subject");
  AgentSession session{tokens->subject, tokens->id_token, tokens->refresh_token, tokens->expiry,
                       options_.clock->Now()};
  const std::string cookie = SessionCookie(request, session);
  if (cookie.size() > kMaxCookieBytes) {
    log::Error("gateway.session_too_large", {{"bytes", absl::StrCat(cookie.size())}});
    return Error(absl::StatusCode::kInternal, "SESSION_TOO_LARGE",
                 "the provider's tokens do not fit in a cookie");
  }
  HttpResponse response = Redirect(Back(Text(pending, "back")));
  response.headers.emplace_back("Set-Cookie", cookie);
  response.headers.emplace_back("Set-Cookie", absl::StrCat(kSignInCookie, "=; Path=", kReturnPath,
                                                           "; Max-Age=0; HttpOnly; SameSite=Lax",
                                                           request.tls ? "; Secure" : ""));
  log::Info("gateway.signed_in");
  return response;
}

absl::StatusOr<AgentSession> AgentSessions::Current(const HttpRequest& request,
                                                    std::vector<std::string>* set_cookies) {
  const std::string cookie = request.Cookie(kSessionCookie);
  if (cookie.empty() || !enabled()) return SignInRequired();
  std::optional<std::string> plain = Open(kSessionPurpose, cookie);
  Json json = plain ? Json::parse(*plain, nullptr, false) : Json();
  if (!json.is_object()) return SignInRequired();
  AgentSession session{Text(json, "sub"), Text(json, "tok"), Text(json, "ref"),
                       absl::FromUnixSeconds(Number(json, "exp")),
                       absl::FromUnixSeconds(Number(json, "start"))};
  const absl::Time now = options_.clock->Now();
  if (session.token.empty() || now >= session.start + options_.session_lifetime) {
    return SignInRequired();
  }
  if (session.token_expiry - now > kRefreshBefore) return session;
  if (session.refresh_token.empty()) return SignInRequired();
  absl::StatusOr<OidcTokens> tokens = provider_.Refresh(session.refresh_token);
  if (!tokens.ok()) {
    // Refused (another tab refreshed first with the same rotating refresh
    // token, or the provider ended the session) or unreachable: the token
    // in hand serves until it expires; only then must the agent sign in.
    if (now < session.token_expiry) return session;
    if (tokens.status().code() == absl::StatusCode::kUnauthenticated) return SignInRequired();
    return tokens.status();
  }
  if (tokens->subject != session.subject) return SignInRequired();
  session.token = tokens->id_token;
  // A provider that does not rotate refresh tokens answers none: keep ours.
  if (!tokens->refresh_token.empty()) session.refresh_token = tokens->refresh_token;
  session.token_expiry = tokens->expiry;
  std::string refreshed = SessionCookie(request, session);
  if (refreshed.size() > kMaxCookieBytes) {
    log::Error("gateway.session_too_large", {{"bytes", absl::StrCat(refreshed.size())}});
    return Error(absl::StatusCode::kInternal, "SESSION_TOO_LARGE",
                 "the provider's tokens do not fit in a cookie");
  }
  set_cookies->push_back(std::move(refreshed));
  log::Info("gateway.session_refreshed");
  return session;
}

std::pair<std::string, std::string> AgentSessions::SignOut(const HttpRequest& request) {
  std::string cookie =
      absl::StrCat(kSessionCookie, "=; Path=/agent; Max-Age=0; HttpOnly; SameSite=Lax",
                   request.tls ? "; Secure" : "");
  std::string where = "/agent";
  absl::StatusOr<OidcEndpoints> e =
      enabled() ? provider_.Endpoints() : absl::StatusOr<OidcEndpoints>(SignInRequired());
  if (e.ok() && !e->end_session.empty()) {
    std::optional<std::string> plain = Open(kSessionPurpose, request.Cookie(kSessionCookie));
    Json json = plain ? Json::parse(*plain, nullptr, false) : Json();
    where = absl::StrCat(
        e->end_session, e->end_session.find('?') == std::string::npos ? "?" : "&",
        "post_logout_redirect_uri=", PercentEncode(BaseUrl(request) + "/agent"),
        json.is_object() ? "&id_token_hint=" + PercentEncode(Text(json, "tok")) : std::string());
  }
  return {cookie, where};
}

}  // namespace accueil::gateway
