#include "services/gateway/agent_pages.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "services/common/errors.h"
#include "services/common/gate.h"
#include "services/common/grpc_status.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"
#include "services/gateway/json_routes.h"
#include "services/gateway/web_text.h"

namespace accueil::gateway {
namespace {

namespace v1 = booking::v1;
namespace rv1 = reception::v1;
using access::v1::Role;

// The words of agents' errors, by reason (the public pages' words speak to
// the person; these to the agent). Others: the public text, then the code.
const std::map<std::string, std::string>& AgentErrors() {
  static const std::map<std::string, std::string> k = {
      {"ARRIVAL_LATE", "Arrivée après le délai de grâce : décidez si la personne est reçue."},
      {"ARRIVAL_TOO_EARLY", "Trop tôt pour ce rendez-vous : la personne doit revenir plus tard."},
      {"ARRIVAL_OTHER_DAY", "Ce rendez-vous n'est pas aujourd'hui."},
      {"APPOINTMENT_NOT_FOUND", "Aucun rendez-vous de ce site ne porte cette référence."},
      {"CHECK_IN_TARGET_REQUIRED", "Tapez une référence ou scannez un QR code."},
      {"AGENT_REASON_REQUIRED", "Indiquez le motif de votre décision."},
      {"QUEUE_EMPTY", "Personne n'attend pour les files de ce guichet."},
      {"COUNTER_NOT_OPEN", "Ce guichet n'est pas ouvert aujourd'hui : ouvrez-le d'abord."},
      {"DAY_CLOSED", "La journée d'accueil de ce site est close."},
      {"DESK_REQUIRED", "Choisissez le guichet de la personne reçue aujourd'hui."},
      {"SAME_DESK", "La personne est déjà dans la file de ce guichet."},
      {"INVALID_OUTCOME", "Choisissez l'issue de l'accueil."},
      {"ILLEGAL_VISIT_TRANSITION", "Ce n'est plus possible pour ce ticket (il a changé d'état)."},
      {"PROVIDER_UNAVAILABLE",
       "Le fournisseur d'identité ne répond pas : réessayez dans un instant."},
      {"SIGN_IN_FAILED", "La connexion n'a pas abouti : recommencez."},
      {"SIGN_IN_REFUSED", "Le fournisseur d'identité a refusé la connexion : recommencez."},
      {"SIGN_IN_NOT_CONFIGURED", "La connexion des agents n'est pas configurée sur ce serveur."},
      {"COUNTER_BUSY", "Ce guichet reçoit déjà quelqu'un : terminez d'abord."},
      {"SIGN_IN_REQUIRED", "Votre session a pris fin : reconnectez-vous."},
      {"NO_CONTACT", "La personne n'a laissé aucun contact par lequel l'avis pourrait partir."},
      {"NO_PROVIDER", "Aucun envoi d'e-mail ni de SMS n'est configuré sur ce serveur."},
      {"NOT_BOOKED",
       "Cet avis ne concerne qu'un rendez-vous à venir (le titre disponible s'envoie toujours)."},
      {"ROLE_REQUIRED", "Votre rôle ne permet pas cette action."},
      {"SITE_NOT_ALLOWED", "Vous n'avez pas de rôle sur ce site."},
  };
  return k;
}

struct Outcome {
  rv1::WalkInOutcome value;
  const char* form;
  const char* label;
};
const std::vector<Outcome>& WalkInOutcomes() {
  static const std::vector<Outcome> k = {
      {rv1::INFORMED, "informe", "Renseignée (information, documents à fournir)"},
      {rv1::ORIENTED, "oriente", "Orientée (point numérique, France Services, autre service)"},
      {rv1::BOOKED_ON_THE_SPOT, "rdv", "Rendez-vous pris sur place"},
      {rv1::SERVED_TODAY, "recu", "Reçue aujourd'hui (un ticket, elle attend son tour)"}};
  return k;
}

struct VisitEnd {
  rv1::VisitOutcome value;
  const char* form;
  const char* label;
};
const std::vector<VisitEnd>& VisitOutcomes() {
  static const std::vector<VisitEnd> k = {
      {rv1::SERVED, "servi", "Demande traitée"},
      {rv1::FILE_INCOMPLETE, "incomplet", "Dossier incomplet"},
      {rv1::REDIRECTED, "oriente", "Orientée vers un autre service"}};
  return k;
}

const char* VisitStatusText(rv1::VisitStatus status) {
  switch (status) {
    case rv1::WAITING:
      return "En attente";
    case rv1::CALLED:
      return "Appelée";
    case rv1::IN_SERVICE:
      return "Reçue au guichet";
    case rv1::DONE:
      return "Terminée";
    case rv1::MISSED:
      return "Absente à l'appel";
    case rv1::LEFT:
      return "Partie";
    case rv1::SENT_AWAY:
      return "Non reçue (journée close)";
    default:
      return "";
  }
}

struct Notice {
  notify::v1::Template value;
  const char* form;
  const char* label;
};
const std::vector<Notice>& Notices() {
  static const std::vector<Notice> k = {
      {notify::v1::PERMIT_READY, "titre", "Titre disponible"},
      {notify::v1::DOCUMENTS_MISSING, "pieces", "Pièces manquantes (rendez-vous à venir)"},
      {notify::v1::CONVOCATION, "convocation", "Convocation (rendez-vous à venir)"}};
  return k;
}

HttpResponse SeeOther(const PageContext& ctx, const std::string& location) {
  HttpResponse response;
  response.status = 303;
  response.headers.emplace_back("Location", location);
  return PageKit::Personal(ctx, std::move(response));
}

}  // namespace

struct AgentPages::Impl : PageKit {
  AgentSessions sessions;
  PathTemplate lodge_path = *ParsePathTemplate("/agent/loge/{site}");
  PathTemplate counters_path = *ParsePathTemplate("/agent/guichet/{site}");
  PathTemplate counter_path = *ParsePathTemplate("/agent/guichet/{site}/{counter}");

