// The live audit tail (AccessService.WatchAuditEvents) and, through it, how
// the gate serves server streams: admission once at opening, the recheck of
// open streams' credentials, shutdown, and no thread per stream.
#include <dirent.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/access/directory.h"
#include "services/common/auth/authenticator.h"
#include "services/common/db.h"
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

namespace av1 = ::accueil::access::v1;
using av1::ADMINISTRATOR;
using av1::LODGE_AGENT;

// A tail the test reads; its deadline only bounds a broken test.
struct Tail {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<av1::AuditEvent>> reader;

  // Finish ends the call and returns its status (after reading what is left).
  grpc::Status Finish() {
    av1::AuditEvent ignored;
    while (reader->Read(&ignored)) {
    }
    return reader->Finish();
  }
};

std::unique_ptr<Tail> OpenTail(const TestServer& server, const std::string& token,
                               const av1::WatchAuditEventsRequest& request) {
  auto tail = std::make_unique<Tail>();
  tail->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  tail->reader = server.AccessStub(token)->WatchAuditEvents(&tail->context, request);
  return tail;
}

av1::WatchAuditEventsRequest OnSite(const std::string& site) {
  av1::WatchAuditEventsRequest request;
  request.set_site(site);
  return request;
}

// ReadUntil reads events until one of `method` (short name); false if the
// stream ends first.
bool ReadUntil(Tail& tail, const std::string& method, av1::AuditEvent* event) {
  while (tail.reader->Read(event)) {
    if (event->method() == absl::StrCat("accueil.access.v1.AccessService.", method) ||
        event->method() == absl::StrCat("accueil.booking.v1.BookingService.", method)) {
      return true;
    }
  }
  return false;
}

av1::RoleBinding Grant(TestServer& server, const std::string& subject, av1::Role role,
                       const std::string& site) {
  av1::GrantRoleRequest req;
  req.set_subject(subject);
  req.set_role(role);
  req.set_site(site);
  av1::RoleBinding binding;
  EXPECT_TRUE(RpcOk(CallOn(*server.AccessStub(server.StaffToken()),
                           &av1::AccessService::Stub::GrantRole, req, &binding)));
  return binding;
}

v1::Site CreateSite(TestServer& server) {
  v1::CreateSiteRequest req;
  req.mutable_site()->set_display_name("Préfecture de test");
  req.mutable_site()->set_address("1 place de la Préfecture");
  req.mutable_site()->set_time_zone("Europe/Paris");
  v1::Site site;
  EXPECT_TRUE(RpcOk(CallOn(*server.BookingStub(server.StaffToken()),
                           &v1::BookingService::Stub::CreateSite, req, &site)));
  return site;
}

