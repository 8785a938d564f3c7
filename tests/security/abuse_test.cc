// Against bots and guessing: public rate limits with exemptions, the hourly
// booking cap, and the lock after repeated wrong access codes.
#include <gtest/gtest.h>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

TestServerOptions Strict(std::vector<std::string> exempt = {}) {
  TestServerOptions o;
  o.limits.read_per_second = 1;
  o.limits.read_burst = 5;
  o.limits.write_per_second = 1;
  o.limits.write_burst = 100;
  o.limits.bookings_per_hour = 3;
  o.limits.exempt = std::move(exempt);
  return o;
}

grpc::Status ListSites(v1::BookingService::Stub& stub) {
  grpc::ClientContext ctx;
  v1::ListSitesResponse resp;
  return stub.ListSites(&ctx, v1::ListSitesRequest(), &resp);
}

TEST(Abuse, PublicReadsAreRateLimitedWithARetryDelay) {
  auto server = TestServer::Start(Strict());
  auto stub = server->BookingStub();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(RpcOk(ListSites(*stub))) << i;
  grpc::Status limited = ListSites(*stub);
  EXPECT_TRUE(RpcFails(limited, grpc::StatusCode::RESOURCE_EXHAUSTED, "RATE_LIMITED", ""));
  std::optional<absl::Duration> delay = ErrorRetryDelay(FromGrpcStatus(limited));
  ASSERT_TRUE(delay.has_value());
  EXPECT_GT(*delay, absl::ZeroDuration());
  EXPECT_LE(*delay, absl::Seconds(1));
  // Agents are not limited.
  auto staff = server->BookingStub(server->StaffToken());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(RpcOk(ListSites(*staff))) << i;
  // Time refills the bucket.
  server->clock().Advance(absl::Seconds(2));
  EXPECT_TRUE(RpcOk(ListSites(*stub)));
}

grpc::Status ListSitesFrom(v1::BookingService::Stub& stub, const std::string& forwarded) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-forwarded-for", forwarded);
  v1::ListSitesResponse resp;
  return stub.ListSites(&ctx, v1::ListSitesRequest(), &resp);
}

TEST(Abuse, ForwardedAddressesCountOnlyBehindATrustedProxy) {
  // Behind the trusted proxy (the test's own loopback peer), each forwarded
  // client has its own bucket; the last hop is the one the proxy saw.
  TestServerOptions behind_proxy = Strict();
  behind_proxy.trusted_proxies = {"192.0.2.0/24", "127.0.0.0/8"};  // blocks, as configured
  auto server = TestServer::Start(behind_proxy);
  auto stub = server->BookingStub();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(RpcOk(ListSitesFrom(*stub, "198.51.100.1"))) << i;
  EXPECT_TRUE(RpcFails(ListSitesFrom(*stub, "198.51.100.1"), grpc::StatusCode::RESOURCE_EXHAUSTED,
                       "RATE_LIMITED", ""));
  EXPECT_TRUE(RpcOk(ListSitesFrom(*stub, "198.51.100.2")));
  // A client cannot escape by forging an earlier hop.
  EXPECT_TRUE(RpcFails(ListSitesFrom(*stub, "203.0.113.9, 198.51.100.1"),
                       grpc::StatusCode::RESOURCE_EXHAUSTED, "RATE_LIMITED", ""));
  // A last hop that is not an address counts as the proxy itself: malformed
  // headers share the proxy's bucket, whatever they spell.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(RpcOk(ListSitesFrom(*stub, i % 2 ? "198.51.100.1, " : "not-an-address"))) << i;
  }
  EXPECT_TRUE(RpcFails(ListSitesFrom(*stub, "203.0.113.9, junk"),
                       grpc::StatusCode::RESOURCE_EXHAUSTED, "RATE_LIMITED", ""));
  EXPECT_TRUE(RpcOk(ListSitesFrom(*stub, "198.51.100.3")));

  // Without a trusted proxy, the header is ignored: one bucket for the peer.
  auto direct = TestServer::Start(Strict());
  auto direct_stub = direct->BookingStub();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(RpcOk(ListSitesFrom(*direct_stub, absl::StrCat("198.51.100.", i)))) << i;
  }
  EXPECT_TRUE(RpcFails(ListSitesFrom(*direct_stub, "198.51.100.200"),
                       grpc::StatusCode::RESOURCE_EXHAUSTED, "RATE_LIMITED", ""));
}

