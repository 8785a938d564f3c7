// Notify end to end: bookings through booking's real RPCs, the decider
// reading the event log, the senders handing e-mails to a real SMTP server
// (aiosmtpd) on loopback, the test's clock deciding what time it is.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "accueil/notify/v1/notify.grpc.pb.h"
#include <httplib.h>
#include "services/common/retention.h"
#include "services/notify/report.h"
#include "services/notify/tokens.h"
#include "tests/notify/notify_fixture.h"
#include "tests/support/ports.h"

namespace accueil::testing {
namespace {

TEST_F(NotifyTest, ConfirmationAtOnceThenTheReminderAtItsTime) {
  StartWorld();
  Appointment a = Book(0, 1);  // Tuesday 9 June 09:00 Paris = 07:00Z
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(1);
  ASSERT_EQ(mails.size(), 1u);
  const SmtpSink::Mail& confirmation = mails[0];
  EXPECT_EQ(confirmation.to, "personne.1@example.org");
  EXPECT_EQ(confirmation.subject, "Votre rendez-vous du mardi 9 juin 2026 à 9h00 est confirmé");
  EXPECT_TRUE(absl::StrContains(confirmation.body, "Bonjour Camille Durand-1"))
      << confirmation.body;
  EXPECT_TRUE(absl::StrContains(confirmation.body, "Titres de séjour"));
  EXPECT_TRUE(absl::StrContains(confirmation.body, "1 rue de la Paix, 75002 Paris"));
  EXPECT_TRUE(absl::StrContains(
      confirmation.body, "https://rdv.pref.test/rdv#" + a.reference() + "-" + a.access_code()));
  EXPECT_TRUE(confirmation.has_calendar);
  EXPECT_TRUE(absl::StartsWith(confirmation.message_id, "<notify-"));
  EXPECT_TRUE(absl::EndsWith(confirmation.message_id, "@pref.test>"));

  nv1::Message sent = AwaitMessage(a, nv1::CONFIRMATION, nv1::ACCEPTED);
  EXPECT_EQ(sent.channel(), nv1::EMAIL);
  EXPECT_EQ(sent.language(), "fr");
  ASSERT_EQ(sent.attempts_size(), 1);
  EXPECT_EQ(sent.attempts(0).outcome(), "accepted");
  // 48 hours before on the site's clock: Sunday 7 June 09:00 Paris.
  nv1::Message reminder = AwaitMessage(a, nv1::REMINDER, nv1::PENDING);
  EXPECT_EQ(Utc(reminder.due_time()), "2026-06-07T07:00:00Z");

  // A minute early: nothing more.
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 7, 6, 59), absl::UTCTimeZone()));
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_EQ(smtp_->Mails().size(), 1u);
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 7, 7, 0), absl::UTCTimeZone()));
  mails = smtp_->WaitFor(2);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].subject, "Rappel : votre rendez-vous du mardi 9 juin 2026 à 9h00");
  EXPECT_NE(mails[1].message_id, mails[0].message_id);
  AwaitMessage(a, nv1::REMINDER, nv1::ACCEPTED);
  // The metrics count the reminder's outcome on its day (message.delivered):
  // the e-mail reminders' delivery rate is 1 of 1.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (world_->QueryInt("SELECT count(*) FROM metrics.day_measures WHERE "
                          "measure = 'reminders.email_delivered'") == 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM metrics.day_measures WHERE local_date = "
                             "'2026-06-07' AND count = 1 AND measure IN "
                             "('reminders.email_sent', 'reminders.email_delivered')"),
            2);
}

