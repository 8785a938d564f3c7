// The public pages over real HTTP, in front of the real services and
// PostgreSQL: the catalogue, a desk's days and slots, the booking form
// (CSRF token, errors next to their field, a slot taken meanwhile), the
// confirmation with its QR code, the languages (Arabic right to left), and
// the design system's assets.

#include <gtest/gtest.h>

#include "services/gateway/path_template.h"
#include "tests/booking/booking_fixture.h"
#include "tests/support/http_client.h"

namespace accueil::testing {
namespace {

class Pages : public ::testing::Test {
 protected:
  Pages() : open_(world_.OpenDesk(DeskOptions{})) {}

  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", world_.server().port_of("gateway_listen"), path);
  }
  HttpReply Get(const std::string& path, std::vector<std::string> headers = {}) {
    HttpCall call;
    call.url = Url(path);
    call.headers = std::move(headers);
    return Fetch(call);
  }
  HttpReply PostForm(const std::string& path, const gateway::Bindings& fields,
                     std::vector<std::string> headers) {
    return FormPost(Url(path), fields, std::move(headers));
  }
  static std::string Hidden(const std::string& html, const std::string& name) {
    return HiddenField(html, name);
  }
  std::string DeskPath() {
    return absl::StrCat("/rdv/", IdOf(open_.site.name()), "/", IdOf(open_.desk.name()));
  }
  std::string FormPath(const v1::Slot& slot) {
    return absl::StrCat(DeskPath(), "/creneau?jour=2026-06-02&creneau=", IdOf(slot.name()));
  }
  // A person's form: what they type, with the page's hidden fields.
  gateway::Bindings Filled(const std::string& page, const std::string& phone) {
    return {{"csrf", Hidden(page, "csrf")},
            {"request_id", Hidden(page, "request_id")},
            {"given_name", "Amina"},
            {"family_name", "Diallo"},
            {"phone", phone},
            {"email", "amina@example.org"},
            {"preferred_language", "ar"},
            {"need", "wheelchair"},
            {"note", ""},
            {"companions", "1"}};
  }
  std::vector<std::string> CookiesOf(const HttpReply& reply) { return CookieHeaders(reply); }
  int64_t Appointments() { return world_.QueryInt("SELECT count(*) FROM booking.appointments"); }

