// No log line carries personal data: a whole scenario (book, read, move,
// search, reset the code, check in, serve, cancel, bad input, export, erase,
// purge) runs through the in-process server while its stderr, where the
// JSON logs go, is captured; no captured byte may spell the person's names,
// phone (E.164 or national), e-mail, free text, access codes or tokens.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "services/common/log.h"
#include "services/common/retention.h"
#include "tests/privacy/privacy_fixture.h"
#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

// StderrCapture sends file descriptor 2 to a temporary file until Finish
// (or destruction) puts it back.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    std::string path = ::testing::TempDir() + "accueil_log_privacy_XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return;
    path_ = path;
    saved_ = dup(2);
    dup2(fd, 2);
    close(fd);
  }
  ~StderrCapture() { Finish(); }

  std::string Finish() {
    if (saved_ < 0) return text_;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
    std::ifstream in(path_);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text_ = buffer.str();
    unlink(path_.c_str());
    return text_;
  }

 private:
  std::string path_;
  int saved_ = -1;
  std::string text_;
};

grpc::Status AsStaff(
    BookingWorld& world, const std::string& token,
    const std::function<grpc::Status(v1::BookingService::Stub&, grpc::ClientContext&)>& call) {
  auto stub = world.server().BookingStub(token);
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-agent-reason", "guichet 3");
  return call(*stub, ctx);
}

