#include "services/common/auth/dev_issuer.h"

#include <chrono>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/auth/form.h"
#include "services/common/auth/pkce.h"
#include "services/common/auth/service_subject.h"
#include "services/common/config.h"
#include "services/common/input/resource.h"
#include "services/common/log.h"
#include "services/common/html.h"
#include "services/common/status_macros.h"

namespace accueil::auth {
namespace {

using Json = nlohmann::json;

constexpr char kDirectGrant[] = "urn:accueil:dev";
constexpr char kDefaultSubject[] = "dev-agent";
constexpr int kThreads = 4;

struct RoleChoice {
  const char* name;
  const char* label;
};
constexpr RoleChoice kRoles[] = {
    {"LODGE_AGENT", "Agent de loge (accueil à l'entrée)"},
    {"COUNTER_AGENT", "Agent de guichet"},
    {"QUALITY_OFFICER", "Responsable qualité"},
    {"ADMINISTRATOR", "Administrateur"},
    {"SERVICE", "Compte de service"},
};

bool KnownRole(const std::string& role) {
  for (const RoleChoice& r : kRoles) {
    if (role == r.name) return true;
  }
  return false;
}

// ---- Encoding -------------------------------------------------------------

// Dump never throws: invalid UTF-8 (from a client) is replaced.
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---- Validation -----------------------------------------------------------

// ValidSubject: what AccessService.GrantRole accepts (printable ASCII, no
// spaces), at most 100 characters, and not a name the Authenticator gives
// to callers without an agent's JWT ("public", "devices/{id}",
// "service:{name}").
bool ValidSubject(const std::string& s) {
  if (!Printable(s, 1, 100) || s.find(' ') != std::string::npos) return false;
  return s != "public" && !absl::StartsWith(s, "devices/") &&
         !absl::StartsWith(s, kServiceSubjectPrefix);
}

// ParseSite: "" is every site (0), else "sites/N".
bool ParseSite(const std::string& site, int64_t* id) {
  if (site.empty()) {
    *id = 0;
    return true;
  }
  absl::StatusOr<int64_t> parsed = input::ParseResourceId(site, "sites", "site");
  if (!parsed.ok()) return false;
  *id = *parsed;
  return true;
}

std::string WithQuery(const std::string& uri, const std::string& query) {
  char last = uri.empty() ? '\0' : uri.back();
  if (uri.find('?') == std::string::npos) return uri + "?" + query;
  if (last == '?' || last == '&') return uri + query;
  return uri + "&" + query;
}

// Constant-time comparison of two strings (of public length).
bool SameText(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// ---- Responses ------------------------------------------------------------

void SendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_header("Pragma", "no-cache");
  res.set_content(Dump(body), "application/json");
}

void OAuthError(httplib::Response& res, int status, const std::string& error,
                const std::string& description) {
  SendJson(res, status, {{"error", error}, {"error_description", description}});
}

void SendHtml(httplib::Response& res, int status, const std::string& html) {
  res.status = status;
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                 "base-uri 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_content(html, "text/html; charset=utf-8");
}

constexpr char kHead[] = R"(<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>%TITLE%</title>
<style>
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0;
       color: #161616; background: #fff; }
main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; color: #8a1c00; }
.warning { border-left: 4px solid #b34000; padding: .5rem 1rem; background: #fff4ec; }
.error { border: 2px solid #ce0500; padding: .5rem 1rem; background: #fff4f4; }
.field { margin: 1.25rem 0; }
label { display: block; font-weight: bold; }
.hint { display: block; color: #3a3a3a; font-size: .9rem; }
input[type=text], select { font: inherit; padding: .4rem; width: 100%; max-width: 24rem;
                           box-sizing: border-box; border: 1px solid #3a3a3a; }
button { font: inherit; padding: .5rem 1.2rem; margin-right: .5rem; }
:focus { outline: 3px solid #0a76f6; outline-offset: 2px; }
code { word-break: break-all; }
</style>
</head>
<body>
<main>
<h1>Émetteur de développement — ne pas utiliser en production</h1>
<p class="warning">Ce serveur délivre des jetons de test sans vérifier aucune identité.
Il n'existe que sur un poste de développement ou dans les tests.</p>
)";

constexpr char kFoot[] = "</main>\n</body>\n</html>\n";

std::string Page(const std::string& title, const std::string& body) {
  std::string head = kHead;
  head.replace(head.find("%TITLE%"), 7, HtmlEscape(title));
  return head + body + kFoot;
}

std::string ErrorPage(const std::string& message) {
  return Page("Demande refusée — émetteur de développement",
              absl::StrCat("<h2>La demande d'autorisation est refusée</h2>\n"
                           "<p class=\"error\" role=\"alert\">",
                           HtmlEscape(message), "</p>\n"));
}

struct Choices {
  std::string subject = kDefaultSubject;
  std::string role = "LODGE_AGENT";
  std::string site;
};

// FormPage renders the sign-in form; `error` and `error_field` ("subject",
// "role", "site") when the previous submission was refused.
std::string FormPage(const AuthRequest& r, const Choices& c, const std::string& error = "",
                     const std::string& error_field = "") {
  std::string body;
  absl::StrAppend(&body, "<p>L'application <strong>", HtmlEscape(r.client_id),
                  "</strong> demande une connexion ; elle recevra la réponse à l'adresse "
                  "<code>",
                  HtmlEscape(r.redirect_uri), "</code>.</p>\n");
  if (!error.empty()) {
    absl::StrAppend(&body,
                    "<div class=\"error\" role=\"alert\" id=\"error-summary\">"
                    "<p><strong>Le formulaire contient une erreur :</strong> ",
                    HtmlEscape(error), "</p></div>\n");
  }
  auto invalid = [&](const char* field) {
    return error_field == field ? " aria-invalid=\"true\"" : "";
  };
  auto hidden = [&](const char* name, const std::string& value) {
    return absl::StrCat("<input type=\"hidden\" name=\"", name, "\" value=\"", HtmlEscape(value),
                        "\">\n");
  };
  absl::StrAppend(&body, "<form method=\"post\" action=\"/authorize\">\n",
                  hidden("response_type", "code"), hidden("client_id", r.client_id),
                  hidden("redirect_uri", r.redirect_uri), hidden("state", r.state));
  if (!r.nonce.empty()) absl::StrAppend(&body, hidden("nonce", r.nonce));
  if (!r.code_challenge.empty()) {
    absl::StrAppend(&body, hidden("code_challenge", r.code_challenge),
                    hidden("code_challenge_method", r.code_challenge_method));
  }
  absl::StrAppend(
      &body,
      "<div class=\"field\">\n<label for=\"subject\">Identifiant de l'agent</label>\n"
      "<span class=\"hint\" id=\"subject-hint\">Le « sub » du jeton : 1 à 100 caractères "
      "ASCII imprimables sans espace, par exemple dev-agent.</span>\n"
      "<input type=\"text\" id=\"subject\" name=\"subject\" required maxlength=\"100\" "
      "autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"subject-hint\"",
      invalid("subject"), " value=\"", HtmlEscape(c.subject), "\">\n</div>\n");
  absl::StrAppend(&body,
                  "<div class=\"field\">\n<label for=\"role\">Rôle</label>\n"
                  "<span class=\"hint\" id=\"role-hint\">Le rôle est enregistré dans "
                  "access.role_bindings avant la délivrance du jeton.</span>\n"
                  "<select id=\"role\" name=\"role\" aria-describedby=\"role-hint\"",
                  invalid("role"), ">\n");
  for (const RoleChoice& role : kRoles) {
    absl::StrAppend(&body, "<option value=\"", role.name, "\"",
                    c.role == role.name ? " selected" : "", ">", role.label, " (", role.name,
                    ")</option>\n");
  }
  absl::StrAppend(
      &body, "</select>\n</div>\n",
      "<div class=\"field\">\n<label for=\"site\">Site</label>\n"
      "<span class=\"hint\" id=\"site-hint\">Au format sites/N (par exemple sites/1), ou "
      "vide pour tous les sites.</span>\n"
      "<input type=\"text\" id=\"site\" name=\"site\" maxlength=\"64\" autocomplete=\"off\" "
      "spellcheck=\"false\" aria-describedby=\"site-hint\"",
      invalid("site"), " value=\"", HtmlEscape(c.site), "\">\n</div>\n",
      "<button type=\"submit\" name=\"decision\" value=\"allow\">Se connecter</button>\n"
      "<button type=\"submit\" name=\"decision\" value=\"deny\">Refuser</button>\n"
      "</form>\n");
  return Page("Connexion — émetteur de développement", body);
}

}  // namespace

// ---- DevIssuer ------------------------------------------------------------

DevIssuer::DevIssuer(std::string audience, Directory* directory, const Clock* clock,
                     JwtSigner signer)
    : audience_(std::move(audience)),
      directory_(directory),
      clock_(clock),
      signer_(std::move(signer)) {}

absl::StatusOr<std::unique_ptr<DevIssuer>> DevIssuer::Start(const std::string& listen,
                                                            const std::string& audience,
                                                            Directory* directory,
                                                            const Clock* clock) {
  size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !IsLoopback(listen) ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dev issuer: listen must be a loopback \"host:port\" (127.0.0.1:0), not \"", listen, "\""));
  }
  if (audience.empty() || directory == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("dev issuer: audience, directory and clock are required");
  }
  std::string kid = RandomUrlToken().substr(0, 12);
  if (kid.empty()) return absl::InternalError("dev issuer: no random bytes");
  ASSIGN_OR_RETURN(JwtSigner signer, JwtSigner::Generate("ES256", "dev-" + kid));

  std::unique_ptr<DevIssuer> d(new DevIssuer(audience, directory, clock, std::move(signer)));
  d->jwks_ = JwksDocument({&d->signer_});
  ASSIGN_OR_RETURN(KeySet keys, KeySet::FromJwks(d->jwks_));
  d->keys_.Set(std::move(keys));

  d->host_ = listen.substr(0, colon);
  std::string bind_host = d->host_;
  if (bind_host.size() > 2 && bind_host.front() == '[' && bind_host.back() == ']') {
    bind_host = bind_host.substr(1, bind_host.size() - 2);
  }
  d->server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *d->server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  s.set_payload_max_length(kMaxBodyBytes);
  s.set_keep_alive_timeout(2);
  s.set_read_timeout(5, 0);
  s.set_write_timeout(5, 0);
  s.set_default_headers({{"Cache-Control", "no-store"},
                         {"X-Content-Type-Options", "nosniff"},
                         {"Referrer-Policy", "no-referrer"}});

  DevIssuer* self = d.get();
  s.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response& res) {
    if (self->HostAllowed(req)) return httplib::Server::HandlerResponse::Unhandled;
    OAuthError(res, 400, "invalid_request",
               "the Host header must name the issuer's loopback address");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Answers the library makes itself (404, 413, malformed requests) get a
  // JSON body too; a 413 becomes 400 like every other bad input.
  s.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 413) {
          OAuthError(res, 400, "invalid_request", "the request body exceeds 16 KiB");
        } else if (res.status == 404) {
          OAuthError(res, 404, "not_found", "no such endpoint");
        } else {
          OAuthError(res, res.status, "invalid_request", "the request is malformed");
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    log::Error("dev_issuer.exception");
    OAuthError(res, 500, "server_error", "internal error");
  });

