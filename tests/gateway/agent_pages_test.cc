// Agents' sign-in and the lodge and counter pages over real HTTP, signing in
// through the real development issuer (OpenID Connect code flow with PKCE),
// in front of access, booking, reception and notify on PostgreSQL: the
// session cookie, its refresh and its end; pages refused by the server to a
// role or site the agent lacks; the lodge checking people in (typed, from
// the day's list, late with a reason), walk-ins and the queue; a counter
// opened, calling, receiving and finishing, with the person's no-shows.
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "tests/reception/reception_fixture.h"
#include "tests/support/http_client.h"
#include "tests/support/smtp_sink.h"

namespace accueil::testing {
namespace {

// Agents sign in through the development issuer; notify sends e-mails to
// the SMTP test server (a counter's notices).
TestServerOptions WithDevIssuer(const SmtpSink& smtp) {
  TestServerOptions options;
  options.dev_issuer = true;
  options.settings = {{"notify_smtp_url", smtp.url()},
                      {"notify_mail_from", "ne-pas-repondre@pref.test"}};
  return options;
}

// Query: the query string of a URL ("" when none).
std::string QueryOf(const std::string& url) {
  const size_t q = url.find('?');
  return q == std::string::npos ? "" : url.substr(q + 1);
}

// TextBetween: the text between `before` and the next `until` in `html`.
std::string TextBetween(const std::string& html, const std::string& before,
                        const std::string& until) {
  const size_t at = html.find(before);
  if (at == std::string::npos) return "";
  const size_t from = at + before.size();
  return html.substr(from, html.find(until, from) - from);
}

class AgentPages : public ::testing::Test {
 protected:
  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", server().port_of("gateway_listen"), path);
  }
  TestServer& server() { return world_.booking.server(); }
  std::string Site() { return absl::StrCat(IdOf(world_.desk.site.name())); }

  HttpReply Open(const std::string& path) {
    HttpCall call;
    call.url = absl::StartsWith(path, "http") ? path : Url(path);
    call.headers = CookieHeader();
    HttpReply reply = Fetch(call);
    Keep(reply);
    if (std::string csrf = HiddenField(reply.body, "csrf"); !csrf.empty()) csrf_ = csrf;
    return reply;
  }
  HttpReply Post(const std::string& path, std::vector<std::pair<std::string, std::string>> fields) {
    fields.emplace_back("csrf", csrf_);
    HttpReply reply = FormPost(Url(path), fields, CookieHeader());
    Keep(reply);
    if (std::string csrf = HiddenField(reply.body, "csrf"); !csrf.empty()) csrf_ = csrf;
    return reply;
  }
  // Keep: the cookies a browser would send next (an expired one is dropped).
  void Keep(const HttpReply& reply) {
    for (const std::string& line : reply.cookie_lines) {
      const std::string pair = line.substr(0, line.find(';'));
      const std::string name = pair.substr(0, pair.find('='));
      if (absl::StrContains(line, "Max-Age=0")) {
        jar_.erase(name);
      } else {
        jar_[name] = pair;
      }
    }
  }
  std::vector<std::string> CookieHeader() {
    if (jar_.empty()) return {};
    std::string header = "Cookie: ";
    for (const auto& [name, cookie] : jar_) header += cookie + "; ";
    return {header};
  }
  static std::string CookieLine(const HttpReply& reply, const std::string& name) {
    for (const std::string& line : reply.cookie_lines) {
      if (absl::StartsWith(line, name + "=")) return line;
    }
    return "";
  }
  static bool Has(const HttpReply& reply, const std::string& text) {
    return reply.body.find(text) != std::string::npos;
  }

