// Person rights: an administrator of the site exports, then erases, one
// person's personal data, with a reason that the audit log keeps.
#include "tests/privacy/privacy_fixture.h"

namespace accueil::testing {
namespace {

using access::v1::ADMINISTRATOR;
using access::v1::LODGE_AGENT;

class PersonRights : public ::testing::Test {
 protected:
  void SetUp() override {
    DeskOptions options;
    options.first = absl::CivilDay(2026, 6, 2);
    options.last = absl::CivilDay(2026, 6, 9);
    open_ = world_.OpenDesk(options);
    other_site_ = world_.OpenDesk(options);
    site_id_ = IdOf(open_.site.name());
    admin_ =
        world_.server().BookingStub(world_.server().Token("admin-a", {{ADMINISTRATOR, site_id_}}));
  }

  grpc::Status Export(v1::BookingService::Stub& stub, const std::string& query,
                      v1::ExportPersonDataResponse* out, const std::string& reason,
                      const std::string& site = "") {
    grpc::ClientContext ctx;
    if (!reason.empty()) ctx.AddMetadata("x-agent-reason", reason);
    v1::ExportPersonDataRequest req;
    req.set_site(site.empty() ? open_.site.name() : site);
    req.set_query(query);
    return stub.ExportPersonData(&ctx, req, out);
  }

  grpc::Status Erase(v1::BookingService::Stub& stub, const std::string& query,
                     v1::ErasePersonDataResponse* out, const std::string& reason,
                     const std::string& request_id = "") {
    grpc::ClientContext ctx;
    if (!reason.empty()) ctx.AddMetadata("x-agent-reason", reason);
    v1::ErasePersonDataRequest req;
    req.set_site(open_.site.name());
    req.set_query(query);
    req.set_request_id(request_id);
    return stub.ErasePersonData(&ctx, req, out);
  }

  BookingWorld world_;
  OpenedDesk open_;
  OpenedDesk other_site_;
  int64_t site_id_ = 0;
  std::unique_ptr<v1::BookingService::Stub> admin_;
};

TEST_F(PersonRights, AnUnknownSiteIsNotFoundAndNothingIsRecorded) {
  auto everywhere = world_.server().BookingStub(world_.server().StaffToken());
  v1::ExportPersonDataResponse exported;
  EXPECT_TRUE(RpcFails(Export(*everywhere, PhoneOf(1), &exported, "demande RGPD", "sites/999999"),
                       grpc::StatusCode::NOT_FOUND, "SITE_NOT_FOUND", "site"));
  int64_t events = world_.QueryInt("SELECT count(*) FROM events.log");
  v1::ErasePersonDataRequest req;
  req.set_site("sites/999999");
  req.set_query(PhoneOf(1));
  v1::ErasePersonDataResponse erased;
  EXPECT_TRUE(RpcFails(
      CallOn(*everywhere, &v1::BookingService::Stub::ErasePersonData, req, &erased, "demande RGPD"),
      grpc::StatusCode::NOT_FOUND, "SITE_NOT_FOUND", "site"));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log"), events);
}

TEST_F(PersonRights, ExportEraseAndAudit) {
  // Person 1: one cancelled and one active appointment here, one at another
  // site; person 2 at the same desk.
  v1::Appointment cancelled, active, elsewhere, other, out;
  BookOn(world_, open_, "2026-06-02", 0, 1, &cancelled, v1::VISUAL, "Note-secret-1", 1);
  ASSERT_TRUE(RpcOk(world_.Cancel(cancelled, &out, "", "Cancel-secret-1")));
  BookOn(world_, open_, "2026-06-02", 1, 1, &active);
  BookOn(world_, other_site_, "2026-06-02", 0, 1, &elsewhere);
  BookOn(world_, open_, "2026-06-02", 2, 2, &other);
  ASSERT_FALSE(HasFailure());

  // Export by E.164, national format or e-mail: both of person 1's
  // appointments at this site, with their data; nothing of person 2's.
  for (const std::string& query :
       {PhoneOf(1), std::string("06 10 00 00 01"), std::string("Personne.1@Example.org")}) {
    v1::ExportPersonDataResponse exported;
    ASSERT_TRUE(RpcOk(Export(*admin_, query, &exported, "Demande RGPD 12"))) << query;
    ASSERT_EQ(exported.appointments_size(), 2) << query;
    EXPECT_EQ(exported.appointments(0).name(), cancelled.name());
    EXPECT_EQ(exported.appointments(1).name(), active.name());
    for (const v1::Appointment& a : exported.appointments()) {
      EXPECT_EQ(a.person().family_name(), "Durand-1");
      EXPECT_EQ(a.person().phone(), PhoneOf(1));
      EXPECT_EQ(a.person().email(), "personne.1@example.org");
      EXPECT_EQ(a.site(), open_.site.name());
      EXPECT_EQ(a.access_code(), "") << "an export carries no access code";
      EXPECT_EQ(a.check_in_token(), "");
    }
    EXPECT_EQ(exported.appointments(0).cancel_reason(), "Cancel-secret-1");
    EXPECT_EQ(exported.appointments(0).accessibility().note(), "Note-secret-1");
  }
  v1::ExportPersonDataResponse nobody;
  ASSERT_TRUE(RpcOk(Export(*admin_, "+33699999999", &nobody, "Demande RGPD 13")));
  EXPECT_EQ(nobody.appointments_size(), 0);

  // Erasure is refused while an appointment is active.
  v1::ErasePersonDataResponse erased;
  EXPECT_TRUE(RpcFails(Erase(*admin_, PhoneOf(1), &erased, "Demande RGPD 12"),
                       grpc::StatusCode::FAILED_PRECONDITION, "ACTIVE_APPOINTMENT_EXISTS",
                       "query"));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.persons WHERE erase_time IS NOT NULL"),
            0);
  ASSERT_TRUE(RpcOk(world_.Cancel(active, &out)));