// The reminders keep their local times across both clock changes: 48 hours
// before on the site's clock (not 48 hours of UTC), and the SMS the day
// before at 10:00 local, whatever the offset that day.
TEST_F(NotifyTest, RemindersKeepTheirLocalTimesAcrossTheClockChanges) {
  StartWorldWithSms();
  DeskOptions october;  // Tuesday 27 October 2026: winter time since Sunday 25
  october.first = october.last = absl::CivilDay(2026, 10, 27);
  DeskOptions march;  // Tuesday 30 March 2027: summer time since Sunday 28
  march.first = march.last = absl::CivilDay(2027, 3, 30);
  OpenedDesk autumn = world_->OpenDesk(october);
  OpenedDesk spring = world_->OpenDesk(march);
  Appointment a, b;
  ASSERT_TRUE(RpcOk(world_->Book(autumn.slots[0].name(), 41, &a)));  // 09:00 CET = 08:00Z
  ASSERT_TRUE(RpcOk(world_->Book(spring.slots[0].name(), 42, &b)));  // 09:00 CEST = 07:00Z
  // Booked in summer time for a day in winter time, and the other way.
  EXPECT_EQ(Utc(AwaitOn(a, nv1::REMINDER, nv1::EMAIL, nv1::PENDING).due_time()),
            "2026-10-25T08:00:00Z");  // Sunday 09:00 CET, 49 hours of UTC before
  EXPECT_EQ(Utc(AwaitOn(a, nv1::REMINDER, nv1::SMS, nv1::PENDING).due_time()),
            "2026-10-26T09:00:00Z");  // Monday 10:00 CET
  EXPECT_EQ(Utc(AwaitOn(b, nv1::REMINDER, nv1::EMAIL, nv1::PENDING).due_time()),
            "2027-03-28T07:00:00Z");  // Sunday 09:00 CEST, 47 hours of UTC before
  EXPECT_EQ(Utc(AwaitOn(b, nv1::REMINDER, nv1::SMS, nv1::PENDING).due_time()),
            "2027-03-29T08:00:00Z");  // Monday 10:00 CEST
  // And they go at that minute, saying the local time (once both
  // confirmations are in).
  AwaitOn(a, nv1::CONFIRMATION, nv1::EMAIL, nv1::ACCEPTED);
  AwaitOn(b, nv1::CONFIRMATION, nv1::EMAIL, nv1::ACCEPTED);
  const size_t before = smtp_->WaitFor(2).size();
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 10, 25, 7, 59), absl::UTCTimeZone()));
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_EQ(smtp_->Mails().size(), before);
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 10, 25, 8, 0), absl::UTCTimeZone()));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(before + 1);
  ASSERT_EQ(mails.size(), before + 1);
  EXPECT_EQ(mails.back().subject, "Rappel : votre rendez-vous du mardi 27 octobre 2026 à 9h00");
  AwaitOn(a, nv1::REMINDER, nv1::EMAIL, nv1::ACCEPTED);
}

TEST_F(NotifyTest, ACancellationWithdrawsTheReminderAndIsConfirmed) {
  StartWorld();
  Appointment a = Book(1, 2);
  smtp_->WaitFor(1);
  booking::v1::CancelAppointmentRequest cancel;
  cancel.set_reference(a.reference());
  cancel.set_access_code(a.access_code());
  cancel.set_request_id("cancel-1");
  Appointment cancelled;
  ASSERT_TRUE(RpcOk(
      world_->Call(&booking::v1::BookingService::Stub::CancelAppointment, cancel, &cancelled)));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(2);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].subject, "Votre rendez-vous du mardi 9 juin 2026 à 9h30 est annulé");
  EXPECT_TRUE(mails[1].has_calendar);  // METHOD:CANCEL removes it from the calendar
  EXPECT_TRUE(absl::StrContains(mails[1].text, "method=CANCEL"));
  nv1::Message reminder = AwaitMessage(a, nv1::REMINDER, nv1::WITHDRAWN);
  EXPECT_EQ(reminder.reason(), "CANCELLED");
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 7, 7, 30), absl::UTCTimeZone()));
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_EQ(smtp_->Mails().size(), 2u);
}

