// Notify's requests: agents' notices and lost access, end to end against
// real booking, a real SMTP server and a real Kannel on loopback.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/common/events.h"
#include "services/common/typed_events.h"
#include "tests/notify/notify_fixture.h"
#include "tests/support/json_sms_sink.h"

namespace accueil::testing {
namespace {

class RequestsTest : public NotifyTest {
 protected:
  // ExpectNotifyEventsParseStrictly: every event notify wrote parses
  // strictly into its message (the writers' check, as
  // tests/events/typed_events_test.cc does for booking); returns their types.
  std::set<std::string> ExpectNotifyEventsParseStrictly() {
    std::set<std::string> types;
    pqxx::connection c(world_->server().database().url());
    pqxx::work tx(c);
    for (const events::Event& e : events::ReadEvents(tx, events::Cursor{}, 100000)) {
      if (!absl::StartsWith(e.type, "message.") && !absl::StartsWith(e.type, "survey.")) continue;
      absl::StatusOr<std::unique_ptr<google::protobuf::Message>> parsed =
          events::ParsePayload(e, events::ParseMode::kStrict);
      EXPECT_TRUE(parsed.ok()) << e.type << " " << e.payload_json << ": " << parsed.status();
      types.insert(e.type);
    }
    return types;
  }

  std::unique_ptr<nv1::NotifyService::Stub> Anyone() {
    return nv1::NotifyService::NewStub(world_->server().Channel());
  }

  grpc::Status SendNotice(const nv1::SendNoticeRequest& req, nv1::SendNoticeResponse* resp,
                          nv1::NotifyService::Stub* stub = nullptr) {
    return CallOn(stub != nullptr ? *stub : *notify_, &nv1::NotifyService::Stub::SendNotice, req,
                  resp, "file incomplete, told at the counter");
  }

  grpc::Status ResendAccess(const nv1::ResendAccessRequest& req) {
    auto anyone = nv1::NotifyService::NewStub(world_->server().Channel());
    grpc::ClientContext context;
    nv1::ResendAccessResponse resp;
    return anyone->ResendAccess(&context, req, &resp);
  }

  int64_t CountMessages(const std::string& templ) {
    return world_->QueryInt("SELECT count(*) FROM notify.messages WHERE template = '" + templ +
                            "'");
  }
};

TEST_F(RequestsTest, AgentsSendNoticesFromTemplates) {
  StartWorld();
  Appointment a = Book(0, 21);  // Tuesday 9 June 09:00 Paris
  smtp_->WaitFor(1);
  nv1::SendNoticeRequest req;
  req.set_appointment(a.name());
  req.set_notice(nv1::CONVOCATION);
  req.set_request_id("notice-1");
  nv1::SendNoticeResponse sent;
  ASSERT_TRUE(RpcOk(SendNotice(req, &sent)));
  ASSERT_EQ(sent.messages_size(), 1);  // e-mail only: no SMS provider here
  EXPECT_EQ(sent.messages(0).template_(), nv1::CONVOCATION);
  EXPECT_EQ(sent.messages(0).channel(), nv1::EMAIL);
  EXPECT_EQ(sent.messages(0).state(), nv1::PENDING);
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(2);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].to, "personne.21@example.org");
  EXPECT_EQ(mails[1].subject, "Convocation : rendez-vous du mardi 9 juin 2026 à 9h00");
  EXPECT_TRUE(mails[1].has_calendar);
  EXPECT_TRUE(absl::StrContains(mails[1].body, "Titres de séjour")) << mails[1].body;
  AwaitMessage(a, nv1::CONVOCATION, nv1::ACCEPTED);

