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

  // The queue's section alone, which the page's script fetches to stay
  // live: the four tickets, without the layout; another role's is refused.
  server().AwaitAudit();
  const std::string audit_rows = "SELECT count(*) FROM access.audit_log";
  const int64_t before = world_.booking.QueryInt(audit_rows);
  HttpReply queue = Open("/agent/file/" + Site());
  ASSERT_EQ(queue.status, 200) << queue.body;
  server().AwaitAudit();
  EXPECT_EQ(world_.booking.QueryInt(audit_rows), before + 1) << "one audited call a refresh";
  EXPECT_TRUE(absl::StartsWith(queue.body, "<section")) << queue.body;
  EXPECT_FALSE(Has(queue, "<html")) << queue.body;
  EXPECT_EQ(queue.Header("cache-control"), "no-store");
  const std::string rows = queue.body;
  size_t count = 0;
  for (size_t at = rows.find("<tr><td dir=\"ltr\">"); at != std::string::npos;
       at = rows.find("<tr><td dir=\"ltr\">", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 4u) << queue.body;
  EXPECT_TRUE(Has(Open(lodge), "src=\"/static/queue.js\"")) << "the lodge's page runs it";
  SignIn("quality-9", "QUALITY_OFFICER", world_.desk.site.name());
  EXPECT_EQ(Open("/agent/file/" + Site()).status, 403);
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
  const std::string desk = admin + "/guichet/" + absl::StrCat(IdOf(world_.desk.desk.name()));
  EXPECT_TRUE(Has(Open("/agent"), "href=\"" + admin + "\""));
  HttpReply page = Open(admin);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Has(page, "href=\"" + desk + "\">" + world_.desk.desk.display_name())) << page.body;
  HttpReply desk_page = Open(desk);
  ASSERT_EQ(desk_page.status, 200) << desk_page.body;
  EXPECT_TRUE(Has(desk_page, "name=\"jour_2\" value=\"09:00-19:00\"")) << desk_page.body;

  // A day that does not parse changes nothing.
  HttpReply bad = Post(desk, {{"action", "fermer"},
                              {"jour", "2 juin"},
                              {"motif", "grève"},
                              {"request_id", std::string(32, 'a')}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(Has(bad, "INVALID_DATE")) << bad.body;
  // Today closed: its three appointments cancelled, each person told.
  HttpReply closed = Post(desk, {{"action", "fermer"},
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
  // Reopened: the day's slots are offered again; the cancelled stay so.
  HttpReply reopened = Post(
      desk, {{"action", "rouvrir"}, {"jour", "2026-06-02"}, {"request_id", std::string(32, '1')}});
  ASSERT_EQ(reopened.status, 200) << reopened.body;
  EXPECT_FALSE(Has(reopened, "Fermé le mardi 2 juin 2026")) << reopened.body;
  EXPECT_EQ(world_.booking.QueryInt(
                "SELECT count(*) FROM booking.appointments WHERE status = 'cancelled'"),
            3);
  HttpReply not_closed = Post(
      desk, {{"action", "rouvrir"}, {"jour", "2026-06-03"}, {"request_id", std::string(32, '2')}});
  EXPECT_EQ(not_closed.status, 400) << not_closed.body;
  EXPECT_TRUE(Has(not_closed, "NOT_CLOSED")) << not_closed.body;

  // A display's token: shown once, then revoked.
  HttpReply device = Post(
      admin,
      {{"action", "appareil"}, {"nom", "Écran salle B"}, {"request_id", std::string(32, 'c')}});
  ASSERT_EQ(device.status, 200) << device.body;
  EXPECT_TRUE(Has(device, "<code id=\"new-token\" dir=\"ltr\">dt1.")) << device.body;
  EXPECT_FALSE(Has(Open(admin), "new-token")) << "shown once";
  const std::string device_name =
      "devices/" + world_.booking.Query("SELECT id FROM access.device_tokens LIMIT 1");
  // A device named by the form must be this site's.
  HttpReply elsewhere = Post(admin, {{"action", "revoquer"},
                                     {"appareil", "devices/999999"},
                                     {"request_id", std::string(32, '3')}});
  EXPECT_EQ(elsewhere.status, 400) << elsewhere.body;
  EXPECT_TRUE(Has(elsewhere, "NOT_OF_THIS_SITE")) << elsewhere.body;
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

TEST_F(AgentPages, AnAdministratorOfEverySiteSetsUpASiteItsDesksHoursSlotsAndSettings) {
  ASSERT_EQ(SignIn("admin-all", "ADMINISTRATOR", "").status, 303);
  EXPECT_TRUE(Has(Open("/agent"), "href=\"/agent/admin/nouveau-site\""));
  const int64_t sites = world_.booking.QueryInt("SELECT count(*) FROM booking.sites");

  // A new site: a zone that does not exist is refused, nothing made.
  Open("/agent/admin/nouveau-site");
  HttpReply bad_zone = Post("/agent/admin/nouveau-site", {{"nom", "Sous-préfecture de Test"},
                                                          {"adresse", "1 rue de la Paix"},
                                                          {"fuseau", "Mars/Olympus"},
                                                          {"request_id", std::string(32, 'a')}});
  EXPECT_EQ(bad_zone.status, 400) << bad_zone.body;
  EXPECT_TRUE(Has(bad_zone, "INVALID_TIME_ZONE")) << bad_zone.body;
  EXPECT_TRUE(Has(bad_zone, "value=\"Mars/Olympus\"")) << "what was typed stays";
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM booking.sites"), sites);
  HttpReply made = Post("/agent/admin/nouveau-site", {{"nom", "Sous-préfecture de Test"},
                                                      {"adresse", "1 rue de la Paix"},
                                                      {"fuseau", "Europe/Paris"},
                                                      {"request_id", std::string(32, 'b')}});
  ASSERT_EQ(made.status, 303) << made.body;
  const std::string site = made.Header("location");
  ASSERT_TRUE(absl::StartsWith(site, "/agent/admin/")) << site;
  const std::string site_id = site.substr(std::string("/agent/admin/").size());
  HttpReply site_page = Open(site);
  ASSERT_EQ(site_page.status, 200) << site_page.body;
  EXPECT_TRUE(Has(site_page, "Sous-préfecture de Test")) << site_page.body;
  EXPECT_TRUE(Has(site_page, "id=\"no-desk\"")) << site_page.body;

  // A desk: a number that is no number, then a duration the service
  // refuses, change nothing; then the desk, and its page.
  HttpReply no_number = Post(site, {{"action", "guichet"},
                                    {"nom", "Titres de séjour — renouvellement"},
                                    {"nature", "renouvellement"},
                                    {"duree", "vingt"},
                                    {"capacite", "2"},
                                    {"request_id", std::string(32, 'c')}});
  EXPECT_EQ(no_number.status, 400) << no_number.body;
  EXPECT_TRUE(Has(no_number, "INVALID_NUMBER")) << no_number.body;
  HttpReply too_short = Post(site, {{"action", "guichet"},
                                    {"nom", "Titres de séjour — renouvellement"},
                                    {"nature", "renouvellement"},
                                    {"duree", "3"},
                                    {"capacite", "2"},
                                    {"request_id", std::string(32, 'd')}});
  EXPECT_EQ(too_short.status, 400) << too_short.body;
  EXPECT_TRUE(Has(too_short, "INVALID_SLOT_DURATION")) << too_short.body;
  const std::string in_site = " FROM booking.desks WHERE site_id = " + site_id;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*)" + in_site), 0);
  HttpReply desk_made = Post(site, {{"action", "guichet"},
                                    {"nom", "Titres de séjour — renouvellement"},
                                    {"nature", "renouvellement"},
                                    {"duree", "20"},
                                    {"capacite", "2"},
                                    {"request_id", std::string(32, 'e')}});
  ASSERT_EQ(desk_made.status, 303) << desk_made.body;
  const std::string location = desk_made.Header("location");
  const std::string desk = location.substr(0, location.find('?'));
  const std::string desk_id = world_.booking.Query("SELECT id" + in_site);
  EXPECT_EQ(desk, site + "/guichet/" + desk_id);
  EXPECT_TRUE(Has(Open(location), "Guichet créé"));
  // A desk of another site is not this site's page.
  EXPECT_EQ(Open(site + "/guichet/" + absl::StrCat(IdOf(world_.desk.desk.name()))).status, 404);

  // Its description and its documents per language.
  HttpReply described = Post(desk, {{"action", "description"},
                                    {"nom", "Titres de séjour — renouvellement"},
                                    {"nature", "renouvellement"},
                                    {"duree", "20"},
                                    {"capacite", "2"},
                                    {"delai", "10"},
                                    {"request_id", std::string(32, 'f')}});
  ASSERT_EQ(described.status, 200) << described.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT arrival_grace_seconds" + in_site), 600);
  HttpReply documents =
      Post(desk, {{"action", "consignes"},
                  {"pieces_fr", "Passeport\r\n  Justificatif de domicile  \r\n\r\n"},
                  {"consignes_fr", "Venez avec les originaux."},
                  {"pieces_en", "Passport"},
                  {"request_id", std::string(32, '0')}});
  ASSERT_EQ(documents.status, 200) << documents.body;
  EXPECT_EQ(world_.booking.Query("SELECT instructions::text" + in_site),
            "[{\"language\": \"fr\", \"documents\": [\"Passeport\", \"Justificatif de "
            "domicile\"], \"instructions\": \"Venez avec les originaux.\"}, {\"language\": "
            "\"en\", \"documents\": [\"Passport\"], \"instructions\": \"\"}]");
  EXPECT_TRUE(Has(documents, "Justificatif de domicile</textarea>")) << documents.body;

  // Its week: a day that does not read is refused and nothing changes.
  std::vector<std::pair<std::string, std::string>> week = {{"action", "horaires"},
                                                           {"jour_1", "9h-12h, 13h30 - 16h30"},
                                                           {"jour_3", "25:00-26:00"},
                                                           {"request_id", std::string(32, '3')}};
  HttpReply bad_hours = Post(desk, week);
  EXPECT_EQ(bad_hours.status, 400) << bad_hours.body;
  EXPECT_TRUE(Has(bad_hours, "INVALID_HOURS")) << bad_hours.body;
  EXPECT_TRUE(Has(bad_hours, "value=\"25:00-26:00\"")) << "what was typed stays";
  week[2].second = "9h à 12h";
  week[3].second = std::string(32, '4');
  HttpReply hours = Post(desk, week);
  ASSERT_EQ(hours.status, 200) << hours.body;
  EXPECT_TRUE(Has(hours, "name=\"jour_1\" value=\"09:00-12:00 13:30-16:30\"")) << hours.body;
  EXPECT_TRUE(Has(hours, "name=\"jour_3\" value=\"09:00-12:00\"")) << hours.body;
  EXPECT_TRUE(Has(hours, "name=\"jour_2\" value=\"\"")) << hours.body;

  // Slots for Monday 8 to Wednesday 10 June: 9 + 9 on Monday, 9 on
  // Wednesday; then a day released later, at a time drawn in a window.
  HttpReply released = Post(desk, {{"action", "creneaux"},
                                   {"du", "2026-06-08"},
                                   {"au", "2026-06-10"},
                                   {"request_id", std::string(32, '5')}});
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_TRUE(Has(released,
                  "27 créneaux créés du lundi 8 juin 2026 au mercredi 10 juin 2026, "
                  "réservables dès maintenant."))
      << released.body;
  HttpReply later = Post(desk, {{"action", "creneaux"},
                                {"du", "2026-06-15"},
                                {"au", "2026-06-15"},
                                {"ouverture", "2026-06-05T08:00"},
                                {"fenetre", "30"},
                                {"request_id", std::string(32, '6')}});
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_TRUE(Has(later, "18 créneaux créés")) << later.body;
  EXPECT_TRUE(Has(later, "réservables à partir du 2026-06-05 08:")) << later.body;
  EXPECT_TRUE(Has(later, "tirée au sort")) << later.body;

  // Reception: a recall count the service refuses changes nothing.
  HttpReply bad_recalls = Post(desk, {{"action", "accueil"},
                                      {"prefixe", "r"},
                                      {"rappels", "9"},
                                      {"fermeture", "17:30"},
                                      {"request_id", std::string(32, '7')}});
  EXPECT_EQ(bad_recalls.status, 400) << bad_recalls.body;
  EXPECT_TRUE(Has(bad_recalls, "INVALID_RECALL_COUNT")) << bad_recalls.body;
  HttpReply reception = Post(desk, {{"action", "accueil"},
                                    {"prefixe", "r"},
                                    {"rappels", "3"},
                                    {"fermeture", "17:30"},
                                    {"request_id", std::string(32, '8')}});
  ASSERT_EQ(reception.status, 200) << reception.body;
  EXPECT_EQ(world_.booking.Query("SELECT concat_ws(' ', ticket_prefix, recall_count, "
                                 "priority_first, closing_time) FROM reception.desk_settings "
                                 "WHERE desk_id = " +
                                 desk_id),
            "R 3 f 17:30:00");

  // Reminders: an SMS in the quiet hours is refused; then the schedule.
  std::vector<std::pair<std::string, std::string>> reminders = {
      {"action", "rappels"},    {"courriel", "oui"},       {"courriel_heures", "24"},
      {"sms", "oui"},           {"sms_jours", "1"},        {"sms_heure", "21:00"},
      {"confirmer_apres", "2"}, {"confirmer_heures", "72"}};
  HttpReply quiet = Post(desk, reminders);
  EXPECT_EQ(quiet.status, 400) << quiet.body;
  EXPECT_TRUE(Has(quiet, "QUIET_HOURS")) << quiet.body;
  reminders[5].second = "18:00";
  HttpReply reminded = Post(desk, reminders);
  ASSERT_EQ(reminded.status, 200) << reminded.body;
  EXPECT_EQ(world_.booking.Query("SELECT concat_ws(' ', email_before, sms_days_before, "
                                 "sms_local_time, confirm_after_noshows, confirm_before) FROM "
                                 "notify.desk_settings WHERE desk_id = " +
                                 desk_id),
            "24:00:00 1 18:00:00 2 72:00:00");
  EXPECT_TRUE(Has(reminded, "id=\"email-on\" name=\"courriel\" value=\"oui\" checked"))
      << reminded.body;

  // A notice in the desk's words: a text that does not fit is refused and
  // stays on the page to be corrected; then kept, then the built-in again.
  std::vector<std::pair<std::string, std::string>> notice = {
      {"action", "avis"},
      {"avis", "PERMIT_READY"},
      {"langue", "fr"},
      {"canal", "SMS"},
      {"texte", "Préfecture : êtes-vous prêt à retirer votre titre ?"}};
  HttpReply unfit = Post(desk, notice);
  EXPECT_EQ(unfit.status, 400) << unfit.body;
  EXPECT_TRUE(Has(unfit, "INVALID_TEMPLATE")) << unfit.body;
  EXPECT_TRUE(Has(unfit, "êtes-vous prêt à retirer votre titre ?</textarea>")) << unfit.body;
  notice[4].second = "Prefecture : votre titre est pret, venez le retirer a {{site}}.";
  HttpReply kept = Post(desk, notice);
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_TRUE(Has(kept, "Texte du guichet (modifié le 2026-06-02 ")) << kept.body;
  EXPECT_EQ(world_.booking.Query("SELECT body FROM notify.notice_texts WHERE desk_id = " + desk_id),
            "Prefecture : votre titre est pret, venez le retirer a {{site}}.");
  notice.emplace_back("origine", "oui");
  HttpReply original = Post(desk, notice);
  ASSERT_EQ(original.status, 200) << original.body;
  EXPECT_TRUE(Has(original, "Texte d&apos;origine rétabli")) << original.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM notify.notice_texts"), 0);

  // A counter for the desk; one serving no desk is refused.
  HttpReply no_desk =
      Post(site, {{"action", "poste"}, {"nom", "Guichet 4"}, {"request_id", std::string(32, '9')}});
  EXPECT_EQ(no_desk.status, 400) << no_desk.body;
  EXPECT_TRUE(Has(no_desk, "INVALID_COUNTER_DESKS")) << no_desk.body;
  HttpReply counter = Post(site, {{"action", "poste"},
                                  {"nom", "Guichet 4"},
                                  {"guichets", "desks/" + desk_id},
                                  {"request_id", std::string(32, 'a')}});
  ASSERT_EQ(counter.status, 200) << counter.body;
  EXPECT_TRUE(Has(counter, "<td>Guichet 4</td><td>Titres de séjour — renouvellement</td>"))
      << counter.body;

  // An administrator of one site creates none.
  SignIn("admin-one", "ADMINISTRATOR", world_.desk.site.name());
  EXPECT_FALSE(Has(Open("/agent"), "nouveau-site"));
  EXPECT_EQ(Open("/agent/admin/nouveau-site").status, 403);
  EXPECT_EQ(Open(desk).status, 403) << "nor sees another site's desk";
}

TEST_F(AgentPages, AnAgentBooksForAPersonAndAnAdministratorAnswersTheirRights) {
  ASSERT_EQ(SignIn("lodge-20", "LODGE_AGENT", world_.desk.site.name()).status, 303);
  const std::string book = "/agent/rdv/" + Site();
  const std::string desk_id = absl::StrCat(IdOf(world_.desk.desk.name()));
  EXPECT_TRUE(Has(Open("/agent"), "href=\"" + book + "\""));
  EXPECT_TRUE(Has(Open("/agent/loge/" + Site()), "href=\"" + book + "\""));
  HttpReply days = Open(book + "?guichet=" + desk_id);
  ASSERT_EQ(days.status, 200) << days.body;
  EXPECT_TRUE(Has(days, "href=\"" + book + "?guichet=" + desk_id + "&amp;jour=2026-06-02\""))
      << days.body;
  const std::string day = book + "?guichet=" + desk_id + "&jour=2026-06-02";
  HttpReply slots = Open(day);
  ASSERT_EQ(slots.status, 200) << slots.body;
  const std::string slot = absl::StrCat(IdOf(world_.desk.slots[5].name()));
  EXPECT_TRUE(Has(slots, "value=\"" + slot + "\"")) << slots.body;

  std::vector<std::pair<std::string, std::string>> person = {{"creneau", slot},
                                                             {"prenom", "Aïcha"},
                                                             {"nom", "Benali"},
                                                             {"telephone", "06 12 34 56 78"},
                                                             {"courriel", ""},
                                                             {"langue", "ar"},
                                                             {"besoin", "aucun"},
                                                             {"accompagnants", "1"},
                                                             {"request_id", std::string(32, 'a')}};
  // Without the agent's reason nothing is booked.
  HttpReply no_reason = Post(day, person);
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  EXPECT_TRUE(Has(no_reason, "AGENT_REASON_REQUIRED")) << no_reason.body;
  EXPECT_TRUE(Has(no_reason, "value=\"Benali\"")) << "what was typed stays";
  const std::string agent_booked =
      "SELECT count(*) FROM booking.appointments WHERE channel = 'agent'";
  EXPECT_EQ(world_.booking.QueryInt(agent_booked), 0);
  person.emplace_back("motif", "Personne à la loge, sans internet");
  HttpReply booked = Post(day, person);
  ASSERT_EQ(booked.status, 200) << booked.body;
  EXPECT_TRUE(Has(booked, "mardi 2 juin 2026 à 11:30")) << booked.body;
  const std::string reference =
      TextBetween(booked.body, "id=\"booked-reference\" dir=\"ltr\">", "<");
  EXPECT_EQ(world_.booking.QueryInt(agent_booked), 1);
  EXPECT_EQ(world_.booking.Query("SELECT reference FROM booking.appointments WHERE channel = "
                                 "'agent'"),
            reference);
  // A second appointment at the desk needs a reason of its own.
  person[0].second = absl::StrCat(IdOf(world_.desk.slots[6].name()));
  person[8].second = std::string(32, 'b');
  HttpReply again = Post(day, person);
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_TRUE(Has(again, "ACTIVE_APPOINTMENT_EXISTS")) << again.body;
  EXPECT_TRUE(Has(again, "id=\"doublon\"")) << again.body;
  person.emplace_back("doublon", "oui");
  person.emplace_back("motif_doublon", "Deux titres à retirer");
  HttpReply second = Post(day, person);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(world_.booking.Query("SELECT override_reason FROM booking.appointments WHERE "
                                 "override_reason IS NOT NULL"),
            "Deux titres à retirer");

  // The person's rights are the administrator's.
  EXPECT_EQ(Open("/agent/personne/" + Site()).status, 403);
  SignIn("admin-20", "ADMINISTRATOR", world_.desk.site.name());
  const std::string rights = "/agent/personne/" + Site();
  ASSERT_EQ(Open(rights).status, 200);
  HttpReply shown = Post(
      rights,
      {{"action", "voir"}, {"personne", "+33612345678"}, {"motif", "Demande d'accès du 1er juin"}});
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_TRUE(Has(shown, "<td dir=\"ltr\">" + reference + "</td>")) << shown.body;
  EXPECT_TRUE(Has(shown, "Aïcha Benali")) << shown.body;
  HttpReply file = Post(rights, {{"action", "telecharger"},
                                 {"personne", "+33612345678"},
                                 {"motif", "Demande d'accès du 1er juin"}});
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_TRUE(absl::StartsWith(file.Header("content-type"), "application/json"));
  EXPECT_TRUE(absl::StrContains(file.Header("content-disposition"), "attachment")) << file.body;
  EXPECT_TRUE(Has(file, "\"reference\": \"" + reference + "\"") ||
              Has(file, "\"reference\":\"" + reference + "\""))
      << file.body;
  // Erasing asks for the confirmation, and waits for the coming
  // appointments to be over.
  HttpReply unconfirmed = Post(rights, {{"action", "effacer"},
                                        {"personne", "+33612345678"},
                                        {"motif", "Demande d'effacement"},
                                        {"request_id", std::string(32, 'c')}});
  EXPECT_EQ(unconfirmed.status, 400) << unconfirmed.body;
  EXPECT_TRUE(Has(unconfirmed, "CONFIRMATION_REQUIRED")) << unconfirmed.body;
  HttpReply active = Post(rights, {{"action", "effacer"},
                                   {"personne", "+33612345678"},
                                   {"motif", "Demande d'effacement"},
                                   {"confirmer", "oui"},
                                   {"request_id", std::string(32, 'd')}});
  EXPECT_TRUE(Has(active, "ACTIVE_APPOINTMENT_EXISTS")) << active.body;
  // The third world person's appointment (10:00) cancelled, theirs is erased.
  v1::Appointment cancelled;
  ASSERT_TRUE(RpcOk(world_.booking.Cancel(world_.appointments[2], &cancelled)));
  HttpReply erased = Post(rights, {{"action", "effacer"},
                                   {"personne", PhoneOf(3)},
                                   {"motif", "Demande d'effacement"},
                                   {"confirmer", "oui"},
                                   {"request_id", std::string(32, 'e')}});
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_TRUE(Has(erased, "Effacé : 1 rendez-vous")) << erased.body;
  server().AwaitAudit();
  EXPECT_GE(world_.booking.QueryInt("SELECT count(*) FROM access.audit_log WHERE reason = "
                                    "'Demande d''accès du 1er juin'"),
            2);
}

}  // namespace
}  // namespace accueil::testing
