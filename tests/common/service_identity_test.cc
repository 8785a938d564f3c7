// Service identity between modules (docs/security.md#service-identity):
// service tokens signed with a key of the service JWKS and admitted with
// the subject's SERVICE binding; every refusal with its reason; key rotation
// by rewriting the JWKS; x-acting-agent believed from services only; and two
// processes, access and booking, where a call access makes during an
// administrator's call reaches booking as the access service acting for
// that administrator, audited under both names. Real PostgreSQL, real keys
// and files, real gRPC over loopback.
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/access/module.h"
#include "services/allinone/modules.h"
#include "services/common/auth/service_identity.h"
#include "services/common/auth/signer.h"
#include "services/common/host.h"
#include "tests/booking/booking_fixture.h"
#include "tests/support/pem.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace accueil {
namespace {

using Json = nlohmann::json;
using testing::RpcFails;
using testing::RpcOk;

// KeyDir is a private temporary folder for key and JWKS files.
class KeyDir {
 public:
  KeyDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "accueil-keys-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~KeyDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ServiceKey: a fresh P-256 private key saved as PEM (mode 600, as a
// deployment's Secret), and the signer read back from that file.
struct ServiceKey {
  std::string pem_file;
  std::string kid;
  std::unique_ptr<auth::JwtSigner> signer;
};

ServiceKey MakeKey(const KeyDir& dir, const std::string& kid) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  std::string pem = testing::PrivateKeyPem(key);
  EVP_PKEY_free(key);
  ServiceKey out{dir.File(kid + ".pem"), kid, nullptr};
  std::ofstream(out.pem_file) << pem;
  chmod(out.pem_file.c_str(), 0600);
  absl::StatusOr<auth::JwtSigner> signer = auth::JwtSigner::FromPem(pem, kid);
  EXPECT_TRUE(signer.ok()) << signer.status();
  out.signer = std::make_unique<auth::JwtSigner>(std::move(*signer));
  return out;
}

// WriteJwks replaces `path` atomically (write, then rename), as a mounted
// Secret or ConfigMap is updated.
void WriteJwks(const std::string& path, const std::vector<const ServiceKey*>& keys) {
  std::vector<const auth::JwtSigner*> signers;
  for (const ServiceKey* k : keys) signers.push_back(k->signer.get());
  std::ofstream(path + ".new") << auth::JwksDocument(signers);
  std::rename((path + ".new").c_str(), path.c_str());
}

// ServiceToken signs the claims a service token holds, changed by `edit`.
std::string ServiceToken(const ServiceKey& key, const std::string& subject, absl::Time now,
                         const std::function<void(Json&)>& edit = nullptr) {
  Json claims = {{"iss", auth::kServiceIssuer},
                 {"aud", auth::kServiceAudience},
                 {"sub", subject},
                 {"iat", absl::ToUnixSeconds(now)},
                 {"exp", absl::ToUnixSeconds(now + absl::Minutes(5))}};
  if (edit) edit(claims);
  return key.signer->Sign(claims.dump());
}

// RunAccessCommand runs `accueil-server NAME ARG` of the access module on
// the database at `url`, as an operator does.
int RunAccessCommand(const std::string& name, const std::string& arg, const std::string& url) {
  ServerConfig config;
  config.database_url = url;
  for (const ModuleCommand& c : access::NewModule()->commands()) {
    if (c.name == name) return c.run(config, {arg});
  }
  ADD_FAILURE() << "no command " << name;
  return -1;
}

// WhoAmI calls AccessService.WhoAmI with `authorization: Bearer <token>` and
// extra metadata.
grpc::Status WhoAmI(const std::string& address, const std::string& token,
                    const std::vector<std::pair<std::string, std::string>>& metadata,
                    access::v1::Caller* caller) {
  auto stub = access::v1::AccessService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  for (const auto& [key, value] : metadata) ctx.AddMetadata(key, value);
  return stub->WhoAmI(&ctx, access::v1::WhoAmIRequest(), caller);
}

// One server serving every module, signing with its own configured key and
// trusting the service JWKS {its key, reception's key}.
class ServiceIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_key_ = MakeKey(dir_, "server-1");
    reception_key_ = MakeKey(dir_, "reception-1");
    jwks_file_ = dir_.File("service-jwks.json");
    WriteJwks(jwks_file_, {&server_key_, &reception_key_});
    testing::TestServerOptions options;
    options.service_key_file = server_key_.pem_file;
    options.service_key_id = server_key_.kid;
    options.service_jwks_file = jwks_file_;
    server_ = testing::TestServer::Start(options);
    ASSERT_EQ(RunAccessCommand("grant-service", "service:reception", server_->database().url()), 0);
  }

  absl::Time now() { return server_->clock().Now(); }

  KeyDir dir_;
  ServiceKey server_key_;
  ServiceKey reception_key_;
  std::string jwks_file_;
  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(ServiceIdentityTest, ATokenSignedWithAKeyOfTheServiceJwksIsAdmittedWithItsBinding) {
  access::v1::Caller caller;
  ASSERT_TRUE(RpcOk(WhoAmI(server_->address(),
                           ServiceToken(reception_key_, "service:reception", now()), {}, &caller)));
  EXPECT_EQ(caller.subject(), "service:reception");
  ASSERT_EQ(caller.grants_size(), 1);
  EXPECT_EQ(caller.grants(0).role(), access::v1::SERVICE);
  EXPECT_EQ(caller.grants(0).site(), "");  // every site
  // grant-service recorded the binding and its own audit row.
  server_->AwaitAudit();
  EXPECT_EQ(server_->database().Query(
                "SELECT granted_by FROM access.role_bindings WHERE subject = 'service:reception'"),
            "grant-service");
  EXPECT_EQ(server_->database().Query("SELECT count(*) FROM access.audit_log WHERE subject = "
                                      "'grant-service' AND resource = 'service:reception'"),
            "1");
  // The service's role admits it where SERVICE is declared: a transition on
  // an appointment that does not exist is NOT_FOUND, not PERMISSION_DENIED.
  auto booking = server_->BookingStub(ServiceToken(reception_key_, "service:reception", now()));
  booking::v1::TransitionAppointmentRequest arrive;
  arrive.set_name("appointments/999");
  booking::v1::Appointment appointment;
  grpc::Status s = testing::CallOn(*booking, &booking::v1::BookingService::Stub::MarkArrived,
                                   arrive, &appointment);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
}