  // The same request again sends nothing more and answers the same message.
  nv1::SendNoticeResponse again;
  ASSERT_TRUE(RpcOk(SendNotice(req, &again)));
  ASSERT_EQ(again.messages_size(), 1);
  EXPECT_EQ(again.messages(0).name(), sent.messages(0).name());
  EXPECT_EQ(CountMessages("convocation"), 1);
  // Audited, with the agent's reason (the audit log is fed from the
  // audit outbox: wait for both records).
  const std::string audited =
      "SELECT count(*) FROM access.audit_log WHERE method LIKE '%SendNotice' "
      "AND reason = 'file incomplete, told at the counter' AND resource = '" +
      a.name() + "'";
  for (const absl::Time until = absl::Now() + absl::Seconds(30);
       world_->QueryInt(audited) < 2 && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(world_->QueryInt(audited), 2);

  // Bad requests change nothing, each with its reason and field.
  nv1::SendNoticeResponse out;
  nv1::SendNoticeRequest bad = req;
  bad.set_notice(nv1::REMINDER);
  EXPECT_TRUE(RpcFails(SendNotice(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_NOTICE",
                       "notice"));
  bad = req;
  bad.set_request_id("notice-2");
  bad.add_channels(nv1::SMS);
  EXPECT_TRUE(RpcFails(SendNotice(bad, &out), grpc::StatusCode::FAILED_PRECONDITION, "NO_PROVIDER",
                       "channels"));
  bad.clear_channels();
  bad.add_channels(nv1::EMAIL);
  bad.add_channels(nv1::EMAIL);
  EXPECT_TRUE(RpcFails(SendNotice(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CHANNEL",
                       "channels[1]"));
  bad = req;
  bad.set_appointment("appointments/999999");
  EXPECT_TRUE(RpcFails(SendNotice(bad, &out), grpc::StatusCode::NOT_FOUND, "APPOINTMENT_NOT_FOUND",
                       "appointment"));
  auto other = nv1::NotifyService::NewStub(world_->server().Channel(
      world_->server().Token("agent-elsewhere", {{access::v1::COUNTER_AGENT, 999}})));
  bad = req;
  bad.set_request_id("notice-3");
  EXPECT_TRUE(RpcFails(SendNotice(bad, &out, other.get()), grpc::StatusCode::PERMISSION_DENIED,
                       "SITE_NOT_ALLOWED", ""));
  EXPECT_EQ(CountMessages("convocation"), 1);

  // After a cancellation: no convocation, but a permit may be ready.
  booking::v1::CancelAppointmentRequest cancel;
  cancel.set_reference(a.reference());
  cancel.set_access_code(a.access_code());
  cancel.set_request_id("cancel-21");
  Appointment cancelled;
  ASSERT_TRUE(RpcOk(
      world_->Call(&booking::v1::BookingService::Stub::CancelAppointment, cancel, &cancelled)));
  bad = req;
  bad.set_request_id("notice-4");
  EXPECT_TRUE(RpcFails(SendNotice(bad, &out), grpc::StatusCode::FAILED_PRECONDITION, "NOT_BOOKED",
                       "notice"));
  nv1::SendNoticeRequest ready = req;
  ready.set_notice(nv1::PERMIT_READY);
  ready.set_request_id("notice-5");
  ASSERT_TRUE(RpcOk(SendNotice(ready, &out)));
  AwaitMessage(a, nv1::PERMIT_READY, nv1::ACCEPTED);
  bool found = false;
  for (const SmtpSink::Mail& m : smtp_->WaitFor(4)) {
    found |= m.subject == "Votre titre de séjour est prêt";
  }
  EXPECT_TRUE(found);
}

TEST_F(RequestsTest, NoticesGoOnEveryChannelThePersonHas) {
  StartWorldWithSms();
  Appointment a = Book(1, 22);
  nv1::SendNoticeRequest req;
  req.set_appointment(a.name());
  req.set_notice(nv1::DOCUMENTS_MISSING);
  req.set_request_id("notice-sms");
  nv1::SendNoticeResponse sent;
  ASSERT_TRUE(RpcOk(SendNotice(req, &sent)));
  ASSERT_EQ(sent.messages_size(), 2);
  AwaitOn(a, nv1::DOCUMENTS_MISSING, nv1::SMS, nv1::DELIVERED);
  bool found = false;
  std::string texts;
  for (const KannelSink::Sms& sms : kannel_->WaitFor(2)) {
    // Two segments: the fake SMSC logs each part (its UDH, then its text).
    found |= absl::StartsWith(sms.text, "Préfecture : il manque des documents") ||
             absl::StrContains(sms.line, "Pr%C3%A9fecture+%3A+il+manque+des+documents");
    texts += sms.text + "\n";
  }
  EXPECT_TRUE(found) << texts;
}

// A desk words its notices its own way: texts checked before they are
// kept, sent in those words, and the built-in ones back on request.
TEST_F(RequestsTest, ADeskWordsItsNoticesItsOwnWay) {
  StartWorldWithSms();
  Appointment a = Book(2, 23);  // Tuesday 9 June
  kannel_->WaitFor(1);          // the confirmation's SMS
  auto call = [&](const nv1::NoticeTemplate& t, nv1::NoticeTemplate* out,
                  nv1::NotifyService::Stub* stub = nullptr) {
    nv1::UpdateNoticeTemplateRequest req;
    *req.mutable_notice_template() = t;
    return CallOn(stub != nullptr ? *stub : *notify_,
                  &nv1::NotifyService::Stub::UpdateNoticeTemplate, req, out);
  };
  auto list = [&]() {
    nv1::ListNoticeTemplatesRequest req;
    req.set_desk(a.desk());
    nv1::ListNoticeTemplatesResponse out;
    EXPECT_TRUE(RpcOk(CallOn(*notify_, &nv1::NotifyService::Stub::ListNoticeTemplates, req, &out)));
    return out;
  };
  nv1::ListNoticeTemplatesResponse built_in = list();
  ASSERT_EQ(built_in.notice_templates_size(), 12);  // 3 notices, French and English, 2 channels
  EXPECT_EQ(built_in.notice_templates(0).notice(), nv1::CONVOCATION);
  EXPECT_EQ(built_in.notice_templates(0).language(), "fr");
  EXPECT_EQ(built_in.notice_templates(0).channel(), nv1::EMAIL);
  EXPECT_TRUE(absl::StartsWith(built_in.notice_templates(0).text(), "Subject: "));
  for (const nv1::NoticeTemplate& t : built_in.notice_templates()) EXPECT_FALSE(t.custom());

  nv1::NoticeTemplate email;
  email.set_desk(a.desk());
  email.set_notice(nv1::CONVOCATION);
  email.set_language("fr");
  email.set_channel(nv1::EMAIL);
  email.set_text(
      "Subject: Venez le {{date}}\nBonjour {{given_name}},\napportez les originaux.\n"
      "Référence {{reference}}.\n");
  nv1::NoticeTemplate sms = email;
  sms.set_channel(nv1::SMS);
  sms.set_text("Prefecture : venez le {{date_short}} a {{time}}, ref {{reference}}.");

  // Bad texts and names change nothing, each with its reason and field.
  nv1::NoticeTemplate out;
  nv1::NoticeTemplate bad = sms;
  bad.set_text(std::string(240, 'x') + " {{manage_url}}");  // 323 characters
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TEMPLATE",
                       "notice_template.text"));
  bad.set_text("Préfecture : êtes-vous prêt ?");
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TEMPLATE",
                       "notice_template.text"));
  bad.set_text("Prefecture : {{given_name}}, venez le {{date_short}}.");  // an SMS names nobody
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TEMPLATE",
                       "notice_template.text"));
  // Too long where a value is missing (no deadline for a convocation).
  bad.set_text("Venez le {{date_short}}.{{^respond_date}}" + std::string(300, 'x') +
               "{{/respond_date}}");
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TEMPLATE",
                       "notice_template.text"));
  bad = email;
  bad.set_text("Venez le {{date}}");
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TEMPLATE",
                       "notice_template.text"));
  bad.set_text("Subject: Venez\n{{#documents}}- {{.}}");
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TEMPLATE",
                       "notice_template.text"));
  bad = email;
  bad.set_notice(nv1::REMINDER);
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_NOTICE",
                       "notice_template.notice"));
  bad = email;
  bad.set_language("ar");
  EXPECT_TRUE(RpcFails(call(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_LANGUAGE",
                       "notice_template.language"));
  auto other = nv1::NotifyService::NewStub(world_->server().Channel(
      world_->server().Token("admin-elsewhere", {{access::v1::ADMINISTRATOR, 999}})));
  EXPECT_TRUE(RpcFails(call(email, &out, other.get()), grpc::StatusCode::PERMISSION_DENIED,
                       "SITE_NOT_ALLOWED", ""));
  auto counter = nv1::NotifyService::NewStub(world_->server().Channel(
      world_->server().Token("counter-n", {{access::v1::COUNTER_AGENT, 0}})));
  EXPECT_FALSE(RpcOk(call(email, &out, counter.get())));
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.notice_texts"), 0);

  ASSERT_TRUE(RpcOk(call(email, &out)));
  EXPECT_TRUE(out.custom());
  ASSERT_TRUE(RpcOk(call(sms, &out)));
  nv1::ListNoticeTemplatesResponse own = list();
  EXPECT_TRUE(own.notice_templates(0).custom());
  EXPECT_EQ(own.notice_templates(0).text(), email.text());
  EXPECT_TRUE(own.notice_templates(1).custom());
  EXPECT_FALSE(own.notice_templates(2).custom()) << "English keeps the built-in text";

  // The convocation goes in the desk's words, on both channels.
  nv1::SendNoticeRequest req;
  req.set_appointment(a.name());
  req.set_notice(nv1::CONVOCATION);
  req.set_request_id("own-words");
  nv1::SendNoticeResponse sent;
  ASSERT_TRUE(RpcOk(SendNotice(req, &sent)));
  AwaitOn(a, nv1::CONVOCATION, nv1::SMS, nv1::DELIVERED);
  bool mail = false;
  for (const SmtpSink::Mail& m : smtp_->WaitFor(2)) {
    if (m.subject == "Venez le mardi 9 juin 2026") {
      mail = true;
      EXPECT_TRUE(absl::StrContains(m.body, "Bonjour Camille,")) << m.body;
      EXPECT_TRUE(absl::StrContains(m.body, "Référence " + a.reference())) << m.body;
    }
  }
  EXPECT_TRUE(mail);
  bool text = false;
  for (const KannelSink::Sms& m : kannel_->WaitFor(2)) {
    text |= m.text == "Prefecture : venez le 09/06/2026 a 10h00, ref " + a.reference() + ".";
  }
  EXPECT_TRUE(text);

  // Back to the built-in text.
  email.clear_text();
  ASSERT_TRUE(RpcOk(call(email, &out)));
  EXPECT_FALSE(out.custom());
  EXPECT_EQ(out.text(), built_in.notice_templates(0).text());
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.notice_texts"), 1);
}

