// The pages the links in messages open (attendance, survey, opt-out) and
// "add to my calendar", over real HTTP in front of booking, notify, a real
// SMTP server and PostgreSQL: each link is read from the e-mail the person
// received, as they would follow it.
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "tests/notify/notify_fixture.h"
#include "tests/support/http_client.h"

namespace accueil::testing {
namespace {

class LinkPages : public NotifyTest {
 protected:
  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", world_->server().port_of("gateway_listen"), path);
  }
  // Open: a page as the person first opens it; its cookies (the CSRF
  // token's) go with the forms that follow.
  HttpReply Open(const std::string& path) {
    HttpCall call;
    call.url = Url(path);
    HttpReply reply = Fetch(call);
    cookies_ = CookieHeaders(reply);
    csrf_ = HiddenField(reply.body, "csrf");
    return reply;
  }
  HttpReply Post(const std::string& path, std::vector<std::pair<std::string, std::string>> fields) {
    fields.emplace_back("csrf", csrf_);
    return FormPost(Url(path), fields, cookies_);
  }
  // The "ID-TOKEN" a link carries after `prefix`, in the last mail to `to`.
  std::string Fragment(const std::string& to, const std::string& subject,
                       const std::string& prefix) {
    const auto [message, token] = LinkIn(to, subject, prefix);
    return absl::StrCat(IdOf(message), "-", token);
  }
  // Line: the calendar line starting with `name` ("UID:").
  static std::string Line(const std::string& ics, const std::string& name) {
    for (absl::string_view line : absl::StrSplit(ics, "\r\n")) {
      if (absl::StartsWith(line, name)) return std::string(line);
    }
    return "";
  }
  static bool Has(const HttpReply& reply, const std::string& text) {
    return reply.body.find(text) != std::string::npos;
  }

  std::vector<std::string> cookies_;
  std::string csrf_;
};

TEST_F(LinkPages, TheCalendarFileIsTheEventTheEmailsCarry) {
  StartWorld();
  Appointment a = Book(3, 24);  // Tuesday 9 June 10:30 Paris
  std::vector<SmtpSink::Mail> mails = smtp_->WaitFor(1);
  ASSERT_TRUE(mails[0].has_calendar);
  ASSERT_FALSE(mails[0].calendar.empty()) << mails[0].text;

  HttpReply manage = Open("/rdv");
  ASSERT_EQ(manage.status, 200);
  HttpReply shown = Post("/rdv", {{"reference", a.reference()}, {"access_code", a.access_code()}});
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_TRUE(Has(shown, "action=\"/rdv/calendrier\"")) << shown.body;

  HttpReply file =
      Post("/rdv/calendrier", {{"reference", a.reference()}, {"access_code", a.access_code()}});
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.Header("content-type"), "text/calendar; charset=utf-8");
  EXPECT_EQ(file.Header("content-disposition"),
            "attachment; filename=\"rendez-vous-" + a.reference() + ".ics\"");
  EXPECT_EQ(Line(file.body, "UID:"),
            absl::StrCat("UID:appointment-", IdOf(a.name()), "@pref.test"));
  EXPECT_EQ(Line(file.body, "DTSTART:"), "DTSTART:20260609T083000Z");
  EXPECT_EQ(Line(file.body, "METHOD:"), "METHOD:PUBLISH");
  // The same event as the confirmation's attachment: one event in the
  // calendar whichever way it came.
  for (const char* name : {"UID:", "SEQUENCE:", "DTSTART:", "DTEND:", "SUMMARY:", "LOCATION:"}) {
    EXPECT_EQ(Line(file.body, name), Line(mails[0].calendar, name)) << name;
  }