TEST_F(NotifyTest, AMoveReplacesTheReminder) {
  StartWorld();
  Appointment a = Book(2, 3);  // 10:00
  smtp_->WaitFor(1);
  booking::v1::RescheduleAppointmentRequest move;
  move.set_reference(a.reference());
  move.set_access_code(a.access_code());
  move.set_new_slot(desk_.slots[10].name());  // 14:00
  move.set_request_id("move-1");
  Appointment moved;
  ASSERT_TRUE(
      RpcOk(world_->Call(&booking::v1::BookingService::Stub::RescheduleAppointment, move, &moved)));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(2);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].subject, "Votre rendez-vous est déplacé au mardi 9 juin 2026 à 14h00");
  std::vector<nv1::Message> messages = Messages(a);
  int pending = 0, withdrawn = 0;
  for (const nv1::Message& m : messages) {
    if (m.template_() != nv1::REMINDER) continue;
    if (m.state() == nv1::PENDING) {
      ++pending;
      EXPECT_EQ(Utc(m.due_time()), "2026-06-07T12:00:00Z");  // 14:00 Paris, two days before
    }
    if (m.state() == nv1::WITHDRAWN) {
      ++withdrawn;
      EXPECT_EQ(m.reason(), "MOVED");
    }
  }
  EXPECT_EQ(pending, 1);
  EXPECT_EQ(withdrawn, 1);
}

TEST_F(NotifyTest, ProviderDownThenUpDeliversOnceAndNeverAfterTheStart) {
  StartWorld(/*retry_seconds=*/60);
  Appointment early = Book(0, 4);  // 09:00
  Appointment late = Book(19, 5);  // 18:30
  smtp_->WaitFor(2);
  const int port = smtp_->port();
  smtp_.reset();  // the provider goes down
  // Sunday 16:30Z: both reminders are due (09:00 and 18:30 Paris) and fail.
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 7, 16, 30), absl::UTCTimeZone()));
  nv1::Message retry = AwaitMessage(late, nv1::REMINDER, nv1::PENDING);
  for (int i = 0; i < 100 && retry.attempts_size() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    retry = AwaitMessage(late, nv1::REMINDER, nv1::PENDING);
  }
  ASSERT_GE(retry.attempts_size(), 1);
  EXPECT_EQ(retry.attempts(0).outcome(), "retry");
  EXPECT_EQ(retry.reason(), "PROVIDER_UNAVAILABLE");
  // The provider comes back on Tuesday at 10:00 Paris: the 09:00
  // appointment has started, the 18:30 one not.
  smtp_ = SmtpSink::Start(port);
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 9, 8, 0), absl::UTCTimeZone()));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(1);
  AwaitMessage(late, nv1::REMINDER, nv1::ACCEPTED);
  nv1::Message dropped = AwaitMessage(early, nv1::REMINDER, nv1::DROPPED);
  EXPECT_EQ(dropped.reason(), "APPOINTMENT_STARTED");
  absl::SleepFor(absl::Milliseconds(1500));
  mails = smtp_->Mails();
  ASSERT_EQ(mails.size(), 1u);  // the late one's reminder, once
  EXPECT_TRUE(absl::StrContains(mails[0].subject, "18h30"));
}

TEST_F(NotifyTest, ARefusedAddressFailsAtOnce) {
  StartWorld();
  booking::v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(desk_.slots[3].name(), 6);
  req.mutable_person()->set_email("refuse.me@example.org");
  Appointment a;
  ASSERT_TRUE(RpcOk(world_->Book(req, &a)));
  nv1::Message failed = AwaitMessage(a, nv1::CONFIRMATION, nv1::FAILED);
  EXPECT_EQ(failed.reason(), "RECIPIENT_REFUSED");
  ASSERT_EQ(failed.attempts_size(), 1);
  EXPECT_TRUE(absl::StrContains(failed.attempts(0).detail(), "550")) << failed.DebugString();
}

