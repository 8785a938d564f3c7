// The public pages in a real browser: this test starts the server (every
// module, the gateway, a desk open on 2026-06-02) and runs
// tests/web/journey.mjs, which drives Debian's Chromium through the pages
// with playwright-core in French, English and Arabic (and two people on one
// slot, the second told clearly), checks every page with
// axe-core (WCAG 2.1 AA: zero violations) and saves screenshots at phone and
// desktop widths in build/web-screenshots/ (docs/web.md shows them).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/notify/v1/notify.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "tests/booking/booking_fixture.h"
#include "tests/metrics/quality_officer.h"
#include "tests/support/ports.h"
#include "tests/support/smtp_sink.h"

namespace accueil::testing {
namespace {

// NodeMajor: the major version of `node` on the PATH, 0 without.
int NodeMajor() {
  FILE* pipe = popen("node --version 2>/dev/null", "r");
  if (pipe == nullptr) return 0;
  char buffer[64] = {};
  const bool read = std::fgets(buffer, sizeof buffer, pipe) != nullptr;
  pclose(pipe);
  int major = 0;
  if (read && buffer[0] == 'v') major = std::atoi(buffer + 1);
  return major;
}

namespace nv1 = ::accueil::notify::v1;
using v1::Appointment;

// Messages: before the journey, the mails whose links it follows, sent
// for real by notify through the SMTP test server: for each language a
// survey (after a visit today) and an attendance request (the person
// missed a visit today), and a convocation (its foot links to the opt-out
// page).
struct Messages {
  std::string surveys, attendances;   // "ID-TOKEN,ID-TOKEN,ID-TOKEN"
  std::string preferences;            // "ID-TOKEN"
  std::vector<int64_t> appointments;  // the journey counts only its own
  std::string today_slot;             // a free slot of today's desk at 16:00 Paris
};

Messages PrepareMessages(BookingWorld& world, const OpenedDesk& open, const SmtpSink& smtp,
                         const std::string& base) {
  Messages links;
  auto notify = nv1::NotifyService::NewStub(world.server().Channel(world.server().StaffToken()));
  // The journey's desk asks people with a no-show to confirm, 1 hour ahead.
  nv1::UpdateDeskNotifySettingsRequest settings;
  settings.mutable_settings()->set_desk(open.desk.name());
  settings.mutable_settings()->set_confirm_after_noshows(1);
  settings.mutable_settings()->mutable_confirm_before()->set_seconds(3600);
  nv1::DeskNotifySettings set;
  EXPECT_TRUE(
      RpcOk(CallOn(*notify, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, settings, &set)));
  // Another desk of the site, open today from 11:00 (Monday 1 June; the
  // clock says 10:00 Paris): persons 91-93 are served there from 11:00,
  // persons 94-96 miss their appointments from 12:30.
  DeskOptions monday;
  monday.weekly = {Range(1, 11, 0, 19, 0)};
  monday.first = monday.last = absl::CivilDay(2026, 6, 1);
  OpenedDesk today = world.OpenDeskAt(open.site, monday);
  std::vector<Appointment> visits(3), missed(3), again(3);
  Appointment convoked, out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(RpcOk(world.Book(today.slots[i].name(), 91 + i, &visits[i])));
    EXPECT_TRUE(RpcOk(world.Book(today.slots[3 + i].name(), 94 + i, &missed[i])));
  }
  for (const Appointment& visit : visits) EXPECT_TRUE(RpcOk(world.Serve(visit, &out)));
  world.clock().Set(FromTs(missed[2].start_time()) + absl::Hours(1));
  for (const Appointment& m : missed) {
    EXPECT_TRUE(RpcOk(world.Transition(&v1::BookingService::Stub::MarkNoShow, m.name(), &out)));
  }
  // They book again on the journey's desk (the last slots of 2 June, which
  // the journey leaves alone); person 97 too, and is convoked.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(RpcOk(world.Book(open.slots[19 - i].name(), 94 + i, &again[i])));
  }
  EXPECT_TRUE(RpcOk(world.Book(open.slots[16].name(), 97, &convoked)));
  nv1::SendNoticeRequest notice;
  notice.set_appointment(convoked.name());
  notice.set_notice(nv1::CONVOCATION);
  notice.set_request_id("browser-convocation");
  nv1::SendNoticeResponse sent;
  EXPECT_TRUE(RpcOk(CallOn(*notify, &nv1::NotifyService::Stub::SendNotice, notice, &sent,
                           "file incomplete, told at the counter")));
  // The surveys go two hours after each visit.
  world.clock().Set(FromTs(visits[2].start_time()) + absl::Hours(3));
  for (int i = 0; i < 3; ++i) {
    const std::string comma = i == 0 ? "" : ",";
    links.surveys += comma + smtp.AwaitLink(absl::StrCat("personne.", 91 + i, "@example.org"), "",
                                            base + "/enquete#");
    links.attendances += comma + smtp.AwaitLink(absl::StrCat("personne.", 94 + i, "@example.org"),
                                                "", base + "/confirmer#");
  }
  links.preferences = smtp.AwaitLink("personne.97@example.org", "", base + "/preferences#");
  for (const std::vector<Appointment>* list : {&visits, &missed, &again}) {
    for (const Appointment& a : *list) links.appointments.push_back(IdOf(a.name()));
  }
  links.appointments.push_back(IdOf(convoked.name()));
  links.today_slot = today.slots[10].name();
  return links;
}