  // SignIn: the agent page `back`, the identity provider's form answered
  // as `subject` with `role` on `site`, and back. Returns the answer of the
  // return to the gateway.
  HttpReply SignIn(const std::string& subject, const std::string& role, const std::string& site,
                   const std::string& back = "/agent") {
    HttpReply start = Open("/agent/connexion?retour=" + back);
    EXPECT_EQ(start.status, 303) << start.body;
    const std::string authorize = start.Header("location");
    EXPECT_TRUE(absl::StartsWith(authorize, server().issuer() + "/authorize?")) << authorize;
    EXPECT_TRUE(absl::StrContains(authorize, "code_challenge_method=S256")) << authorize;
    HttpCall approve;
    approve.method = "POST";
    approve.url = server().issuer() + "/authorize";
    approve.headers = {"Content-Type: application/x-www-form-urlencoded"};
    approve.body =
        absl::StrCat(QueryOf(authorize), "&subject=", subject, "&role=", role,
                     "&site=", absl::StrReplaceAll(site, {{"/", "%2F"}}), "&decision=allow");
    HttpReply approved = Fetch(approve);
    EXPECT_EQ(approved.status, 302) << approved.body;
    return Open(approved.Header("location"));
  }

  std::unique_ptr<SmtpSink> smtp_ = SmtpSink::Start();
  ReceptionWorld world_{3, 1, WithDevIssuer(*smtp_)};  // 2 June 09:00 Paris; 09:00, 09:30, 10:00
  std::map<std::string, std::string> jar_;
  std::string csrf_;
};

TEST_F(AgentPages, SignInThroughTheProviderKeepsASessionCookieAndItsRefresh) {
  // Signed out: the sign-in page, and an agent page is refused (401) with it.
  HttpReply signed_out = Open("/agent");
  EXPECT_EQ(signed_out.status, 200) << signed_out.body;
  EXPECT_TRUE(Has(signed_out, "href=\"/agent/connexion?retour=%2Fagent\"")) << signed_out.body;
  HttpReply refused = Open("/agent/loge/" + Site());
  EXPECT_EQ(refused.status, 401);
  EXPECT_TRUE(Has(refused, "id=\"sign-in\"")) << refused.body;

  // A return without the sign-in this browser started is refused.
  HttpReply forged = Open("/agent/retour?code=abc&state=xyz");
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_TRUE(Has(forged, "SIGN_IN_FAILED")) << forged.body;
  EXPECT_EQ(jar_.count("accueil_session"), 0u);

  HttpReply back =
      SignIn("lodge-7", "LODGE_AGENT", world_.desk.site.name(), "/agent/loge/" + Site());
  ASSERT_EQ(back.status, 303) << back.body;
  EXPECT_EQ(back.Header("location"), "/agent/loge/" + Site());
  const std::string cookie = CookieLine(back, "accueil_session");
  EXPECT_TRUE(absl::StrContains(cookie, "HttpOnly")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "SameSite=Lax")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "Path=/agent")) << cookie;
  // Sealed: neither the subject nor the token shows through.
  EXPECT_FALSE(absl::StrContains(cookie, "lodge-7")) << cookie;
  EXPECT_FALSE(absl::StrContains(cookie, "eyJ")) << cookie;
  // The code is single use: the same return again starts nothing.
  EXPECT_EQ(jar_.count("accueil_signin"), 0u);

  HttpReply home = Open("/agent");
  ASSERT_EQ(home.status, 200) << home.body;
  EXPECT_TRUE(Has(home, "id=\"agent-subject\">lodge-7<")) << home.body;
  EXPECT_TRUE(Has(home, "href=\"/agent/loge/" + Site() + "\"")) << home.body;
  EXPECT_FALSE(Has(home, "/agent/guichet/")) << home.body;

  // A cookie altered by one character is no session.
  std::string saved = jar_["accueil_session"];
  std::string tampered = saved;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  jar_["accueil_session"] = tampered;
  EXPECT_EQ(Open("/agent/loge/" + Site()).status, 401);
  jar_["accueil_session"] = saved;

  // Seven hours 59 on, the token is refreshed (a new cookie), the page shows.
  server().clock().Advance(absl::Hours(7) + absl::Minutes(59));
  HttpReply refreshed = Open("/agent/loge/" + Site());
  EXPECT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_FALSE(CookieLine(refreshed, "accueil_session").empty());
  EXPECT_NE(jar_["accueil_session"], saved);
  // A copy of the old cookie (its refresh token spent by that refresh, so
  // refused by the provider) serves while its token lasts, then signs
  // nobody in.
  jar_["accueil_session"] = saved;
  HttpReply spent = Open("/agent/loge/" + Site());
  EXPECT_EQ(spent.status, 200) << spent.body;
  EXPECT_TRUE(CookieLine(spent, "accueil_session").empty()) << "no new cookie";
  server().clock().Advance(absl::Minutes(2));
  EXPECT_EQ(Open("/agent/loge/" + Site()).status, 401);

  // Signing out ends the session.
  SignIn("lodge-7", "LODGE_AGENT", world_.desk.site.name());
  ASSERT_EQ(Open("/agent").status, 200);
  HttpReply out = Post("/agent/deconnexion", {});
  EXPECT_EQ(out.status, 303) << out.body;
  EXPECT_EQ(out.Header("location"), "/agent");
  EXPECT_EQ(jar_.count("accueil_session"), 0u);
  EXPECT_EQ(Open("/agent/loge/" + Site()).status, 401);

  // Twelve hours after a sign-in the session is over, refresh or not.
  SignIn("lodge-7", "LODGE_AGENT", world_.desk.site.name());
  server().clock().Advance(absl::Hours(12));
  EXPECT_EQ(Open("/agent/loge/" + Site()).status, 401);
}