TEST_F(NotifyTest, EnglishForAnEnglishSpeaker) {
  StartWorld();
  booking::v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(desk_.slots[4].name(), 7);
  req.mutable_person()->set_preferred_language("en");
  Appointment a;
  ASSERT_TRUE(RpcOk(world_->Book(req, &a)));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].subject, "Your appointment on Tuesday 9 June 2026 at 11:00 is confirmed");
  EXPECT_EQ(AwaitMessage(a, nv1::CONFIRMATION, nv1::ACCEPTED).language(), "en");
}

TEST_F(NotifyTest, TwoReplicasSendEachMessageOnce) {
  StartWorld();
  world_->server().StartReplica();
  std::vector<Appointment> booked;
  for (int i = 0; i < 20; ++i) booked.push_back(Book(i, 100 + i));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(20);
  absl::SleepFor(absl::Milliseconds(1500));  // a duplicate would have come by now
  mails = smtp_->Mails();
  EXPECT_EQ(mails.size(), 20u);
  std::set<std::string> ids, recipients;
  for (const SmtpSink::Mail& m : mails) {
    ids.insert(m.message_id);
    recipients.insert(m.to);
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(recipients.size(), 20u);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.attempts"), 20);
}

TEST_F(NotifyTest, AgentsOfAnotherSiteSeeNothing) {
  StartWorld();
  Appointment a = Book(5, 8);
  smtp_->WaitFor(1);
  auto other = nv1::NotifyService::NewStub(world_->server().Channel(
      world_->server().Token("agent-elsewhere", {{access::v1::LODGE_AGENT, 999}})));
  nv1::ListMessagesRequest req;
  req.set_appointment(a.name());
  nv1::ListMessagesResponse resp;
  EXPECT_TRUE(RpcFails(CallOn(*other, &nv1::NotifyService::Stub::ListMessages, req, &resp, "x"),
                       grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
  req.set_appointment("appointments/999999");
  EXPECT_TRUE(RpcFails(CallOn(*other, &nv1::NotifyService::Stub::ListMessages, req, &resp, "x"),
                       grpc::StatusCode::NOT_FOUND, "MESSAGES_NOT_FOUND", "appointment"));
  req.set_appointment("appointments/zero");
  EXPECT_TRUE(RpcFails(CallOn(*notify_, &nv1::NotifyService::Stub::ListMessages, req, &resp, "x"),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "appointment"));
}

TEST_F(NotifyTest, SmsThroughKannelIsDeliveredAndRemindsTheDayBefore) {
  StartWorldWithSms();
  Appointment a = Book(0, 11);  // Tuesday 9 June 09:00 Paris
  std::vector<KannelSink::Sms> sms = kannel_->WaitFor(1);
  ASSERT_EQ(sms.size(), 1u);
  EXPECT_EQ(sms[0].from, "Prefecture");
  EXPECT_EQ(sms[0].to, PhoneOf(11));
  EXPECT_FALSE(sms[0].ucs2);
  EXPECT_EQ(sms[0].text, "Préfecture : RDV confirmé le 09/06/2026 à 9h00, réf. " + a.reference() +
                             ". Gérer ou annuler : https://rdv.pref.test/rdv#" + a.reference() +
                             "-" + a.access_code());
  // The fake SMSC's delivery report comes back to notify's listener.
  AwaitOn(a, nv1::CONFIRMATION, nv1::SMS, nv1::DELIVERED);
  // The e-mail went too; the SMS reminder is the day before at 10:00 Paris.
  smtp_->WaitFor(1);
  nv1::Message reminder = AwaitOn(a, nv1::REMINDER, nv1::SMS, nv1::PENDING);
  EXPECT_EQ(Utc(reminder.due_time()), "2026-06-08T08:00:00Z");
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 8, 8, 0), absl::UTCTimeZone()));
  sms = kannel_->WaitFor(2);
  ASSERT_EQ(sms.size(), 2u);
  EXPECT_TRUE(
      absl::StartsWith(sms[1].text, "Préfecture : rappel de votre RDV le 09/06/2026 à 9h00"))
      << sms[1].text;
  AwaitOn(a, nv1::REMINDER, nv1::SMS, nv1::DELIVERED);
}

