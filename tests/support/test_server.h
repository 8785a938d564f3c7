// An in-process server hosting the real services on a private database, on
// a loopback port chosen by the kernel, with a clock the test controls.
//
//   auto server = TestServer::Start();
//   auto stub = server->BookingStub();
//   server->clock().Set(absl::FromCivil(...));
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/secrets.h"
#include "services/common/server.h"
#include "tests/support/test_database.h"

namespace accueil::testing {

class TestServer {
 public:
  // Start starts at 2026-06-01T08:00:00Z unless told otherwise.
  static std::unique_ptr<TestServer> Start(
      absl::Time now = absl::FromUnixSeconds(1780300800), int pool_size = 8);
  ~TestServer();

  std::string address() const;
  std::unique_ptr<booking::v1::BookingService::Stub> BookingStub() const;
  ManualClock& clock() { return clock_; }
  const Secrets& secrets() const { return secrets_; }
  TestDatabase& database() { return *database_; }

 private:
  TestServer(absl::Time now, Secrets secrets) : clock_(now), secrets_(std::move(secrets)) {}
  ManualClock clock_;
  Secrets secrets_;
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<Server> server_;
};

}  // namespace accueil::testing
