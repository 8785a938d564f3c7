#include "services/gateway/oidc_client.h"

#include <curl/curl.h>

#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/auth/pkce.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/gateway/path_template.h"

namespace accueil::gateway {
namespace {

using Json = nlohmann::json;

// At most this much of a provider's answer is read.
constexpr size_t kMaxAnswerBytes = 256 * 1024;

absl::Status Unavailable(const std::string& why) {
  log::Warn("gateway.oidc_unavailable", {{"error", why}});
  return Error(absl::StatusCode::kUnavailable, "PROVIDER_UNAVAILABLE",
               "the identity provider cannot be reached; try again in a moment");
}

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * count > kMaxAnswerBytes) return 0;  // aborts the transfer
  body->append(data, size * count);
  return size * count;
}

struct Answer {
  long status = 0;
  std::string body;
};

// Fetch: GET `url`, or POST `form` (application/x-www-form-urlencoded).
absl::StatusOr<Answer> Fetch(const std::string& url, const std::optional<std::string>& form,
                             absl::Duration timeout, bool https_only) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return Unavailable("libcurl could not start");
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (curl == nullptr) return Unavailable("libcurl could not start");
  Answer answer;
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  // Plain HTTP only for a development issuer on http:// (loopback): a
  // discovery document cannot send the client secret in clear elsewhere.
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, https_only ? "https" : "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body);
  if (form.has_value()) {
    curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, form->c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(form->size()));
  }
  const CURLcode rc = curl_easy_perform(curl.get());
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return Unavailable(absl::StrCat(url, ": ", curl_easy_strerror(rc)));
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

std::string Text(const Json& json, const char* key) {
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : "";
}

// Claims: the payload of a JWT, unverified (see the header).
absl::StatusOr<Json> Claims(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string payload;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload)) {
    return Unavailable("the ID token is not a JWT");
  }
  Json claims = Json::parse(payload, nullptr, false);
  if (!claims.is_object()) return Unavailable("the ID token's claims are not JSON");
  return claims;
}

}  // namespace

absl::StatusOr<OidcEndpoints> OidcClient::Endpoints() {
  {
    absl::MutexLock lock(&mu_);
    if (endpoints_.has_value()) return *endpoints_;
  }
  if (options_.issuer.empty()) return Unavailable("no identity provider is configured");
  absl::StatusOr<Answer> answer =
      Fetch(absl::StrCat(options_.issuer, "/.well-known/openid-configuration"), std::nullopt,
            options_.timeout, HttpsOnly());
  if (!answer.ok()) return answer.status();
  Json doc = Json::parse(answer->body, nullptr, false);
  if (answer->status != 200 || !doc.is_object()) {
    return Unavailable(absl::StrCat("discovery answered ", answer->status));
  }
  if (Text(doc, "issuer") != options_.issuer) {
    return Unavailable(absl::StrCat("discovery names the issuer \"", Text(doc, "issuer"),
                                    "\", not \"", options_.issuer, "\""));
  }
  OidcEndpoints e{Text(doc, "authorization_endpoint"), Text(doc, "token_endpoint"),
                  Text(doc, "end_session_endpoint")};
  if (e.authorization.empty() || e.token.empty()) {
    return Unavailable("discovery lacks the authorization or token endpoint");
  }
  absl::MutexLock lock(&mu_);
  endpoints_ = e;
  return e;
}

absl::StatusOr<std::string> OidcClient::AuthorizationUrl(const std::string& redirect_uri,
                                                         const std::string& state,
                                                         const std::string& nonce,
                                                         const std::string& code_verifier) {
  absl::StatusOr<OidcEndpoints> e = Endpoints();
  if (!e.ok()) return e.status();
  const char separator = e->authorization.find('?') == std::string::npos ? '?' : '&';
  return absl::StrCat(
      e->authorization, std::string(1, separator),
      "response_type=code&scope=openid&client_id=", PercentEncode(options_.client_id),
      "&redirect_uri=", PercentEncode(redirect_uri), "&state=", PercentEncode(state),
      "&nonce=", PercentEncode(nonce),
      "&code_challenge=", PercentEncode(auth::PkceChallenge(code_verifier)),
      "&code_challenge_method=S256");
}

absl::StatusOr<OidcTokens> OidcClient::Exchange(const std::string& code,
                                                const std::string& code_verifier,
                                                const std::string& redirect_uri) {
  return TokenRequest(absl::StrCat("grant_type=authorization_code&code=", PercentEncode(code),
                                   "&redirect_uri=", PercentEncode(redirect_uri),
                                   "&code_verifier=", PercentEncode(code_verifier)));
}

absl::StatusOr<OidcTokens> OidcClient::Refresh(const std::string& refresh_token) {
  return TokenRequest(
      absl::StrCat("grant_type=refresh_token&refresh_token=", PercentEncode(refresh_token)));
}

absl::StatusOr<OidcTokens> OidcClient::TokenRequest(const std::string& form) {
  absl::StatusOr<OidcEndpoints> e = Endpoints();
  if (!e.ok()) return e.status();
  std::string body = absl::StrCat(form, "&client_id=", PercentEncode(options_.client_id));
  if (!options_.client_secret.empty()) {
    absl::StrAppend(&body, "&client_secret=", PercentEncode(options_.client_secret));
  }
  absl::StatusOr<Answer> answer = Fetch(e->token, body, options_.timeout, HttpsOnly());
  if (!answer.ok()) return answer.status();
  Json json = Json::parse(answer->body, nullptr, false);
  if (answer->status == 400 || answer->status == 401) {
    // An OAuth error: the code or refresh token is spent, expired or wrong.
    log::Info("gateway.oidc_refused",
              {{"error", json.is_object() ? Text(json, "error") : std::string("?")}});
    return Error(absl::StatusCode::kUnauthenticated, "SIGN_IN_REFUSED",
                 "the identity provider refused the sign-in; sign in again");
  }
  if (answer->status != 200 || !json.is_object()) {
    return Unavailable(absl::StrCat("the token endpoint answered ", answer->status));
  }
  OidcTokens tokens;
  tokens.id_token = Text(json, "id_token");
  tokens.refresh_token = Text(json, "refresh_token");
  if (tokens.id_token.empty()) return Unavailable("the token answer has no id_token");
  absl::StatusOr<Json> claims = Claims(tokens.id_token);
  if (!claims.ok()) return claims.status();
  auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->is_number_integer()) {
    return Unavailable("the ID token has no exp");
  }
  tokens.expiry = absl::FromUnixSeconds(exp->get<int64_t>());
  tokens.subject = Text(*claims, "sub");
  tokens.nonce = Text(*claims, "nonce");
  return tokens;
}

}  // namespace accueil::gateway