int Threads() {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

TEST(AuditTail, AnAdministratorsTailReceivesTheRowOfAnAuditedCallAsItIsWritten) {
  auto server = TestServer::Start();
  server->AwaitAudit();  // earlier records are not "new" to the tail

  auto tail = OpenTail(*server, server->StaffToken(), {});
  tail->reader->WaitForInitialMetadata();  // admitted
  // The opening is audited like a call, and the tail sees it first.
  av1::AuditEvent event;
  ASSERT_TRUE(tail->reader->Read(&event));
  EXPECT_EQ(event.method(), "accueil.access.v1.AccessService.WatchAuditEvents");
  EXPECT_EQ(event.subject(), "test-staff");
  EXPECT_EQ(event.outcome(), "OK");

  v1::Site site = CreateSite(*server);
  ASSERT_TRUE(ReadUntil(*tail, "CreateSite", &event));
  EXPECT_EQ(event.resource(), site.name());
  EXPECT_EQ(event.outcome(), "OK");
  tail->context.TryCancel();
  EXPECT_EQ(tail->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST(AuditTail, ResumesAfterAnIdAndKeepsToItsSite) {
  auto server = TestServer::Start();
  v1::Site a = CreateSite(*server);
  v1::Site b = CreateSite(*server);
  Grant(*server, "agent-a", LODGE_AGENT, a.name());
  Grant(*server, "agent-b", LODGE_AGENT, b.name());
  // Every audit event so far, oldest first, as the list gives them.
  server->AwaitAudit();
  av1::ListAuditEventsRequest list;
  av1::ListAuditEventsResponse listed;
  ASSERT_TRUE(RpcOk(CallOn(*server->AccessStub(server->StaffToken()),
                           &av1::AccessService::Stub::ListAuditEvents, list, &listed)));
  ASSERT_GE(listed.audit_events_size(), 4);

  av1::WatchAuditEventsRequest from_start;
  from_start.set_after_id(0);
  auto all = OpenTail(*server, server->StaffToken(), from_start);
  for (int i = listed.audit_events_size() - 1; i >= 0; --i) {
    av1::AuditEvent event;
    ASSERT_TRUE(all->reader->Read(&event));
    EXPECT_EQ(event.name(), listed.audit_events(i).name());
  }

  // A tail on site a, resumed after the first event, sees a's grant only
  // (and, later, a's events only).
  int64_t first = std::stoll(listed.audit_events(listed.audit_events_size() - 1).name().substr(12));
  av1::WatchAuditEventsRequest resume = OnSite(a.name());
  resume.set_after_id(first);
  auto admin_a = server->Token("admin-a", {{ADMINISTRATOR, std::stoll(a.name().substr(6))}});
  auto on_a = OpenTail(*server, admin_a, resume);
  av1::AuditEvent event;
  ASSERT_TRUE(ReadUntil(*on_a, "GrantRole", &event));
  EXPECT_EQ(event.site(), a.name());
  Grant(*server, "agent-b2", LODGE_AGENT, b.name());
  Grant(*server, "agent-a2", LODGE_AGENT, a.name());
  ASSERT_TRUE(ReadUntil(*on_a, "GrantRole", &event));
  EXPECT_EQ(event.site(), a.name());
  EXPECT_GT(std::stoll(event.name().substr(12)),
            std::stoll(listed.audit_events(0).name().substr(12)));
  for (Tail* t : {all.get(), on_a.get()}) t->context.TryCancel();
}

TEST(AuditTail, OnlyAdministratorsOfTheWatchedSitesOpenOne) {
  auto server = TestServer::Start();
  v1::Site site = CreateSite(*server);
  int64_t site_id = std::stoll(site.name().substr(6));
  EXPECT_TRUE(RpcFails(OpenTail(*server, "", {})->Finish(), grpc::StatusCode::UNAUTHENTICATED,
                       "AUTHENTICATION_REQUIRED", ""));
  std::string lodge = server->Token("lodge", {{LODGE_AGENT, site_id}});
  EXPECT_TRUE(RpcFails(OpenTail(*server, lodge, OnSite(site.name()))->Finish(),
                       grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
  // An administrator of one site watches that site, not every site.
  std::string admin = server->Token("admin-1", {{ADMINISTRATOR, site_id}});
  EXPECT_TRUE(RpcFails(OpenTail(*server, admin, {})->Finish(), grpc::StatusCode::PERMISSION_DENIED,
                       "SITE_NOT_ALLOWED", ""));
  EXPECT_TRUE(RpcFails(OpenTail(*server, admin, OnSite("sites/999"))->Finish(),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  EXPECT_TRUE(RpcFails(OpenTail(*server, admin, OnSite("desks/1"))->Finish(),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "site"));
  av1::WatchAuditEventsRequest negative = OnSite(site.name());
  negative.set_after_id(-1);
  EXPECT_TRUE(RpcFails(OpenTail(*server, admin, negative)->Finish(),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_AFTER_ID", "after_id"));
  // The refused openings of agents are in the audit log too.
  server->AwaitAudit();
  EXPECT_EQ(server->database().Query(
                "SELECT string_agg(outcome, ',' ORDER BY id) FROM access.audit_log WHERE method = "
                "'accueil.access.v1.AccessService.WatchAuditEvents'"),
            "PERMISSION_DENIED,PERMISSION_DENIED,PERMISSION_DENIED,INVALID_ARGUMENT,"
            "INVALID_ARGUMENT");
}

TEST(AuditTail, RevokingTheAdministratorsRoleEndsTheStream) {
  TestServerOptions options;
  options.stream_recheck = absl::Milliseconds(200);
  auto server = TestServer::Start(options);
  v1::Site site = CreateSite(*server);
  av1::RoleBinding binding = Grant(*server, "admin-r", ADMINISTRATOR, site.name());
  server->AwaitAudit();  // earlier records are not "new" to the tail

  auto tail = OpenTail(*server, server->Token("admin-r", {}), OnSite(site.name()));
  tail->reader->WaitForInitialMetadata();
  av1::AuditEvent event;
  ASSERT_TRUE(tail->reader->Read(&event));  // its own opening
  EXPECT_EQ(event.subject(), "admin-r");

  av1::RevokeRoleRequest revoke;
  revoke.set_name(binding.name());
  av1::RoleBinding revoked;
  ASSERT_TRUE(RpcOk(CallOn(*server->AccessStub(server->StaffToken()),
                           &av1::AccessService::Stub::RevokeRole, revoke, &revoked)));
  // The tail ends (well before its 60 s deadline), refused as a new call
  // would be.
  EXPECT_TRUE(RpcFails(tail->Finish(), grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));

  // A grant left on another site only: the stream's site is what counts.
  v1::Site other = CreateSite(*server);
  av1::RoleBinding here = Grant(*server, "admin-s", ADMINISTRATOR, site.name());
  Grant(*server, "admin-s", ADMINISTRATOR, other.name());
  server->AwaitAudit();  // earlier records are not "new" to the tail

  tail = OpenTail(*server, server->Token("admin-s", {}), OnSite(site.name()));
  tail->reader->WaitForInitialMetadata();
  revoke.set_name(here.name());
  ASSERT_TRUE(RpcOk(CallOn(*server->AccessStub(server->StaffToken()),
                           &av1::AccessService::Stub::RevokeRole, revoke, &revoked)));
  EXPECT_TRUE(
      RpcFails(tail->Finish(), grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
}

TEST(AuditTail, AnExpiredTokenEndsTheStream) {
  TestServerOptions options;
  options.stream_recheck = absl::Milliseconds(200);
  auto server = TestServer::Start(options);
  server->AwaitAudit();  // earlier records are not "new" to the tail

  auto tail = OpenTail(*server, server->StaffToken(), {});
  tail->reader->WaitForInitialMetadata();
  // TestServer's tokens last 400 days.
  server->clock().Advance(absl::Hours(24 * 401));
  EXPECT_TRUE(RpcFails(tail->Finish(), grpc::StatusCode::UNAUTHENTICATED, "TOKEN_EXPIRED", ""));
}

// No stream admits devices yet (reception's WatchQueue will): the recheck
// authenticates a stream's opening credential with
// Authenticator::FromAuthorization, checked here for a device token against
// the real directory, before and after its revocation.
TEST(AuditTail, ARevokedDeviceTokenNoLongerAuthenticatesTheRecheck) {
  auto server = TestServer::Start();
  v1::Site site = CreateSite(*server);
  av1::CreateDeviceTokenRequest create;
  create.set_site(site.name());
  create.set_display_name("Écran salle d'attente");
  av1::DeviceToken device;
  ASSERT_TRUE(RpcOk(CallOn(*server->AccessStub(server->StaffToken()),
                           &av1::AccessService::Stub::CreateDeviceToken, create, &device)));
  auto pool = db::Pool::Create(server->database().url(), 1);
  ASSERT_TRUE(pool.ok());
  access::Directory directory(pool->get(), &server->secrets());
  auth::Authenticator authenticator(&directory, &server->clock(), &server->keys(), {});
  std::string header = absl::StrCat("Bearer ", device.token());
  absl::StatusOr<auth::Caller> caller = authenticator.FromAuthorization(header);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->subject, device.name());

  av1::RevokeDeviceTokenRequest revoke;
  revoke.set_name(device.name());
  ASSERT_TRUE(RpcOk(CallOn(*server->AccessStub(server->StaffToken()),
                           &av1::AccessService::Stub::RevokeDeviceToken, revoke, &device)));
  caller = authenticator.FromAuthorization(header);
  EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReason(caller.status()), "DEVICE_TOKEN_INVALID");
}

TEST(AuditTail, ShuttingDownEndsOpenStreamsAtOnce) {
  auto server = TestServer::Start();
  server->AwaitAudit();  // earlier records are not "new" to the tail

  auto tail = OpenTail(*server, server->StaffToken(), {});
  tail->reader->WaitForInitialMetadata();
  server->Restart(server->secrets());
  EXPECT_TRUE(RpcFails(tail->Finish(), grpc::StatusCode::UNAVAILABLE, "SHUTTING_DOWN", ""));
}

TEST(AuditTail, FiveHundredIdleStreamsDoNotHoldAThreadEach) {
  auto server = TestServer::Start();
  std::string staff = server->StaffToken();
  auto channel = server->Channel(staff);
  auto stub = av1::AccessService::NewStub(channel);
  {
    // Warm up: the server's and the channel's threads for a stream exist.
    auto tail = OpenTail(*server, staff, {});
    tail->reader->WaitForInitialMetadata();
    tail->context.TryCancel();
    tail->Finish();
  }
  int before = Threads();
  std::vector<std::unique_ptr<Tail>> tails;
  for (int i = 0; i < 500; ++i) {
    // Each on its own (unknown) site, so that each only receives its own
    // opening's audit event.
    auto tail = std::make_unique<Tail>();
    tail->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
    tail->reader = stub->WatchAuditEvents(&tail->context, OnSite(absl::StrCat("sites/", 1000 + i)));
    tails.push_back(std::move(tail));
  }
  for (auto& tail : tails) tail->reader->WaitForInitialMetadata();
  int during = Threads();
  EXPECT_LT(during - before, 50) << before << " threads before, " << during << " with 500 streams";
  // A unary call still answers.
  av1::Caller me;
  EXPECT_TRUE(RpcOk(CallOn(*stub, &av1::AccessService::Stub::WhoAmI, av1::WhoAmIRequest(), &me)));
  EXPECT_EQ(me.subject(), "test-staff");
  for (auto& tail : tails) tail->context.TryCancel();
  for (auto& tail : tails) EXPECT_EQ(tail->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace accueil::testing