TEST_F(AgentPages, PagesARoleOrSiteDoesNotAllowAreRefusedByTheServer) {
  ASSERT_EQ(SignIn("lodge-8", "LODGE_AGENT", world_.desk.site.name()).status, 303);
  // The counter pages, and the lodge of another site.
  EXPECT_EQ(Open("/agent/guichet/" + Site()).status, 403);
  EXPECT_EQ(Open("/agent/guichet/" + Site() + "/1").status, 403);
  HttpReply other = Open("/agent/loge/999");
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_TRUE(Has(other, "Page réservée"));
  // A form posted there acts on nothing.
  Open("/agent");
  HttpReply posted = Post("/agent/guichet/" + Site() + "/1", {{"action", "appeler"}});
  EXPECT_EQ(posted.status, 403);
  // A form without the CSRF token is refused before anything happens.
  HttpReply no_csrf = FormPost(
      Url("/agent/loge/" + Site()),
      {{"action", "arrivee"}, {"saisie", world_.appointments[0].reference()}}, CookieHeader());
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 0);

  // The administrator revokes the role: the next page is refused, though
  // the session and its token are still valid.
  world_.booking.Query(
      "UPDATE access.role_bindings SET revoke_time = now() WHERE subject = 'lodge-8'");
  EXPECT_EQ(Open("/agent/loge/" + Site()).status, 403);
  HttpReply home = Open("/agent");
  EXPECT_TRUE(Has(home, "aucun rôle")) << home.body;
}