// Lost access: the same answer whatever is on file; the details go only to
// the contact on file; capped per contact and per appointment.
TEST_F(RequestsTest, ResendAccessRevealsNothingAndGoesToTheContactOnFile) {
  StartWorld();
  Appointment a = Book(2, 23);
  smtp_->WaitFor(1);
  nv1::ResendAccessRequest by_email;
  by_email.set_email("Personne.23@Example.org");
  ASSERT_TRUE(RpcOk(ResendAccess(by_email)));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(2);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].to, "personne.23@example.org");
  EXPECT_EQ(mails[1].subject, "Accès à votre rendez-vous du mardi 9 juin 2026 à 10h00");
  EXPECT_TRUE(absl::StrContains(mails[1].body, a.access_code())) << mails[1].body;
  AwaitMessage(a, nv1::ACCESS, nv1::ACCEPTED);
  // What was typed is forgotten once worked.
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.access_requests WHERE value IS NOT NULL"),
            0);

  // Unknown contacts and references: the same answer, nothing sent.
  nv1::ResendAccessRequest unknown;
  unknown.set_email("nobody@example.org");
  ASSERT_TRUE(RpcOk(ResendAccess(unknown)));
  unknown.Clear();
  unknown.set_phone("+33 6 99 99 99 99");
  ASSERT_TRUE(RpcOk(ResendAccess(unknown)));
  // By phone, without an SMS provider: the e-mail on file.
  nv1::ResendAccessRequest by_phone;
  by_phone.set_phone(PersonNumber(23).phone());
  ASSERT_TRUE(RpcOk(ResendAccess(by_phone)));
  mails = smtp_->WaitFor(3);
  ASSERT_EQ(mails.size(), 3u);
  EXPECT_EQ(mails[2].to, "personne.23@example.org");
  // By reference: the third and last for this appointment today.
  nv1::ResendAccessRequest by_reference;
  by_reference.set_reference(absl::AsciiStrToLower(a.reference()));
  ASSERT_TRUE(RpcOk(ResendAccess(by_reference)));
  smtp_->WaitFor(4);
  // More: answered the same, nothing more sent.
  ASSERT_TRUE(RpcOk(ResendAccess(by_reference)));
  ASSERT_TRUE(RpcOk(ResendAccess(by_email)));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (world_->QueryInt("SELECT count(*) FROM notify.access_requests WHERE worked_time IS NULL") >
             0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(CountMessages("access"), 3);
  EXPECT_EQ(smtp_->Mails().size(), 4u);
  // Per contact: a fourth request for the same address a day is not even
  // kept.
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.access_requests"), 7);
  ASSERT_TRUE(RpcOk(ResendAccess(by_email)));
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.access_requests"), 8);
  ASSERT_TRUE(RpcOk(ResendAccess(by_email)));
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.access_requests"), 8);

  // Bad requests: their field, nothing queued.
  nv1::ResendAccessRequest bad;
  EXPECT_TRUE(RpcFails(ResendAccess(bad), grpc::StatusCode::INVALID_ARGUMENT, "ONE_KEY_REQUIRED",
                       "reference"));
  bad.set_email("x@example.org");
  bad.set_phone("+33612345678");
  EXPECT_TRUE(RpcFails(ResendAccess(bad), grpc::StatusCode::INVALID_ARGUMENT, "ONE_KEY_REQUIRED",
                       "reference"));
  bad.Clear();
  bad.set_email("not an address");
  EXPECT_TRUE(
      RpcFails(ResendAccess(bad), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_EMAIL", "email"));
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.access_requests"), 8);
}

// Opt-out: the link in a message stops what the person did not ask for on
// that channel; what answers their own action still goes. Agents see it,
// and may change it for the person with a reason.
TEST_F(RequestsTest, OptOutStopsRemindersAndNoticesNotConfirmations) {
  StartWorld();
  Appointment a = Book(3, 24);  // Tuesday 9 June 10:30 Paris
  smtp_->WaitFor(1);
  nv1::SendNoticeRequest notice;
  notice.set_appointment(a.name());
  notice.set_notice(nv1::DOCUMENTS_MISSING);
  notice.set_request_id("notice-24");
  nv1::SendNoticeResponse sent;
  ASSERT_TRUE(RpcOk(SendNotice(notice, &sent)));
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(2);
  ASSERT_EQ(mails.size(), 2u);
  // The link: <base>/preferences#<message id>-<token>.
  const std::string prefix = "https://rdv.pref.test/preferences#";
  const size_t at = mails[1].body.find(prefix);
  ASSERT_NE(at, std::string::npos) << mails[1].body;
  std::string link = mails[1].body.substr(at + prefix.size());
  link = link.substr(0, link.find_first_of("\r\n"));
  const size_t dash = link.find('-');
  ASSERT_NE(dash, std::string::npos);
  EXPECT_EQ("messages/" + link.substr(0, dash), sent.messages(0).name());

  auto anyone = nv1::NotifyService::NewStub(world_->server().Channel());
  nv1::UpdateContactPreferencesRequest stop;
  stop.set_message(sent.messages(0).name());
  stop.set_token(link.substr(dash + 1));
  stop.set_email_opted_out(true);
  nv1::ContactPreferences prefs;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(anyone->UpdateContactPreferences(&context, stop, &prefs)));
  }
  EXPECT_EQ(prefs.appointment(), a.name());
  EXPECT_TRUE(prefs.has_email());
  EXPECT_TRUE(prefs.has_sms());
  EXPECT_TRUE(prefs.email_opted_out());
  EXPECT_FALSE(prefs.sms_opted_out());
  // A wrong token, or the public naming an appointment: refused.
  nv1::UpdateContactPreferencesRequest bad = stop;
  bad.set_token(std::string(32, '0'));
  {
    grpc::ClientContext context;
    EXPECT_TRUE(RpcFails(anyone->UpdateContactPreferences(&context, bad, &prefs),
                         grpc::StatusCode::PERMISSION_DENIED, "WRONG_TOKEN", "token"));
  }
  bad.Clear();
  bad.set_appointment(a.name());
  {
    grpc::ClientContext context;
    EXPECT_TRUE(RpcFails(anyone->UpdateContactPreferences(&context, bad, &prefs),
                         grpc::StatusCode::PERMISSION_DENIED, "AGENT_ONLY", "appointment"));
  }

  // The e-mail reminder (Sunday 7 June 08:30Z) is dropped, a notice too.
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 7, 8, 30), absl::UTCTimeZone()));
  EXPECT_EQ(AwaitMessage(a, nv1::REMINDER, nv1::DROPPED).reason(), "OPTED_OUT");
  notice.set_notice(nv1::CONVOCATION);
  notice.set_request_id("notice-24b");
  ASSERT_TRUE(RpcOk(SendNotice(notice, &sent)));
  EXPECT_EQ(AwaitMessage(a, nv1::CONVOCATION, nv1::DROPPED).reason(), "OPTED_OUT");
  // Agents see it with the messages.
  bool flagged = false;
  {
    nv1::ListMessagesRequest req;
    req.set_appointment(a.name());
    nv1::ListMessagesResponse resp;
    ASSERT_TRUE(RpcOk(
        CallOn(*notify_, &nv1::NotifyService::Stub::ListMessages, req, &resp, "person asks")));
    for (const nv1::ContactStatus& c : resp.contacts()) {
      if (c.channel() == nv1::EMAIL) flagged = c.opted_out();
    }
  }
  EXPECT_TRUE(flagged);

  // Cancelling still confirms: the person's own action.
  booking::v1::CancelAppointmentRequest cancel;
  cancel.set_reference(a.reference());
  cancel.set_access_code(a.access_code());
  cancel.set_request_id("cancel-24");
  Appointment cancelled;
  ASSERT_TRUE(RpcOk(
      world_->Call(&booking::v1::BookingService::Stub::CancelAppointment, cancel, &cancelled)));
  AwaitMessage(a, nv1::CANCELLATION, nv1::ACCEPTED);
  EXPECT_EQ(smtp_->WaitFor(3).size(), 3u);

  // An agent of the site resumes the e-mails for the person, with a reason.
  nv1::UpdateContactPreferencesRequest resume;
  resume.set_appointment(a.name());
  ASSERT_TRUE(RpcOk(CallOn(*notify_, &nv1::NotifyService::Stub::UpdateContactPreferences, resume,
                           &prefs, "the person asks at the counter")));
  EXPECT_FALSE(prefs.email_opted_out());
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.contacts"), 0);
}

