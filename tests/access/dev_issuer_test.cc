// The development OpenID Connect issuer, over real HTTP and a real database:
// discovery, JWKS, the authorization-code flow (with and without PKCE), the
// direct grant the CLI uses, role bindings, bad input, and a token carried
// end to end through the Authenticator and AccessService.WhoAmI over gRPC.
#include "services/common/auth/dev_issuer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "services/access/access_service.h"
#include "services/common/audit.h"
#include "services/common/auth/jwt.h"
#include "services/common/gate.h"
#include "services/common/metrics.h"
#include "services/common/rate_limiter.h"
#include "services/common/secrets.h"
#include "services/common/server.h"
#include "tests/support/test_database.h"

namespace accueil {
namespace {

using Json = nlohmann::json;

constexpr char kAudience[] = "accueil";
constexpr char kRedirect[] = "http://127.0.0.1:9/callback";
const absl::Time kNow = absl::FromUnixSeconds(1780300800);  // 2026-06-01T08:00:00Z

std::string Encode(const std::string& s) { return httplib::detail::encode_query_param(s); }

std::string Query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    absl::StrAppend(&out, out.empty() ? "" : "&", Encode(k), "=", Encode(v));
  }
  return out;
}

// The value of `key` in the query of a URL ("" if absent).
std::string QueryValue(const std::string& url, const std::string& key) {
  size_t q = url.find('?');
  if (q == std::string::npos) return "";
  httplib::Params params;
  httplib::detail::parse_query_text(url.substr(q + 1), params);
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

// RawPost sends one HTTP/1.1 request and returns the raw answer: the
// httplib 0.11 client percent-decodes every response header value, Location
// included, so a redirect's encoded query can only be checked raw.
std::string RawPost(int port, const std::string& path, const std::string& body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = absl::StrCat(
        "POST ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
        "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ", body.size(),
        "\r\nConnection: close\r\n\r\n", body);
    if (send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, n);
    }
  }
  close(fd);
  return answer;
}

std::string S256(const std::string& verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(verifier.data(), verifier.size(), digest, &len, EVP_sha256(), nullptr);
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(digest), len));
}

// PayloadOf reads the claims of a token (already verified by the test).
Json PayloadOf(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string payload;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload)) {
    ADD_FAILURE() << "not a JWT: " << token;
    return Json::object();
  }
  return Json::parse(payload);
}

class DevIssuerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = testing::TestDatabase::Create().release();
    absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(database_->url(), 4);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = pool->release();
    // The access module's directory: where the issuer records role bindings.
    directory_ = new access::Directory(pool_, nullptr);
  }
  static void TearDownTestSuite() {
    delete directory_;
    delete pool_;
    delete database_;
  }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<auth::DevIssuer>> issuer =
        auth::DevIssuer::Start("127.0.0.1:0", kAudience, directory_, &clock_);
    ASSERT_TRUE(issuer.ok()) << issuer.status();
    issuer_ = std::move(*issuer);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", issuer_->port());
    client_->set_read_timeout(10, 0);
  }

  httplib::Result PostForm(const std::string& path, const std::string& body,
                           const std::string& type = "application/x-www-form-urlencoded") {
    return client_->Post(path.c_str(), body, type.c_str());
  }

  std::string AuthorizeQuery(const std::string& redirect, const std::string& state,
                             const std::vector<std::pair<std::string, std::string>>& more = {}) {
    std::vector<std::pair<std::string, std::string>> params = {{"response_type", "code"},
                                                               {"client_id", "accueil-cli"},
                                                               {"redirect_uri", redirect},
                                                               {"state", state}};
    params.insert(params.end(), more.begin(), more.end());
    return Query(params);
  }

  // Submits the sign-in form; returns the redirect location ("" if none).
  std::string Approve(const std::string& subject, const std::string& role, const std::string& site,
                      const std::string& state = "st-1",
                      const std::vector<std::pair<std::string, std::string>>& more = {}) {
    std::vector<std::pair<std::string, std::string>> form = {
        {"subject", subject}, {"role", role}, {"site", site}, {"decision", "allow"}};
    form.insert(form.end(), more.begin(), more.end());
    httplib::Result r =
        PostForm("/authorize", AuthorizeQuery(kRedirect, state, {}) + "&" + Query(form));
    if (!r || r->status != 302) return "";
    return r->get_header_value("Location");
  }

  // POST /token; the parsed answer and its status.
  std::pair<int, Json> TokenRequest(const std::string& body) {
    httplib::Result r = PostForm("/token", body);
    if (!r) return {0, Json()};
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << body;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
    return {r->status, Json::parse(r->body, nullptr, false)};
  }

  std::string DirectToken(const std::string& subject, const std::string& role,
                          const std::string& site) {
    auto [status, json] = TokenRequest(Query(
        {{"grant_type", "urn:accueil:dev"}, {"subject", subject}, {"role", role}, {"site", site}}));
    EXPECT_EQ(status, 200) << json.dump();
    return json.value("access_token", "");
  }

  auth::KeySet FetchedKeys() {
    httplib::Result r = client_->Get("/jwks.json");
    EXPECT_TRUE(r && r->status == 200);
    absl::StatusOr<auth::KeySet> keys = auth::KeySet::FromJwks(r ? r->body : "");
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? *keys : auth::KeySet();
  }

  absl::StatusOr<auth::Claims> Verify(const std::string& token) {
    auth::JwtVerifier verifier({.issuer = issuer_->issuer(), .audience = kAudience});
    return verifier.Verify(token, FetchedKeys(), clock_.Now());
  }

  std::string Bindings(const std::string& subject) {
    return database_->Query(
        "SELECT string_agg(role || '@' || coalesce('sites/' || site_id, '*') || '@' || "
        "granted_by, ',' ORDER BY role, site_id) FROM access.role_bindings WHERE subject = '" +
        subject + "' AND revoke_time IS NULL");
  }

  static testing::TestDatabase* database_;
  static db::Pool* pool_;
  static access::Directory* directory_;
  ManualClock clock_{kNow};
  std::unique_ptr<auth::DevIssuer> issuer_;
  std::unique_ptr<httplib::Client> client_;
};

testing::TestDatabase* DevIssuerTest::database_ = nullptr;
db::Pool* DevIssuerTest::pool_ = nullptr;
access::Directory* DevIssuerTest::directory_ = nullptr;

TEST_F(DevIssuerTest, RefusesToListenBeyondLoopback) {
  for (const char* listen : {"0.0.0.0:0", "10.1.2.3:0", "example.org:80", "127.0.0.1",
                             "127.0.0.1:x", "127.0.0.1:70000", ""}) {
    EXPECT_FALSE(auth::DevIssuer::Start(listen, kAudience, directory_, &clock_).ok()) << listen;
  }
}

TEST_F(DevIssuerTest, PublishesTheDiscoveryDocument) {
  EXPECT_EQ(issuer_->issuer(), absl::StrCat("http://127.0.0.1:", issuer_->port()));
  httplib::Result r = client_->Get("/.well-known/openid-configuration");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  Json doc = Json::parse(r->body);
  std::string iss = issuer_->issuer();
  EXPECT_EQ(doc["issuer"], iss);
  EXPECT_EQ(doc["authorization_endpoint"], iss + "/authorize");
  EXPECT_EQ(doc["token_endpoint"], iss + "/token");
  EXPECT_EQ(doc["jwks_uri"], iss + "/jwks.json");
  EXPECT_EQ(doc["response_types_supported"], Json({"code"}));
  EXPECT_EQ(doc["subject_types_supported"], Json({"public"}));
  EXPECT_EQ(doc["id_token_signing_alg_values_supported"], Json({"ES256"}));
  EXPECT_EQ(doc["grant_types_supported"],
            Json({"authorization_code", "refresh_token", "urn:accueil:dev"}));
}