TEST(Abuse, ExemptAddressesAreNotLimited) {
  auto server = TestServer::Start(Strict({"127.0.0.0/8"}));
  auto stub = server->BookingStub();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(RpcOk(ListSites(*stub))) << i;
}

TEST(Abuse, BookingsPerClientPerHourAreCapped) {
  auto server = TestServer::Start(Strict());
  auto staff = server->BookingStub(server->StaffToken());
  // Catalogue as the administrator.
  v1::Site site;
  {
    grpc::ClientContext ctx;
    v1::CreateSiteRequest req;
    req.mutable_site()->set_display_name("P");
    req.mutable_site()->set_time_zone("Europe/Paris");
    ASSERT_TRUE(RpcOk(staff->CreateSite(&ctx, req, &site)));
  }
  v1::Desk desk;
  {
    grpc::ClientContext ctx;
    v1::CreateDeskRequest req;
    req.set_parent(site.name());
    req.mutable_desk()->set_display_name("D");
    req.mutable_desk()->set_kind(v1::OTHER);
    req.mutable_desk()->mutable_slot_duration()->set_seconds(1800);
    req.mutable_desk()->set_capacity_per_slot(10);
    ASSERT_TRUE(RpcOk(staff->CreateDesk(&ctx, req, &desk)));
  }
  {
    grpc::ClientContext ctx;
    v1::SetOpeningHoursRequest req;
    req.mutable_opening_hours()->set_desk(desk.name());
    *req.mutable_opening_hours()->add_weekly() = Range(2, 9, 0, 12, 0);
    v1::OpeningHours hours;
    ASSERT_TRUE(RpcOk(staff->SetOpeningHours(&ctx, req, &hours)));
  }
  {
    grpc::ClientContext ctx;
    v1::ReleaseSlotsRequest req;
    req.set_desk(desk.name());
    *req.mutable_start_date() = Date(2026, 6, 2);
    *req.mutable_end_date() = Date(2026, 6, 2);
    v1::ReleaseSlotsResponse released;
    ASSERT_TRUE(RpcOk(staff->ReleaseSlots(&ctx, req, &released)));
  }
  v1::ListSlotsResponse slots;
  {
    grpc::ClientContext ctx;
    v1::ListSlotsRequest req;
    req.set_desk(desk.name());
    ASSERT_TRUE(RpcOk(staff->ListSlots(&ctx, req, &slots)));
    ASSERT_GE(slots.slots_size(), 1);
  }
  auto bot = server->BookingStub();
  // Typos in a form book nothing and do not use up the cap: eight malformed
  // attempts, then the three bookings the cap allows still go through.
  for (int typo = 0; typo < 8; ++typo) {
    grpc::ClientContext ctx;
    v1::Appointment out;
    v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(slots.slots(0).name(), 1);
    req.mutable_person()->set_phone("06 12 34 5X 7" + std::to_string(typo));
    EXPECT_TRUE(RpcFails(bot->CreateAppointment(&ctx, req, &out),
                         grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PHONE_NUMBER",
                         "person.phone"));
  }
  for (int person = 1; person <= 4; ++person) {
    grpc::ClientContext ctx;
    v1::Appointment out;
    grpc::Status s = bot->CreateAppointment(
        &ctx, BookingWorld::BookingRequest(slots.slots(0).name(), person), &out);
    if (person <= 3) {
      EXPECT_TRUE(RpcOk(s)) << person;
    } else {
      EXPECT_TRUE(RpcFails(s, grpc::StatusCode::RESOURCE_EXHAUSTED, "BOOKING_CAP_REACHED", ""));
    }
  }
  EXPECT_EQ(server->database().Query("SELECT count(*) FROM booking.appointments"), "3");
  server->clock().Advance(absl::Hours(1));
  grpc::ClientContext ctx;
  v1::Appointment out;
  EXPECT_TRUE(RpcOk(
      bot->CreateAppointment(&ctx, BookingWorld::BookingRequest(slots.slots(0).name(), 9), &out)));
}