// An address the SMTP server refuses for good is flagged for agents.
TEST_F(RequestsTest, ARefusedAddressIsFlaggedForAgents) {
  StartWorld();
  booking::v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(desk_.slots[4].name(), 25);
  req.mutable_person()->set_email("refuse.dominique@example.org");
  Appointment a;
  ASSERT_TRUE(RpcOk(world_->Book(req, &a)));
  AwaitMessage(a, nv1::CONFIRMATION, nv1::FAILED);
  nv1::ListMessagesRequest list;
  list.set_appointment(a.name());
  nv1::ListMessagesResponse resp;
  ASSERT_TRUE(
      RpcOk(CallOn(*notify_, &nv1::NotifyService::Stub::ListMessages, list, &resp, "why no mail")));
  ASSERT_EQ(resp.contacts_size(), 2);
  const nv1::ContactStatus& email =
      resp.contacts(0).channel() == nv1::EMAIL ? resp.contacts(0) : resp.contacts(1);
  EXPECT_TRUE(email.has_bounce_time());
  EXPECT_EQ(email.bounce_reason(), "RECIPIENT_REFUSED");
  EXPECT_FALSE(email.opted_out());
  // Stored as a keyed hash: the address is nowhere in notify's tables.
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.contacts WHERE "
                             "encode(contact_key, 'escape') LIKE '%refuse%'"),
            0);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.contacts"), 1);
}