// A text outside GSM-7 goes as UCS-2 and arrives as written; templates of
// an operator's directory replace the built-in ones.
TEST_F(NotifyTest, UnicodeSmsArriveAsWritten) {
  char pattern[] = "/tmp/accueil-templates-XXXXXX";
  const std::string dir = mkdtemp(pattern);
  std::filesystem::create_directories(dir + "/fr");
  std::ofstream(dir + "/fr/confirmation.sms.mustache") << "Votre titre est prêt : {{reference}}\n";
  std::ofstream(dir + "/fr/confirmation.email.mustache") << "Subject: Prêt\nPrêt.\n";
  StartWorldWithSms({{"notify_templates_dir", dir}});
  Appointment a = Book(1, 12);
  std::vector<KannelSink::Sms> sms = kannel_->WaitFor(1);
  ASSERT_EQ(sms.size(), 1u);
  EXPECT_TRUE(sms[0].ucs2) << sms[0].line;
  EXPECT_EQ(sms[0].text, "Votre titre est prêt : " + a.reference()) << sms[0].line;
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].subject, "Prêt");
  // No reminder template in that directory: the reminders fail, visibly.
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 8, 8, 0), absl::UTCTimeZone()));
  nv1::Message failed = AwaitOn(a, nv1::REMINDER, nv1::SMS, nv1::FAILED);
  EXPECT_EQ(failed.reason(), "TEMPLATE_FAILED");
  std::filesystem::remove_all(dir);
}

// An administrator sets a desk's reminders; the reminders decided from then
// on follow them, on the site's clock.
TEST_F(NotifyTest, ADesksReminderScheduleIsItsAdministrators) {
  StartWorldWithSms();
  nv1::GetDeskNotifySettingsRequest get;
  get.set_desk(desk_.desk.name());
  nv1::DeskNotifySettings settings;
  ASSERT_TRUE(
      RpcOk(CallOn(*notify_, &nv1::NotifyService::Stub::GetDeskNotifySettings, get, &settings)));
  EXPECT_EQ(settings.email_before().seconds(), 48 * 3600);  // the defaults
  EXPECT_TRUE(settings.sms_reminder());
  EXPECT_EQ(settings.sms_days_before(), 1);
  EXPECT_EQ(settings.sms_local_time(), "10:00");
  EXPECT_FALSE(settings.has_update_time());

  nv1::UpdateDeskNotifySettingsRequest update;
  nv1::DeskNotifySettings* want = update.mutable_settings();
  want->set_desk(desk_.desk.name());
  want->mutable_email_before()->set_seconds(72 * 3600);
  want->set_sms_reminder(true);
  want->set_sms_days_before(2);
  want->set_sms_local_time("18:30");
  ASSERT_TRUE(RpcOk(
      CallOn(*notify_, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, update, &settings)));
  EXPECT_EQ(settings.email_before().seconds(), 72 * 3600);
  EXPECT_EQ(settings.sms_local_time(), "18:30");
  EXPECT_TRUE(settings.has_update_time());

  Appointment a = Book(0, 14);  // Tuesday 9 June 09:00 Paris
  EXPECT_EQ(Utc(AwaitOn(a, nv1::REMINDER, nv1::EMAIL, nv1::PENDING).due_time()),
            "2026-06-06T07:00:00Z");  // 72 hours before: Saturday 09:00 Paris
  EXPECT_EQ(Utc(AwaitOn(a, nv1::REMINDER, nv1::SMS, nv1::PENDING).due_time()),
            "2026-06-07T16:30:00Z");  // two days before at 18:30 Paris

  // Bad values are refused with their field, and change nothing.
  auto refused = [&](const nv1::UpdateDeskNotifySettingsRequest& bad, const char* reason,
                     const char* field) {
    nv1::DeskNotifySettings out;
    return RpcFails(
        CallOn(*notify_, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, bad, &out),
        grpc::StatusCode::INVALID_ARGUMENT, reason, field);
  };
  nv1::UpdateDeskNotifySettingsRequest bad = update;
  bad.mutable_settings()->set_sms_local_time("21:00");
  EXPECT_TRUE(refused(bad, "QUIET_HOURS", "settings.sms_local_time"));
  bad = update;
  bad.mutable_settings()->mutable_email_before()->set_seconds(1800);
  EXPECT_TRUE(refused(bad, "INVALID_REMINDER_OFFSET", "settings.email_before"));
  bad = update;
  bad.mutable_settings()->set_sms_days_before(8);
  EXPECT_TRUE(refused(bad, "INVALID_REMINDER_OFFSET", "settings.sms_days_before"));
  bad = update;
  bad.mutable_settings()->set_desk("desks/999999");
  nv1::DeskNotifySettings out;
  EXPECT_TRUE(
      RpcFails(CallOn(*notify_, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, bad, &out),
               grpc::StatusCode::NOT_FOUND, "DESK_NOT_FOUND", "settings.desk"));
  ASSERT_TRUE(
      RpcOk(CallOn(*notify_, &nv1::NotifyService::Stub::GetDeskNotifySettings, get, &settings)));
  EXPECT_EQ(settings.sms_local_time(), "18:30");

  // Only the site's administrators.
  auto other = nv1::NotifyService::NewStub(world_->server().Channel(
      world_->server().Token("admin-elsewhere", {{access::v1::ADMINISTRATOR, 999}})));
  EXPECT_TRUE(
      RpcFails(CallOn(*other, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, update, &out),
               grpc::StatusCode::PERMISSION_DENIED, "SITE_NOT_ALLOWED", ""));
}