TEST(Browser, ThePublicPagesInChromiumPassAxeInEveryLanguage) {
  const int node = NodeMajor();
  ASSERT_GE(node, 18) << "playwright-core 1.61 runs on Node.js 18 and later";
  // The links in messages lead to this gateway: its port is chosen first.
  std::unique_ptr<SmtpSink> smtp = SmtpSink::Start();
  const int port = FreeLoopbackPort();
  const std::string base = absl::StrCat("http://127.0.0.1:", port);
  TestServerOptions options;
  options.settings = {{"gateway_listen", absl::StrCat("127.0.0.1:", port)},
                      {"notify_smtp_url", smtp->url()},
                      {"notify_mail_from", "ne-pas-repondre@pref.test"},
                      {"notify_public_base_url", base}};
  BookingWorld world(std::move(options));
  ASSERT_EQ(world.server().port_of("gateway_listen"), port);
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  ASSERT_EQ(open.slots.size(), 20u);
  const Messages messages = PrepareMessages(world, open, *smtp, base);
  // May's indicators, published (the public page shows them).
  QualityOfficer officer(world.server(), open.site.name());
  ASSERT_TRUE(RpcOk(officer.Record("calls_answered_rate", "2026-05", 89.65)));
  ASSERT_TRUE(RpcOk(officer.Aim("calls_answered_rate", 90, metrics::v1::AT_LEAST)));
  ASSERT_TRUE(RpcOk(officer.Publish("2026-05")));
  // The lodge kiosk's device token, and a person due today at 16:00 Paris
  // (the clock says 15:00) who checks in there in each language (again:
  // the same ticket).
  access::v1::CreateDeviceTokenRequest device;
  device.set_site(open.site.name());
  device.set_display_name("Borne loge");
  access::v1::DeviceToken kiosk;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(world.server()
                          .AccessStub(world.server().Token(
                              "admin-1", {{access::v1::ADMINISTRATOR, IdOf(open.site.name())}}))
                          ->CreateDeviceToken(&context, device, &kiosk)));
  }
  Appointment due;
  ASSERT_TRUE(RpcOk(world.Book(messages.today_slot, 98, &due)));
  ASSERT_EQ(std::count(messages.surveys.begin(), messages.surveys.end(), '-'), 3);
  ASSERT_EQ(std::count(messages.attendances.begin(), messages.attendances.end(), '-'), 3);
  ASSERT_FALSE(messages.preferences.empty());
  const std::string desk =
      absl::StrCat("/rdv/", IdOf(open.site.name()), "/", IdOf(open.desk.name()));
  const std::string command = absl::StrCat(
      "NODE_PATH=", ACCUEIL_BUILD_DIR, "/web/node_modules node ", ACCUEIL_SOURCE_DIR,
      "/tests/web/journey.mjs ", base, " ", desk, " ", ACCUEIL_BUILD_DIR, "/web-screenshots ",
      smtp->maildir(), " ", messages.surveys, " ", messages.attendances, " ", messages.preferences,
      " ", kiosk.token(), " ", due.reference());
  const int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << command;
  const std::string journeys = absl::StrCat(
      " AND id NOT IN (", absl::StrJoin(messages.appointments, ","), ",", IdOf(due.name()), ")");
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments WHERE status = 'cancelled'" +
                           journeys),
            3)
      << "one booking per language, each cancelled from the manage page";
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments WHERE status = 'booked'" +
                           journeys),
            1)
      << "of two people on one slot, one booked";
  // What the people did on the pages the links opened, once a language.
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM notify.survey_responses WHERE overall = 4 "
                           "AND courtesy = 3"),
            3);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'attendance' "
                           "AND answer_time IS NOT NULL"),
            3);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM reception.visits"), 1)
      << "checked in once, shown the same ticket in each language";
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM notify.contacts WHERE channel = 'email' "
                           "AND opted_out_time IS NOT NULL"),
            1);
}