TEST_F(ServiceIdentityTest, ServiceTokensThatFailACheckAreRefusedWithTheirReason) {
  KeyDir other_dir;
  ServiceKey unknown = MakeKey(other_dir, "unknown-1");
  const std::string address = server_->address();
  struct Case {
    std::string what;
    std::string token;
    grpc::StatusCode code;
    std::string reason;
  };
  const absl::Time t = now();
  std::vector<Case> cases = {
      {"a key outside the service JWKS", ServiceToken(unknown, "service:reception", t),
       grpc::StatusCode::UNAUTHENTICATED, "TOKEN_UNKNOWN_KEY"},
      {"expired",
       ServiceToken(reception_key_, "service:reception", t,
                    [&](Json& c) { c["exp"] = absl::ToUnixSeconds(t - absl::Minutes(5)); }),
       grpc::StatusCode::UNAUTHENTICATED, "TOKEN_EXPIRED"},
      {"the agents' audience",
       ServiceToken(reception_key_, "service:reception", t,
                    [](Json& c) { c["aud"] = testing::kTestAudience; }),
       grpc::StatusCode::UNAUTHENTICATED, "TOKEN_AUDIENCE"},
      // A service key cannot mint an agent's token: under the provider's
      // issuer it is verified against the provider's keys.
      {"the provider's issuer",
       ServiceToken(reception_key_, "service:reception", t,
                    [](Json& c) { c["iss"] = testing::kTestIssuer; }),
       grpc::StatusCode::UNAUTHENTICATED, "TOKEN_UNKNOWN_KEY"},
      {"a subject without a SERVICE binding", ServiceToken(reception_key_, "service:notify", t),
       grpc::StatusCode::PERMISSION_DENIED, "SERVICE_NOT_BOUND"},
      {"an agent's subject", ServiceToken(reception_key_, "agent-7", t),
       grpc::StatusCode::UNAUTHENTICATED, "TOKEN_SUBJECT"},
  };
  // The provider's key cannot mint a service token either.
  Json forged = {{"iss", auth::kServiceIssuer},
                 {"aud", auth::kServiceAudience},
                 {"sub", "service:reception"},
                 {"exp", absl::ToUnixSeconds(t + absl::Minutes(5))}};
  cases.push_back({"the provider's key", server_->signer().Sign(forged.dump()),
                   grpc::StatusCode::UNAUTHENTICATED, "TOKEN_UNKNOWN_KEY"});
  // An agent may not take a service's name at the provider.
  cases.push_back({"an agent's token naming a service", server_->Token("service:reception", {}),
                   grpc::StatusCode::UNAUTHENTICATED, "TOKEN_SUBJECT"});
  for (const Case& c : cases) {
    access::v1::Caller caller;
    EXPECT_TRUE(RpcFails(WhoAmI(address, c.token, {}, &caller), c.code, c.reason, "")) << c.what;
  }
  // Nothing was recorded for the refused callers.
  server_->AwaitAudit();
  EXPECT_EQ(server_->database().Query(
                "SELECT count(*) FROM access.audit_log WHERE subject LIKE 'service:%'"),
            "0");
}