  Impl(PagesOptions o, ChannelFor c)
      : PageKit(std::move(o), std::move(c)), sessions(options.sign_in) {}

  template <typename Req, typename Resp>
  absl::Status Reception(const PageContext& ctx,
                         grpc::Status (rv1::ReceptionService::Stub::*method)(grpc::ClientContext*,
                                                                             const Req&, Resp*),
                         const Req& req, Resp* resp) {
    return CallOn<rv1::ReceptionService>(ctx, "reception", method, req, resp);
  }

  // AgentError: what went wrong, for the agent, with the machine's reason.
  std::string AgentError(const PageContext& ctx, const absl::Status& status) const {
    const std::string reason = ErrorReason(status);
    auto it = AgentErrors().find(reason);
    std::string text = it != AgentErrors().end() ? it->second : ErrorText(ctx, status);
    return reason.empty() ? text : absl::StrCat(text, " (", reason, ")");
  }

  // ------------------------------------------------------------ sign-in

  HttpResponse SignInPage(PageContext& ctx, int status, const std::string& error) {
    mustache::data data;
    data.set("back", PercentEncode(ctx.request->method == "GET" ? ctx.request->target
                                                                : std::string("/agent")));
    data.set("enabled", sessions.enabled());
    if (!error.empty()) data.set("error_text", error);
    return Render(ctx, "agent_signin", "Connexion des agents", data, status);
  }

  // ------------------------------------------------------------- rights

  struct Agent {
    access::v1::Caller caller;
    // Holds: `role` on `site` ("sites/N") or on every site.
    bool Holds(Role role, const std::string& site) const {
      for (const access::v1::RoleGrant& g : caller.grants()) {
        if (g.role() == role && (g.site().empty() || g.site() == site)) return true;
      }
      return false;
    }
  };

  absl::StatusOr<Agent> WhoAmI(const PageContext& ctx) {
    Agent agent;
    RETURN_IF_ERROR(CallOn<access::v1::AccessService>(ctx, "access",
                                                      &access::v1::AccessService::Stub::WhoAmI,
                                                      access::v1::WhoAmIRequest(), &agent.caller));
    return agent;
  }

  HttpResponse Refused(PageContext& ctx) {
    mustache::data data;
    data.set("heading", "Page réservée");
    data.set("text",
             "Vos rôles ne donnent pas accès à cette page pour ce site. Demandez-le à un "
             "administrateur si votre travail le nécessite.");
    return Render(ctx, "message", "Page réservée", data, 403);
  }