TEST(LogPrivacy, NoLogLineCarriesPersonalData) {
  log::Init("trace");
  std::vector<std::string> secrets = {
      "Zéphyrine", "Zephyrine", "Quintabelle", "QUINTABELLE", "quintabelle", "+33612345678",
      "0612345678", "06 12 34 56 78", "612345678", "zephyrine.quintabelle@example.org",
      "Fauteuil-Quintabelle", "Annulation-Quintabelle",
      // The second person, given only an e-mail.
      "Barthélémy", "Oyelaran", "b.oyelaran@example.net", "+33798765432", "0798765432"};
  std::string log_text;
  {
    StderrCapture capture;
    BookingWorld world;
    std::string staff = world.server().StaffToken();
    secrets.push_back(staff);
    DeskOptions options;
    options.last = absl::CivilDay(2026, 6, 9);
    OpenedDesk open = world.OpenDesk(options);
    ASSERT_GE(open.slots.size(), 30u);

    v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(open.slots[0].name(), 1);
    req.mutable_person()->set_given_name("Zéphyrine");
    req.mutable_person()->set_family_name("Quintabelle");
    req.mutable_person()->set_phone("06 12 34 56 78");
    req.mutable_person()->set_email("Zephyrine.Quintabelle@example.org");
    req.mutable_accessibility()->set_need(v1::WHEELCHAIR);
    req.mutable_accessibility()->set_note("Fauteuil-Quintabelle");
    v1::Appointment a, out;
    ASSERT_TRUE(RpcOk(world.Book(req, &a)));
    secrets.push_back(a.access_code());
    secrets.push_back(a.check_in_token());
    // The same person again: refused (the error must not name them either).
    req.set_slot(open.slots[1].name());
    EXPECT_FALSE(world.Book(req, &out).ok());
    // Bad input carrying personal data.
    v1::CreateAppointmentRequest bad = req;
    bad.mutable_person()->set_email("zephyrine.quintabelle@@example.org");
    EXPECT_FALSE(world.Book(bad, &out).ok());
    bad = req;
    bad.mutable_person()->set_phone("01 612345678 Quintabelle");
    EXPECT_FALSE(world.Book(bad, &out).ok());

    ASSERT_TRUE(RpcOk(world.Get(a, &out)));
    v1::Appointment wrong = a;
    wrong.set_access_code("ABCDEFGH");
    EXPECT_FALSE(world.Get(wrong, &out).ok());
    ASSERT_TRUE(RpcOk(world.Reschedule(a, open.slots[2].name(), &out)));

    v1::SearchAppointmentsResponse found;
    for (const std::string& query : {std::string("06 12 34 56 78"), std::string("Quintabelle"),
                                     std::string("zephyrine.quintabelle@example.org")}) {
      EXPECT_TRUE(RpcOk(AsStaff(world, staff, [&](auto& stub, auto& ctx) {
        v1::SearchAppointmentsRequest search;
        search.set_site(open.site.name());
        search.set_query(query);
        return stub.SearchAppointments(&ctx, search, &found);
      })));
      EXPECT_EQ(found.appointments_size(), 1) << query;
    }
    v1::Appointment reset;
    ASSERT_TRUE(RpcOk(AsStaff(world, staff, [&](auto& stub, auto& ctx) {
      v1::ResetAccessCodeRequest r;
      r.set_name(a.name());
      return stub.ResetAccessCode(&ctx, r, &reset);
    })));
    secrets.push_back(reset.access_code());
    secrets.push_back(reset.check_in_token());
    v1::CheckInAppointmentRequest checkin;
    checkin.set_check_in_token(reset.check_in_token());
    world.clock().Set(FromTs(reset.start_time()) - absl::Minutes(10));
    ASSERT_TRUE(RpcOk(world.Call(&v1::BookingService::Stub::CheckInAppointment, checkin, &out)));
    ASSERT_TRUE(RpcOk(world.Transition(&v1::BookingService::Stub::StartService, a.name(), &out)));
    ASSERT_TRUE(
        RpcOk(world.Transition(&v1::BookingService::Stub::CompleteAppointment, a.name(), &out)));

    // Booked again, then cancelled with a reason naming the person.
    req.set_slot(open.slots[25].name());
    v1::Appointment second;
    ASSERT_TRUE(RpcOk(world.Book(req, &second)));
    secrets.push_back(second.access_code());
    secrets.push_back(second.check_in_token());
    ASSERT_TRUE(RpcOk(world.Cancel(second, &out, "", "Annulation-Quintabelle")));

    // Another person, e-mail only, booked by an agent, then missed.
    v1::CreateAppointmentRequest other = BookingWorld::BookingRequest(open.slots[3].name(), 2);
    other.mutable_person()->set_given_name("Barthélémy");
    other.mutable_person()->set_family_name("Oyelaran");
    other.mutable_person()->set_phone("");
    other.mutable_person()->set_email("b.oyelaran@example.net");
    other.set_channel(v1::AGENT);
    v1::Appointment third;
    ASSERT_TRUE(RpcOk(world.Book(other, &third)));
    secrets.push_back(third.access_code());
    secrets.push_back(third.check_in_token());
    world.clock().Set(absl::FromCivil(absl::CivilHour(2026, 6, 2, 18), absl::UTCTimeZone()));
    ASSERT_TRUE(RpcOk(world.Transition(&v1::BookingService::Stub::MarkNoShow, third.name(), &out)));

    // Person rights.
    for (const std::string& query :
         {std::string("+33612345678"), std::string("b.oyelaran@example.net")}) {
      v1::ExportPersonDataResponse exported;
      ASSERT_TRUE(RpcOk(AsStaff(world, staff, [&](auto& stub, auto& ctx) {
        v1::ExportPersonDataRequest e;
        e.set_site(open.site.name());
        e.set_query(query);
        return stub.ExportPersonData(&ctx, e, &exported);
      })));
      EXPECT_GE(exported.appointments_size(), 1) << query;
      v1::ErasePersonDataResponse erased;
      ASSERT_TRUE(RpcOk(AsStaff(world, staff, [&](auto& stub, auto& ctx) {
        v1::ErasePersonDataRequest e;
        e.set_site(open.site.name());
        e.set_query(query);
        return stub.ErasePersonData(&ctx, e, &erased);
      })));
      EXPECT_GE(erased.erased_appointment_count(), 1) << query;
    }
    // And the purge.
    absl::StatusOr<std::unique_ptr<db::Pool>> pool =
        db::Pool::Create(world.server().database().url(), 1);
    ASSERT_TRUE(pool.ok());
    EXPECT_TRUE(retention::PurgeOnce(**pool, kSept20, {absl::Hours(24), absl::Hours(24)},
                                     world.server().person_data())
                    .ok());
    log_text = capture.Finish();
  }

  // The capture saw the server's logs: one access line per call at least.
  int rpc_lines = 0;
  for (size_t at = log_text.find("\"event\":\"rpc\""); at != std::string::npos;
       at = log_text.find("\"event\":\"rpc\"", at + 1)) {
    ++rpc_lines;
  }
  EXPECT_GE(rpc_lines, 20) << log_text.substr(0, 2000);
  EXPECT_NE(log_text.find("retention.purged"), std::string::npos);
  for (const std::string& secret : secrets) {
    ASSERT_FALSE(secret.empty());
    size_t at = log_text.find(secret);
    EXPECT_EQ(at, std::string::npos)
        << "the log holds \"" << secret
        << "\": " << log_text.substr(at == std::string::npos ? 0 : (at < 200 ? 0 : at - 200), 400);
  }
}