  // Moved a minute later: the move's e-mail and the file give a higher
  // SEQUENCE and the new time, so the calendar updates the event.
  world_->clock().Advance(absl::Minutes(1));
  HttpReply moved = Post("/rdv/deplacer", {{"reference", a.reference()},
                                           {"access_code", a.access_code()},
                                           {"jour", "2026-06-09"},
                                           {"creneau", absl::StrCat(IdOf(desk_.slots[6].name()))},
                                           {"request_id", std::string(32, 'a')}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  mails = smtp_->WaitFor(2);
  ASSERT_EQ(mails.size(), 2u);
  HttpReply again =
      Post("/rdv/calendrier", {{"reference", a.reference()}, {"access_code", a.access_code()}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Line(again.body, "DTSTART:"), "DTSTART:20260609T100000Z");  // 12:00 Paris
  EXPECT_EQ(Line(again.body, "SEQUENCE:"), Line(mails[1].calendar, "SEQUENCE:"));
  EXPECT_GT(Line(again.body, "SEQUENCE:"), Line(file.body, "SEQUENCE:"));

  // A wrong code gives the manage form and its error, never a file; so does
  // a form without the page's CSRF token.
  HttpReply wrong =
      Post("/rdv/calendrier", {{"reference", a.reference()}, {"access_code", "AAAAAAAA"}});
  EXPECT_NE(wrong.status, 200);
  EXPECT_EQ(wrong.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_TRUE(Has(wrong, "La référence ou le code d&apos;accès est incorrect.")) << wrong.body;
  HttpReply forged = FormPost(Url("/rdv/calendrier"),
                              {{"reference", a.reference()}, {"access_code", a.access_code()}});
  EXPECT_EQ(forged.status, 403);
  EXPECT_FALSE(Has(forged, "BEGIN:VCALENDAR"));
}

TEST_F(LinkPages, AttendanceIsConfirmedFromItsPage) {
  StartWorld();
  OpenedDesk desk = DeskAskingToConfirm();
  // Persons 30 and 33 book again for the 16th.
  Appointment a30, a33;
  ASSERT_TRUE(RpcOk(world_->Book(desk.slots[40].name(), 30, &a30)));  // 09:00 Paris
  ASSERT_TRUE(RpcOk(world_->Book(desk.slots[41].name(), 33, &a33)));  // 09:30 Paris
  AwaitOn(a30, nv1::ATTENDANCE, nv1::EMAIL, nv1::PENDING);
  AwaitOn(a33, nv1::ATTENDANCE, nv1::EMAIL, nv1::PENDING);
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 11, 8, 0), absl::UTCTimeZone()));
  const std::string link30 =
      Fragment("personne.30@example.org", "Confirmez", "https://rdv.pref.test/confirmer#");
  const std::string link33 =
      Fragment("personne.33@example.org", "Confirmez", "https://rdv.pref.test/confirmer#");

  // The link's page: a form the script fills from the fragment.
  HttpReply page = Open("/confirmer");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Has(page, "data-fragment=\"lien\"")) << page.body;
  EXPECT_TRUE(Has(page, "<script src=\"/static/fragment.js\" defer>"));

  HttpReply shown = Post("/confirmer", {{"lien", link30}});
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_TRUE(Has(shown, "mardi 16 juin 2026 09:00")) << shown.body;
  EXPECT_TRUE(Has(shown, "dimanche 14 juin 2026 09:00")) << "the deadline, 48 hours before";
  EXPECT_TRUE(Has(shown, "En attente de votre confirmation"));
  EXPECT_TRUE(Has(shown, "name=\"confirm\" value=\"yes\""));
  // The whole link pasted works too; a forged token is refused and confirms
  // nothing.
  EXPECT_EQ(Post("/confirmer", {{"lien", "https://rdv.pref.test/confirmer#" + link30}}).status,
            200);
  const std::string forged_link = link30.substr(0, link30.find('-') + 1) + std::string(32, '0');
  HttpReply forged = Post("/confirmer", {{"lien", forged_link}, {"confirm", "yes"}});
  EXPECT_EQ(forged.status, 403);
  EXPECT_TRUE(Has(forged, "Ce lien n&apos;est pas valable")) << forged.body;
  HttpReply garbled = Post("/confirmer", {{"lien", "not a link"}, {"confirm", "yes"}});
  EXPECT_EQ(garbled.status, 403);
  const std::string answered =
      "SELECT count(*) FROM notify.messages WHERE template = 'attendance' AND answer_time IS NOT "
      "NULL";
  EXPECT_EQ(world_->QueryInt(answered), 0);

  HttpReply confirmed = Post("/confirmer", {{"lien", link30}, {"confirm", "yes"}});
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_TRUE(Has(confirmed, "votre présence est confirmée")) << confirmed.body;
  EXPECT_TRUE(Has(confirmed, "Présence confirmée"));
  EXPECT_FALSE(Has(confirmed, "name=\"confirm\""));
  EXPECT_EQ(world_->QueryInt(answered), 1);

  // Person 33 comes too late: the refusal is said under the facts.
  world_->clock().Set(absl::FromCivil(absl::CivilMinute(2026, 6, 14, 7, 31), absl::UTCTimeZone()));
  HttpReply late = Post("/confirmer", {{"lien", link33}, {"confirm", "yes"}});
  EXPECT_EQ(late.status, 400) << late.body;
  EXPECT_TRUE(Has(late, "Le délai")) << late.body;
  EXPECT_TRUE(Has(late, "mardi 16 juin 2026 09:30"));
  EXPECT_FALSE(Has(late, "name=\"confirm\""));
  EXPECT_EQ(world_->QueryInt(answered), 1);
}

