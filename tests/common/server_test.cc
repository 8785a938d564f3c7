// Hosting: health checking per service, request ids, and shutdown.
#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_server.h"

namespace accueil {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

TEST(Server, ReportsEachServiceServingThroughGrpcHealth) {
  auto server = testing::TestServer::Start();
  auto health =
      Health::NewStub(grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  for (const char* service : {"", "accueil.booking.v1.BookingService"}) {
    grpc::ClientContext ctx;
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << service;
    EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING) << service;
  }
  grpc::ClientContext ctx;
  HealthCheckRequest req;
  req.set_service("accueil.nothing.v1.Nothing");
  HealthCheckResponse resp;
  EXPECT_EQ(health->Check(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(Server, EchoesTheClientRequestIdOrMakesOne) {
  auto server = testing::TestServer::Start();
  auto stub = server->BookingStub();
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "trace-123");
    booking::v1::ListSitesResponse resp;
    ASSERT_TRUE(stub->ListSites(&ctx, {}, &resp).ok());
    auto it = ctx.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(it, ctx.GetServerInitialMetadata().end());
    EXPECT_EQ(std::string(it->second.data(), it->second.size()), "trace-123");
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "not safe {\"json\":1}");
    booking::v1::ListSitesResponse resp;
    ASSERT_TRUE(stub->ListSites(&ctx, {}, &resp).ok());
    auto it = ctx.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(it, ctx.GetServerInitialMetadata().end());
    EXPECT_EQ(it->second.size(), 32u);  // a fresh id replaced the unsafe one
  }
}

}  // namespace
}  // namespace accueil