TEST_F(AgentPages, TheLodgeChecksPeopleInRegistersWalkInsAndShowsTheQueue) {
  ASSERT_EQ(SignIn("lodge-9", "LODGE_AGENT", world_.desk.site.name()).status, 303);
  const std::string lodge = "/agent/loge/" + Site();
  HttpReply page = Open(lodge);
  ASSERT_EQ(page.status, 200) << page.body;
  for (const v1::Appointment& a : world_.appointments) {
    EXPECT_TRUE(Has(page, ">" + a.reference() + "<")) << a.reference();
  }
  EXPECT_TRUE(Has(page, "Personne n'attend.")) << page.body;

  // Forgiving search: the family name in lower case, a reference in lower
  // case (only its appointment), a name nobody has.
  const std::string family = world_.appointments[1].person().family_name();
  HttpReply by_name = Open(lodge + "?q=" + absl::AsciiStrToLower(family));
  EXPECT_TRUE(Has(by_name, ">" + world_.appointments[1].reference() + "<")) << by_name.body;
  HttpReply found = Open(lodge + "?q=" + absl::AsciiStrToLower(world_.appointments[1].reference()));
  EXPECT_TRUE(Has(found, ">" + world_.appointments[1].reference() + "<")) << found.body;
  EXPECT_FALSE(Has(found, ">" + world_.appointments[0].reference() + "<")) << found.body;
  HttpReply nobody = Open(lodge + "?q=Zwyrtkowski");
  EXPECT_TRUE(Has(nobody, "id=\"day-empty\"")) << nobody.body;

  // Typed (lower case, as a scanner might) and from the list's button.
  HttpReply typed =
      Post(lodge, {{"action", "arrivee"},
                   {"saisie", absl::AsciiStrToLower(world_.appointments[0].reference())},
                   {"request_id", std::string(32, 'a')}});
  ASSERT_EQ(typed.status, 200) << typed.body;
  const std::string first = world_.booking.Query("SELECT ticket FROM reception.visits");
  EXPECT_TRUE(Has(typed, "id=\"ticket\" dir=\"ltr\">" + first + "<")) << typed.body;
  EXPECT_TRUE(Has(typed, "<td dir=\"ltr\">" + first)) << "the queue shows the ticket";
  // The same form again (a double click) makes no second visit.
  Post(lodge, {{"action", "arrivee"},
               {"saisie", world_.appointments[0].reference()},
               {"request_id", std::string(32, 'a')}});
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 1);

  // The QR code's token, as the handheld scanner types it.
  HttpReply scanned = Post(lodge, {{"action", "arrivee"},
                                   {"saisie", world_.appointments[1].check_in_token()},
                                   {"request_id", std::string(32, 'b')}});
  ASSERT_EQ(scanned.status, 200) << scanned.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 2);

  // Late: the decision is asked, with its reason; without one, nothing.
  world_.booking.clock().Set(kJune2Opening + absl::Hours(2));
  HttpReply late = Post(lodge, {{"action", "arrivee"},
                                {"saisie", world_.appointments[2].reference()},
                                {"request_id", std::string(32, 'c')}});
  EXPECT_EQ(late.status, 400) << late.body;
  EXPECT_TRUE(Has(late, "ARRIVAL_LATE")) << late.body;
  EXPECT_TRUE(Has(late, "id=\"late-form\"")) << late.body;
  HttpReply no_reason = Post(lodge, {{"action", "arrivee"},
                                     {"late", "yes"},
                                     {"saisie", world_.appointments[2].reference()},
                                     {"request_id", std::string(32, 'd')}});
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  EXPECT_TRUE(Has(no_reason, "AGENT_REASON_REQUIRED")) << no_reason.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 2);
  HttpReply admitted = Post(lodge, {{"action", "arrivee"},
                                    {"late", "yes"},
                                    {"motif", "grève des bus"},
                                    {"saisie", world_.appointments[2].reference()},
                                    {"request_id", std::string(32, 'e')}});
  ASSERT_EQ(admitted.status, 200) << admitted.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits WHERE late"), 1);
  server().AwaitAudit();
  EXPECT_EQ(world_.booking.Query("SELECT reason FROM access.audit_log WHERE method LIKE "
                                 "'%CheckInVisitor' AND reason <> '' LIMIT 1"),
            "grève des bus");

  // A walk-in, with its outcome; one without an outcome is refused.
  HttpReply walk_in = Post(lodge, {{"action", "sans-rdv"},
                                   {"guichet", world_.desk.desk.name()},
                                   {"objet", "renouvellement de titre"},
                                   {"issue", "recu"},
                                   {"request_id", std::string(32, 'f')}});
  ASSERT_EQ(walk_in.status, 200) << walk_in.body;
  EXPECT_TRUE(Has(walk_in, "id=\"walkin-done\"")) << walk_in.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 4);
  HttpReply no_outcome = Post(
      lodge, {{"action", "sans-rdv"}, {"objet", "question"}, {"request_id", std::string(32, '1')}});
  EXPECT_EQ(no_outcome.status, 400) << no_outcome.body;
  EXPECT_TRUE(Has(no_outcome, "INVALID_OUTCOME")) << no_outcome.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.walk_ins"), 1);
}