  // The site of a path, if the agent holds `role` there.
  absl::StatusOr<v1::Site> SiteFor(PageContext& ctx, const Agent& agent, Role role,
                                   const std::string& site_id) {
    if (!Digits(site_id)) return Error(absl::StatusCode::kNotFound, "SITE_NOT_FOUND", "no site");
    const std::string name = absl::StrCat("sites/", site_id);
    if (!agent.Holds(role, name)) {
      return Error(absl::StatusCode::kPermissionDenied, "SITE_NOT_ALLOWED", "not on this site");
    }
    v1::GetSiteRequest req;
    req.set_name(name);
    v1::Site site;
    RETURN_IF_ERROR(Call(ctx, &v1::BookingService::Stub::GetSite, req, &site));
    return site;
  }

  // ---------------------------------------------------------------- home

  HttpResponse Home(PageContext& ctx, const Agent& agent) {
    // Every site for a grant on every site.
    std::vector<v1::Site> all;
    bool every = false;
    for (const access::v1::RoleGrant& g : agent.caller.grants()) every |= g.site().empty();
    if (every) {
      v1::ListSitesRequest req;
      req.set_page_size(100);
      v1::ListSitesResponse sites;
      if (absl::Status s = Call(ctx, &v1::BookingService::Stub::ListSites, req, &sites); !s.ok()) {
        return Failure(ctx, s);
      }
      all.assign(sites.sites().begin(), sites.sites().end());
    }
    std::map<std::string, std::string> names;  // site -> its name
    for (const v1::Site& s : all) names[s.name()] = s.display_name();
    mustache::data links{mustache::data::type::list};
    std::set<std::string> seen;
    int shown = 0;
    auto add = [&](const std::string& site, const std::string& title, const std::string& href) {
      if (!seen.insert(href).second) return;
      if (names.count(site) == 0) {
        v1::GetSiteRequest req;
        req.set_name(site);
        v1::Site found;
        if (!Call(ctx, &v1::BookingService::Stub::GetSite, req, &found).ok()) return;
        names[site] = found.display_name();
      }
      mustache::data item;
      item.set("title", title);
      item.set("site_name", names[site]);
      item.set("href", href);
      links.push_back(item);
      ++shown;
    };
    mustache::data roles{mustache::data::type::list};
    for (const access::v1::RoleGrant& g : agent.caller.grants()) {
      std::vector<std::string> sites;
      if (g.site().empty()) {
        for (const v1::Site& s : all) sites.push_back(s.name());
      } else {
        sites.push_back(g.site());
      }
      for (const std::string& site : sites) {
        if (g.role() == access::v1::LODGE_AGENT) {
          add(site, "Loge", absl::StrCat("/agent/loge/", IdOf(site)));
        } else if (g.role() == access::v1::COUNTER_AGENT) {
          add(site, "Guichets", absl::StrCat("/agent/guichet/", IdOf(site)));
        }
      }
      mustache::data role;
      role.set("role", access::v1::Role_Name(g.role()));
      role.set("site", g.site().empty() ? std::string("tous les sites") : g.site());
      roles.push_back(role);
    }
    mustache::data data;
    if (shown > 0) data.set("has_links", true);
    data.set("links", links);
    data.set("roles", roles);
    if (agent.caller.grants().empty()) data.set("no_role", true);
    return Render(ctx, "agent_home", "Mes pages", data);
  }

  // --------------------------------------------------------------- lodge

  struct SitePlace {
    v1::Site site;
    absl::TimeZone zone;
    std::vector<v1::Desk> desks;
    std::string DeskName(const std::string& desk) const {
      for (const v1::Desk& d : desks) {
        if (d.name() == desk) return d.display_name();
      }
      return desk;
    }
  };

  absl::StatusOr<SitePlace> Place(const PageContext& ctx, v1::Site site) {
    SitePlace place;
    place.site = std::move(site);
    if (!absl::LoadTimeZone(place.site.time_zone(), &place.zone)) {
      return Error(absl::StatusCode::kInternal, "TIME_ZONE_UNKNOWN", "the site's zone is unknown");
    }
    v1::ListDesksRequest req;
    req.set_parent(place.site.name());
    req.set_page_size(100);
    v1::ListDesksResponse desks;
    RETURN_IF_ERROR(Call(ctx, &v1::BookingService::Stub::ListDesks, req, &desks));
    place.desks.assign(desks.desks().begin(), desks.desks().end());
    return place;
  }