  s.Get("/.well-known/openid-configuration",
        [self](const httplib::Request& req, httplib::Response& res) { self->Discovery(req, res); });
  s.Get("/jwks.json", [self](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(self->jwks_, "application/json");
  });
  s.Get("/authorize", [self](const httplib::Request& req, httplib::Response& res) {
    self->AuthorizePage(req, res);
  });

  // POST bodies are read here, bounded: the library's own form parsing
  // stops at 8 KiB with a bare 413, and merges query parameters in.
  enum class Endpoint { kAuthorize, kToken };
  auto post = [self](Endpoint endpoint) {
    return [self, endpoint](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
      std::string body;
      bool too_big = false;
      bool read = reader([&](const char* data, size_t n) {
        if (body.size() + n > kMaxBodyBytes) {
          too_big = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
      std::string problem;
      absl::StatusOr<Form> form = Form();
      if (too_big || res.status == 413) {
        problem = "the request body exceeds 16 KiB";
        res.set_header("Connection", "close");
      } else if (!read) {
        problem = "the request body could not be read";
        res.set_header("Connection", "close");
      } else if (!absl::StartsWithIgnoreCase(req.get_header_value("Content-Type"),
                                             "application/x-www-form-urlencoded")) {
        problem = "the body must be application/x-www-form-urlencoded";
      } else if (form = ParseForm(body); !form.ok()) {
        problem = absl::StrCat("the form is malformed: ", form.status().message());
      }
      if (endpoint == Endpoint::kToken) {
        if (!problem.empty()) return OAuthError(res, 400, "invalid_request", problem);
        return self->Token(*form, res);
      }
      if (!problem.empty()) {
        return SendHtml(res, 400, ErrorPage(absl::StrCat("Requête invalide (", problem, ").")));
      }
      self->AuthorizeSubmit(*form, res);
    };
  };
  s.Post("/authorize", post(Endpoint::kAuthorize));
  s.Post("/token", post(Endpoint::kToken));

  int bound =
      port == 0 ? s.bind_to_any_port(bind_host) : (s.bind_to_port(bind_host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("dev issuer: cannot listen on ", listen));
  }
  d->port_ = bound;
  d->issuer_ = absl::StrCat("http://", d->host_, ":", bound);
  d->thread_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->listen_returned_ = true;
  });
  // httplib's stop() does nothing until the server runs: wait for it, so
  // that Stop() always ends the thread.
  while (!s.is_running() && !d->listen_returned_) absl::SleepFor(absl::Milliseconds(1));
  if (d->listen_returned_) {
    return absl::UnavailableError(absl::StrCat("dev issuer: cannot serve on ", listen));
  }
  return d;
}

DevIssuer::~DevIssuer() { Stop(); }

void DevIssuer::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool DevIssuer::HostAllowed(const httplib::Request& req) const {
  std::string host = absl::AsciiStrToLower(req.get_header_value("Host"));
  std::string port = absl::StrCat(":", port_);
  for (const char* name : {"127.0.0.1", "localhost", "[::1]"}) {
    if (host == absl::StrCat(name, port)) return true;
  }
  return host == absl::AsciiStrToLower(host_) + port;
}

void DevIssuer::Discovery(const httplib::Request&, httplib::Response& res) const {
  SendJson(res, 200,
           {{"issuer", issuer_},
            {"authorization_endpoint", issuer_ + "/authorize"},
            {"token_endpoint", issuer_ + "/token"},
            {"jwks_uri", issuer_ + "/jwks.json"},
            {"response_types_supported", {"code"}},
            {"subject_types_supported", {"public"}},
            {"id_token_signing_alg_values_supported", {"ES256"}},
            {"grant_types_supported", {"authorization_code", "refresh_token", kDirectGrant}},
            {"token_endpoint_auth_methods_supported", {"none"}},
            {"code_challenge_methods_supported", {"S256"}},
            {"scopes_supported", {"openid"}}});
}

void DevIssuer::AuthorizePage(const httplib::Request& req, httplib::Response& res) {
  size_t q = req.target.find('?');
  absl::StatusOr<Form> form = ParseForm(
      q == std::string::npos ? std::string_view() : std::string_view(req.target).substr(q + 1));
  if (!form.ok()) {
    return SendHtml(res, 400,
                    ErrorPage("Les paramètres de la requête sont mal formés "
                              "(encodage invalide ou paramètre répété)."));
  }
  absl::StatusOr<AuthRequest> r = ParseAuthRequest(*form);
  if (!r.ok()) return SendHtml(res, 400, ErrorPage(std::string(r.status().message())));
  SendHtml(res, 200, FormPage(*r, Choices()));
}

void DevIssuer::AuthorizeSubmit(const Form& form, httplib::Response& res) {
  absl::StatusOr<AuthRequest> r = ParseAuthRequest(form);
  if (!r.ok()) return SendHtml(res, 400, ErrorPage(std::string(r.status().message())));
  std::string decision = FormValue(form, "decision");
  if (decision == "deny") {
    return res.set_redirect(WithQuery(r->redirect_uri, absl::StrCat("error=access_denied&state=",
                                                                    PercentEncode(r->state))),
                            302);
  }
  Choices c{FormValue(form, "subject"), FormValue(form, "role"), FormValue(form, "site")};
  int64_t site_id = 0;
  if (!decision.empty() && decision != "allow") {
    return SendHtml(res, 400, ErrorPage("decision doit valoir « allow » ou « deny »."));
  }
  if (!ValidSubject(c.subject)) {
    return SendHtml(res, 400,
                    FormPage(*r, c,
                             "l'identifiant doit compter 1 à 100 caractères ASCII imprimables, "
                             "sans espace (ni « public », ni « devices/… », ni « service:… »).",
                             "subject"));
  }
  if (!KnownRole(c.role)) {
    c.role = "LODGE_AGENT";
    return SendHtml(res, 400, FormPage(*r, c, "choisissez un rôle de la liste.", "role"));
  }
  if (!ParseSite(c.site, &site_id)) {
    return SendHtml(
        res, 400,
        FormPage(*r, c, "le site doit être de la forme sites/N (N entier positif), ou vide.",
                 "site"));
  }
  std::string code = RandomUrlToken();
  if (code.empty()) return SendHtml(res, 500, ErrorPage("Pas d'aléa disponible."));
  absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    for (auto it = codes_.begin(); it != codes_.end();) {
      it = it->second.expiry <= now ? codes_.erase(it) : std::next(it);
    }
    if (codes_.size() >= kMaxPendingCodes) {
      return SendHtml(res, 503, ErrorPage("Trop de codes en attente : réessayez dans une minute."));
    }
    codes_[code] = PendingCode{c.subject,       c.role,   site_id,           r->client_id,
                               r->redirect_uri, r->nonce, r->code_challenge, now + kCodeLifetime};
  }
  res.set_redirect(
      WithQuery(r->redirect_uri, absl::StrCat("code=", code, "&state=", PercentEncode(r->state))),
      302);
}

