#include "tests/support/test_server.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "services/booking/booking_service.h"

namespace accueil::testing {

std::unique_ptr<TestServer> TestServer::Start(absl::Time now, int pool_size) {
  absl::StatusOr<Secrets> secrets =
      Secrets::FromKey("test-key-test-key-test-key-test-key-0123456789");
  std::unique_ptr<TestServer> s(new TestServer(now, std::move(*secrets)));
  s->database_ = TestDatabase::Create();
  absl::StatusOr<std::unique_ptr<db::Pool>> pool =
      db::Pool::Create(s->database_->url(), pool_size);
  if (!pool.ok()) {
    std::fprintf(stderr, "pool: %s\n", std::string(pool.status().message()).c_str());
    std::abort();
  }
  s->pool_ = std::move(*pool);
  ServiceContext context{s->pool_.get(), &s->clock_, &s->secrets_};
  std::vector<HostedService> services;
  services.push_back(std::move(*booking::BookingService::Make(context)));
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start("127.0.0.1:0", std::move(services));
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", std::string(server.status().message()).c_str());
    std::abort();
  }
  s->server_ = std::move(*server);
  return s;
}

TestServer::~TestServer() {
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  pool_.reset();
}

std::string TestServer::address() const {
  return absl::StrCat("127.0.0.1:", server_->port());
}

std::unique_ptr<booking::v1::BookingService::Stub> TestServer::BookingStub() const {
  return booking::v1::BookingService::NewStub(
      grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
}

}  // namespace accueil::testing
