// Walks every method of every service declared in proto/ and checks, for
// every role, that the server refuses or admits the caller exactly as the
// method's access policy says. A method without a policy fails the test.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/grpc_status.h"
#include "tests/support/test_server.h"

namespace accueil {
namespace {

using access::v1::Role;

// ServicesInProtoFiles lists "package.Service" for every `service` in proto/.
std::vector<std::string> ServicesInProtoFiles() {
  std::vector<std::string> out;
  std::regex package_re(R"(^package\s+([\w.]+)\s*;)");
  std::regex service_re(R"(^service\s+(\w+))");
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(ACCUEIL_SOURCE_DIR "/proto/accueil")) {
    if (entry.path().extension() != ".proto") continue;
    std::ifstream in(entry.path());
    std::string line, package;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_search(line, m, package_re)) package = m[1];
      if (std::regex_search(line, m, service_re)) out.push_back(package + "." + m[1].str());
    }
  }
  return out;
}

// CallEmpty calls `method` with an empty request and returns the status.
grpc::Status CallEmpty(grpc::Channel* channel, const std::string& method) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ctx.AddMetadata("x-agent-reason", "role table test");
  grpc::CompletionQueue cq;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  auto call = stub.PrepareUnaryCall(&ctx, method, request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  return status;
}

// OpenEmpty opens the server stream `method` with an empty request and
// returns how it ended: the refusal (or another error) when it ends by
// itself, else, once admitted and still open after 10 s, CANCELLED (the test
// ends it). The gate refuses within milliseconds.
grpc::Status OpenEmpty(grpc::Channel* channel, const std::string& method) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ctx.AddMetadata("x-agent-reason", "role table test");
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&ctx, method, &cq);
  void* tag;
  bool ok;
  auto step = [&](auto start) {
    start();
    cq.Next(&tag, &ok);
  };
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  step([&] { call->StartCall(nullptr); });
  step([&] { call->Write(request, nullptr); });
  step([&] { call->WritesDone(nullptr); });
  grpc::Status status;
  call->Finish(&status, nullptr);
  if (cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + std::chrono::seconds(10)) ==
      grpc::CompletionQueue::TIMEOUT) {
    ctx.TryCancel();
    cq.Next(&tag, &ok);
  }
  return status;
}

bool Refused(const grpc::Status& status) {
  std::string reason = ErrorReason(FromGrpcStatus(status));
  return reason == "ROLE_REQUIRED" || reason == "AUTHENTICATION_REQUIRED" || reason == "NO_POLICY";
}

TEST(RoleTable, EveryMethodAdmitsExactlyTheRolesItDeclares) {
  auto server = testing::TestServer::Start();
  // A device token needs a site that exists; the services make both like an
  // administrator would.
  std::string staff = server->StaffToken();
  booking::v1::Site site;
  {
    grpc::ClientContext ctx;
    booking::v1::CreateSiteRequest req;
    req.set_request_id("role-table-site");
    req.mutable_site()->set_display_name("Préfecture de test");
    req.mutable_site()->set_address("1 place de la Préfecture");
    req.mutable_site()->set_time_zone("Europe/Paris");
    ASSERT_TRUE(server->BookingStub(staff)->CreateSite(&ctx, req, &site).ok());
  }
  access::v1::DeviceToken device;
  {
    grpc::ClientContext ctx;
    access::v1::CreateDeviceTokenRequest req;
    req.set_site(site.name());
    req.set_display_name("Borne de test");
    ASSERT_TRUE(server->AccessStub(staff)->CreateDeviceToken(&ctx, req, &device).ok());
  }
  const std::vector<std::pair<Role, std::string>> callers = {
      {access::v1::PUBLIC, ""},
      {access::v1::LODGE_AGENT, server->Token("lodge", {{access::v1::LODGE_AGENT, 1}})},
      {access::v1::COUNTER_AGENT, server->Token("counter", {{access::v1::COUNTER_AGENT, 1}})},
      {access::v1::QUALITY_OFFICER, server->Token("quality", {{access::v1::QUALITY_OFFICER, 1}})},
      {access::v1::ADMINISTRATOR, server->Token("admin", {{access::v1::ADMINISTRATOR, 1}})},
      {access::v1::SERVICE, server->Token("svc", {{access::v1::SERVICE, 0}})},
      {access::v1::DEVICE, device.token()},
  };

  std::vector<std::string> services = ServicesInProtoFiles();
  ASSERT_GE(services.size(), 2u);
  int checked = 0;
  int streams = 0;
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name << " is in proto/ but not linked into the test server";
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      const access::v1::AccessPolicy& policy = method->options().GetExtension(access::v1::access);
      EXPECT_GT(policy.roles_size(), 0) << method->full_name() << " declares no access policy";
      std::set<int> allowed(policy.roles().begin(), policy.roles().end());
      bool open = allowed.count(access::v1::PUBLIC) > 0;
      std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
      for (const auto& [role, token] : callers) {
        grpc::Status status = method->server_streaming()
                                  ? OpenEmpty(server->Channel(token).get(), path)
                                  : CallEmpty(server->Channel(token).get(), path);
        streams += method->server_streaming();
        bool should_admit = open || allowed.count(role) > 0;
        EXPECT_EQ(!Refused(status), should_admit)
            << method->full_name() << " as " << access::v1::Role_Name(role) << ": got "
            << status.error_code() << " " << ErrorReason(FromGrpcStatus(status));
        if (!should_admit) {
          EXPECT_EQ(status.error_code(), role == access::v1::PUBLIC
                                             ? grpc::StatusCode::UNAUTHENTICATED
                                             : grpc::StatusCode::PERMISSION_DENIED)
              << method->full_name() << " as " << access::v1::Role_Name(role);
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 7 * 25);
  EXPECT_GE(streams, 7) << "no server-streaming method was checked";
}

TEST(RoleTable, BadCredentialsAreRefusedNotTreatedAsPublic) {
  auto server = testing::TestServer::Start();
  for (const std::string& token :
       {std::string("garbage"), std::string("dt1.1.nope"), std::string("a.b.c")}) {
    grpc::Status status =
        CallEmpty(server->Channel(token).get(), "/accueil.booking.v1.BookingService/ListSites");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << token;
  }
  // A token from another issuer's key.
  auth::JwtSigner stranger = *auth::JwtSigner::Generate("ES256", "test-1");
  std::string forged = stranger.Sign(
      R"({"iss":"https://issuer.test","aud":"accueil","sub":"test-staff","exp":9999999999})");
  grpc::Status status =
      CallEmpty(server->Channel(forged).get(), "/accueil.booking.v1.BookingService/CreateSite");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(status)), "TOKEN_SIGNATURE");
}

}  // namespace
}  // namespace accueil

namespace accueil {
namespace {

TEST(RoleTable, ASignedInAccountWithoutRoleIsToldSo) {
  auto server = testing::TestServer::Start();
  std::string nobody = server->Token("nobody", {});
  grpc::Status status =
      CallEmpty(server->Channel(nobody).get(), "/accueil.booking.v1.BookingService/CreateSite");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(status)), "ROLE_REQUIRED");
  server->AwaitAudit();
  EXPECT_EQ(
      server->database().Query("SELECT outcome FROM access.audit_log WHERE subject = 'nobody'"),
      "PERMISSION_DENIED");
}

}  // namespace
}  // namespace accueil