TEST_F(LinkPages, TheSurveyIsAnsweredFromItsPageOnce) {
  StartWorld();
  Appointment a = Book(4, 26);  // Tuesday 9 June 11:00 Paris
  smtp_->WaitFor(1);
  Appointment out;
  ASSERT_TRUE(RpcOk(world_->Serve(a, &out)));
  AwaitMessage(a, nv1::SURVEY, nv1::PENDING);
  world_->clock().Set(FromTs(a.start_time()) + absl::Hours(3));
  const std::string link =
      Fragment("personne.26@example.org", "Votre avis", "https://rdv.pref.test/enquete#");

  ASSERT_EQ(Open("/enquete?lang=en").status, 200);
  HttpReply form = Post("/enquete", {{"lien", link}});
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_TRUE(Has(form, desk_.desk.display_name())) << form.body;
  EXPECT_TRUE(Has(form, "The staff&apos;s courtesy")) << form.body;
  int fieldsets = 0;
  for (size_t at = 0; (at = form.body.find("<fieldset", at)) != std::string::npos; ++at) {
    ++fieldsets;
  }
  EXPECT_EQ(fieldsets, 6);
  EXPECT_TRUE(Has(form, "id=\"overall-0\" name=\"overall\" value=\"0\" checked"));

  // Nothing chosen: told next to the form, the comment kept, nothing stored.
  HttpReply none = Post("/enquete", {{"lien", link}, {"submit", "yes"}, {"comment", "Rien"}});
  EXPECT_EQ(none.status, 400);
  EXPECT_TRUE(Has(none, "Answer at least one question.")) << none.body;
  EXPECT_TRUE(Has(none, ">Rien</textarea>"));
  const std::string stored = "SELECT count(*) FROM notify.survey_responses";
  EXPECT_EQ(world_->QueryInt(stored), 0);

  HttpReply sent = Post("/enquete", {{"lien", link},
                                     {"submit", "yes"},
                                     {"delay", "2"},
                                     {"courtesy", "4"},
                                     {"overall", "4"},
                                     {"clarity", "0"},
                                     {"comment", "Accueil aimable"}});
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_TRUE(Has(sent, "Thank you for your answer")) << sent.body;
  EXPECT_EQ(world_->QueryInt("SELECT count(*) FROM notify.survey_responses WHERE delay = 2 AND "
                             "courtesy = 4 AND overall = 4 AND clarity IS NULL"),
            1);
  HttpReply again = Post("/enquete", {{"lien", link}});
  EXPECT_TRUE(Has(again, "This survey has already been answered.")) << again.body;
  HttpReply twice = Post("/enquete", {{"lien", link}, {"submit", "yes"}, {"overall", "1"}});
  EXPECT_TRUE(Has(twice, "already been answered"));
  EXPECT_EQ(world_->QueryInt(stored), 1);
}

TEST_F(LinkPages, ThePersonStopsAndResumesEmailsFromTheirPage) {
  StartWorld();
  Appointment a = Book(3, 24);
  smtp_->WaitFor(1);
  nv1::SendNoticeRequest notice;
  notice.set_appointment(a.name());
  notice.set_notice(nv1::DOCUMENTS_MISSING);
  notice.set_request_id("notice-24");
  nv1::SendNoticeResponse sent;
  ASSERT_TRUE(RpcOk(CallOn(*notify_, &nv1::NotifyService::Stub::SendNotice, notice, &sent,
                           "file incomplete, told at the counter")));
  const std::string link =
      Fragment("personne.24@example.org", "", "https://rdv.pref.test/preferences#");
  auto current = [&] {
    auto anyone = nv1::NotifyService::NewStub(world_->server().Channel());
    nv1::GetContactPreferencesRequest req;
    req.set_message(absl::StrCat("messages/", link.substr(0, link.find('-'))));
    req.set_token(link.substr(link.find('-') + 1));
    nv1::ContactPreferences prefs;
    grpc::ClientContext context;
    EXPECT_TRUE(RpcOk(anyone->GetContactPreferences(&context, req, &prefs)));
    return prefs;
  };

  ASSERT_EQ(Open("/preferences?lang=ar").status, 200);
  HttpReply form = Post("/preferences", {{"lien", link}});
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_TRUE(Has(form, "dir=\"rtl\""));
  EXPECT_TRUE(Has(form, "id=\"stop_email\" name=\"stop_email\" value=\"yes\">")) << form.body;

  HttpReply stopped =
      Post("/preferences", {{"lien", link}, {"save", "yes"}, {"stop_email", "yes"}});
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_TRUE(Has(stopped, "تم حفظ اختيارك.")) << stopped.body;
  EXPECT_TRUE(Has(stopped, "id=\"stop_email\" name=\"stop_email\" value=\"yes\" checked"));
  EXPECT_TRUE(current().email_opted_out());

  HttpReply resumed = Post("/preferences", {{"lien", link}, {"save", "yes"}});
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_FALSE(current().email_opted_out());
  // Without the page's token nothing changes.
  HttpReply forged = FormPost(Url("/preferences"),
                              {{"lien", link}, {"save", "yes"}, {"stop_email", "yes"}}, cookies_);
  EXPECT_EQ(forged.status, 403);
  EXPECT_FALSE(current().email_opted_out());
}

TEST_F(LinkPages, ThePersonalDataNoticeGivesTheConfiguredRetention) {
  TestServerOptions options;
  options.retention_days = 30;
  world_ = std::make_unique<BookingWorld>(std::move(options));
  HttpReply notice = Open("/donnees-personnelles");
  ASSERT_EQ(notice.status, 200);
  EXPECT_TRUE(Has(notice, "effacées automatiquement 30 jours")) << notice.body;
  EXPECT_FALSE(Has(notice, "{retention_days}"));
}

}  // namespace
}  // namespace accueil::testing