TEST_F(ServiceIdentityTest, KeysRotateByRewritingTheServiceJwks) {
  ServiceKey next = MakeKey(dir_, "reception-2");
  // Step 1: the new key joins the JWKS everywhere; both keys verify.
  WriteJwks(jwks_file_, {&server_key_, &reception_key_, &next});
  absl::SleepFor(absl::Milliseconds(1100));  // the file is checked once a second
  for (const ServiceKey* key : {&reception_key_, &next}) {
    access::v1::Caller caller;
    EXPECT_TRUE(RpcOk(
        WhoAmI(server_->address(), ServiceToken(*key, "service:reception", now()), {}, &caller)))
        << key->kid;
  }
  // Step 2 (the caller signs with the new key) needs nothing here. Step 3:
  // the old key leaves the JWKS and is refused from then on.
  WriteJwks(jwks_file_, {&server_key_, &next});
  absl::SleepFor(absl::Milliseconds(1100));
  access::v1::Caller caller;
  EXPECT_TRUE(
      RpcFails(WhoAmI(server_->address(), ServiceToken(reception_key_, "service:reception", now()),
                      {}, &caller),
               grpc::StatusCode::UNAUTHENTICATED, "TOKEN_UNKNOWN_KEY", ""));
  EXPECT_TRUE(RpcOk(
      WhoAmI(server_->address(), ServiceToken(next, "service:reception", now()), {}, &caller)));
  // A JWKS that no longer parses keeps the keys it replaces.
  std::ofstream(jwks_file_ + ".new") << "{not json";
  std::rename((jwks_file_ + ".new").c_str(), jwks_file_.c_str());
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_TRUE(RpcOk(
      WhoAmI(server_->address(), ServiceToken(next, "service:reception", now()), {}, &caller)));
}

