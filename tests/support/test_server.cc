#include "tests/support/test_server.h"

#include <cstdio>
#include <cstdlib>

#include <grpcpp/support/client_interceptor.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "services/access/access_service.h"
#include "services/booking/booking_service.h"

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

void TestServer::StartServices() {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool =
      db::Pool::Create(database_->url(), options_.pool_size);
  Check(pool.status(), "pool");
  pool_ = std::move(*pool);
  authenticator_ = std::make_unique<auth::Authenticator>(
      pool_.get(), &secrets_, &clock_, &keys_,
      auth::AuthenticatorOptions{{kTestIssuer, kTestAudience, absl::Seconds(60)},
                                 options_.trusted_proxies});
  absl::StatusOr<std::unique_ptr<RateLimiter>> limiter = RateLimiter::Create(options_.limits);
  Check(limiter.status(), "limiter");
  limiter_ = std::move(*limiter);
  gate_ = std::make_unique<Gate>(authenticator_.get(), limiter_.get(), pool_.get(), &clock_);
  ServiceContext context{pool_.get(), &clock_, &secrets_, gate_.get(), authenticator_.get()};
  std::vector<HostedService> services;
  services.push_back(std::move(*booking::BookingService::Make(context)));
  services.push_back(std::move(*access::AccessService::Make(context)));
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start("127.0.0.1:0", std::move(services), options_.transport);
  Check(server.status(), "server");
  server_ = std::move(*server);
}

void TestServer::StopServices() {
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  gate_.reset();
  limiter_.reset();
  authenticator_.reset();
  pool_.reset();
}

void TestServer::Restart(Secrets secrets) {
  StopServices();
  secrets_ = std::move(secrets);
  StartServices();
}

TestServer::~TestServer() { StopServices(); }

std::string TestServer::address() const { return absl::StrCat("127.0.0.1:", server_->port()); }

std::string TestServer::health_address() const {
  return absl::StrCat("127.0.0.1:", server_->health_port());
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

std::shared_ptr<grpc::Channel> TestServer::Channel(const std::string& token) const {
  if (token.empty()) {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> f;
  f.push_back(std::make_unique<BearerFactory>(token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address(), grpc::InsecureChannelCredentials(), grpc::ChannelArguments(), std::move(f));
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