  BookingWorld world_;
  OpenedDesk open_;
};

TEST_F(Pages, TheHomePageListsSitesAndDesks) {
  HttpReply home = Get("/");
  ASSERT_EQ(home.status, 200) << home.body;
  EXPECT_EQ(home.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(home.body.find("<html lang=\"fr\" dir=\"ltr\""), std::string::npos);
  EXPECT_NE(home.body.find("Préfecture de test"), std::string::npos);
  EXPECT_NE(home.body.find("href=\"" + DeskPath() + "\""), std::string::npos) << home.body;
  EXPECT_NE(home.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
}

TEST_F(Pages, ADeskPageShowsItsDaysAndTheDaysSlotsInTheSitesTime) {
  HttpReply desk = Get(DeskPath());
  ASSERT_EQ(desk.status, 200) << desk.body;
  EXPECT_NE(desk.body.find("mardi 2 juin 2026"), std::string::npos) << desk.body;
  EXPECT_NE(desk.body.find("(20 créneaux libres)"), std::string::npos) << desk.body;
  // 09:00 in Paris (07:00 UTC) is the first slot.
  EXPECT_NE(desk.body.find(">09:00</a>"), std::string::npos) << desk.body;
  // In HTML, the link's "&" is written "&amp;".
  std::string href = FormPath(open_.slots[0]);
  href.replace(href.find('&'), 1, "&amp;");
  EXPECT_NE(desk.body.find("href=\"" + href + "\""), std::string::npos) << desk.body;

  HttpReply arabic = Get(DeskPath() + "?lang=ar");
  ASSERT_EQ(arabic.status, 200);
  EXPECT_NE(arabic.body.find("<html lang=\"ar\" dir=\"rtl\""), std::string::npos);
  EXPECT_NE(arabic.body.find("الثلاثاء 2 يونيو 2026"), std::string::npos) << arabic.body;
  bool remembered = false;
  for (const std::string& c : arabic.cookies) remembered |= c == "accueil_lang=ar";
  EXPECT_TRUE(remembered) << "the choice is kept in a cookie";
  HttpReply again = Get(DeskPath(), {"Cookie: accueil_lang=ar"});
  EXPECT_NE(again.body.find("dir=\"rtl\""), std::string::npos);
  HttpReply english = Get(DeskPath(), {"Accept-Language: en-GB,en;q=0.9"});
  EXPECT_NE(english.body.find("Tuesday 2 June 2026"), std::string::npos);
}

TEST_F(Pages, APersonBooksWithTheFormAndGetsTheConfirmation) {
  HttpReply form = Get(FormPath(open_.slots[0]));
  ASSERT_EQ(form.status, 200) << form.body;
  ASSERT_FALSE(Hidden(form.body, "csrf").empty()) << form.body;
  ASSERT_FALSE(form.cookies.empty());

  HttpReply done =
      PostForm(FormPath(open_.slots[0]), Filled(form.body, "06 12 34 56 78"), CookiesOf(form));
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(Appointments(), 1);
  const std::string reference = world_.Query("SELECT reference FROM booking.appointments");
  EXPECT_NE(done.body.find(reference), std::string::npos) << done.body;
  EXPECT_NE(done.body.find("<svg"), std::string::npos) << "the check-in QR code";
  EXPECT_NE(done.body.find("mardi 2 juin 2026 09:00"), std::string::npos) << done.body;
  EXPECT_EQ(world_.Query("SELECT phone FROM booking.persons"), "+33612345678");
  EXPECT_EQ(world_.Query("SELECT accessibility_need FROM booking.appointments"), "wheelchair");

  // The same form sent again (a reload) books nothing more: its request id.
  HttpReply replay =
      PostForm(FormPath(open_.slots[0]), Filled(form.body, "06 12 34 56 78"), CookiesOf(form));
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Appointments(), 1);
}

TEST_F(Pages, ATypoInThePhoneIsShownNextToItsFieldAndBooksNothing) {
  HttpReply form = Get(FormPath(open_.slots[0]));
  HttpReply typo =
      PostForm(FormPath(open_.slots[0]), Filled(form.body, "06 12 34"), CookiesOf(form));
  EXPECT_EQ(typo.status, 400) << typo.body;
  EXPECT_NE(typo.body.find("id=\"phone-error\""), std::string::npos) << typo.body;
  EXPECT_NE(typo.body.find("aria-invalid=\"true\""), std::string::npos);
  EXPECT_NE(typo.body.find("Ce numéro de téléphone n&apos;est pas valide"), std::string::npos);
  EXPECT_NE(typo.body.find("value=\"Diallo\""), std::string::npos) << "what was typed is kept";
  EXPECT_EQ(Appointments(), 0);
}

TEST_F(Pages, ASlotTakenMeanwhileIsAnsweredClearly) {
  HttpReply form = Get(FormPath(open_.slots[0]));
  v1::Appointment other;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 9, &other)));
  HttpReply full =
      PostForm(FormPath(open_.slots[0]), Filled(form.body, "06 12 34 56 78"), CookiesOf(form));
  EXPECT_EQ(full.status, 400) << full.body;
  EXPECT_NE(full.body.find("vient d&apos;être réservé"), std::string::npos) << full.body;
  EXPECT_NE(full.body.find("Choisir un autre créneau"), std::string::npos);
  EXPECT_EQ(Appointments(), 1);
}

TEST_F(Pages, AFormWithoutItsTokenChangesNothing) {
  HttpReply form = Get(FormPath(open_.slots[0]));
  gateway::Bindings fields = Filled(form.body, "06 12 34 56 78");
  EXPECT_EQ(PostForm(FormPath(open_.slots[0]), fields, {}).status, 403) << "no cookie";
  fields[0].second = std::string(32, 'a');
  EXPECT_EQ(PostForm(FormPath(open_.slots[0]), fields, CookiesOf(form)).status, 403)
      << "another token";
  EXPECT_EQ(Appointments(), 0);
}

TEST_F(Pages, APersonFindsTheirAppointmentAndCancelsItAfterConfirming) {
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &a)));
  HttpReply manage = Get("/rdv");
  ASSERT_EQ(manage.status, 200) << manage.body;
  EXPECT_NE(manage.body.find("<script src=\"/static/fragment.js\" defer>"), std::string::npos)
      << "the link's fragment is read by a same-origin script";
  const std::vector<std::string> cookies = CookiesOf(manage);
  const std::string csrf = Hidden(manage.body, "csrf");

  HttpReply wrong = PostForm(
      "/rdv", {{"csrf", csrf}, {"reference", a.reference()}, {"access_code", "ZZZZZZZZ"}}, cookies);
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_NE(wrong.body.find("est incorrect"), std::string::npos) << wrong.body;

  gateway::Bindings credentials = {
      {"csrf", csrf}, {"reference", a.reference()}, {"access_code", a.access_code()}};
  HttpReply shown = PostForm("/rdv", credentials, cookies);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_NE(shown.body.find("Confirmé"), std::string::npos) << shown.body;
  EXPECT_NE(shown.body.find("mardi 2 juin 2026 09:00"), std::string::npos);

  // The first POST only asks; nothing changes until the person confirms.
  HttpReply asked = PostForm("/rdv/annuler", credentials, cookies);
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_NE(asked.body.find("name=\"confirmed\" value=\"yes\""), std::string::npos);
  EXPECT_EQ(world_.Query("SELECT status FROM booking.appointments"), "booked");
  gateway::Bindings confirmed = credentials;
  confirmed.push_back({"confirmed", "yes"});
  confirmed.push_back({"request_id", Hidden(asked.body, "request_id")});
  HttpReply cancelled = PostForm("/rdv/annuler", confirmed, cookies);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_NE(cancelled.body.find("Votre rendez-vous est annulé."), std::string::npos);
  EXPECT_EQ(world_.Query("SELECT status FROM booking.appointments"), "cancelled");
  // Sent again (a reload): the same answer, nothing more.
  EXPECT_EQ(PostForm("/rdv/annuler", confirmed, cookies).status, 200);
  EXPECT_EQ(PostForm("/rdv/annuler", credentials, {}).status, 403) << "no CSRF cookie";
}