TEST_F(ServiceIdentityTest, OnlyServicesMayActForAnAgent) {
  const std::vector<std::pair<std::string, std::string>> acting = {
      {"x-acting-agent", "agent-victim"}};
  access::v1::Caller caller;
  // The public, an agent, and an agent holding SERVICE through the
  // provider: refused, never silently used.
  std::string admin = server_->Token("admin-1", {{access::v1::ADMINISTRATOR, 0}});
  std::string service_account = server_->Token("batch-account", {{access::v1::SERVICE, 0}});
  for (const std::string& token : {std::string(), admin, service_account}) {
    EXPECT_TRUE(RpcFails(WhoAmI(server_->address(), token, acting, &caller),
                         grpc::StatusCode::PERMISSION_DENIED, "ACTING_AGENT_NOT_ALLOWED",
                         "x-acting-agent"));
  }
  // A service names an agent or a device, never another service or the
  // public.
  for (const char* bad : {"service:booking", "public", "a b"}) {
    EXPECT_TRUE(RpcFails(
        WhoAmI(server_->address(), ServiceToken(reception_key_, "service:reception", now()),
               {{"x-acting-agent", bad}}, &caller),
        grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ACTING_AGENT", "x-acting-agent"))
        << bad;
  }
  server_->AwaitAudit();
  EXPECT_EQ(
      server_->database().Query("SELECT count(*) FROM access.audit_log WHERE acting_for <> ''"),
      "0");
  // From a service it is believed, and audited with the service's name.
  ASSERT_TRUE(RpcOk(
      WhoAmI(server_->address(), ServiceToken(reception_key_, "service:reception", now()),
             {{"x-acting-agent", "agent-7"}, {"x-agent-reason", "appel du guichet"}}, &caller)));
  server_->AwaitAudit();
  EXPECT_EQ(server_->database().Query(
                "SELECT subject || ' for ' || acting_for || ': ' || reason FROM access.audit_log "
                "WHERE acting_for <> ''"),
            "service:reception for agent-7: appel du guichet");
}

TEST(ServiceTokens, AreCachedAndRenewedBeforeTheyExpire) {
  ManualClock clock(absl::FromUnixSeconds(1780300800));
  auth::ServiceTokens tokens(*auth::JwtSigner::Generate("ES256", "k"), "service:test", &clock);
  std::string first = tokens.Bearer();
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(tokens.Bearer(), first);
  clock.Advance(absl::Minutes(1) + absl::Seconds(1));  // less than 2 minutes left
  std::string second = tokens.Bearer();
  EXPECT_NE(second, first);
  auth::StaticKeys keys;
  keys.Set(*auth::KeySet::FromJwks(auth::JwksDocument({&tokens.signer()})));
  auth::JwtVerifier verifier({auth::kServiceIssuer, auth::kServiceAudience, absl::ZeroDuration()});
  absl::StatusOr<auth::Claims> claims =
      verifier.Verify(second.substr(7), *keys.Keys(), clock.Now() + absl::Minutes(4));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "service:test");
  EXPECT_FALSE(
      verifier.Verify(second.substr(7), *keys.Keys(), clock.Now() + absl::Minutes(6)).ok());
}

// Two processes on one database: booking, and access reaching booking at
// booking_address. Each signs with its own key; both trust the JWKS of the
// two; each subject holds SERVICE through `grant-service`.
class TwoProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = testing::TestDatabase::Create();
    access_key_ = MakeKey(dir_, "access-1");
    booking_key_ = MakeKey(dir_, "booking-1");
    jwks_file_ = dir_.File("service-jwks.json");
    WriteJwks(jwks_file_, {&access_key_, &booking_key_});
    provider_ = std::make_unique<auth::JwtSigner>(*auth::JwtSigner::Generate("ES256", "idp-1"));
    provider_keys_.Set(*auth::KeySet::FromJwks(auth::JwksDocument({provider_.get()})));
    for (const char* subject : {"service:access", "service:booking"}) {
      ASSERT_EQ(RunAccessCommand("grant-service", subject, database_->url()), 0);
    }
    database_->Query(
        "INSERT INTO access.role_bindings (subject, role, site_id, granted_by, grant_time) "
        "VALUES ('admin-1', 'ADMINISTRATOR', NULL, 'test', now())");
  }
  void TearDown() override {
    for (auto& host : hosts_) host->Shutdown(absl::Seconds(1));
  }

  ServerConfig Config(const std::string& module, const ServiceKey& key) const {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.database_url = database_->url();
    config.services = {module};
    config.service_key_file = key.pem_file;
    config.service_key_id = key.kid;
    config.service_jwks_file = jwks_file_;
    return config;
  }

  absl::StatusOr<Host*> Start(const ServerConfig& config) {
    std::vector<std::unique_ptr<Module>> modules;
    for (const ModuleFactory& make : AllModules()) modules.push_back(make());
    HostOptions options;
    options.keys = &provider_keys_;
    options.issuer = testing::kTestIssuer;
    options.purge_every_hour = false;
    absl::StatusOr<std::unique_ptr<Host>> host = Host::Start(
        config, std::move(modules), *Secrets::FromKey(std::string(48, 's')), std::move(options));
    if (!host.ok()) return host.status();
    hosts_.push_back(std::move(*host));
    return hosts_.back().get();
  }

  std::string AdminToken() const {
    Json claims = {{"iss", testing::kTestIssuer},
                   {"aud", testing::kTestAudience},
                   {"sub", "admin-1"},
                   {"exp", absl::ToUnixSeconds(absl::Now() + absl::Hours(1))}};
    return provider_->Sign(claims.dump());
  }

  KeyDir dir_;
  std::unique_ptr<testing::TestDatabase> database_;
  ServiceKey access_key_;
  ServiceKey booking_key_;
  std::string jwks_file_;
  std::unique_ptr<auth::JwtSigner> provider_;
  auth::StaticKeys provider_keys_;
  std::vector<std::unique_ptr<Host>> hosts_;
};