TEST_F(AgentPages, TheLodgeFindsAPersonByPhoneAndGivesANewAccessCodeWithAReason) {
  ASSERT_EQ(SignIn("lodge-10", "LODGE_AGENT", world_.desk.site.name()).status, 303);
  const std::string lodge = "/agent/loge/" + Site();
  ASSERT_EQ(Open(lodge).status, 200);
  // Without the reason: refused, nothing read.
  HttpReply no_reason = Post(lodge, {{"action", "recherche"}, {"personne", "06 10 00 00 03"}});
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  EXPECT_TRUE(Has(no_reason, "AGENT_REASON_REQUIRED")) << no_reason.body;
  // The phone as the person says it.
  HttpReply found = Post(
      lodge,
      {{"action", "recherche"}, {"personne", "06 10 00 00 03"}, {"motif", "code d'accès perdu"}});
  ASSERT_EQ(found.status, 200) << found.body;
  const v1::Appointment& person = world_.appointments[2];
  EXPECT_TRUE(Has(found, "<td dir=\"ltr\">" + person.reference() + "</td>")) << found.body;
  HttpReply reset = Post(lodge, {{"action", "code"},
                                 {"rendez_vous", person.name()},
                                 {"motif", "code d'accès perdu"},
                                 {"request_id", std::string(32, '2')}});
  ASSERT_EQ(reset.status, 200) << reset.body;
  const std::string code = TextBetween(reset.body, "<strong id=\"new-code\" dir=\"ltr\">", "<");
  ASSERT_FALSE(code.empty()) << reset.body;
  EXPECT_NE(code, person.access_code());
  // The old code no longer opens the appointment; the new one does.
  auto public_stub = server().BookingStub();
  v1::GetAppointmentRequest get;
  get.set_reference(person.reference());
  get.set_access_code(person.access_code());
  v1::Appointment out;
  {
    grpc::ClientContext context;
    EXPECT_FALSE(public_stub->GetAppointment(&context, get, &out).ok());
  }
  get.set_access_code(code);
  {
    grpc::ClientContext context;
    EXPECT_TRUE(RpcOk(public_stub->GetAppointment(&context, get, &out)));
  }
  // Both acts are audited with the agent's reason.
  server().AwaitAudit();
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM access.audit_log WHERE (method LIKE "
                                    "'%SearchAppointments' OR method LIKE '%ResetAccessCode') AND "
                                    "outcome = 'OK' AND reason = 'code d''accès perdu'"),
            2);
}