// The agents' journey (tests/web/agents.mjs): agents sign in through the
// development issuer; a desk open today, a counter, a display's token, and
// a person booked at 14:00 whom the closure of the day reaches by e-mail.
TEST(Browser, AgentsAcrossRolesAndTheCallDisplayInChromium) {
  ASSERT_GE(NodeMajor(), 18);
  std::unique_ptr<SmtpSink> smtp = SmtpSink::Start();
  TestServerOptions options;
  options.dev_issuer = true;
  options.settings = {{"notify_smtp_url", smtp->url()},
                      {"notify_mail_from", "ne-pas-repondre@pref.test"}};
  BookingWorld world(std::move(options));
  OpenedDesk open = world.OpenDesk(DeskOptions{});
  Appointment later;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[10].name(), 7, &later)));
  // Tuesday 2 June, 08:40 in Paris: the person books 09:00 and comes early.
  world.clock().Set(absl::FromCivil(absl::CivilSecond(2026, 6, 2, 6, 40, 0), absl::UTCTimeZone()));
  const std::string admin =
      world.server().Token("admin-1", {{access::v1::ADMINISTRATOR, IdOf(open.site.name())}});
  reception::v1::CreateCounterRequest create;
  create.mutable_counter()->set_site(open.site.name());
  create.mutable_counter()->set_display_name("Guichet 2");
  create.mutable_counter()->add_desks(open.desk.name());
  reception::v1::Counter counter;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(reception::v1::ReceptionService::NewStub(world.server().Channel(admin))
                          ->CreateCounter(&context, create, &counter)));
  }
  access::v1::CreateDeviceTokenRequest device;
  device.set_site(open.site.name());
  device.set_display_name("Écran salle d'attente");
  access::v1::DeviceToken display;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        RpcOk(world.server().AccessStub(admin)->CreateDeviceToken(&context, device, &display)));
  }
  const std::string base =
      absl::StrCat("http://127.0.0.1:", world.server().port_of("gateway_listen"));
  const std::string command = absl::StrCat(
      "NODE_PATH=", ACCUEIL_BUILD_DIR, "/web/node_modules node ", ACCUEIL_SOURCE_DIR,
      "/tests/web/agents.mjs ", base, " /rdv/", IdOf(open.site.name()), "/", IdOf(open.desk.name()),
      " ", ACCUEIL_BUILD_DIR, "/web-screenshots ", open.site.name(), " ", display.token());
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  // What the agents did, as the services recorded it.
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM reception.visits WHERE status = 'done' AND "
                           "outcome = 'served'"),
            1);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments WHERE status = 'fulfilled'"),
            1);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.appointments WHERE channel = 'agent'"), 1)
      << "the lodge booked for the person without internet";
  // The day closed by the administrator: the person booked at 14:00 is
  // cancelled and told by e-mail.
  EXPECT_EQ(world.Query(absl::StrCat("SELECT status FROM booking.appointments WHERE id = ",
                                     IdOf(later.name()))),
            "cancelled");
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (world.QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'closure' AND "
                        "channel = 'email' AND state IN ('accepted', 'delivered')") < 1 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'closure' AND "
                           "channel = 'email' AND state IN ('accepted', 'delivered')"),
            1)
      << "the closure mail went to the person booked later";
}

}  // namespace
}  // namespace accueil::testing
