#include "tests/support/test_server.h"

#include <cstdio>
#include <cstdlib>

#include <grpcpp/support/client_interceptor.h>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/allinone/modules.h"
#include "services/common/auth/service_identity.h"
#include "tests/support/http_client.h"

namespace accueil::testing {
namespace {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, std::string(s.message()).c_str());
    std::abort();
  }
}

// Adds the bearer token to every call of a channel.
class BearerInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(std::string token) : token_(std::move(token)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", "Bearer " + token_});
    }
    methods->Proceed();
  }

 private:
  std::string token_;
};

class BearerFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerFactory(std::string token) : token_(std::move(token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerInterceptor(token_);
  }

 private:
  std::string token_;
};

// ChannelTo: a channel to `address` whose calls carry the bearer token.
std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address, const std::string& token) {
  if (token.empty()) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> f;
  f.push_back(std::make_unique<BearerFactory>(token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(), std::move(f));
}

// DevIssuerToken asks the development issuer at `issuer` for a token of
// `subject` with the first of `grants` (its direct grant, as the CLI does).
std::string DevIssuerToken(const std::string& issuer, const std::string& subject,
                           const std::vector<auth::Grant>& grants) {
  std::vector<std::pair<std::string, std::string>> fields = {{"grant_type", "urn:accueil:dev"},
                                                             {"subject", subject}};
  if (!grants.empty()) {
    fields.emplace_back("role", access::v1::Role_Name(grants[0].role));
    if (grants[0].site_id != 0)
      fields.emplace_back("site", absl::StrCat("sites/", grants[0].site_id));
  }
  HttpReply answer = FormPost(issuer + "/token", fields);
  nlohmann::json json = nlohmann::json::parse(answer.body, nullptr, false);
  if (answer.status != 200 || !json.is_object() || !json.contains("access_token")) {
    ADD_FAILURE() << "dev issuer token: " << answer.status << " " << answer.body;
    return "";
  }
  return json["access_token"].get<std::string>();
}

}  // namespace

std::unique_ptr<TestServer> TestServer::Start(absl::Time now, int pool_size) {
  TestServerOptions options;
  options.now = now;
  options.pool_size = pool_size;
  return Start(options);
}

std::unique_ptr<TestServer> TestServer::Start(TestServerOptions options) {
  absl::StatusOr<Secrets> secrets =
      Secrets::FromKey("test-key-test-key-test-key-test-key-0123456789");
  std::unique_ptr<TestServer> s(new TestServer(options.now, std::move(*secrets)));
  s->options_ = options;
  absl::StatusOr<auth::JwtSigner> signer = auth::JwtSigner::Generate("ES256", "test-1");
  Check(signer.status(), "signer");
  s->signer_ = std::make_unique<auth::JwtSigner>(std::move(*signer));
  s->keys_.Set(*auth::KeySet::FromJwks(auth::JwksDocument({s->signer_.get()})));
  s->database_ = TestDatabase::Create();
  s->StartServices();
  return s;
}

void TestServer::StartServices() { host_ = MakeHost(); }

std::unique_ptr<Host> TestServer::MakeHost() {
  // The configuration a deployment would have, but for what the test
  // controls: its clock, its identity provider, its limits and transport.
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.database_url = database_->url();
  config.database_pool_size = options_.pool_size;
  config.trusted_proxies = options_.trusted_proxies;
  config.services = options_.services;
  config.metrics_listen = options_.metrics_listen;
  config.retention_days = options_.retention_days;
  config.service_key_file = options_.service_key_file;
  config.service_key_id = options_.service_key_id;
  config.service_jwks_file = options_.service_jwks_file;
  config.service_subject = options_.service_subject;
  HostOptions host;
  host.clock = &clock_;
  if (options_.dev_issuer) {
    config.dev_issuer_listen = "127.0.0.1:0";
  } else {
    host.keys = &keys_;
    host.issuer = kTestIssuer;
  }
  host.limits = options_.limits;
  host.transport = options_.transport;
  host.stream_recheck = options_.stream_recheck;
  // Purge tests run their own passes.
  host.purge_every_hour = false;
  std::vector<std::unique_ptr<Module>> modules;
  for (const ModuleFactory& make : AllModules()) {
    modules.push_back(make());
    // The module's keys, declared and read as ParseServerConfig would.
    ConfigSection section{std::string(modules.back()->name())};
    modules.back()->Configure(section);
    // The gateway on a port the kernel picks (port_of("gateway_listen")).
    (void)section.Set("gateway_listen", "127.0.0.1:0");
    for (const auto& [key, value] : options_.settings) {
      std::optional<absl::Status> set = section.Set(key, value);
      if (set.has_value()) Check(*set, key.c_str());
    }
  }
  absl::StatusOr<std::unique_ptr<Host>> started =
      Host::Start(config, std::move(modules), secrets_, std::move(host));
  Check(started.status(), "host");
  return std::move(*started);
}