TEST_F(TwoProcesses, ADownstreamCallArrivesAsTheServiceActingForTheAgent) {
  absl::StatusOr<Host*> booking_host = Start(Config("booking", booking_key_));
  ASSERT_TRUE(booking_host.ok()) << booking_host.status();
  const std::string booking_address = absl::StrCat("127.0.0.1:", (*booking_host)->port());
  ServerConfig access_config = Config("access", access_key_);
  access_config.module_addresses["booking"] = booking_address;
  absl::StatusOr<Host*> access_host = Start(access_config);
  ASSERT_TRUE(access_host.ok()) << access_host.status();

  auto call = [&] {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + AdminToken());
    context->AddMetadata("x-agent-reason", "nouvel agent a la loge");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  };
  auto booking = booking::v1::BookingService::NewStub(
      grpc::CreateChannel(booking_address, grpc::InsecureChannelCredentials()));
  booking::v1::CreateSiteRequest create;
  create.mutable_site()->set_display_name("Prefecture");
  create.mutable_site()->set_time_zone("Europe/Paris");
  booking::v1::Site site;
  ASSERT_TRUE(RpcOk(booking->CreateSite(call().get(), create, &site)));

  const std::string access_address = absl::StrCat("127.0.0.1:", (*access_host)->port());
  auto access = access::v1::AccessService::NewStub(
      grpc::CreateChannel(access_address, grpc::InsecureChannelCredentials()));
  access::v1::GrantRoleRequest grant;
  grant.set_subject("agent-8");
  grant.set_role(access::v1::LODGE_AGENT);
  access::v1::RoleBinding binding;
  grant.set_site("sites/999");
  EXPECT_TRUE(RpcFails(access->GrantRole(call().get(), grant, &binding),
                       grpc::StatusCode::NOT_FOUND, "SITE_NOT_FOUND", "site"));
  grant.set_site(site.name());
  EXPECT_TRUE(RpcOk(access->GrantRole(call().get(), grant, &binding)));

  // Booking saw the access service, acting for the administrator, with the
  // administrator's reason; access recorded the administrator's own calls.
  testing::AwaitAudit(*database_);
  EXPECT_EQ(database_->Query("SELECT string_agg(subject || '|' || roles || '|' || acting_for || "
                             "'|' || reason, ';' ORDER BY id) FROM access.audit_log "
                             "WHERE method LIKE '%.GetSite'"),
            "service:access|SERVICE@*|admin-1|nouvel agent a la loge;"
            "service:access|SERVICE@*|admin-1|nouvel agent a la loge");
  EXPECT_EQ(database_->Query("SELECT string_agg(outcome, ',' ORDER BY id) FROM access.audit_log "
                             "WHERE method LIKE '%.GrantRole' AND subject = 'admin-1' "
                             "AND acting_for = ''"),
            "NOT_FOUND,OK");
  // ListAuditEvents finds the administrator's calls made through a service.
  access::v1::ListAuditEventsRequest list;
  list.set_subject("admin-1");
  access::v1::ListAuditEventsResponse events;
  ASSERT_TRUE(RpcOk(access->ListAuditEvents(call().get(), list, &events)));
  int through_service = 0;
  for (const access::v1::AuditEvent& e : events.audit_events()) {
    if (e.acting_for() == "admin-1") {
      ++through_service;
      EXPECT_EQ(e.subject(), "service:access");
      EXPECT_EQ(e.method(), "accueil.booking.v1.BookingService.GetSite");
    } else {
      EXPECT_EQ(e.subject(), "admin-1");
      EXPECT_EQ(e.acting_for(), "");
    }
  }
  EXPECT_EQ(through_service, 2);
}