// The survey after a fulfilled visit: by e-mail two hours later, answered
// once through its link, stored and announced without anything that names
// the person; the metrics count it.
TEST_F(RequestsTest, TheSurveyIsAnsweredOnceAndNamesNobody) {
  StartWorld();
  Appointment a = Book(4, 26);  // Tuesday 9 June 11:00 Paris
  smtp_->WaitFor(1);
  Appointment out;
  ASSERT_TRUE(RpcOk(world_->Serve(a, &out)));
  nv1::Message survey = AwaitMessage(a, nv1::SURVEY, nv1::PENDING);
  EXPECT_EQ(survey.channel(), nv1::EMAIL);
  EXPECT_EQ(Utc(survey.due_time()), "2026-06-09T11:20:00Z");  // two hours after the visit
  world_->clock().Set(FromTs(a.start_time()) + absl::Hours(3));
  const auto [message, token] =
      LinkIn("personne.26@example.org", "Votre avis", "https://rdv.pref.test/enquete#");
  EXPECT_EQ(message, survey.name());

  auto anyone = Anyone();
  nv1::GetSurveyRequest get;
  get.set_message(message);
  get.set_token(token);
  nv1::Survey shown;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(anyone->GetSurvey(&context, get, &shown)));
  }
  EXPECT_EQ(shown.desk_display_name(), desk_.desk.display_name());
  EXPECT_FALSE(shown.answered());

  nv1::SubmitSurveyResponseRequest answer;
  answer.set_message(message);
  answer.set_token(token);
  answer.set_delay(2);
  answer.set_courtesy(4);
  answer.set_clarity(3);
  answer.set_overall(4);
  answer.set_comment("Accueil aimable,\nmais attente longue.");
  auto submit = [&](const nv1::SubmitSurveyResponseRequest& r) {
    grpc::ClientContext context;
    nv1::SubmitSurveyResponseResponse resp;
    return anyone->SubmitSurveyResponse(&context, r, &resp);
  };
  // Bad answers first: refused with their field, nothing stored.
  nv1::SubmitSurveyResponseRequest bad = answer;
  bad.set_courtesy(5);
  EXPECT_TRUE(
      RpcFails(submit(bad), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_SCORE", "courtesy"));
  bad = answer;
  bad.set_delay(0);
  bad.set_courtesy(0);
  bad.set_clarity(0);
  bad.set_overall(0);
  EXPECT_TRUE(RpcFails(submit(bad), grpc::StatusCode::INVALID_ARGUMENT, "NO_ANSWER", "overall"));
  bad = answer;
  bad.set_token(std::string(32, '0'));
  EXPECT_TRUE(RpcFails(submit(bad), grpc::StatusCode::PERMISSION_DENIED, "WRONG_TOKEN", "token"));
  bad = answer;
  bad.set_comment(std::string(1001, 'x'));
  EXPECT_TRUE(RpcFails(submit(bad), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_TEXT", "comment"));
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.survey_responses"), 0);

  ASSERT_TRUE(RpcOk(submit(answer)));
  EXPECT_TRUE(
      RpcFails(submit(answer), grpc::StatusCode::ALREADY_EXISTS, "SURVEY_ANSWERED", "message"));
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.survey_responses WHERE delay = 2 "
                             "AND courtesy = 4 AND availability IS NULL AND overall = 4 "
                             "AND comment = 'Accueil aimable, mais attente longue.' "
                             "AND local_date = '2026-06-09'"),
            1);
  // The event: scores, site and desk; no appointment, no message.
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM events.log WHERE type = 'survey.answered' "
                             "AND (payload->>'overall')::int = 4 AND NOT payload ? 'appointment' "
                             "AND NOT payload ? 'message' AND subject NOT LIKE 'messages/%'"),
            1);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(anyone->GetSurvey(&context, get, &shown)));
  }
  EXPECT_TRUE(shown.answered());
  // The metrics count it: four items answered, the overall score 4.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (world_->QueryInt("SELECT count(*) FROM metrics.day_measures WHERE measure = "
                          "'survey.overall' AND count = 1 AND sum = 4") == 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM metrics.day_measures WHERE measure LIKE "
                             "'survey.%' AND local_date = '2026-06-09'"),
            4);
  EXPECT_EQ(ExpectNotifyEventsParseStrictly(),
            (std::set<std::string>{"message.delivered", "survey.answered"}));
}