void DevIssuer::Token(const Form& form, httplib::Response& res) {
  std::string grant = FormValue(form, "grant_type");
  if (grant.empty()) return OAuthError(res, 400, "invalid_request", "grant_type is required");
  if (grant == "authorization_code") return TokenFromCode(form, res);
  if (grant == kDirectGrant) return TokenDirect(form, res);
  if (grant == "refresh_token") return TokenFromRefresh(form, res);
  OAuthError(
      res, 400, "unsupported_grant_type",
      absl::StrCat("grant_type must be authorization_code, refresh_token or ", kDirectGrant));
}

void DevIssuer::TokenFromCode(const Form& form, httplib::Response& res) {
  std::string code = FormValue(form, "code");
  std::string redirect_uri = FormValue(form, "redirect_uri");
  if (code.empty()) return OAuthError(res, 400, "invalid_request", "code is required");
  if (redirect_uri.empty()) {
    return OAuthError(res, 400, "invalid_request", "redirect_uri is required");
  }
  PendingCode pending;
  {
    absl::MutexLock lock(&mu_);
    auto it = codes_.find(code);
    if (it == codes_.end()) {
      return OAuthError(res, 400, "invalid_grant", "unknown, expired or already used code");
    }
    pending = std::move(it->second);
    codes_.erase(it);  // single use, whatever happens next
  }
  if (pending.expiry <= clock_->Now()) {
    return OAuthError(res, 400, "invalid_grant", "unknown, expired or already used code");
  }
  if (redirect_uri != pending.redirect_uri) {
    return OAuthError(res, 400, "invalid_grant",
                      "redirect_uri differs from the authorization request's");
  }
  if (form.count("client_id") != 0 && FormValue(form, "client_id") != pending.client_id) {
    return OAuthError(res, 400, "invalid_grant",
                      "client_id differs from the authorization request's");
  }
  if (!pending.code_challenge.empty()) {
    std::string verifier = FormValue(form, "code_verifier");
    if (!PkceText(verifier, 43, 128) ||
        !SameText(PkceChallenge(verifier), pending.code_challenge)) {
      return OAuthError(res, 400, "invalid_grant",
                        "code_verifier does not match the code_challenge");
    }
  }
  Issue(pending.subject, pending.role, pending.site_id, pending.nonce, "authorization_code", res,
        clock_->Now() + kRefreshLifetime);
}