// The reception day: check-ins by reference and QR token, a walk-in whose
// reason names someone, calls, service, a person leaving, the display and
// the closing; no log line spells a name, a contact, an access code, a token
// or the walk-in's reason.
TEST(LogPrivacy, TheReceptionDayLogsNoPersonalData) {
  std::string log_text;
  std::vector<std::string> secrets = {"Camille", "Durand-", "example.org", "+3361", "Xylophage"};
  {
    StderrCapture capture;
    ReceptionWorld world(3);
    for (const v1::Appointment& a : world.appointments) {
      secrets.push_back(a.access_code());
      secrets.push_back(a.check_in_token());
    }
    rv1::Visit first, second, third;
    ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &first)));
    rv1::CheckInVisitorRequest by_token;
    by_token.set_site(world.desk.site.name());
    by_token.set_check_in_token(world.appointments[1].check_in_token());
    ASSERT_TRUE(RpcOk(
        CallOn(world.lodge(), &rv1::ReceptionService::Stub::CheckInVisitor, by_token, &second)));
    ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[2].reference(), &third)));
    rv1::RegisterWalkInRequest walk_in;
    walk_in.set_site(world.desk.site.name());
    walk_in.set_outcome(rv1::INFORMED);
    walk_in.set_reason("Mme Xylophage demande son récépissé");
    rv1::WalkIn registered;
    ASSERT_TRUE(RpcOk(
        CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, walk_in, &registered)));
    rv1::GetQueueRequest queue;
    queue.set_site(world.desk.site.name());
    rv1::QueueState state;
    ASSERT_TRUE(
        RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::GetQueue, queue, &state)));
    rv1::Counter counter;
    ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
    rv1::Visit called, started;
    ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
    ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &started)));
    rv1::FinishVisitResponse finished;
    ASSERT_TRUE(RpcOk(world.Finish(started, rv1::SERVED, &finished)));
    rv1::Visit left;
    ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::MarkVisitorLeft, third, &left)));
    rv1::CloseDayRequest close;
    close.set_site(world.desk.site.name());
    close.set_send_away_remaining(true);
    rv1::CloseDayResponse closed;
    ASSERT_TRUE(
        RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::CloseDay, close, &closed)));
    log_text = capture.Finish();
  }
  EXPECT_NE(log_text.find("ReceptionService.CloseDay"), std::string::npos)
      << log_text.substr(0, 2000);
  for (const std::string& secret : secrets) {
    ASSERT_FALSE(secret.empty());
    size_t at = log_text.find(secret);
    EXPECT_EQ(at, std::string::npos)
        << "the log holds \"" << secret
        << "\": " << log_text.substr(at == std::string::npos ? 0 : (at < 200 ? 0 : at - 200), 400);
  }
}

}  // namespace
}  // namespace accueil::testing