// Anyone can reach the report listener: only the token notify put in the
// message's report URL changes its state.
TEST_F(NotifyTest, DeliveryReportsNeedTheMessagesToken) {
  const int port = FreeLoopbackPort();
  StartWorldWithSms({{"notify_report_listen", absl::StrCat("127.0.0.1:", port)}});
  Appointment a = Book(2, 13);
  nv1::Message sms = AwaitOn(a, nv1::CONFIRMATION, nv1::SMS, nv1::DELIVERED);
  const int64_t id = IdOf(sms.name());
  httplib::Client client("127.0.0.1", port);
  auto get = [&](const std::string& query) {
    httplib::Result r = client.Get(("/notify/reports/kannel?" + query).c_str());
    return r ? r->status : -1;
  };
  EXPECT_EQ(get(absl::StrCat("m=", id, "&t=", std::string(32, 'a'), "&s=2")), 403);
  EXPECT_EQ(get(absl::StrCat("m=", id, "&s=2")), 400);
  EXPECT_EQ(get("m=x&t=y&s=z"), 400);
  EXPECT_EQ(AwaitOn(a, nv1::CONFIRMATION, nv1::SMS, nv1::DELIVERED).state(), nv1::DELIVERED);
  // With the token: a failure report after the delivery changes nothing.
  const std::string token =
      notify::MessageToken(world_->server().secrets(), notify::kReportPurpose, id);
  EXPECT_EQ(get(absl::StrCat("m=", id, "&t=", token, "&s=2")), 200);
  EXPECT_EQ(AwaitOn(a, nv1::CONFIRMATION, nv1::SMS, nv1::DELIVERED).state(), nv1::DELIVERED);
  // The reminder, still pending, ignores reports too (nothing was sent).
  nv1::Message reminder = AwaitOn(a, nv1::REMINDER, nv1::SMS, nv1::PENDING);
  const int64_t rid = IdOf(reminder.name());
  EXPECT_EQ(
      get(absl::StrCat(
          "m=", rid, "&t=",
          notify::MessageToken(world_->server().secrets(), notify::kReportPurpose, rid), "&s=1")),
      200);
  AwaitOn(a, nv1::REMINDER, nv1::SMS, nv1::PENDING);
}