TEST_F(AgentPages, ACounterOpensCallsReceivesAndFinishes) {
  // A counter the administrator made, closed.
  rv1::CreateCounterRequest create;
  create.mutable_counter()->set_site(world_.desk.site.name());
  create.mutable_counter()->set_display_name("Guichet 4");
  create.mutable_counter()->add_desks(world_.desk.desk.name());
  rv1::Counter counter;
  ASSERT_TRUE(
      RpcOk(CallOn(world_.admin(), &rv1::ReceptionService::Stub::CreateCounter, create, &counter)));
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world_.CheckIn(world_.appointments[0].reference(), &visit)));

  ASSERT_EQ(SignIn("counter-4", "COUNTER_AGENT", world_.desk.site.name()).status, 303);
  HttpReply list = Open("/agent/guichet/" + Site());
  ASSERT_EQ(list.status, 200) << list.body;
  const std::string path = absl::StrCat("/agent/guichet/", Site(), "/", IdOf(counter.name()));
  EXPECT_TRUE(Has(list, "href=\"" + path + "\"")) << list.body;
  // The lodge is not this agent's.
  EXPECT_EQ(Open("/agent/loge/" + Site()).status, 403);

  HttpReply closed = Open(path);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_TRUE(Has(closed, "id=\"open-form\"")) << closed.body;
  // Calling before opening is refused with the reason.
  HttpReply early = Post(path, {{"action", "appeler"}, {"request_id", std::string(32, '2')}});
  EXPECT_EQ(early.status, 400) << early.body;
  EXPECT_TRUE(Has(early, "COUNTER_NOT_OPEN")) << early.body;

  HttpReply opened = Post(path, {{"action", "ouvrir"},
                                 {"guichets", world_.desk.desk.name()},
                                 {"request_id", std::string(32, '3')}});
  ASSERT_EQ(opened.status, 200) << opened.body;
  EXPECT_TRUE(Has(opened, "id=\"call-form\"")) << opened.body;

  HttpReply called = Post(path, {{"action", "appeler"}, {"request_id", std::string(32, '4')}});
  ASSERT_EQ(called.status, 200) << called.body;
  EXPECT_TRUE(Has(called, "id=\"current-ticket\" dir=\"ltr\">" + visit.ticket() + "<"))
      << called.body;
  EXPECT_TRUE(Has(called, world_.appointments[0].reference())) << called.body;
  EXPECT_TRUE(Has(called, "(information, jamais une sanction) : 0")) << called.body;
  const std::string visit_name = visit.name();

  // A transfer to the same desk is refused and changes nothing.
  HttpReply same = Post(path, {{"action", "transferer"},
                               {"visit", visit_name},
                               {"guichet", world_.desk.desk.name()},
                               {"request_id", std::string(32, '5')}});
  EXPECT_EQ(same.status, 400) << same.body;
  EXPECT_TRUE(Has(same, "SAME_DESK")) << same.body;

  HttpReply recalled = Post(
      path, {{"action", "rappeler"}, {"visit", visit_name}, {"request_id", std::string(32, '6')}});
  ASSERT_EQ(recalled.status, 200) << recalled.body;
  EXPECT_TRUE(Has(recalled, "(2 appel(s))")) << recalled.body;
  HttpReply started = Post(
      path, {{"action", "commencer"}, {"visit", visit_name}, {"request_id", std::string(32, '7')}});
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_TRUE(Has(started, "id=\"finish-form\"")) << started.body;
  EXPECT_EQ(world_.AppointmentStatus(world_.appointments[0]), "in_service");

  // A notice to the person needs a reason; missing documents are for an
  // appointment to come, not this one; the permit ready goes.
  HttpReply no_reason = Post(path, {{"action", "avis"},
                                    {"appointment", world_.appointments[0].name()},
                                    {"avis", "titre"},
                                    {"request_id", std::string(32, '8')}});
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  EXPECT_TRUE(Has(no_reason, "AGENT_REASON_REQUIRED")) << no_reason.body;
  HttpReply not_booked = Post(path, {{"action", "avis"},
                                     {"appointment", world_.appointments[0].name()},
                                     {"avis", "pieces"},
                                     {"motif", "justificatif de domicile absent"},
                                     {"request_id", std::string(32, 'c')}});
  EXPECT_EQ(not_booked.status, 400) << not_booked.body;
  EXPECT_TRUE(Has(not_booked, "NOT_BOOKED")) << not_booked.body;
  HttpReply notice = Post(path, {{"action", "avis"},
                                 {"appointment", world_.appointments[0].name()},
                                 {"avis", "titre"},
                                 {"motif", "titre reçu en préfecture"},
                                 {"request_id", std::string(32, '9')}});
  ASSERT_EQ(notice.status, 200) << notice.body;
  EXPECT_GE(world_.booking.QueryInt("SELECT count(*) FROM notify.messages WHERE template = "
                                    "'permit_ready'"),
            1);

  HttpReply finished = Post(path, {{"action", "terminer"},
                                   {"visit", visit_name},
                                   {"issue", "servi"},
                                   {"request_id", std::string(32, 'a')}});
  ASSERT_EQ(finished.status, 200) << finished.body;
  EXPECT_TRUE(Has(finished, "id=\"call-form\"")) << finished.body;
  EXPECT_EQ(world_.AppointmentStatus(world_.appointments[0]), "fulfilled");
  EXPECT_EQ(world_.booking.Query(
                absl::StrCat("SELECT status FROM reception.visits WHERE id = ", IdOf(visit_name))),
            "done");

  HttpReply closing = Post(path, {{"action", "fermer"}, {"request_id", std::string(32, 'b')}});
  ASSERT_EQ(closing.status, 200) << closing.body;
  EXPECT_TRUE(Has(closing, "id=\"open-form\"")) << closing.body;
}