void AwaitAudit(const TestDatabase& database) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (database.Query("SELECT count(*) FROM events.audit_outbox") != "0") {
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "audit records stayed in events.audit_outbox for 30 s";
      return;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void TestServer::StopServices() {
  for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) StopReplica(i);
  host_->Shutdown(absl::Seconds(1));
  host_.reset();
}

int TestServer::StartReplica() {
  replicas_.push_back(MakeHost());
  return static_cast<int>(replicas_.size()) - 1;
}

void TestServer::StopReplica(int replica) {
  std::unique_ptr<Host>& host = replicas_.at(replica);
  if (host == nullptr) return;
  host->Shutdown(absl::Seconds(1));
  host.reset();
}

void TestServer::Restart(Secrets secrets) {
  StopServices();
  secrets_ = std::move(secrets);
  StartServices();
}

TestServer::~TestServer() { StopServices(); }

std::string TestServer::address() const { return absl::StrCat("127.0.0.1:", host_->port()); }

std::string TestServer::issuer() const {
  return options_.dev_issuer ? host_->dev_issuer()->issuer() : kTestIssuer;
}

std::string TestServer::health_address() const {
  return absl::StrCat("127.0.0.1:", host_->health_port());
}

std::string TestServer::Token(const std::string& subject, const std::vector<auth::Grant>& grants) {
  pqxx::connection c(database_->url());
  pqxx::work tx(c);
  for (const auth::Grant& g : grants) {
    tx.exec_params(
        "INSERT INTO access.role_bindings (subject, role, site_id, granted_by, grant_time) "
        "VALUES ($1, $2, NULLIF($3, 0), 'test', now()) ON CONFLICT DO NOTHING",
        subject, access::v1::Role_Name(g.role), g.site_id);
  }
  tx.commit();
  if (options_.dev_issuer) return DevIssuerToken(issuer(), subject, grants);
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  nlohmann::json payload = {{"iss", kTestIssuer},
                            {"aud", kTestAudience},
                            {"sub", subject},
                            {"iat", now},
                            {"exp", now + 400 * 24 * 3600}};
  return signer_->Sign(payload.dump());
}

std::string TestServer::StaffToken() {
  return Token("test-staff", {{access::v1::ADMINISTRATOR, 0},
                              {access::v1::LODGE_AGENT, 0},
                              {access::v1::COUNTER_AGENT, 0}});
}

std::string TestServer::ServiceToken() {
  std::string bearer = host_->service_tokens().Bearer();
  constexpr std::string_view kPrefix = "Bearer ";
  return bearer.substr(bearer.rfind(kPrefix, 0) == 0 ? kPrefix.size() : 0);
}

std::shared_ptr<grpc::Channel> TestServer::Channel(const std::string& token) const {
  return ChannelTo(address(), token);
}

std::shared_ptr<grpc::Channel> TestServer::ReplicaChannel(int replica,
                                                          const std::string& token) const {
  return ChannelTo(absl::StrCat("127.0.0.1:", replicas_.at(replica)->port()), token);
}

std::unique_ptr<booking::v1::BookingService::Stub> TestServer::BookingStub(
    const std::string& token) const {
  return booking::v1::BookingService::NewStub(Channel(token));
}

std::unique_ptr<access::v1::AccessService::Stub> TestServer::AccessStub(
    const std::string& token) const {
  return access::v1::AccessService::NewStub(Channel(token));
}

}  // namespace accueil::testing