TEST_F(TwoProcesses, ASplitProcessNeedsAServiceKeyInTheServiceJwks) {
  ServerConfig config = Config("access", access_key_);
  config.module_addresses["booking"] = "127.0.0.1:1";
  config.service_key_file = config.service_key_id = config.service_jwks_file = "";
  absl::StatusOr<Host*> host = Start(config);
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.status().message(),
            "configuration: service_key_file: is required when modules are split across "
            "processes (booking_address is set): set service_key_file, service_key_id and "
            "service_jwks_file");
  config.module_addresses["booking"] = "";
  host = Start(config);  // serves access, links booking too
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.status().message().find("(booking is not served here)"), std::string::npos)
      << host.status();

  // A key the JWKS does not hold: the process could not even call itself.
  KeyDir other_dir;
  ServiceKey stray = MakeKey(other_dir, "access-1");
  config = Config("access", stray);
  host = Start(config);
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.status().message().find("does not hold the public key of service_key_file"),
            std::string::npos)
      << host.status();
  config = Config("access", access_key_);
  std::ofstream(dir_.File("not-a-key.pem")) << "-----BEGIN PRIVATE KEY-----\nAAAA\n";
  config.service_key_file = dir_.File("not-a-key.pem");
  host = Start(config);
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.status().message(), "configuration: service_key_file: not a PEM private key");

  // The configuration refuses one file without the others, and a subject
  // that is not a service's.
  for (const std::string& text :
       {std::string("service_key_file = /k.pem\n"),
        std::string("service_key_file = /k.pem\nservice_key_id = k\n"),
        std::string("service_subject = agent-7\n"),
        std::string("oidc_issuer = urn:accueil:service\noidc_jwks_file = /j\n")}) {
    absl::StatusOr<ServerConfig> parsed = ParseServerConfig(
        "database_url = x\n" + text, [](const std::string&) { return std::nullopt; });
    EXPECT_FALSE(parsed.ok()) << text;
  }
  // grant-service binds service subjects only.
  EXPECT_EQ(RunAccessCommand("grant-service", "agent-7", database_->url()), 1);
  EXPECT_EQ(database_->Query("SELECT count(*) FROM access.role_bindings WHERE subject = 'agent-7'"),
            "0");
}

}  // namespace
}  // namespace accueil