  ASSERT_TRUE(RpcOk(Erase(*admin_, "06 10 00 00 01", &erased, "Demande RGPD 12")));
  EXPECT_EQ(erased.erased_appointment_count(), 2);
  EXPECT_EQ(world_.QueryInt(absl::StrCat(
                "SELECT count(*) FROM booking.appointments a JOIN booking.persons p ON "
                "p.id = a.person_id WHERE a.id IN (",
                IdOf(cancelled.name()), ",", IdOf(active.name()),
                ") AND p.given_name IS NULL AND p.family_name IS NULL "
                "AND p.phone IS NULL AND p.email IS NULL AND p.accessibility_note = '' "
                "AND a.cancel_reason IS NULL AND p.erase_time IS NOT NULL")),
            2);
  // Person 2, and person 1 at the other site, are untouched.
  for (const v1::Appointment* a : {&other, &elsewhere}) {
    EXPECT_EQ(world_.QueryInt(absl::StrCat(
                  "SELECT count(*) FROM booking.appointments a JOIN booking.persons p ON "
                  "p.id = a.person_id WHERE a.id = ",
                  IdOf(a->name()), " AND p.given_name = 'Camille' AND p.erase_time IS NULL")),
              1)
        << a->name();
  }
  // What the statistics need stays.
  EXPECT_EQ(world_.Query(absl::StrCat("SELECT status || ':' || accessibility_need || ':' || "
                                      "companions FROM booking.appointments WHERE id = ",
                                      IdOf(cancelled.name()))),
            "cancelled:visual:1");
  // The event says how many, never who.
  EXPECT_EQ(world_.Query("SELECT payload->>'erased' FROM events.log "
                         "WHERE type = 'person.erased'"),
            "2");
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM events.log WHERE type = 'person.erased' "
                            "AND (payload::text LIKE '%3361%' OR payload::text LIKE '%Durand%' "
                            "OR payload::text LIKE '%personne%')"),
            0);
  // Audited, with the reason.
  world_.server().AwaitAudit();
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM access.audit_log WHERE subject = 'admin-a' "
                            "AND method LIKE '%ErasePersonData' AND reason = 'Demande RGPD 12' "
                            "AND outcome = 'OK' AND resource = '" +
                            open_.site.name() + "'"),
            1);
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM access.audit_log WHERE subject = 'admin-a' "
                            "AND method LIKE '%ExportPersonData' AND reason = 'Demande RGPD 12'"),
            3);

  // The export now finds the appointments (by the keyed hash) without data.
  v1::ExportPersonDataResponse after;
  ASSERT_TRUE(RpcOk(Export(*admin_, PhoneOf(1), &after, "Demande RGPD 12")));
  ASSERT_EQ(after.appointments_size(), 2);
  for (const v1::Appointment& a : after.appointments()) {
    EXPECT_EQ(a.person().family_name(), "");
    EXPECT_EQ(a.person().phone(), "");
    EXPECT_EQ(a.cancel_reason(), "");
  }

  // A second erasure is harmless: nothing left to erase.
  ASSERT_TRUE(RpcOk(Erase(*admin_, PhoneOf(1), &erased, "Demande RGPD 12 bis")));
  EXPECT_EQ(erased.erased_appointment_count(), 0);
  // The person can book again (the keyed hash still says who they are).
  v1::Appointment again;
  BookOn(world_, open_, "2026-06-09", 0, 1, &again);
  EXPECT_EQ(again.person().family_name(), "Durand-1");
}

TEST_F(PersonRights, OnlyAnAdministratorOfTheSiteWithAReason) {
  v1::Appointment a;
  BookOn(world_, open_, "2026-06-02", 0, 1, &a);
  v1::ExportPersonDataResponse exported;
  v1::ErasePersonDataResponse erased;
  EXPECT_TRUE(RpcFails(Export(*admin_, PhoneOf(1), &exported, ""),
                       grpc::StatusCode::INVALID_ARGUMENT, "AGENT_REASON_REQUIRED",
                       "x-agent-reason"));
  EXPECT_TRUE(RpcFails(Erase(*admin_, PhoneOf(1), &erased, ""), grpc::StatusCode::INVALID_ARGUMENT,
                       "AGENT_REASON_REQUIRED", "x-agent-reason"));
  EXPECT_TRUE(RpcFails(Export(*admin_, PhoneOf(1), &exported, "RGPD", other_site_.site.name()),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  auto lodge =
      world_.server().BookingStub(world_.server().Token("lodge-a", {{LODGE_AGENT, site_id_}}));
  EXPECT_TRUE(RpcFails(Export(*lodge, PhoneOf(1), &exported, "RGPD"),
                       grpc::StatusCode::PERMISSION_DENIED, "ROLE_REQUIRED", ""));
  EXPECT_TRUE(RpcFails(Erase(*world_.server().BookingStub(), PhoneOf(1), &erased, "RGPD"),
                       grpc::StatusCode::UNAUTHENTICATED, "AUTHENTICATION_REQUIRED", ""));
  EXPECT_TRUE(RpcFails(Export(*admin_, "Durand", &exported, "RGPD"),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_QUERY", "query"));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.persons WHERE erase_time IS NOT NULL"),
            0);
}

}  // namespace
}  // namespace accueil::testing