TEST_F(Pages, APersonMovesTheirAppointmentToAnotherSlot) {
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &a)));
  HttpReply manage = Get("/rdv");
  const std::vector<std::string> cookies = CookiesOf(manage);
  gateway::Bindings credentials = {{"csrf", Hidden(manage.body, "csrf")},
                                   {"reference", a.reference()},
                                   {"access_code", a.access_code()}};
  HttpReply days = PostForm("/rdv/deplacer", credentials, cookies);
  ASSERT_EQ(days.status, 200) << days.body;
  EXPECT_NE(days.body.find("name=\"jour\" value=\"2026-06-02\""), std::string::npos) << days.body;
  EXPECT_EQ(days.body.find("name=\"creneau\""), std::string::npos) << "no day chosen yet";

  gateway::Bindings day = credentials;
  day.push_back({"jour", "2026-06-02"});
  HttpReply slots = PostForm("/rdv/deplacer", day, cookies);
  ASSERT_EQ(slots.status, 200) << slots.body;
  EXPECT_EQ(slots.body.find("name=\"creneau\" value=\"" +
                            std::to_string(IdOf(open_.slots[0].name())) + "\""),
            std::string::npos)
      << "the current slot is not offered";
  const std::string target = std::to_string(IdOf(open_.slots[3].name()));
  EXPECT_NE(slots.body.find("name=\"creneau\" value=\"" + target + "\""), std::string::npos);

  gateway::Bindings move = day;
  move.push_back({"creneau", target});
  move.push_back({"request_id", Hidden(slots.body, "request_id")});
  HttpReply moved = PostForm("/rdv/deplacer", move, cookies);
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_NE(moved.body.find("Votre rendez-vous est déplacé"), std::string::npos) << moved.body;
  EXPECT_NE(moved.body.find("mardi 2 juin 2026 10:30"), std::string::npos) << moved.body;
  EXPECT_EQ(world_.Query("SELECT slot_id FROM booking.appointments"), target);
}

TEST_F(Pages, LostAccessIsQueuedForTheContactOnFileWithTheSameAnswerEitherWay) {
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &a)));
  HttpReply page = Get("/acces");
  ASSERT_EQ(page.status, 200) << page.body;
  const std::vector<std::string> cookies = CookiesOf(page);
  const std::string csrf = Hidden(page.body, "csrf");
  HttpReply known = PostForm("/acces", {{"csrf", csrf}, {"identifier", a.reference()}}, cookies);
  ASSERT_EQ(known.status, 200) << known.body;
  HttpReply unknown =
      PostForm("/acces", {{"csrf", csrf}, {"identifier", "inconnu@example.org"}}, cookies);
  ASSERT_EQ(unknown.status, 200) << unknown.body;
  EXPECT_NE(known.body.find("Demande enregistrée"), std::string::npos);
  EXPECT_NE(unknown.body.find("Demande enregistrée"), std::string::npos) << "the same answer";
  EXPECT_EQ(PostForm("/acces", {{"csrf", csrf}, {"identifier", "06 12 34 56 78"}}, cookies).status,
            200);
  EXPECT_EQ(world_.Query("SELECT string_agg(kind, ',' ORDER BY id) FROM notify.access_requests"),
            "reference,email,phone");

  HttpReply empty = PostForm("/acces", {{"csrf", csrf}, {"identifier", ""}}, cookies);
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_NE(empty.body.find("Indiquez une référence"), std::string::npos) << empty.body;
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM notify.access_requests"), 3);
}

TEST_F(Pages, TheDesignSystemIsServedAndNothingElse) {
  HttpReply css = Get("/dsfr/dsfr.min.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.Header("content-type"), "text/css; charset=utf-8");
  EXPECT_GT(css.body.size(), 100000u);
  EXPECT_EQ(Get("/static/app.css").status, 200);
  EXPECT_EQ(Get("/static/../../etc/passwd").status, 404);
  EXPECT_EQ(Get("/dsfr/package.json").status, 404);
  EXPECT_EQ(Get("/nothing/here").status, 404);
}

}  // namespace
}  // namespace accueil::testing