TEST_F(AgentPages, TheQualityOfficerSetsObjectivesEntersValuesPublishesAndDownloads) {
  ASSERT_EQ(SignIn("qualite-1", "QUALITY_OFFICER", world_.desk.site.name()).status, 303);
  const std::string quality = "/agent/qualite/" + Site();
  EXPECT_TRUE(Has(Open("/agent"), "href=\"" + quality + "\""));
  // The lodge is not the quality officer's.
  EXPECT_EQ(Open("/agent/loge/" + Site()).status, 403);

  HttpReply page = Open(quality);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Has(page, "id=\"row-noshow_rate\"")) << page.body;
  EXPECT_TRUE(Has(page, "<th scope=\"col\">2026-06</th>")) << "this month, in the site's zone";
  EXPECT_TRUE(Has(page, "<th scope=\"col\">2025-07</th>")) << "and the eleven before";
  size_t charts = 0;
  for (size_t at = 0;
       (at = page.body.find("<svg class=\"accueil-chart\"", at)) != std::string::npos; ++at) {
    ++charts;
  }
  EXPECT_EQ(charts, 4u) << "no-shows, booking delay, waiting time, people received";

  // An objective: at most 10.5 % of no-shows (a French decimal comma).
  HttpReply aimed = Post(quality, {{"action", "objectif"},
                                   {"indicateur", "noshow_rate"},
                                   {"sens", "max"},
                                   {"valeur", "10,5"},
                                   {"request_id", std::string(32, 'a')}});
  ASSERT_EQ(aimed.status, 200) << aimed.body;
  EXPECT_TRUE(Has(aimed, "≤ 10,5 %")) << aimed.body;
  EXPECT_EQ(world_.booking.Query("SELECT value || ' ' || direction FROM metrics.objectives"),
            "10.5 at_most");
  // Not a number: said, nothing recorded.
  HttpReply wrong = Post(quality, {{"action", "objectif"},
                                   {"indicateur", "wait_mean"},
                                   {"sens", "max"},
                                   {"valeur", "dix"},
                                   {"request_id", std::string(32, 'b')}});
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  EXPECT_TRUE(Has(wrong, "INVALID_VALUE")) << wrong.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM metrics.objectives"), 1);

  // A manual indicator for May, then May published; again without a reason
  // is refused, with one after a correction it is a restatement.
  HttpReply entered = Post(quality, {{"action", "saisie"},
                                     {"indicateur", "calls_answered_rate"},
                                     {"mois", "2026-05"},
                                     {"valeur", "89.7"},
                                     {"request_id", std::string(32, 'c')}});
  ASSERT_EQ(entered.status, 200) << entered.body;
  EXPECT_TRUE(Has(entered, "89,7 %")) << entered.body;
  HttpReply published = Post(
      quality, {{"action", "publier"}, {"mois", "2026-05"}, {"request_id", std::string(32, 'd')}});
  ASSERT_EQ(published.status, 200) << published.body;
  EXPECT_TRUE(Has(published, "Mois 2026-05 publié.")) << published.body;
  EXPECT_TRUE(Has(published, "publié</span>")) << published.body;
  Post(quality, {{"action", "saisie"},
                 {"indicateur", "calls_answered_rate"},
                 {"mois", "2026-05"},
                 {"valeur", "91"},
                 {"request_id", std::string(32, 'e')}});
  HttpReply again = Post(
      quality, {{"action", "publier"}, {"mois", "2026-05"}, {"request_id", std::string(32, 'f')}});
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_TRUE(Has(again, "MONTH_ALREADY_PUBLISHED")) << again.body;
  EXPECT_TRUE(Has(again, "publié : 89,7 %")) << "the published value, until published again";
  HttpReply restated = Post(quality, {{"action", "publier"},
                                      {"mois", "2026-05"},
                                      {"motif", "appels du standard recomptés"},
                                      {"request_id", std::string(32, '1')}});
  ASSERT_EQ(restated.status, 200) << restated.body;
  EXPECT_TRUE(Has(restated, "1 valeur(s) rectifiée(s)")) << restated.body;

  // The CSV: a line per indicator and month.
  HttpReply csv = Open(quality + "/indicateurs.csv?du=2026-04&au=2026-05");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(csv.Header("content-disposition"), "attachment"))
      << csv.Header("content-disposition");
  EXPECT_TRUE(absl::StartsWith(csv.body, "indicator,title,unit,month,value,")) << csv.body;
  EXPECT_TRUE(
      absl::StrContains(csv.body, "calls_answered_rate,\"Appels aboutis\",percent,2026-05,91,"))
      << csv.body;
  EXPECT_TRUE(absl::StrContains(csv.body, ",yes,91\r\n")) << csv.body;
  EXPECT_FALSE(absl::StrContains(csv.body, "2026-06")) << "only the months asked";
}