// What a provider answered may quote the address: a person's export shows
// their messages, an erasure empties those answers, and the retention purge
// deletes the messages of appointments long over.
TEST_F(NotifyTest, MessagesJoinExportErasureAndPurge) {
  StartWorld();
  booking::v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(desk_.slots[6].name(), 9);
  req.mutable_person()->set_email("refuse.camille@example.org");
  Appointment a;
  ASSERT_TRUE(RpcOk(world_->Book(req, &a)));
  AwaitMessage(a, nv1::CONFIRMATION, nv1::FAILED);
  auto staff = world_->server().BookingStub(world_->server().StaffToken());

  booking::v1::ExportPersonDataRequest exp;
  exp.set_site(desk_.site.name());
  exp.set_query(PhoneOf(9));
  booking::v1::ExportPersonDataResponse exported;
  ASSERT_TRUE(RpcOk(CallOn(*staff, &booking::v1::BookingService::Stub::ExportPersonData, exp,
                           &exported, "demande RGPD")));
  std::string notify_records;
  for (const auto& m : exported.module_records()) {
    if (m.module() == "notify") {
      for (const std::string& r : m.records_json()) notify_records += r;
    }
  }
  EXPECT_TRUE(absl::StrContains(notify_records, "\"template\": \"confirmation\""))
      << notify_records;
  EXPECT_TRUE(absl::StrContains(notify_records, "550")) << notify_records;
  // The refused address's flag, found through the e-mail of the appointment
  // although the administrator asked by phone.
  EXPECT_TRUE(absl::StrContains(notify_records, "\"bounce_reason\": \"RECIPIENT_REFUSED\""))
      << notify_records;

  // An active appointment is cancelled before its person's data can go.
  booking::v1::CancelAppointmentRequest cancel;
  cancel.set_reference(a.reference());
  cancel.set_access_code(a.access_code());
  cancel.set_request_id("cancel-9");
  Appointment cancelled;
  ASSERT_TRUE(RpcOk(
      world_->Call(&booking::v1::BookingService::Stub::CancelAppointment, cancel, &cancelled)));
  AwaitMessage(a, nv1::CANCELLATION, nv1::FAILED);
  booking::v1::ErasePersonDataRequest erase;
  erase.set_site(desk_.site.name());
  erase.set_query(PhoneOf(9));
  erase.set_request_id("erase-9");
  booking::v1::ErasePersonDataResponse erased;
  ASSERT_TRUE(RpcOk(CallOn(*staff, &booking::v1::BookingService::Stub::ErasePersonData, erase,
                           &erased, "demande RGPD")));
  // The two 550 answers, and the address's bounce flag.
  EXPECT_EQ(erased.module_erased_counts().at("notify"), 3);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.attempts WHERE detail <> ''"), 0);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.contacts"), 0);

  // 90 days after the appointment: its messages go, with their attempts.
  const int64_t before = world_->QueryInt("SELECT count(*) FROM notify.messages");
  ASSERT_GT(before, 0);
  std::unique_ptr<db::Pool> pool = *db::Pool::Create(world_->server().database().url(), 1);
  absl::StatusOr<PurgeCounts> purged =
      retention::PurgeOnce(*pool, absl::FromCivil(absl::CivilDay(2026, 9, 10), absl::UTCTimeZone()),
                           Retention{}, world_->server().person_data());
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_GE(purged->erased, before);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.messages"), 0);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.attempts"), 0);
}

}  // namespace
}  // namespace accueil::testing