TEST(Abuse, RepeatedWrongAccessCodesLockTheReference) {
  BookingWorld world;
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  v1::Appointment booked;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[0].name(), 1, &booked)));
  v1::Appointment wrong = booked;
  wrong.set_access_code(booked.access_code() == "22222222" ? "33333333" : "22222222");
  v1::Appointment out;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(RpcFails(world.Get(wrong, &out), grpc::StatusCode::PERMISSION_DENIED,
                         "WRONG_ACCESS_CODE", "access_code"))
        << i;
    world.clock().Advance(absl::Seconds(30));
  }
  // Locked: even the right code waits, and the answer says how long.
  grpc::Status locked = world.Get(booked, &out);
  EXPECT_TRUE(
      RpcFails(locked, grpc::StatusCode::RESOURCE_EXHAUSTED, "ACCESS_CODE_LOCKED", "access_code"));
  std::optional<absl::Duration> delay = ErrorRetryDelay(FromGrpcStatus(locked));
  ASSERT_TRUE(delay.has_value());
  EXPECT_EQ(*delay, absl::Minutes(15) - absl::Seconds(30));
  v1::Appointment cancelled;
  EXPECT_TRUE(RpcFails(world.Cancel(booked, &cancelled), grpc::StatusCode::RESOURCE_EXHAUSTED,
                       "ACCESS_CODE_LOCKED", "access_code"));
  EXPECT_EQ(world.Query("SELECT status FROM booking.appointments"), "booked");
  // Other references are not affected; the lock expires by itself.
  v1::Appointment other;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[1].name(), 2, &other)));
  EXPECT_TRUE(RpcOk(world.Get(other, &out)));
  world.clock().Advance(absl::Minutes(15));
  EXPECT_TRUE(RpcOk(world.Get(booked, &out)));
}

TEST(Abuse, ANewAccessCodeEndsTheLock) {
  BookingWorld world;
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  v1::Appointment booked, out;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[0].name(), 1, &booked)));
  v1::Appointment wrong = booked;
  wrong.set_access_code(booked.access_code() == "22222222" ? "33333333" : "22222222");
  for (int i = 0; i < 5; ++i) (void)world.Get(wrong, &out);
  ASSERT_TRUE(RpcFails(world.Get(booked, &out), grpc::StatusCode::RESOURCE_EXHAUSTED,
                       "ACCESS_CODE_LOCKED", "access_code"));
  // The person calls the prefecture: an agent gives a new code, usable at once.
  v1::ResetAccessCodeRequest reset;
  reset.set_name(booked.name());
  v1::Appointment renewed;
  ASSERT_TRUE(RpcOk(world.Call(&v1::BookingService::Stub::ResetAccessCode, reset, &renewed)));
  EXPECT_TRUE(RpcOk(world.Get(renewed, &out)));
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.code_failures"), 0);
}

TEST(Abuse, FailuresSpreadOverTimeDoNotLock) {
  BookingWorld world;
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  v1::Appointment booked;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[0].name(), 1, &booked)));
  v1::Appointment wrong = booked;
  wrong.set_access_code(booked.access_code() == "22222222" ? "33333333" : "22222222");
  v1::Appointment out;
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(RpcFails(world.Get(wrong, &out), grpc::StatusCode::PERMISSION_DENIED,
                         "WRONG_ACCESS_CODE", "access_code"))
        << i;
    world.clock().Advance(absl::Minutes(4));  // 4 per 16 minutes: under 5 per window
  }
  EXPECT_TRUE(RpcOk(world.Get(booked, &out)));
}

}  // namespace
}  // namespace accueil::testing