void DevIssuer::TokenFromRefresh(const Form& form, httplib::Response& res) {
  std::string token = FormValue(form, "refresh_token");
  if (token.empty()) return OAuthError(res, 400, "invalid_request", "refresh_token is required");
  RefreshGrant grant;
  {
    absl::MutexLock lock(&mu_);
    auto it = refresh_.find(token);
    if (it == refresh_.end()) {
      return OAuthError(res, 400, "invalid_grant",
                        "unknown, expired or already used refresh token");
    }
    grant = std::move(it->second);
    refresh_.erase(it);  // rotated: the answer carries the next one
  }
  if (grant.expiry <= clock_->Now()) {
    return OAuthError(res, 400, "invalid_grant", "unknown, expired or already used refresh token");
  }
  Issue(grant.subject, grant.role, grant.site_id, "", "refresh_token", res, grant.expiry);
}

void DevIssuer::TokenDirect(const Form& form, httplib::Response& res) {
  std::string role = FormValue(form, "role");
  std::string subject = form.count("subject") != 0 ? FormValue(form, "subject") : kDefaultSubject;
  std::string nonce = FormValue(form, "nonce");
  int64_t site_id = 0;
  if (role.empty()) return OAuthError(res, 400, "invalid_request", "role is required");
  if (!KnownRole(role)) {
    return OAuthError(res, 400, "invalid_request",
                      "role must be LODGE_AGENT, COUNTER_AGENT, QUALITY_OFFICER, "
                      "ADMINISTRATOR or SERVICE");
  }
  if (!ParseSite(FormValue(form, "site"), &site_id)) {
    return OAuthError(res, 400, "invalid_request",
                      "site must be \"sites/N\" (N a positive integer), or empty for every site");
  }
  if (!ValidSubject(subject)) {
    return OAuthError(res, 400, "invalid_request",
                      "subject must be 1 to 100 printable ASCII characters without spaces, "
                      "neither \"public\" nor \"devices/...\" nor \"service:...\"");
  }
  if (!Printable(nonce, 0, 500)) {
    return OAuthError(res, 400, "invalid_request",
                      "nonce must be at most 500 printable ASCII characters");
  }
  Issue(subject, role, site_id, nonce, kDirectGrant, res);
}