TEST_F(DevIssuerTest, PublishesItsKeyAsJwks) {
  httplib::Result r = client_->Get("/jwks.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, issuer_->jwks());
  Json jwks = Json::parse(r->body);
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kty"], "EC");
  EXPECT_EQ(jwks["keys"][0]["crv"], "P-256");
  EXPECT_EQ(jwks["keys"][0].count("d"), 0u);  // public only
  EXPECT_EQ(FetchedKeys().size(), 1u);
  EXPECT_EQ(issuer_->keys()->Keys()->size(), 1u);
}

TEST_F(DevIssuerTest, AuthorizePageIsAnAccessibleFrenchForm) {
  httplib::Result r =
      client_->Get(("/authorize?" + AuthorizeQuery(kRedirect, "s-1", {{"nonce", "n-1"}})).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  const std::string& html = r->body;
  for (const char* part :
       {"<html lang=\"fr\">",
        "<title>",
        "<h1>Émetteur de développement — ne pas utiliser en production</h1>",
        "<form method=\"post\" action=\"/authorize\">",
        "<label for=\"subject\">",
        "id=\"subject\" name=\"subject\"",
        "value=\"dev-agent\"",
        "<label for=\"role\">",
        "<select id=\"role\" name=\"role\"",
        "<option value=\"LODGE_AGENT\"",
        "<option value=\"COUNTER_AGENT\"",
        "<option value=\"QUALITY_OFFICER\"",
        "<option value=\"ADMINISTRATOR\"",
        "<option value=\"SERVICE\"",
        "<label for=\"site\">",
        "id=\"site\" name=\"site\"",
        "<input type=\"hidden\" name=\"state\" value=\"s-1\">",
        "<input type=\"hidden\" name=\"nonce\" value=\"n-1\">",
        "<input type=\"hidden\" name=\"redirect_uri\" value=\"http://127.0.0.1:9/callback\">",
        "name=\"decision\" value=\"allow\"",
        "name=\"decision\" value=\"deny\""}) {
    EXPECT_NE(html.find(part), std::string::npos) << part;
  }
}

TEST_F(DevIssuerTest, AuthorizePageEscapesWhatItEchoes) {
  httplib::Result r = client_->Get(
      ("/authorize?" + Query({{"response_type", "code"},
                              {"client_id", "<script>alert(1)</script>"},
                              {"redirect_uri", "http://localhost:8080/cb?x=\"><b>&y=1"},
                              {"state", "\"><img src=x onerror=alert(1)>"}}))
          .c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.find("<script>"), std::string::npos);
  EXPECT_EQ(r->body.find("<img"), std::string::npos);
  EXPECT_EQ(r->body.find("<b>"), std::string::npos);
  EXPECT_NE(r->body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(r->body.find("value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""),
            std::string::npos);
}

TEST_F(DevIssuerTest, RefusesRedirectsOffLoopback) {
  for (const char* redirect :
       {"http://evil.example/cb", "https://127.0.0.1/cb", "http://127.0.0.1.evil.example/cb",
        "http://user@127.0.0.1/cb", "http://127.0.0.1:9/cb#fragment", "http://localhost:99999/",
        "http://127.0.0.1:/cb", "http://[::2]:9/cb", "http://127.0.0.2/cb", "javascript:alert(1)",
        "//127.0.0.1/cb", "http://127.0.0.1 /cb", ""}) {
    httplib::Result r = client_->Get(("/authorize?" + AuthorizeQuery(redirect, "s-1")).c_str());
    ASSERT_TRUE(r) << redirect;
    EXPECT_EQ(r->status, 400) << redirect;
    EXPECT_NE(r->body.find("redirect_uri doit être une URL http sur la boucle locale"),
              std::string::npos)
        << redirect;
    EXPECT_EQ(r->body.find("<form"), std::string::npos) << redirect;

    httplib::Result post =
        PostForm("/authorize", AuthorizeQuery(redirect, "s-1") +
                                   "&subject=a&role=LODGE_AGENT&site=&decision=allow");
    ASSERT_TRUE(post) << redirect;
    EXPECT_EQ(post->status, 400) << redirect;
    EXPECT_FALSE(post->has_header("Location")) << redirect;
  }
  for (const char* redirect : {"http://127.0.0.1/cb", "http://localhost:8080/",
                               "http://[::1]:65535/cb?x=1", "http://LOCALHOST:1"}) {
    httplib::Result r = client_->Get(("/authorize?" + AuthorizeQuery(redirect, "s")).c_str());
    ASSERT_TRUE(r) << redirect;
    EXPECT_EQ(r->status, 200) << redirect;
  }
}

TEST_F(DevIssuerTest, RefusesMalformedAuthorizationRequests) {
  for (const std::string& query :
       {Query({{"client_id", "c"}, {"redirect_uri", kRedirect}, {"state", "s"}}),
        Query({{"response_type", "token"},
               {"client_id", "c"},
               {"redirect_uri", kRedirect},
               {"state", "s"}}),
        Query({{"response_type", "code"}, {"redirect_uri", kRedirect}, {"state", "s"}}),
        Query({{"response_type", "code"}, {"client_id", "c"}, {"redirect_uri", kRedirect}}),
        AuthorizeQuery(
            kRedirect, "s",
            {{"code_challenge", std::string(43, 'a')}, {"code_challenge_method", "plain"}}),
        AuthorizeQuery(kRedirect, "s",
                       {{"code_challenge", "short"}, {"code_challenge_method", "S256"}}),
        AuthorizeQuery(kRedirect, "s", {{"state", "again"}}),
        AuthorizeQuery(kRedirect, "s") + "&x=%zz",
        AuthorizeQuery(kRedirect, std::string(501, 's'))}) {
    httplib::Result r = client_->Get(("/authorize?" + query).c_str());
    ASSERT_TRUE(r) << query;
    EXPECT_EQ(r->status, 400) << query;
    EXPECT_NE(r->body.find("role=\"alert\""), std::string::npos) << query;
  }
}

TEST_F(DevIssuerTest, CodeFlowIssuesAVerifiableTokenOnce) {
  // The state comes back percent-encoded, as sent.
  std::string state = "state with spaces & symbols=?";
  std::string raw =
      RawPost(issuer_->port(), "/authorize",
              AuthorizeQuery(kRedirect, state, {{"nonce", "nonce-123"}}) +
                  "&subject=agent-7&role=COUNTER_AGENT&site=sites%2F3&decision=allow");
  ASSERT_EQ(raw.rfind("HTTP/1.1 302", 0), 0u) << raw;
  size_t at = raw.find("\r\nLocation: ");
  ASSERT_NE(at, std::string::npos) << raw;
  at += 12;
  std::string location = raw.substr(at, raw.find("\r\n", at) - at);
  EXPECT_EQ(location.rfind(std::string(kRedirect) + "?code=", 0), 0u) << location;
  std::string tail = "&state=state%20with%20spaces%20%26%20symbols%3D%3F";
  ASSERT_GT(location.size(), tail.size());
  EXPECT_EQ(location.substr(location.size() - tail.size()), tail) << location;
  std::string code = QueryValue(location, "code");
  ASSERT_GE(code.size(), 40u);

  std::string body = Query({{"grant_type", "authorization_code"},
                            {"code", code},
                            {"redirect_uri", kRedirect},
                            {"client_id", "accueil-cli"}});
  auto [status, json] = TokenRequest(body);
  ASSERT_EQ(status, 200) << json.dump();
  EXPECT_EQ(json["token_type"], "Bearer");
  EXPECT_EQ(json["expires_in"], 28800);
  EXPECT_EQ(json["id_token"], json["access_token"]);

  std::string token = json["access_token"];
  absl::StatusOr<auth::Claims> claims = Verify(token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "agent-7");
  EXPECT_EQ(claims->issuer, issuer_->issuer());
  EXPECT_EQ(claims->expiry, kNow + absl::Hours(8));
  Json payload = PayloadOf(token);
  EXPECT_EQ(payload["aud"], kAudience);
  EXPECT_EQ(payload["iat"], absl::ToUnixSeconds(kNow));
  EXPECT_EQ(payload["nbf"], absl::ToUnixSeconds(kNow));
  EXPECT_EQ(payload["nonce"], "nonce-123");

  // Another verifier (other issuer or audience) refuses it.
  auth::JwtVerifier other({.issuer = "https://issuer.test", .audience = kAudience});
  EXPECT_FALSE(other.Verify(token, FetchedKeys(), kNow).ok());

  EXPECT_EQ(Bindings("agent-7"), "COUNTER_AGENT@sites/3@dev-issuer");
  EXPECT_EQ(database_->Query("SELECT extract(epoch FROM grant_time)::bigint FROM "
                             "access.role_bindings WHERE subject = 'agent-7'"),
            absl::StrCat(absl::ToUnixSeconds(kNow)));

  auto [again, error] = TokenRequest(body);
  EXPECT_EQ(again, 400);
  EXPECT_EQ(error["error"], "invalid_grant");
}

TEST_F(DevIssuerTest, RefreshTokensRotateAndEndWithTheSignIn) {
  std::string code = QueryValue(Approve("agent-r", "LODGE_AGENT", "sites/2"), "code");
  auto [status, first] = TokenRequest(
      Query({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  ASSERT_EQ(status, 200) << first.dump();
  std::string refresh = first.value("refresh_token", "");
  ASSERT_GE(refresh.size(), 40u);
  // The direct grant (the CLI) gets none.
  auto [direct_status, direct] = TokenRequest(
      Query({{"grant_type", "urn:accueil:dev"}, {"subject", "agent-r"}, {"role", "LODGE_AGENT"}}));
  ASSERT_EQ(direct_status, 200);
  EXPECT_FALSE(direct.contains("refresh_token"));

  // Seven hours on, a refresh gives a token valid eight hours from now and
  // the next refresh token; the used one is spent.
  clock_.Advance(absl::Hours(7));
  auto [refreshed_status, refreshed] =
      TokenRequest(Query({{"grant_type", "refresh_token"}, {"refresh_token", refresh}}));
  ASSERT_EQ(refreshed_status, 200) << refreshed.dump();
  absl::StatusOr<auth::Claims> claims = Verify(refreshed.value("id_token", ""));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "agent-r");
  EXPECT_EQ(claims->expiry, kNow + absl::Hours(15));
  std::string next = refreshed.value("refresh_token", "");
  EXPECT_NE(next, refresh);
  auto [reused, reused_error] =
      TokenRequest(Query({{"grant_type", "refresh_token"}, {"refresh_token", refresh}}));
  EXPECT_EQ(reused, 400);
  EXPECT_EQ(reused_error["error"], "invalid_grant");

  // A revoked role is not granted again by a refresh.
  database_->Query("UPDATE access.role_bindings SET revoke_time = now() WHERE subject = 'agent-r'");
  auto [after_revoke, unused] =
      TokenRequest(Query({{"grant_type", "refresh_token"}, {"refresh_token", next}}));
  ASSERT_EQ(after_revoke, 200);
  EXPECT_EQ(Bindings("agent-r"), "");
  next = unused.value("refresh_token", "");

  // Twelve hours after the sign-in, the session is over.
  clock_.Advance(absl::Hours(5));
  auto [expired, expired_error] =
      TokenRequest(Query({{"grant_type", "refresh_token"}, {"refresh_token", next}}));
  EXPECT_EQ(expired, 400);
  EXPECT_EQ(expired_error["error"], "invalid_grant");
  auto [missing, missing_error] = TokenRequest("grant_type=refresh_token");
  EXPECT_EQ(missing, 400);
  EXPECT_EQ(missing_error["error"], "invalid_request");
}

TEST_F(DevIssuerTest, CodeIsBoundToItsRedirectAndClient) {
  std::string code = QueryValue(Approve("agent-8", "LODGE_AGENT", ""), "code");
  ASSERT_NE(code, "");
  auto [status, json] = TokenRequest(Query({{"grant_type", "authorization_code"},
                                            {"code", code},
                                            {"redirect_uri", "http://127.0.0.1:9/other"}}));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(json["error"], "invalid_grant");
  // The refused attempt used the code up.
  auto [retry, retry_json] = TokenRequest(
      Query({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  EXPECT_EQ(retry, 400);
  EXPECT_EQ(retry_json["error"], "invalid_grant");

  code = QueryValue(Approve("agent-8", "LODGE_AGENT", ""), "code");
  auto [client, client_json] = TokenRequest(Query({{"grant_type", "authorization_code"},
                                                   {"code", code},
                                                   {"redirect_uri", kRedirect},
                                                   {"client_id", "someone-else"}}));
  EXPECT_EQ(client, 400);
  EXPECT_EQ(client_json["error"], "invalid_grant");
  EXPECT_EQ(Bindings("agent-8"), "");  // nothing issued, nothing bound
}

TEST_F(DevIssuerTest, CodeExpiresAfterSixtySeconds) {
  std::string code = QueryValue(Approve("agent-9", "LODGE_AGENT", ""), "code");
  ASSERT_NE(code, "");
  clock_.Advance(absl::Seconds(61));
  auto [status, json] = TokenRequest(
      Query({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(json["error"], "invalid_grant");
}

TEST_F(DevIssuerTest, PkceVerifierMustMatchTheChallenge) {
  std::string verifier = "verifier-" + std::string(50, 'v');
  std::vector<std::pair<std::string, std::string>> pkce = {{"code_challenge", S256(verifier)},
                                                           {"code_challenge_method", "S256"}};
  std::string code = QueryValue(Approve("agent-pkce", "LODGE_AGENT", "", "s", pkce), "code");
  ASSERT_NE(code, "");
  auto [bad, bad_json] = TokenRequest(Query({{"grant_type", "authorization_code"},
                                             {"code", code},
                                             {"redirect_uri", kRedirect},
                                             {"code_verifier", verifier + "x"}}));
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(bad_json["error"], "invalid_grant");

  code = QueryValue(Approve("agent-pkce", "LODGE_AGENT", "", "s", pkce), "code");
  auto [missing, missing_json] = TokenRequest(
      Query({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  EXPECT_EQ(missing, 400);

  code = QueryValue(Approve("agent-pkce", "LODGE_AGENT", "", "s", pkce), "code");
  auto [good, good_json] = TokenRequest(Query({{"grant_type", "authorization_code"},
                                               {"code", code},
                                               {"redirect_uri", kRedirect},
                                               {"code_verifier", verifier}}));
  EXPECT_EQ(good, 200) << good_json.dump();
}

TEST_F(DevIssuerTest, DenyRedirectsWithAccessDenied) {
  httplib::Result r = PostForm(
      "/authorize", AuthorizeQuery(kRedirect, "s-9") + "&subject=x&role=SERVICE&decision=deny");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  std::string location = r->get_header_value("Location");
  EXPECT_EQ(QueryValue(location, "error"), "access_denied");
  EXPECT_EQ(QueryValue(location, "state"), "s-9");
  EXPECT_EQ(QueryValue(location, "code"), "");
}

TEST_F(DevIssuerTest, InvalidChoicesShowTheFormAgainWithTheError) {
  for (const auto& [choice, field] : std::vector<std::pair<std::string, std::string>>{
           {"subject=&role=LODGE_AGENT&site=", "subject"},
           {"subject=%C3%A9&role=LODGE_AGENT&site=", "subject"},
           {"subject=a&role=ROOT&site=", "role"},
           {"subject=a&role=LODGE_AGENT&site=sites%2Fx", "site"},
           {"subject=a&role=LODGE_AGENT&site=3", "site"}}) {
    httplib::Result r =
        PostForm("/authorize", AuthorizeQuery(kRedirect, "s") + "&" + choice + "&decision=allow");
    ASSERT_TRUE(r) << choice;
    EXPECT_EQ(r->status, 400) << choice;
    EXPECT_FALSE(r->has_header("Location")) << choice;
    EXPECT_NE(r->body.find("role=\"alert\""), std::string::npos) << choice;
    EXPECT_NE(r->body.find("id=\"" + field + "\" name=\"" + field + "\""), std::string::npos);
    EXPECT_NE(r->body.find("aria-invalid=\"true\""), std::string::npos) << choice;
    EXPECT_NE(r->body.find("<form"), std::string::npos) << choice;
  }
}

TEST_F(DevIssuerTest, DirectGrantIssuesAndBindsIdempotently) {
  for (int i = 0; i < 2; ++i) {
    std::string token = DirectToken("cli-admin", "ADMINISTRATOR", "");
    absl::StatusOr<auth::Claims> claims = Verify(token);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(claims->subject, "cli-admin");
    EXPECT_EQ(PayloadOf(token).count("nonce"), 0u);
  }
  EXPECT_EQ(Bindings("cli-admin"), "ADMINISTRATOR@*@dev-issuer");
  EXPECT_EQ(database_->Query("SELECT count(*) FROM access.role_bindings "
                             "WHERE subject = 'cli-admin'"),
            "1");
  DirectToken("cli-admin", "LODGE_AGENT", "sites/12");
  EXPECT_EQ(Bindings("cli-admin"), "ADMINISTRATOR@*@dev-issuer,LODGE_AGENT@sites/12@dev-issuer");

  // Subject defaults to dev-agent; a body between 8 and 16 KiB is accepted.
  auto [status, json] = TokenRequest(Query({{"grant_type", "urn:accueil:dev"},
                                            {"role", "SERVICE"},
                                            {"padding", std::string(12000, 'p')}}));
  ASSERT_EQ(status, 200) << json.dump();
  absl::StatusOr<auth::Claims> claims = Verify(json["access_token"]);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "dev-agent");
  EXPECT_EQ(Bindings("dev-agent"), "SERVICE@*@dev-issuer");
}

TEST_F(DevIssuerTest, BadTokenRequestsAreOAuthErrors) {
  struct Case {
    std::string body;
    std::string error;
    std::string type = "application/x-www-form-urlencoded";
  };
  std::vector<Case> cases = {
      {"", "invalid_request"},
      {"role=LODGE_AGENT", "invalid_request"},
      {"grant_type=password&username=a&password=b", "unsupported_grant_type"},
      {"grant_type=client_credentials", "unsupported_grant_type"},
      {"grant_type=urn%3Aaccueil%3Adev", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=ROOT", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=lodge_agent", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=DEVICE", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&site=sites%2Fx", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&site=sites%2F0", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&site=sites%2F-1", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&site=sites%2F", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&site=4", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&site=sites%2F99999999999999999999",
       "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=" + std::string(101, 'a'),
       "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=%C3%A9", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=a%0Ab", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=a%00", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=+a", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=a+b", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=public", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&subject=devices%2F3", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&role=ADMINISTRATOR", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&x=%zz", "invalid_request"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&x=%4", "invalid_request"},
      {"grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback",
       "invalid_request"},
      {"grant_type=authorization_code&code=abc", "invalid_request"},
      {"grant_type=authorization_code&code=made-up&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2F"
       "callback",
       "invalid_grant"},
      {R"({"grant_type":"urn:accueil:dev","role":"LODGE_AGENT"})", "invalid_request",
       "application/json"},
      {"grant_type=urn%3Aaccueil%3Adev&role=LODGE_AGENT&pad=" + std::string(20000, 'p'),
       "invalid_request"},
      {std::string(1 << 20, 'a'), "invalid_request"},
  };
  for (const Case& c : cases) {
    httplib::Result r = PostForm("/token", c.body, c.type);
    std::string shown = c.body.substr(0, 100);
    ASSERT_TRUE(r) << shown << ": " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 400) << shown;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << shown;
    Json json = Json::parse(r->body, nullptr, false);
    ASSERT_TRUE(json.is_object()) << shown << ": " << r->body;
    EXPECT_EQ(json.value("error", ""), c.error) << shown << ": " << r->body;
    EXPECT_FALSE(json.value("error_description", "").empty()) << shown;
  }
  // Nothing was bound by any of them.
  EXPECT_EQ(database_->Query("SELECT count(*) FROM access.role_bindings "
                             "WHERE subject IN ('', 'a b', 'public', 'devices/3')"),
            "0");
  // And the issuer still serves.
  EXPECT_NE(DirectToken("still-up", "LODGE_AGENT", ""), "");
}

TEST_F(DevIssuerTest, RefusesForeignHostHeadersAndUnknownPaths) {
  httplib::Result r =
      client_->Get("/.well-known/openid-configuration", {{"Host", "rebound.example:80"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Json::parse(r->body)["error"], "invalid_request");

  r = client_->Get("/.well-known/openid-configuration",
                   {{"Host", absl::StrCat("localhost:", issuer_->port())}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  r = client_->Get("/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Json::parse(r->body)["error"], "not_found");
  r = client_->Get("/token");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(DevIssuerTest, ServesConcurrentClients) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", issuer_->port());
      for (int i = 0; i < 10; ++i) {
        httplib::Result r = client.Post(
            "/token",
            absl::StrCat("grant_type=urn%3Aaccueil%3Adev&role=COUNTER_AGENT&site=sites%2F", t + 1,
                         "&subject=concurrent"),
            "application/x-www-form-urlencoded");
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(database_->Query("SELECT count(*) FROM access.role_bindings "
                             "WHERE subject = 'concurrent'"),
            "8");
}

TEST_F(DevIssuerTest, StopEndsServing) {
  int port = issuer_->port();
  issuer_->Stop();
  issuer_->Stop();  // idempotent
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  EXPECT_FALSE(client.Get("/jwks.json"));
}

// The token, carried over gRPC, is accepted by the real Authenticator (keys
// and issuer from the dev issuer) and WhoAmI reports the bound grants.
TEST_F(DevIssuerTest, TokenSignsInThroughAccessServiceWhoAmI) {
  absl::StatusOr<Secrets> secrets = Secrets::FromKey(std::string(48, 'k'));
  ASSERT_TRUE(secrets.ok());
  access::Directory directory(pool_, &*secrets);
  events::AuditOutbox audit(pool_, nullptr);
  auth::Authenticator authenticator(&directory, &clock_, issuer_->keys(),
                                    {{issuer_->issuer(), kAudience, absl::Seconds(60)}, {}});
  RateLimitOptions limits;
  limits.exempt = {"127.0.0.1", "::1"};
  absl::StatusOr<std::unique_ptr<RateLimiter>> limiter = RateLimiter::Create(limits);
  ASSERT_TRUE(limiter.ok());
  Metrics metrics;
  // No service tokens: like the peers below, this server calls no other module.
  Gate gate(&authenticator, limiter->get(), &audit, &clock_, &metrics, nullptr);
  ServiceContext context{pool_,   &clock_,  &*secrets, &gate, nullptr,           nullptr,
                         nullptr, &metrics, nullptr,   90,    issuer_->issuer(), kAudience};
  access::AuditFeed feed(pool_);  // no tail here: never started
  std::vector<HostedService> services;
  services.push_back({std::make_unique<access::AccessService>(context, &directory, &feed),
                      access::v1::AccessService::service_full_name()});
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start("127.0.0.1:0", std::move(services));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = access::v1::AccessService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials()));

  auto who_am_i = [&](const std::string& token, access::v1::Caller* caller) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    return stub->WhoAmI(&ctx, {}, caller);
  };

  // Code flow, then the direct grant adds a second role.
  std::string code = QueryValue(Approve("e2e-agent", "LODGE_AGENT", "sites/4"), "code");
  auto [status, json] = TokenRequest(
      Query({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  ASSERT_EQ(status, 200) << json.dump();
  std::string token = json["access_token"];
  DirectToken("e2e-agent", "QUALITY_OFFICER", "");

  access::v1::Caller caller;
  grpc::Status s = who_am_i(token, &caller);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(caller.subject(), "e2e-agent");
  ASSERT_EQ(caller.grants_size(), 2);
  std::vector<std::string> grants;
  for (const auto& g : caller.grants()) {
    grants.push_back(absl::StrCat(access::v1::Role_Name(g.role()), "@", g.site()));
  }
  std::sort(grants.begin(), grants.end());
  EXPECT_EQ(grants, (std::vector<std::string>{"LODGE_AGENT@sites/4", "QUALITY_OFFICER@"}));

  // Eight hours later (and the minute of leeway) the token has expired.
  clock_.Advance(absl::Hours(8) + absl::Seconds(61));
  s = who_am_i(token, &caller);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // A token from another instance (another key) is refused.
  clock_.Set(kNow);
  absl::StatusOr<std::unique_ptr<auth::DevIssuer>> other =
      auth::DevIssuer::Start("127.0.0.1:0", kAudience, directory_, &clock_);
  ASSERT_TRUE(other.ok());
  httplib::Client other_client("127.0.0.1", (*other)->port());
  httplib::Result r = other_client.Post(
      "/token", "grant_type=urn%3Aaccueil%3Adev&role=ADMINISTRATOR&subject=e2e-agent",
      "application/x-www-form-urlencoded");
  ASSERT_TRUE(r && r->status == 200);
  s = who_am_i(Json::parse(r->body)["access_token"], &caller);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  (*server)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace accueil