// A desk that asks people with no-shows to confirm: the request goes only to
// them; a confirmation keeps the appointment; without one it is released at
// the deadline and the person is told.
TEST_F(RequestsTest, AttendanceIsConfirmedOrTheAppointmentReleased) {
  StartWorld();
  OpenedDesk desk = DeskAskingToConfirm();
  nv1::UpdateDeskNotifySettingsRequest bad;
  bad.mutable_settings()->set_desk(desk.desk.name());
  bad.mutable_settings()->set_confirm_after_noshows(11);
  nv1::DeskNotifySettings set;
  EXPECT_TRUE(
      RpcFails(CallOn(*notify_, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, bad, &set),
               grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CONFIRMATION",
               "settings.confirm_after_noshows"));

  // They book again for 16 June, with person 31 who never missed one.
  Appointment a30, a33, a31;
  ASSERT_TRUE(RpcOk(world_->Book(desk.slots[40].name(), 30, &a30)));  // 09:00 Paris
  ASSERT_TRUE(RpcOk(world_->Book(desk.slots[41].name(), 33, &a33)));  // 09:30
  ASSERT_TRUE(RpcOk(world_->Book(desk.slots[42].name(), 31, &a31)));  // 10:00
  // Asked 3 days before the deadline (48 hours before the start).
  nv1::Message asked = AwaitOn(a30, nv1::ATTENDANCE, nv1::EMAIL, nv1::PENDING);
  EXPECT_EQ(Utc(asked.due_time()), "2026-06-11T07:00:00Z");
  AwaitOn(a31, nv1::ATTENDANCE, nv1::EMAIL, nv1::PENDING);
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 11, 8, 0), absl::UTCTimeZone()));
  AwaitOn(a30, nv1::ATTENDANCE, nv1::EMAIL, nv1::ACCEPTED);
  AwaitOn(a33, nv1::ATTENDANCE, nv1::EMAIL, nv1::ACCEPTED);
  EXPECT_EQ(AwaitOn(a31, nv1::ATTENDANCE, nv1::EMAIL, nv1::DROPPED).reason(), "NOT_REQUIRED");

  // Person 30 confirms from the link.
  const auto [message, token] =
      LinkIn("personne.30@example.org", "Confirmez", "https://rdv.pref.test/confirmer#");
  auto anyone = Anyone();
  nv1::AttendanceRequest confirm;
  confirm.set_message(message);
  confirm.set_token(token);
  nv1::Attendance attendance;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(anyone->GetAttendance(&context, confirm, &attendance)));
  }
  EXPECT_FALSE(attendance.confirmed());
  EXPECT_EQ(Utc(attendance.respond_by()), "2026-06-14T07:00:00Z");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(anyone->ConfirmAttendance(&context, confirm, &attendance)));
  }
  EXPECT_TRUE(attendance.confirmed());
  EXPECT_EQ(attendance.appointment(), a30.name());
  nv1::AttendanceRequest wrong = confirm;
  wrong.set_token(std::string(32, '0'));
  {
    grpc::ClientContext context;
    EXPECT_TRUE(RpcFails(anyone->ConfirmAttendance(&context, wrong, &attendance),
                         grpc::StatusCode::PERMISSION_DENIED, "WRONG_TOKEN", "token"));
  }

  // The deadlines pass: 30 keeps the appointment, 33 loses it and is told.
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 14, 7, 31), absl::UTCTimeZone()));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (world_->QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'attendance' "
                          "AND release_time IS NULL AND state <> 'dropped'") > 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'attendance' "
                             "AND release_outcome = 'released' AND appointment_id = " +
                             std::to_string(IdOf(a33.name()))),
            1);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.messages WHERE template = 'attendance' "
                             "AND release_outcome = 'confirmed' AND appointment_id = " +
                             std::to_string(IdOf(a30.name()))),
            1);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM booking.appointments WHERE id = " +
                             std::to_string(IdOf(a33.name())) + " AND status = 'cancelled'"),
            1);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM booking.appointments WHERE id = " +
                             std::to_string(IdOf(a30.name())) + " AND status = 'booked'"),
            1);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM events.log WHERE type = "
                             "'appointment.cancelled' AND payload->>'cause' = 'not_confirmed'"),
            1);
  AwaitMessage(a33, nv1::CANCELLATION, nv1::ACCEPTED);
  // Too late for 33 now.
  const auto [message33, token33] =
      LinkIn("personne.33@example.org", "Confirmez", "https://rdv.pref.test/confirmer#");
  nv1::AttendanceRequest late;
  late.set_message(message33);
  late.set_token(token33);
  {
    grpc::ClientContext context;
    EXPECT_TRUE(RpcFails(anyone->ConfirmAttendance(&context, late, &attendance),
                         grpc::StatusCode::FAILED_PRECONDITION, "RELEASED", "message"));
  }
}

