// Site scoping, agents acting on a person's behalf, device tokens, check-in
// and access-code reset, and the audit trail of agents' actions.
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

using access::v1::ADMINISTRATOR;
using access::v1::COUNTER_AGENT;
using access::v1::LODGE_AGENT;

int64_t SiteId(const v1::Site& site) { return std::stoll(site.name().substr(6)); }

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = world_.OpenDesk(DeskOptions{});
    b_ = world_.OpenDesk(DeskOptions{});
    ASSERT_EQ(a_.slots.size(), 20u);
    ASSERT_EQ(b_.slots.size(), 20u);
  }
  std::unique_ptr<v1::BookingService::Stub> As(const std::string& subject,
                                               std::vector<auth::Grant> grants) {
    return world_.server().BookingStub(world_.server().Token(subject, grants));
  }
  BookingWorld world_;
  OpenedDesk a_, b_;
};

TEST_F(AccessControlTest, AdministratorsActOnlyOnTheirSites) {
  auto admin_a = As("admin-a", {{ADMINISTRATOR, SiteId(a_.site)}});
  v1::CreateDeskRequest req;
  req.mutable_desk()->set_display_name("Accueil");
  req.mutable_desk()->set_kind(v1::OTHER);
  req.mutable_desk()->mutable_slot_duration()->set_seconds(1200);
  req.mutable_desk()->set_capacity_per_slot(1);
  v1::Desk desk;
  req.set_parent(b_.site.name());
  EXPECT_TRUE(RpcFails(CallOn(*admin_a, &v1::BookingService::Stub::CreateDesk, req, &desk),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  req.set_parent(a_.site.name());
  EXPECT_TRUE(RpcOk(CallOn(*admin_a, &v1::BookingService::Stub::CreateDesk, req, &desk)));
  // Creating a site needs a grant on every site.
  v1::CreateSiteRequest site;
  site.mutable_site()->set_display_name("Sous-préfecture");
  site.mutable_site()->set_time_zone("Europe/Paris");
  v1::Site created;
  EXPECT_TRUE(RpcFails(CallOn(*admin_a, &v1::BookingService::Stub::CreateSite, site, &created),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  v1::ReleaseSlotsRequest release;
  release.set_desk(b_.desk.name());
  *release.mutable_start_date() = Date(2026, 6, 9);
  *release.mutable_end_date() = Date(2026, 6, 9);
  v1::ReleaseSlotsResponse released;
  EXPECT_TRUE(
      RpcFails(CallOn(*admin_a, &v1::BookingService::Stub::ReleaseSlots, release, &released),
               grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.slots WHERE local_date = '2026-06-09'"),
            0);
}

TEST_F(AccessControlTest, ArrivalsAndServiceGoThroughReceptionAgentsOnlyMarkNoShows) {
  v1::Appointment in_b;
  ASSERT_TRUE(RpcOk(world_.Book(b_.slots[0].name(), 1, &in_b)));
  auto lodge_a = As("lodge-a", {{LODGE_AGENT, SiteId(a_.site)}});
  auto lodge_b = As("lodge-b", {{LODGE_AGENT, SiteId(b_.site)}});
  auto counter_b = As("counter-b", {{COUNTER_AGENT, SiteId(b_.site)}});
  v1::TransitionAppointmentRequest t;
  t.set_name(in_b.name());
  v1::Appointment out;
  // Nobody is marked arrived without a ticket: agents go through reception.
  world_.clock().Set(FromTs(in_b.start_time()) - absl::Minutes(10));
  for (auto* agent : {lodge_a.get(), lodge_b.get(), counter_b.get()}) {
    EXPECT_TRUE(RpcFails(CallOn(*agent, &v1::BookingService::Stub::MarkArrived, t, &out),
                         grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
    EXPECT_TRUE(RpcFails(CallOn(*agent, &v1::BookingService::Stub::StartService, t, &out),
                         grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
  }
  ASSERT_TRUE(RpcOk(world_.Transition(&v1::BookingService::Stub::MarkArrived, in_b.name(), &out)));
  EXPECT_EQ(out.status(), v1::ARRIVED);
  ASSERT_TRUE(RpcOk(world_.Transition(&v1::BookingService::Stub::StartService, in_b.name(), &out)));
  EXPECT_EQ(out.status(), v1::IN_SERVICE);

  // A no-show stays an agent's call, on their site.
  v1::Appointment missed;
  world_.clock().Set(kJune1);
  ASSERT_TRUE(RpcOk(world_.Book(b_.slots[1].name(), 2, &missed)));
  world_.clock().Set(FromTs(missed.start_time()) + absl::Minutes(30));
  t.set_name(missed.name());
  EXPECT_TRUE(RpcFails(CallOn(*lodge_a, &v1::BookingService::Stub::MarkNoShow, t, &out),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  EXPECT_TRUE(RpcOk(CallOn(*counter_b, &v1::BookingService::Stub::MarkNoShow, t, &out)));
  EXPECT_EQ(out.status(), v1::NOSHOW);
}

TEST_F(AccessControlTest, AgentsFindCancelAndMoveWithoutCodeButWithAReason) {
  v1::Appointment booked;
  ASSERT_TRUE(RpcOk(world_.Book(a_.slots[0].name(), 1, &booked)));
  auto lodge_a = As("lodge-a", {{LODGE_AGENT, SiteId(a_.site)}});
  auto lodge_b = As("lodge-b", {{LODGE_AGENT, SiteId(b_.site)}});
  v1::GetAppointmentRequest get;
  get.set_reference(booked.reference());
  v1::Appointment out;
  EXPECT_TRUE(RpcFails(CallOn(*lodge_a, &v1::BookingService::Stub::GetAppointment, get, &out),
                       grpc::StatusCode::INVALID_ARGUMENT, "AGENT_REASON_REQUIRED",
                       "x-agent-reason"));
  EXPECT_TRUE(RpcFails(
      CallOn(*lodge_b, &v1::BookingService::Stub::GetAppointment, get, &out, "telephone call"),
      grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  // The public without code gets nothing.
  EXPECT_TRUE(RpcFails(world_.Call(&v1::BookingService::Stub::GetAppointment, get, &out),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ACCESS_CODE", "access_code"));
  ASSERT_TRUE(RpcOk(CallOn(*lodge_a, &v1::BookingService::Stub::GetAppointment, get, &out,
                           "person at the lodge lost the e-mail")));
  EXPECT_EQ(out.name(), booked.name());
  v1::RescheduleAppointmentRequest move;
  move.set_reference(booked.reference());
  move.set_new_slot(a_.slots[1].name());
  ASSERT_TRUE(RpcOk(CallOn(*lodge_a, &v1::BookingService::Stub::RescheduleAppointment, move, &out,
                           "asked by phone")));
  EXPECT_EQ(out.slot(), a_.slots[1].name());
  v1::CancelAppointmentRequest cancel;
  cancel.set_reference(booked.reference());
  ASSERT_TRUE(RpcOk(CallOn(*lodge_a, &v1::BookingService::Stub::CancelAppointment, cancel, &out,
                           "asked by phone")));
  EXPECT_EQ(out.status(), v1::CANCELLED);
  // Every agent action is in the audit log with who, what, on which and why.
  world_.server().AwaitAudit();
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM access.audit_log WHERE subject = 'lodge-a' "
                            "AND resource = '" +
                            booked.name() +
                            "' AND outcome = 'OK' "
                            "AND reason <> ''"),
            3);
  EXPECT_EQ(world_.Query("SELECT method FROM access.audit_log WHERE subject = 'lodge-a' "
                         "ORDER BY id DESC LIMIT 1"),
            "accueil.booking.v1.BookingService.CancelAppointment");
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM access.audit_log WHERE subject = 'lodge-b' "
                            "AND outcome = 'PERMISSION_DENIED'"),
            1);
}

TEST_F(AccessControlTest, OnlyAgentsBookThroughTheSubstituteChannel) {
  v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(a_.slots[0].name(), 1);
  req.set_channel(v1::AGENT);
  v1::Appointment out;
  auto public_stub = world_.server().BookingStub();
  // The public is told what is missing: an agent's sign-in, not a site.
  grpc::Status refused =
      CallOn(*public_stub, &v1::BookingService::Stub::CreateAppointment, req, &out);
  EXPECT_TRUE(RpcFails(refused, grpc::StatusCode::UNAUTHENTICATED, "AUTHENTICATION_REQUIRED", ""));
  EXPECT_EQ(refused.error_message(), "this needs an agent's sign-in");
  auto lodge_b = As("lodge-b", {{LODGE_AGENT, SiteId(b_.site)}});
  EXPECT_TRUE(
      RpcFails(CallOn(*lodge_b, &v1::BookingService::Stub::CreateAppointment, req, &out, "walk-in"),
               grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  auto lodge_a = As("lodge-a", {{LODGE_AGENT, SiteId(a_.site)}});
  ASSERT_TRUE(RpcOk(CallOn(*lodge_a, &v1::BookingService::Stub::CreateAppointment, req, &out,
                           "walk-in without internet")));
  EXPECT_EQ(out.channel(), v1::AGENT);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments"), 1);
}

TEST_F(AccessControlTest, DeviceTokensCheckInOnTheirSiteAndCanBeRevoked) {
  v1::Appointment booked;
  ASSERT_TRUE(RpcOk(world_.Book(a_.slots[0].name(), 1, &booked)));
  std::string staff = world_.server().StaffToken();
  auto access = world_.server().AccessStub(staff);
  access::v1::CreateDeviceTokenRequest create;
  create.set_site(a_.site.name());
  create.set_display_name("Borne loge A");
  access::v1::DeviceToken kiosk_b, kiosk_a;
  ASSERT_TRUE(RpcOk(
      CallOn(*access, &access::v1::AccessService::Stub::CreateDeviceToken, create, &kiosk_a)));
  create.set_site(b_.site.name());
  ASSERT_TRUE(RpcOk(
      CallOn(*access, &access::v1::AccessService::Stub::CreateDeviceToken, create, &kiosk_b)));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM access.device_tokens WHERE "
                            "encode(secret_hash, 'escape') LIKE '%" +
                            kiosk_a.token() + "%'"),
            0);  // only a keyed hash is stored

  v1::CheckInAppointmentRequest checkin;
  checkin.set_check_in_token(booked.check_in_token());
  v1::Appointment out;
  world_.clock().Set(FromTs(booked.start_time()) - absl::Minutes(10));
  // A kiosk no longer checks in by itself: it goes through reception, which
  // gives a ticket (and tells a late person to see the lodge).
  for (const access::v1::DeviceToken* device : {&kiosk_a, &kiosk_b}) {
    auto kiosk = world_.server().BookingStub(device->token());
    EXPECT_TRUE(
        RpcFails(CallOn(*kiosk, &v1::BookingService::Stub::CheckInAppointment, checkin, &out),
                 grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
  }
  // A device cannot mark a no-show, even knowing the appointment.
  auto kiosk = world_.server().BookingStub(kiosk_a.token());
  v1::TransitionAppointmentRequest t;
  t.set_name(booked.name());
  EXPECT_TRUE(RpcFails(CallOn(*kiosk, &v1::BookingService::Stub::MarkNoShow, t, &out),
                       grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
  v1::Appointment still;
  ASSERT_TRUE(RpcOk(world_.Get(booked, &still)));
  EXPECT_EQ(still.status(), v1::BOOKED);
  v1::ListSitesResponse listed;
  ASSERT_TRUE(
      RpcOk(CallOn(*kiosk, &v1::BookingService::Stub::ListSites, v1::ListSitesRequest(), &listed)));

  access::v1::RevokeDeviceTokenRequest revoke;
  revoke.set_name(kiosk_a.name());
  access::v1::DeviceToken revoked;
  ASSERT_TRUE(RpcOk(
      CallOn(*access, &access::v1::AccessService::Stub::RevokeDeviceToken, revoke, &revoked)));
  EXPECT_TRUE(revoked.has_revoke_time());
  v1::ListSitesRequest list;
  v1::ListSitesResponse sites;
  EXPECT_TRUE(RpcFails(CallOn(*kiosk, &v1::BookingService::Stub::ListSites, list, &sites),
                       grpc::StatusCode::UNAUTHENTICATED, "DEVICE_TOKEN_INVALID", ""));
}

TEST_F(AccessControlTest, ResetAccessCodeRevokesTheOldCodeAndCheckInToken) {
  v1::Appointment booked;
  ASSERT_TRUE(RpcOk(world_.Book(a_.slots[0].name(), 1, &booked)));
  v1::ResetAccessCodeRequest reset;
  reset.set_name(booked.name());
  v1::Appointment renewed;
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::ResetAccessCode, reset, &renewed)));
  EXPECT_NE(renewed.access_code(), booked.access_code());
  EXPECT_NE(renewed.check_in_token(), booked.check_in_token());
  v1::Appointment out;
  EXPECT_TRUE(RpcFails(world_.Get(booked, &out), grpc::StatusCode::PERMISSION_DENIED,
                       "WRONG_ACCESS_CODE", "access_code"));
  EXPECT_TRUE(RpcOk(world_.Get(renewed, &out)));
  v1::CheckInAppointmentRequest old_checkin;
  old_checkin.set_check_in_token(booked.check_in_token());
  EXPECT_TRUE(
      RpcFails(world_.Call(&v1::BookingService::Stub::CheckInAppointment, old_checkin, &out),
               grpc::StatusCode::INVALID_ARGUMENT, "CHECK_IN_TOKEN_REVOKED", "check_in_token"));
  v1::CheckInAppointmentRequest checkin;
  checkin.set_check_in_token(renewed.check_in_token());
  world_.clock().Set(FromTs(renewed.start_time()) - absl::Minutes(10));
  EXPECT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::CheckInAppointment, checkin, &out)));
  EXPECT_EQ(world_.Query("SELECT string_agg(type, ',' ORDER BY position) FROM events.log "
                         "WHERE subject = '" +
                         booked.name() + "'"),
            "appointment.booked,appointment.access_reset,appointment.arrived");
}

TEST_F(AccessControlTest, AdministratorsManageRolesWithinTheirSites) {
  std::string admin_a_token = world_.server().Token("admin-a", {{ADMINISTRATOR, SiteId(a_.site)}});
  auto admin_a = world_.server().AccessStub(admin_a_token);
  access::v1::GrantRoleRequest grant;
  grant.set_subject("new-agent");
  grant.set_role(LODGE_AGENT);
  grant.set_site(a_.site.name());
  access::v1::RoleBinding binding, again;
  ASSERT_TRUE(
      RpcOk(CallOn(*admin_a, &access::v1::AccessService::Stub::GrantRole, grant, &binding)));
  ASSERT_TRUE(RpcOk(CallOn(*admin_a, &access::v1::AccessService::Stub::GrantRole, grant, &again)));
  EXPECT_EQ(again.name(), binding.name());  // granting twice is one binding
  EXPECT_EQ(binding.granted_by(), "admin-a");
  grant.set_site(b_.site.name());
  EXPECT_TRUE(RpcFails(CallOn(*admin_a, &access::v1::AccessService::Stub::GrantRole, grant, &again),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  grant.set_site("");
  EXPECT_TRUE(RpcFails(CallOn(*admin_a, &access::v1::AccessService::Stub::GrantRole, grant, &again),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  grant.set_site(a_.site.name());
  grant.set_role(access::v1::PUBLIC);
  EXPECT_TRUE(RpcFails(CallOn(*admin_a, &access::v1::AccessService::Stub::GrantRole, grant, &again),
                       grpc::StatusCode::INVALID_ARGUMENT, "ROLE_NOT_GRANTABLE", "role"));

  // The new agent can act at once; after the revocation, no longer.
  std::string agent_token = world_.server().Token("new-agent", {});
  auto access_agent = world_.server().AccessStub(agent_token);
  access::v1::Caller me;
  ASSERT_TRUE(RpcOk(CallOn(*access_agent, &access::v1::AccessService::Stub::WhoAmI,
                           access::v1::WhoAmIRequest(), &me)));
  ASSERT_EQ(me.grants_size(), 1);
  EXPECT_EQ(me.grants(0).role(), LODGE_AGENT);
  access::v1::RevokeRoleRequest revoke;
  revoke.set_name(binding.name());
  access::v1::RoleBinding revoked;
  access::v1::RevokeRoleRequest unknown = revoke;
  unknown.set_name("roleBindings/999999");
  EXPECT_TRUE(
      RpcFails(CallOn(*admin_a, &access::v1::AccessService::Stub::RevokeRole, unknown, &revoked),
               grpc::StatusCode::NOT_FOUND, "ROLE_BINDING_NOT_FOUND", "name"));
  ASSERT_TRUE(
      RpcOk(CallOn(*admin_a, &access::v1::AccessService::Stub::RevokeRole, revoke, &revoked)));
  EXPECT_TRUE(revoked.has_revoke_time());
  access::v1::Caller fresh;
  ASSERT_TRUE(RpcOk(CallOn(*access_agent, &access::v1::AccessService::Stub::WhoAmI,
                           access::v1::WhoAmIRequest(), &fresh)));
  EXPECT_EQ(fresh.grants_size(), 0);

  world_.server().AwaitAudit();
  access::v1::ListAuditEventsRequest audit;
  audit.set_site(a_.site.name());
  access::v1::ListAuditEventsResponse events;
  ASSERT_TRUE(
      RpcOk(CallOn(*admin_a, &access::v1::AccessService::Stub::ListAuditEvents, audit, &events)));
  ASSERT_GE(events.audit_events_size(), 3);
  EXPECT_EQ(events.audit_events(0).method(), "accueil.access.v1.AccessService.RevokeRole");
  EXPECT_EQ(events.audit_events(0).subject(), "admin-a");
  // Paging without an end time, the clock moving between pages: the second
  // page is still the same listing.
  audit.set_page_size(1);
  world_.server().AwaitAudit();  // the record of the listing above
  access::v1::ListAuditEventsResponse first_page, second_page;
  ASSERT_TRUE(RpcOk(
      CallOn(*admin_a, &access::v1::AccessService::Stub::ListAuditEvents, audit, &first_page)));
  ASSERT_FALSE(first_page.next_page_token().empty());
  world_.clock().Set(world_.clock().Now() + absl::Seconds(90));
  audit.set_page_token(first_page.next_page_token());
  ASSERT_TRUE(RpcOk(
      CallOn(*admin_a, &access::v1::AccessService::Stub::ListAuditEvents, audit, &second_page)));
  ASSERT_EQ(second_page.audit_events_size(), 1);
  // Newest first: page 1 is the audit row of the listing above, page 2 the
  // RevokeRole before it.
  EXPECT_EQ(first_page.audit_events(0).method(), "accueil.access.v1.AccessService.ListAuditEvents");
  EXPECT_EQ(second_page.audit_events(0).method(), events.audit_events(0).method());
  audit.clear_page_token();
  audit.set_page_size(0);
  audit.mutable_start_time()->set_seconds(int64_t{1} << 50);  // beyond year 9999
  EXPECT_TRUE(
      RpcFails(CallOn(*admin_a, &access::v1::AccessService::Stub::ListAuditEvents, audit, &events),
               grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TIME", "start_time"));
  audit.clear_start_time();
  access::v1::ListRoleBindingsRequest bad_subject;
  bad_subject.set_site(a_.site.name());
  bad_subject.set_subject("with space");
  access::v1::ListRoleBindingsResponse bindings;
  EXPECT_TRUE(RpcFails(
      CallOn(*admin_a, &access::v1::AccessService::Stub::ListRoleBindings, bad_subject, &bindings),
      grpc::StatusCode::INVALID_ARGUMENT, "INVALID_SUBJECT", "subject"));
  audit.set_site(b_.site.name());
  EXPECT_TRUE(
      RpcFails(CallOn(*admin_a, &access::v1::AccessService::Stub::ListAuditEvents, audit, &events),
               grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
}

}  // namespace
}  // namespace accueil::testing

namespace accueil::testing {
namespace {

TEST_F(AccessControlTest, AgentsSearchAPersonsAppointmentsOnTheirSite) {
  v1::Appointment first, second, other_person;
  ASSERT_TRUE(RpcOk(world_.Book(a_.slots[0].name(), 1, &first)));
  ASSERT_TRUE(RpcOk(world_.Book(b_.slots[0].name(), 1, &second)));  // same person, site b
  ASSERT_TRUE(RpcOk(world_.Book(a_.slots[1].name(), 2, &other_person)));
  auto lodge_a = As("lodge-a", {{LODGE_AGENT, SiteId(a_.site)}});
  v1::SearchAppointmentsRequest req;
  req.set_site(a_.site.name());
  v1::SearchAppointmentsResponse found;
  // By phone in national format, by e-mail in capitals, by family-name start.
  for (const std::string& query :
       {PersonNumber(1).phone(), absl::AsciiStrToUpper(PersonNumber(1).email()),
        PersonNumber(1).family_name().substr(0, 3)}) {
    req.set_query(query);
    ASSERT_TRUE(RpcOk(CallOn(*lodge_a, &v1::BookingService::Stub::SearchAppointments, req, &found,
                             "person without reference at the lodge")))
        << query;
    std::vector<std::string> names;
    for (const auto& a : found.appointments()) names.push_back(a.name());
    EXPECT_NE(std::find(names.begin(), names.end(), first.name()), names.end()) << query;
    EXPECT_EQ(std::find(names.begin(), names.end(), second.name()), names.end()) << query;
    for (const auto& a : found.appointments()) {
      EXPECT_EQ(a.access_code(), "") << "a search hands out no codes";
      EXPECT_EQ(a.check_in_token(), "");
    }
  }
  // Paging, the clock moving between pages (no start_time: "a day ago").
  req.set_query("Durand");
  req.set_page_size(1);
  v1::SearchAppointmentsResponse page1, page2;
  ASSERT_TRUE(RpcOk(
      CallOn(*lodge_a, &v1::BookingService::Stub::SearchAppointments, req, &page1, "paging")));
  ASSERT_EQ(page1.appointments_size(), 1);
  ASSERT_FALSE(page1.next_page_token().empty());
  world_.clock().Set(world_.clock().Now() + absl::Seconds(90));
  req.set_page_token(page1.next_page_token());
  ASSERT_TRUE(RpcOk(
      CallOn(*lodge_a, &v1::BookingService::Stub::SearchAppointments, req, &page2, "paging")));
  ASSERT_EQ(page2.appointments_size(), 1);
  EXPECT_NE(page2.appointments(0).name(), page1.appointments(0).name());
  req.clear_page_token();
  req.set_page_size(0);
  req.set_query("%");
  ASSERT_TRUE(RpcOk(CallOn(*lodge_a, &v1::BookingService::Stub::SearchAppointments, req, &found,
                           "wildcards are literal")));
  EXPECT_EQ(found.appointments_size(), 0);
  req.set_query(PersonNumber(1).phone());
  EXPECT_TRUE(RpcFails(CallOn(*lodge_a, &v1::BookingService::Stub::SearchAppointments, req, &found),
                       grpc::StatusCode::INVALID_ARGUMENT, "AGENT_REASON_REQUIRED",
                       "x-agent-reason"));
  req.set_site(b_.site.name());
  EXPECT_TRUE(RpcFails(
      CallOn(*lodge_a, &v1::BookingService::Stub::SearchAppointments, req, &found, "curious"),
      grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  world_.server().AwaitAudit();
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM access.audit_log WHERE subject = 'lodge-a' "
                            "AND method LIKE '%SearchAppointments'"),
            8);
}

}  // namespace
}  // namespace accueil::testing