void DevIssuer::Issue(const std::string& subject, const std::string& role, int64_t site_id,
                      const std::string& nonce, const std::string& grant, httplib::Response& res,
                      std::optional<absl::Time> refresh_expiry) {
  absl::Time now = clock_->Now();
  Role parsed = Role::ROLE_UNSPECIFIED;
  access::v1::Role_Parse(role, &parsed);
  if (grant != "refresh_token") {
    absl::Status recorded = directory_->Bind(subject, parsed, site_id, "dev-issuer", now);
    if (!recorded.ok()) {
      log::Error("dev_issuer.binding_failed", {{"error", std::string(recorded.message())}});
      return OAuthError(res, 500, "server_error", "could not record the role binding");
    }
  }
  std::string refresh;
  if (refresh_expiry.has_value()) {
    refresh = RandomUrlToken();
    if (refresh.empty()) return OAuthError(res, 500, "server_error", "no random bytes");
    absl::MutexLock lock(&mu_);
    for (auto it = refresh_.begin(); it != refresh_.end();) {
      it = it->second.expiry <= now ? refresh_.erase(it) : std::next(it);
    }
    if (refresh_.size() >= kMaxPendingCodes) {
      return OAuthError(res, 503, "temporarily_unavailable", "too many sessions");
    }
    refresh_[refresh] = RefreshGrant{subject, role, site_id, *refresh_expiry};
  }
  int64_t iat = absl::ToUnixSeconds(now);
  Json claims = {{"iss", issuer_}, {"aud", audience_},
                 {"sub", subject}, {"iat", iat},
                 {"nbf", iat},     {"exp", iat + absl::ToInt64Seconds(kTokenLifetime)}};
  if (!nonce.empty()) claims["nonce"] = nonce;
  std::string token = signer_.Sign(Dump(claims));
  log::Info("dev_issuer.token_issued",
            {{"grant", grant},
             {"role", role},
             {"site", site_id == 0 ? std::string("*") : absl::StrCat("sites/", site_id)}});
  Json answer = {{"access_token", token},
                 {"id_token", token},
                 {"token_type", "Bearer"},
                 {"expires_in", absl::ToInt64Seconds(kTokenLifetime)}};
  if (!refresh.empty()) answer["refresh_token"] = refresh;
  SendJson(res, 200, answer);
}

}  // namespace accueil::auth