  // The queue's visits and each desk's waiting count and estimate.
  void QueueData(const PageContext& ctx, const SitePlace& place, mustache::data* data) {
    rv1::GetQueueRequest req;
    req.set_site(place.site.name());
    rv1::QueueState queue;
    if (absl::Status s = Reception(ctx, &rv1::ReceptionService::Stub::GetQueue, req, &queue);
        !s.ok()) {
      data->set("queue_error", AgentError(ctx, s));
      return;
    }
    mustache::data visits{mustache::data::type::list};
    for (const rv1::Visit& v : queue.visits()) {
      mustache::data item;
      item.set("ticket", v.ticket());
      item.set("desk", place.DeskName(v.desk()));
      item.set("status", VisitStatusText(v.status()));
      item.set("arrival", TimeOfDay(FromTimestamp(v.arrival_time()), place.zone));
      if (!v.counter_display_name().empty()) item.set("counter", v.counter_display_name());
      if (v.priority()) item.set("priority", true);
      if (v.late()) item.set("late", true);
      visits.push_back(item);
    }
    mustache::data desks{mustache::data::type::list};
    for (const rv1::DeskQueue& d : queue.desks()) {
      mustache::data item;
      item.set("desk", place.DeskName(d.desk()));
      item.set("waiting", absl::StrCat(d.waiting()));
      item.set("wait", absl::StrCat(d.estimated_wait().seconds() / 60));
      desks.push_back(item);
    }
    data->set("visits", visits);
    data->set("queue_desks", desks);
    if (queue.visits().empty()) data->set("queue_empty", true);
  }

  HttpResponse Lodge(PageContext& ctx, const Agent& agent, const std::string& site_id,
                     const Bindings* form) {
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, access::v1::LODGE_AGENT, site_id);
    if (site.status().code() == absl::StatusCode::kPermissionDenied) return Refused(ctx);
    if (!site.ok()) return Failure(ctx, site.status());
    absl::StatusOr<SitePlace> place = Place(ctx, *site);
    if (!place.ok()) return Failure(ctx, place.status());
    mustache::data data;
    int status = 200;
    if (form != nullptr) {
      const std::string action = Param(*form, "action");
      if (action == "arrivee") {
        status = CheckIn(ctx, *place, *form, &data);
      } else if (action == "sans-rdv") {
        status = WalkIn(ctx, *place, *form, &data);
      } else {
        data.set("error_text", "Action inconnue.");
        status = 400;
      }
    }
    const absl::CivilDay today = absl::ToCivilDay(Now(), place->zone);
    const std::string query(absl::StripAsciiWhitespace(Param(ctx.query, "q")));
    data.set("site_id", site_id);
    data.set("site_name", place->site.display_name());
    data.set("today", LongDate("fr", today));
    data.set("q", query);
    data.set("request_id", NewRequestId());
    data.set("walkin_request_id", NewRequestId());
    DayList(ctx, *place, today, query, &data);
    QueueData(ctx, *place, &data);
    mustache::data desks{mustache::data::type::list};
    for (const v1::Desk& d : place->desks) {
      mustache::data item;
      item.set("name", d.name());
      item.set("display_name", d.display_name());
      desks.push_back(item);
    }
    data.set("desks", desks);
    mustache::data outcomes{mustache::data::type::list};
    for (const Outcome& o : WalkInOutcomes()) {
      mustache::data item;
      item.set("value", o.form);
      item.set("label", o.label);
      outcomes.push_back(item);
    }
    data.set("outcomes", outcomes);
    return Render(ctx, "agent_lodge", absl::StrCat("Loge — ", place->site.display_name()), data,
                  status);
  }