// The generic JSON-over-HTTPS SMS provider (here a real HTTP server on
// loopback): the message as JSON with its idempotency key and validity, the
// delivery callback authenticated by the message's token; an undelivered
// report flags the number for agents.
TEST_F(RequestsTest, SmsThroughTheJsonProviderWithItsCallbacks) {
  std::unique_ptr<JsonSmsSink> gateway = JsonSmsSink::Start();
  StartWorld(60, {{"notify_sms_provider", "json"},
                  {"notify_sms_url", gateway->url()},
                  {"notify_sms_api_key", "cle-de-test"},
                  {"notify_report_listen", "127.0.0.1:0"}});
  Appointment a = Book(5, 27);  // Tuesday 9 June 11:30 Paris
  std::vector<JsonSmsSink::Sms> got = gateway->WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].to, PhoneOf(27));
  EXPECT_EQ(got[0].from, "Prefecture");
  EXPECT_EQ(got[0].encoding, "gsm7");
  EXPECT_EQ(got[0].authorization, "Bearer cle-de-test");
  EXPECT_EQ(got[0].valid_until, "2026-06-09T09:30:00Z");  // the start
  nv1::Message sms = AwaitOn(a, nv1::CONFIRMATION, nv1::SMS, nv1::DELIVERED);
  EXPECT_EQ(got[0].idempotency_key, "notify-" + std::to_string(IdOf(sms.name())));
  EXPECT_EQ(got[0].reference, std::to_string(IdOf(sms.name())));
  EXPECT_TRUE(absl::StrContains(got[0].callback_url, "/notify/reports/json?m="));
  EXPECT_TRUE(absl::StartsWith(got[0].text, "Préfecture : RDV confirmé le 09/06/2026"));

  // A number the network cannot reach: reported undelivered, flagged.
  booking::v1::CreateAppointmentRequest req =
      BookingWorld::BookingRequest(desk_.slots[6].name(), 28);
  req.mutable_person()->set_phone("+33612345699");
  Appointment b;
  ASSERT_TRUE(RpcOk(world_->Book(req, &b)));
  nv1::Message failed = AwaitOn(b, nv1::CONFIRMATION, nv1::SMS, nv1::FAILED);
  EXPECT_EQ(failed.reason(), "NOT_DELIVERED");
  nv1::ListMessagesRequest list;
  list.set_appointment(b.name());
  nv1::ListMessagesResponse resp;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool flagged = false;
  while (!flagged && absl::Now() < deadline) {
    ASSERT_TRUE(RpcOk(
        CallOn(*notify_, &nv1::NotifyService::Stub::ListMessages, list, &resp, "SMS non recu")));
    for (const nv1::ContactStatus& c : resp.contacts()) {
      flagged |= c.channel() == nv1::SMS && c.bounce_reason() == "NOT_DELIVERED";
    }
    if (!flagged) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(flagged);
  // Both events for the metrics: one delivered, one failed.
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM events.log WHERE type = 'message.delivered' "
                             "AND payload->>'channel' = 'sms'"),
            1);
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM events.log WHERE type = 'message.failed' "
                             "AND payload->>'channel' = 'sms' "
                             "AND payload->>'reason' = 'NOT_DELIVERED'"),
            1);
  // Refused at once (400): failed, not retried.
  req = BookingWorld::BookingRequest(desk_.slots[7].name(), 29);
  req.mutable_person()->set_phone("+33612345600");
  Appointment c;
  ASSERT_TRUE(RpcOk(world_->Book(req, &c)));
  EXPECT_EQ(AwaitOn(c, nv1::CONFIRMATION, nv1::SMS, nv1::FAILED).reason(), "PROVIDER_REFUSED");
  EXPECT_EQ(ExpectNotifyEventsParseStrictly(),
            (std::set<std::string>{"message.delivered", "message.failed"}));
  // The metrics count what has an outcome (confirmations here: no reminder
  // is due yet, so the reminder measures stay empty).
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM metrics.day_measures WHERE measure LIKE "
                             "'reminders.%'"),
            0);
}

}  // namespace
}  // namespace accueil::testing