TEST_F(AgentPages, TheAdministratorClosesADayManagesDevicesAndRolesAndReadsTheAudit) {
  ASSERT_EQ(SignIn("admin-2", "ADMINISTRATOR", world_.desk.site.name()).status, 303);
  const std::string admin = "/agent/admin/" + Site();
  EXPECT_TRUE(Has(Open("/agent"), "href=\"" + admin + "\""));
  HttpReply page = Open(admin);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Has(page, world_.desk.desk.display_name())) << page.body;
  EXPECT_TRUE(Has(page, "mardi 09:00-19:00")) << page.body;

  // A day that does not parse changes nothing.
  HttpReply bad = Post(admin, {{"action", "fermer"},
                               {"guichet", world_.desk.desk.name()},
                               {"jour", "2 juin"},
                               {"motif", "grève"},
                               {"request_id", std::string(32, 'a')}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(Has(bad, "INVALID_DATE")) << bad.body;
  // Today closed: its three appointments cancelled, each person told.
  HttpReply closed = Post(admin, {{"action", "fermer"},
                                  {"guichet", world_.desk.desk.name()},
                                  {"jour", "2026-06-02"},
                                  {"motif", "mouvement social"},
                                  {"request_id", std::string(32, 'b')}});
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_TRUE(Has(closed, "Fermé le mardi 2 juin 2026 (mouvement social)")) << closed.body;
  EXPECT_EQ(world_.booking.QueryInt(
                "SELECT count(*) FROM booking.appointments WHERE status = 'cancelled'"),
            3);
  // The people still to come (09:30, 10:00) are told; the 09:00 one starts
  // now, and no message goes after the start.
  const std::string told = absl::StrCat(
      "SELECT count(DISTINCT appointment_id) FROM notify.messages WHERE template = 'closure' "
      "AND appointment_id IN (",
      IdOf(world_.appointments[1].name()), ",", IdOf(world_.appointments[2].name()), ")");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (world_.booking.QueryInt(told) < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(world_.booking.QueryInt(told), 2) << "each person to come is told of the closure";

  // A display's token: shown once, then revoked.
  HttpReply device = Post(
      admin,
      {{"action", "appareil"}, {"nom", "Écran salle B"}, {"request_id", std::string(32, 'c')}});
  ASSERT_EQ(device.status, 200) << device.body;
  EXPECT_TRUE(Has(device, "<code id=\"new-token\" dir=\"ltr\">dt1.")) << device.body;
  EXPECT_FALSE(Has(Open(admin), "new-token")) << "shown once";
  const std::string device_name =
      "devices/" + world_.booking.Query("SELECT id FROM access.device_tokens LIMIT 1");
  HttpReply revoked = Post(
      admin,
      {{"action", "revoquer"}, {"appareil", device_name}, {"request_id", std::string(32, 'd')}});
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(Has(revoked, "révoqué le")) << revoked.body;

  // A role given on the site, then taken back.
  HttpReply granted = Post(admin, {{"action", "role"},
                                   {"sujet", "nouvel.agent"},
                                   {"role", "LODGE_AGENT"},
                                   {"request_id", std::string(32, 'e')}});
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM access.role_bindings WHERE subject = "
                                    "'nouvel.agent' AND revoke_time IS NULL"),
            1);
  const std::string binding = "roleBindings/" + world_.booking.Query(
                                                    "SELECT id FROM access.role_bindings WHERE "
                                                    "subject = 'nouvel.agent'");
  HttpReply taken = Post(
      admin, {{"action", "retirer"}, {"liaison", binding}, {"request_id", std::string(32, 'f')}});
  ASSERT_EQ(taken.status, 200) << taken.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM access.role_bindings WHERE subject = "
                                    "'nouvel.agent' AND revoke_time IS NULL"),
            0);

  // The audit log shows what the administrator did.
  server().AwaitAudit();
  HttpReply audit = Open(admin);
  EXPECT_TRUE(Has(audit, "<code>SetOpeningHours</code>")) << audit.body;
  EXPECT_TRUE(Has(audit, "<code>RevokeDeviceToken</code>")) << audit.body;
}

}  // namespace
}  // namespace accueil::testing