  void DayList(const PageContext& ctx, const SitePlace& place, absl::CivilDay today,
               const std::string& query, mustache::data* data) {
    v1::ListDayAppointmentsRequest req;
    req.set_site(place.site.name());
    req.mutable_date()->set_year(static_cast<int>(today.year()));
    req.mutable_date()->set_month(today.month());
    req.mutable_date()->set_day(today.day());
    req.set_query(query);
    req.set_page_size(200);
    v1::ListDayAppointmentsResponse day;
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::ListDayAppointments, req, &day);
        !s.ok()) {
      data->set("day_error", AgentError(ctx, s));
      return;
    }
    const auto& words = gateway::Words("fr");
    mustache::data list{mustache::data::type::list};
    for (const v1::DayAppointment& d : day.appointments()) {
      const v1::Appointment& a = d.appointment();
      mustache::data item;
      item.set("time", TimeOfDay(FromTimestamp(a.start_time()), place.zone));
      item.set("reference", a.reference());
      item.set("person", absl::StrCat(a.person().family_name(), " ", a.person().given_name()));
      item.set("desk", place.DeskName(a.desk()));
      item.set("status", words.at(absl::StrCat("status_", v1::AppointmentStatus_Name(a.status()))));
      if (a.status() == v1::BOOKED) item.set("expected", true);
      item.set("request_id", NewRequestId());
      if (d.noshow_count() > 0) item.set("noshows", absl::StrCat(d.noshow_count()));
      list.push_back(item);
    }
    data->set("appointments", list);
    if (day.appointments().empty()) data->set("day_empty", true);
  }

  // CheckIn: the reference typed or the QR code scanned (a handheld scanner
  // types it); a late arrival asks for the agent's decision and its reason.
  int CheckIn(PageContext& ctx, const SitePlace& place, const Bindings& form,
              mustache::data* data) {
    const std::string typed(absl::StripAsciiWhitespace(Param(form, "saisie")));
    rv1::CheckInVisitorRequest req;
    req.set_site(place.site.name());
    if (absl::StartsWith(typed, "c1.")) {
      req.set_check_in_token(typed);
    } else {
      req.set_reference(absl::AsciiStrToUpper(typed));
    }
    const bool late = Param(form, "late") == "yes";
    if (late) {
      req.set_late_accepted(true);
      ctx.reason = std::string(absl::StripAsciiWhitespace(Param(form, "motif")));
    }
    const std::string request_id = Param(form, "request_id");
    req.set_request_id(SafeToken(request_id) ? request_id : NewRequestId());
    rv1::Visit visit;
    absl::Status s = Reception(ctx, &rv1::ReceptionService::Stub::CheckInVisitor, req, &visit);
    ctx.reason.clear();
    if (!s.ok()) {
      const std::string reason = ErrorReason(s);
      data->set("checkin_error", AgentError(ctx, s));
      data->set("saisie", typed);
      if (reason == "ARRIVAL_LATE" || (late && reason == "AGENT_REASON_REQUIRED")) {
        data->set("late_decision", true);
        data->set("late_request_id", NewRequestId());
      }
      return HttpStatusOf(s.code());
    }
    data->set("ticket", visit.ticket());
    data->set("ticket_desk", place.DeskName(visit.desk()));
    data->set("ticket_position", absl::StrCat(visit.position()));
    return 200;
  }

  int WalkIn(PageContext& ctx, const SitePlace& place, const Bindings& form, mustache::data* data) {
    rv1::RegisterWalkInRequest req;
    req.set_site(place.site.name());
    req.set_desk(Param(form, "guichet"));
    req.set_reason(std::string(absl::StripAsciiWhitespace(Param(form, "objet"))));
    for (const Outcome& o : WalkInOutcomes()) {
      if (Param(form, "issue") == o.form) req.set_outcome(o.value);
    }
    const std::string request_id = Param(form, "request_id");
    req.set_request_id(SafeToken(request_id) ? request_id : NewRequestId());
    rv1::WalkIn walk_in;
    absl::Status s = Reception(ctx, &rv1::ReceptionService::Stub::RegisterWalkIn, req, &walk_in);
    if (!s.ok()) {
      data->set("walkin_error", AgentError(ctx, s));
      data->set("objet", req.reason());
      return HttpStatusOf(s.code());
    }
    data->set("walkin_done", true);
    if (walk_in.has_visit()) data->set("ticket", walk_in.visit().ticket());
    if (walk_in.has_visit()) data->set("ticket_desk", place.DeskName(walk_in.visit().desk()));
    if (walk_in.has_visit()) {
      data->set("ticket_position", absl::StrCat(walk_in.visit().position()));
    }
    return 200;
  }

  // ------------------------------------------------------------ counters

  absl::StatusOr<std::vector<rv1::Counter>> Counters(const PageContext& ctx,
                                                     const std::string& site) {
    rv1::ListCountersRequest req;
    req.set_site(site);
    rv1::ListCountersResponse counters;
    RETURN_IF_ERROR(Reception(ctx, &rv1::ReceptionService::Stub::ListCounters, req, &counters));
    return std::vector<rv1::Counter>(counters.counters().begin(), counters.counters().end());
  }

  HttpResponse CounterList(PageContext& ctx, const Agent& agent, const std::string& site_id) {
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, access::v1::COUNTER_AGENT, site_id);
    if (site.status().code() == absl::StatusCode::kPermissionDenied) return Refused(ctx);
    if (!site.ok()) return Failure(ctx, site.status());
    absl::StatusOr<std::vector<rv1::Counter>> counters = Counters(ctx, site->name());
    if (!counters.ok()) return Failure(ctx, counters.status());
    mustache::data list{mustache::data::type::list};
    for (const rv1::Counter& c : *counters) {
      mustache::data item;
      item.set("name", c.display_name());
      item.set("href", absl::StrCat("/agent/guichet/", site_id, "/", IdOf(c.name())));
      item.set("state", c.open() ? "ouvert" : "fermé");
      list.push_back(item);
    }
    mustache::data data;
    data.set("site_name", site->display_name());
    data.set("counters", list);
    if (counters->empty()) data.set("no_counter", true);
    return Render(ctx, "agent_counters", absl::StrCat("Guichets — ", site->display_name()), data);
  }

  HttpResponse CounterPage(PageContext& ctx, const Agent& agent, const Bindings& path,
                           const Bindings* form) {
    const std::string site_id = Param(path, "site");
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, access::v1::COUNTER_AGENT, site_id);
    if (site.status().code() == absl::StatusCode::kPermissionDenied) return Refused(ctx);
    if (!site.ok()) return Failure(ctx, site.status());
    absl::StatusOr<SitePlace> place = Place(ctx, *site);
    if (!place.ok()) return Failure(ctx, place.status());
    const std::string counter_name = absl::StrCat("counters/", Param(path, "counter"));
    mustache::data data;
    int status = 200;
    if (form != nullptr) status = CounterAction(ctx, counter_name, *form, &data);
    absl::StatusOr<std::vector<rv1::Counter>> counters = Counters(ctx, site->name());
    if (!counters.ok()) return Failure(ctx, counters.status());
    const rv1::Counter* counter = nullptr;
    for (const rv1::Counter& c : *counters) {
      if (c.name() == counter_name) counter = &c;
    }
    if (counter == nullptr || !Digits(Param(path, "counter"))) {
      return Message(ctx, "not_found", "not_found_text", 404);
    }
    data.set("site_id", site_id);
    data.set("site_name", place->site.display_name());
    data.set("counter_id", IdOf(counter->name()));
    data.set("counter_name", counter->display_name());
    // One request id per form, drawn anew with each page.
    for (const char* action : {"ouvrir", "fermer", "appeler", "rappeler", "commencer", "terminer",
                               "transferer", "avis"}) {
      data.set(absl::StrCat("rid_", action), NewRequestId());
    }
    if (counter->open()) data.set("open", true);
    mustache::data desks{mustache::data::type::list};
    std::set<std::string> open_desks(counter->open_desks().begin(), counter->open_desks().end());
    for (const std::string& d : counter->desks()) {
      mustache::data item;
      item.set("name", d);
      item.set("id", IdOf(d));
      item.set("display_name", place->DeskName(d));
      if (open_desks.empty() || open_desks.count(d)) item.set("checked", true);
      desks.push_back(item);
    }
    data.set("desks", desks);
    mustache::data other_desks{mustache::data::type::list};
    for (const v1::Desk& d : place->desks) {
      mustache::data item;
      item.set("name", d.name());
      item.set("display_name", d.display_name());
      other_desks.push_back(item);
    }
    data.set("all_desks", other_desks);
    if (!counter->current_visit().empty()) CurrentVisit(ctx, *place, *counter, &data);
    QueueData(ctx, *place, &data);
    return Render(ctx, "agent_counter",
                  absl::StrCat(counter->display_name(), " — ", place->site.display_name()), data,
                  status);
  }

  // CurrentVisit: the person the counter calls or receives, with their
  // no-shows at the site (information, never a sanction).
  void CurrentVisit(const PageContext& ctx, const SitePlace& place, const rv1::Counter& counter,
                    mustache::data* data) {
    rv1::GetVisitRequest req;
    req.set_visit(counter.current_visit());
    rv1::Visit v;
    if (absl::Status s = Reception(ctx, &rv1::ReceptionService::Stub::GetVisit, req, &v); !s.ok()) {
      data->set("error_text", AgentError(ctx, s));
      return;
    }
    mustache::data visit;
    visit.set("name", v.name());
    visit.set("ticket", v.ticket());
    visit.set("desk", place.DeskName(v.desk()));
    visit.set("status", VisitStatusText(v.status()));
    visit.set("calls", absl::StrCat(v.call_count()));
    if (v.status() == rv1::CALLED) visit.set("called", true);
    if (v.status() == rv1::IN_SERVICE) visit.set("in_service", true);
    if (!v.appointment().empty()) {
      visit.set("appointment", v.appointment());
      AppointmentFacts(ctx, place, v, &visit);
    }
    mustache::data outcomes{mustache::data::type::list};
    for (const VisitEnd& o : VisitOutcomes()) {
      mustache::data item;
      item.set("value", o.form);
      item.set("label", o.label);
      outcomes.push_back(item);
    }
    visit.set("outcomes", outcomes);
    mustache::data notices{mustache::data::type::list};
    for (const Notice& n : Notices()) {
      mustache::data item;
      item.set("value", n.form);
      item.set("label", n.label);
      notices.push_back(item);
    }
    visit.set("notices", notices);
    data->set("visit", visit);
  }

  // The appointment's person and no-show count, from the day's list.
  void AppointmentFacts(const PageContext& ctx, const SitePlace& place, const rv1::Visit& v,
                        mustache::data* visit) {
    v1::ListDayAppointmentsRequest req;
    req.set_site(place.site.name());
    const absl::CivilDay day = absl::ToCivilDay(FromTimestamp(v.due_time()), place.zone);
    req.mutable_date()->set_year(static_cast<int>(day.year()));
    req.mutable_date()->set_month(day.month());
    req.mutable_date()->set_day(day.day());
    req.set_desk(v.desk());
    req.set_page_size(500);
    v1::ListDayAppointmentsResponse list;
    if (!Call(ctx, &v1::BookingService::Stub::ListDayAppointments, req, &list).ok()) return;
    for (const v1::DayAppointment& d : list.appointments()) {
      if (d.appointment().name() != v.appointment()) continue;
      visit->set("reference", d.appointment().reference());
      visit->set("person", absl::StrCat(d.appointment().person().family_name(), " ",
                                        d.appointment().person().given_name()));
      visit->set("noshows", absl::StrCat(d.noshow_count()));
    }
  }

  int CounterAction(PageContext& ctx, const std::string& counter, const Bindings& form,
                    mustache::data* data) {
    const std::string action = Param(form, "action");
    const std::string request_id =
        SafeToken(Param(form, "request_id")) ? Param(form, "request_id") : NewRequestId();
    const std::string visit = Param(form, "visit");
    rv1::Visit out;
    rv1::Counter opened;
    absl::Status s;
    std::string done;
    if (action == "ouvrir") {
      rv1::OpenCounterRequest req;
      req.set_counter(counter);
      for (const auto& [k, v] : form) {
        if (k == "guichets") req.add_desks(v);
      }
      req.set_request_id(request_id);
      s = Reception(ctx, &rv1::ReceptionService::Stub::OpenCounter, req, &opened);
      done = "Guichet ouvert.";
    } else if (action == "fermer") {
      rv1::CounterRequest req;
      req.set_counter(counter);
      req.set_request_id(request_id);
      s = Reception(ctx, &rv1::ReceptionService::Stub::CloseCounter, req, &opened);
      done = "Guichet fermé.";
    } else if (action == "appeler") {
      rv1::CounterRequest req;
      req.set_counter(counter);
      req.set_request_id(request_id);
      s = Reception(ctx, &rv1::ReceptionService::Stub::CallNextVisitor, req, &out);
      if (s.ok()) done = absl::StrCat("Ticket ", out.ticket(), " appelé.");
    } else if (action == "rappeler" || action == "commencer" || action == "absent") {
      rv1::VisitRequest req;
      req.set_visit(visit);
      req.set_request_id(request_id);
      if (action == "rappeler") {
        s = Reception(ctx, &rv1::ReceptionService::Stub::RecallVisitor, req, &out);
        done = "Appel renouvelé.";
      } else if (action == "commencer") {
        s = Reception(ctx, &rv1::ReceptionService::Stub::StartVisit, req, &out);
        done = "Accueil commencé.";
      } else {
        s = Reception(ctx, &rv1::ReceptionService::Stub::MarkVisitorLeft, req, &out);
        done = "Personne partie.";
      }
    } else if (action == "terminer") {
      rv1::FinishVisitRequest req;
      req.set_visit(visit);
      req.set_request_id(request_id);
      for (const VisitEnd& o : VisitOutcomes()) {
        if (Param(form, "issue") == o.form) req.set_outcome(o.value);
      }
      rv1::FinishVisitResponse finished;
      s = Reception(ctx, &rv1::ReceptionService::Stub::FinishVisit, req, &finished);
      done = "Accueil terminé.";
    } else if (action == "transferer") {
      rv1::TransferVisitorRequest req;
      req.set_visit(visit);
      req.set_desk(Param(form, "guichet"));
      req.set_request_id(request_id);
      s = Reception(ctx, &rv1::ReceptionService::Stub::TransferVisitor, req, &out);
      done = "Personne transférée : elle garde sa place dans la file de ce guichet.";
    } else if (action == "avis") {
      notify::v1::SendNoticeRequest req;
      req.set_appointment(Param(form, "appointment"));
      for (const Notice& n : Notices()) {
        if (Param(form, "avis") == n.form) req.set_notice(n.value);
      }
      req.set_request_id(request_id);
      ctx.reason = std::string(absl::StripAsciiWhitespace(Param(form, "motif")));
      notify::v1::SendNoticeResponse sent;
      s = Notify(ctx, &notify::v1::NotifyService::Stub::SendNotice, req, &sent);
      ctx.reason.clear();
      done = "Avis envoyé à la personne.";
    } else {
      s = Error(absl::StatusCode::kInvalidArgument, "UNKNOWN_ACTION", "unknown action");
    }
    if (!s.ok()) {
      data->set("error_text", AgentError(ctx, s));
      return HttpStatusOf(s.code());
    }
    data->set("done", done);
    return 200;
  }

  // ------------------------------------------------------------ dispatch

  HttpResponse Handle(PageContext& ctx, const Bindings* form) {
    const HttpRequest& request = *ctx.request;
    const bool get = request.method == "GET" || request.method == "HEAD";
    ctx.language = "fr";
    if (request.path == "/agent/connexion" && get) {
      absl::StatusOr<HttpResponse> begin = sessions.Begin(request, Param(ctx.query, "retour"));
      if (!begin.ok())
        return SignInPage(ctx, HttpStatusOf(begin.status().code()),
                          AgentError(ctx, begin.status()));
      return Personal(ctx, *begin);
    }
    if (request.path == "/agent/retour" && get) {
      absl::StatusOr<HttpResponse> finish = sessions.Finish(request);
      if (!finish.ok())
        return SignInPage(ctx, HttpStatusOf(finish.status().code()),
                          AgentError(ctx, finish.status()));
      return Personal(ctx, *finish);
    }
    if (request.path == "/agent/deconnexion" && form != nullptr) {
      auto [cookie, where] = sessions.SignOut(request);
      ctx.set_cookies.push_back(cookie);
      log::Info("gateway.signed_out");
      return SeeOther(ctx, where);
    }
    absl::StatusOr<AgentSession> session = sessions.Current(request, &ctx.set_cookies);
    if (!session.ok()) {
      if (session.status().code() != absl::StatusCode::kUnauthenticated) {
        return Failure(ctx, session.status());
      }
      // A POST's form is lost: say so rather than act later.
      return SignInPage(ctx, request.path == "/agent" && get ? 200 : 401,
                        request.Cookie(AgentSessions::kSessionCookie).empty()
                            ? ""
                            : AgentError(ctx, session.status()));
    }
    ctx.bearer = session->token;
    ctx.agent = session->subject;
    absl::StatusOr<Agent> agent = WhoAmI(ctx);
    if (!agent.ok()) {
      if (agent.status().code() == absl::StatusCode::kUnauthenticated) {
        ctx.agent.clear();
        return SignInPage(ctx, 401, AgentError(ctx, agent.status()));
      }
      return Failure(ctx, agent.status());
    }
    if (request.path == "/agent" && get) return Home(ctx, *agent);
    if (std::optional<Bindings> b = MatchPath(lodge_path, request.path)) {
      if (get || form != nullptr) return Lodge(ctx, *agent, Param(*b, "site"), form);
    }
    if (std::optional<Bindings> b = MatchPath(counters_path, request.path); b && get) {
      return CounterList(ctx, *agent, Param(*b, "site"));
    }
    if (std::optional<Bindings> b = MatchPath(counter_path, request.path)) {
      if (get || form != nullptr) return CounterPage(ctx, *agent, *b, form);
    }
    return Message(ctx, "not_found", "not_found_text", 404);
  }
};

AgentPages::AgentPages(PagesOptions options, ChannelFor channels)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(channels))) {}

AgentPages::~AgentPages() = default;

HttpResponse AgentPages::Handle(PageContext& ctx, const Bindings* form) {
  return impl_->Handle(ctx, form);
}

}  // namespace accueil::gateway
