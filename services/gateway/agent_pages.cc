#include "services/gateway/agent_pages.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "services/common/errors.h"
#include "services/common/gate.h"
#include "services/common/grpc_status.h"
#include "services/common/html.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"
#include "services/gateway/admin_pages.h"
#include "services/gateway/agent_kit.h"
#include "services/gateway/json_routes.h"
#include "services/gateway/person_pages.h"
#include "services/gateway/web_text.h"

namespace accueil::gateway {
namespace {

namespace v1 = booking::v1;
namespace rv1 = reception::v1;
using access::v1::Role;

const std::vector<Choice<rv1::WalkInOutcome>>& WalkInOutcomes() {
  static const std::vector<Choice<rv1::WalkInOutcome>> k = {
      {rv1::INFORMED, "informe", "Renseignée (information, documents à fournir)"},
      {rv1::ORIENTED, "oriente", "Orientée (point numérique, France Services, autre service)"},
      {rv1::BOOKED_ON_THE_SPOT, "rdv", "Rendez-vous pris sur place"},
      {rv1::SERVED_TODAY, "recu", "Reçue aujourd'hui (un ticket, elle attend son tour)"}};
  return k;
}

const std::vector<Choice<rv1::VisitOutcome>>& VisitOutcomes() {
  static const std::vector<Choice<rv1::VisitOutcome>> k = {
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

const std::vector<Choice<notify::v1::Template>>& Notices() {
  static const std::vector<Choice<notify::v1::Template>> k = {
      {notify::v1::PERMIT_READY, "titre", "Titre disponible"},
      {notify::v1::DOCUMENTS_MISSING, "pieces", "Pièces manquantes (rendez-vous à venir)"},
      {notify::v1::CONVOCATION, "convocation", "Convocation (rendez-vous à venir)"}};
  return k;
}

}  // namespace

struct AgentPages::Impl : AgentKit {
  AgentSessions sessions;
  // The queue fragment's sites (PublicPlace), by id, with when they were read.
  absl::Mutex places_mu;
  std::map<std::string, std::pair<absl::Time, SitePlace>> places ABSL_GUARDED_BY(places_mu);
  AdminPages admin;
  PersonPages persons;
  PathTemplate lodge_path = *ParsePathTemplate("/agent/loge/{site}");
  PathTemplate counters_path = *ParsePathTemplate("/agent/guichet/{site}");
  PathTemplate counter_path = *ParsePathTemplate("/agent/guichet/{site}/{counter}");
  PathTemplate queue_path = *ParsePathTemplate("/agent/file/{site}");
  PathTemplate quality_path = *ParsePathTemplate("/agent/qualite/{site}");
  PathTemplate quality_csv_path = *ParsePathTemplate("/agent/qualite/{site}/indicateurs.csv");

  Impl(PagesOptions o, ChannelFor c)
      : AgentKit(o, c),
        sessions(options.sign_in),
        admin(o, c),
        persons(std::move(o), std::move(c)) {}

  // ------------------------------------------------------------ sign-in

  HttpResponse SignInPage(PageContext& ctx, int status, const std::string& error) {
    mustache::data data;
    data.set("back", PercentEncode(ctx.request->method == "GET" ? ctx.request->target
                                                                : std::string("/agent")));
    data.set("enabled", sessions.enabled());
    if (!error.empty()) data.set("error_text", error);
    return Render(ctx, "agent_signin", "Connexion des agents", data, status);
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
        } else if (g.role() == access::v1::QUALITY_OFFICER) {
          add(site, "Qualité", absl::StrCat("/agent/qualite/", IdOf(site)));
        } else if (g.role() == access::v1::ADMINISTRATOR) {
          add(site, "Administration", absl::StrCat("/agent/admin/", IdOf(site)));
          add(site, "Droits des personnes", absl::StrCat("/agent/personne/", IdOf(site)));
        }
        if (g.role() == access::v1::LODGE_AGENT || g.role() == access::v1::COUNTER_AGENT ||
            g.role() == access::v1::ADMINISTRATOR) {
          add(site, "Prendre un rendez-vous", absl::StrCat("/agent/rdv/", IdOf(site)));
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
    if (agent.HoldsEverywhere(access::v1::ADMINISTRATOR)) data.set("may_create_site", true);
    return Render(ctx, "agent_home", "Mes pages", data);
  }

  // --------------------------------------------------------------- lodge

  // The queue's visits and each desk's waiting count and estimate.
  absl::Status QueueData(const PageContext& ctx, const SitePlace& place, mustache::data* data) {
    data->set("site_id", IdOf(place.site.name()));
    data->set("queue_time", TimeOfDay(Now(), place.zone));
    rv1::GetQueueRequest req;
    req.set_site(place.site.name());
    rv1::QueueState queue;
    if (absl::Status s = Reception(ctx, &rv1::ReceptionService::Stub::GetQueue, req, &queue);
        !s.ok()) {
      data->set("queue_error", AgentError(ctx, s));
      return s;
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
    return absl::OkStatus();
  }

  // QueueFragment: the queue's section alone, which the lodge's and the
  // counter's pages fetch every few seconds (static/queue.js) to stay live.
  // Answered before WhoAmI, with one call in the agent's name: GetQueue,
  // which reception refuses to an agent without a role there (every agent
  // call is audited: one record a refresh, not four). The site's name, zone
  // and desks are public and change rarely: read as the public, kept a
  // minute.
  HttpResponse QueueFragment(PageContext& ctx, const std::string& site_id) {
    if (!Digits(site_id)) return Message(ctx, "not_found", "not_found_text", 404);
    absl::StatusOr<SitePlace> place = PublicPlace(ctx, site_id);
    if (!place.ok()) return Failure(ctx, place.status());
    mustache::data data;
    if (absl::Status s = QueueData(ctx, *place, &data); !s.ok()) return Refusal(ctx, s);
    return Fragment(ctx, "part_queue", data);
  }

  absl::StatusOr<SitePlace> PublicPlace(const PageContext& ctx, const std::string& site_id) {
    {
      absl::MutexLock lock(&places_mu);
      auto it = places.find(site_id);
      if (it != places.end() && Now() - it->second.first < absl::Minutes(1)) {
        return it->second.second;
      }
    }
    PageContext anyone = ctx;
    anyone.bearer.clear();
    v1::GetSiteRequest req;
    req.set_name(absl::StrCat("sites/", site_id));
    v1::Site site;
    RETURN_IF_ERROR(Call(anyone, &v1::BookingService::Stub::GetSite, req, &site));
    ASSIGN_OR_RETURN(SitePlace place, Place(anyone, std::move(site)));
    absl::MutexLock lock(&places_mu);
    places[site_id] = {Now(), place};
    return place;
  }

  HttpResponse Lodge(PageContext& ctx, const Agent& agent, const std::string& site_id,
                     const Bindings* form) {
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, {access::v1::LODGE_AGENT}, site_id);
    if (!site.ok()) return Refusal(ctx, site.status());
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
      } else if (action == "recherche") {
        status = FindPerson(ctx, *place, *form, &data);
      } else if (action == "code") {
        status = ResetCode(ctx, *place, *form, &data);
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
    QueueData(ctx, *place, &data).IgnoreError();  // said in the section
    mustache::data desks{mustache::data::type::list};
    for (const v1::Desk& d : place->desks) {
      mustache::data item;
      item.set("name", d.name());
      item.set("display_name", d.display_name());
      desks.push_back(item);
    }
    data.set("desks", desks);
    data.set("outcomes", Choices(WalkInOutcomes()));
    return Render(ctx, "agent_lodge", absl::StrCat("Loge — ", place->site.display_name()), data,
                  status, {"/static/queue.js", "/static/scan.js"});
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
      ctx.reason = Trimmed(form, "motif");
    }
    req.set_request_id(RequestIdOf(form));
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

  // FindPerson: the site's appointments from yesterday on, by phone,
  // e-mail, reference or name (SearchAppointments): acting for a person,
  // with the agent's reason.
  int FindPerson(PageContext& ctx, const SitePlace& place, const Bindings& form,
                 mustache::data* data) {
    v1::SearchAppointmentsRequest req;
    req.set_site(place.site.name());
    req.set_query(Trimmed(form, "personne"));
    req.set_page_size(20);
    ctx.reason = Trimmed(form, "motif");
    v1::SearchAppointmentsResponse found;
    absl::Status s = Call(ctx, &v1::BookingService::Stub::SearchAppointments, req, &found);
    data->set("personne", req.query());
    data->set("search_reason", ctx.reason);
    ctx.reason.clear();
    if (!s.ok()) {
      data->set("search_error", AgentError(ctx, s));
      return HttpStatusOf(s.code());
    }
    const auto& words = gateway::Words("fr");
    mustache::data list{mustache::data::type::list};
    for (const v1::Appointment& a : found.appointments()) {
      const absl::Time start = FromTimestamp(a.start_time());
      mustache::data item;
      item.set("name", a.name());
      item.set("when", absl::StrCat(LongDate("fr", absl::ToCivilDay(start, place.zone)), " ",
                                    TimeOfDay(start, place.zone)));
      item.set("reference", a.reference());
      item.set("person", absl::StrCat(a.person().family_name(), " ", a.person().given_name()));
      item.set("desk", place.DeskName(a.desk()));
      item.set("status", words.at(absl::StrCat("status_", v1::AppointmentStatus_Name(a.status()))));
      if (a.status() == v1::BOOKED) item.set("resettable", true);
      item.set("request_id", NewRequestId());
      list.push_back(item);
    }
    data->set("found", list);
    data->set("searched", true);
    if (found.appointments().empty()) data->set("found_none", true);
    return 200;
  }

  // ResetCode: a new access code for a person who lost theirs (the old code
  // and QR code stop working), with the agent's reason; shown to give it.
  int ResetCode(PageContext& ctx, const SitePlace& place, const Bindings& form,
                mustache::data* data) {
    v1::ResetAccessCodeRequest req;
    req.set_name(Param(form, "rendez_vous"));
    req.set_request_id(RequestIdOf(form));
    ctx.reason = Trimmed(form, "motif");
    v1::Appointment a;
    absl::Status s = Call(ctx, &v1::BookingService::Stub::ResetAccessCode, req, &a);
    ctx.reason.clear();
    if (!s.ok()) {
      data->set("search_error", AgentError(ctx, s));
      return HttpStatusOf(s.code());
    }
    data->set("new_code", a.access_code());
    data->set("new_code_reference", a.reference());
    data->set("new_code_desk", place.DeskName(a.desk()));
    return 200;
  }

  int WalkIn(PageContext& ctx, const SitePlace& place, const Bindings& form, mustache::data* data) {
    rv1::RegisterWalkInRequest req;
    req.set_site(place.site.name());
    req.set_desk(Param(form, "guichet"));
    req.set_reason(Trimmed(form, "objet"));
    req.set_outcome(Chosen(WalkInOutcomes(), form, "issue"));
    req.set_request_id(RequestIdOf(form));
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
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, {access::v1::COUNTER_AGENT}, site_id);
    if (!site.ok()) return Refusal(ctx, site.status());
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
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, {access::v1::COUNTER_AGENT}, site_id);
    if (!site.ok()) return Refusal(ctx, site.status());
    absl::StatusOr<SitePlace> place = Place(ctx, *site);
    if (!place.ok()) return Failure(ctx, place.status());
    const std::string counter_name = absl::StrCat("counters/", Param(path, "counter"));
    // The counter must be the site's before anything is done at it.
    auto find = [&](const std::vector<rv1::Counter>& counters) -> const rv1::Counter* {
      for (const rv1::Counter& c : counters) {
        if (c.name() == counter_name) return &c;
      }
      return nullptr;
    };
    absl::StatusOr<std::vector<rv1::Counter>> counters = Counters(ctx, site->name());
    if (!counters.ok()) return Failure(ctx, counters.status());
    if (find(*counters) == nullptr || !Digits(Param(path, "counter"))) {
      return Message(ctx, "not_found", "not_found_text", 404);
    }
    mustache::data data;
    int status = 200;
    if (form != nullptr) {
      status = CounterAction(ctx, counter_name, *form, &data);
      counters = Counters(ctx, site->name());  // as the action left them
      if (!counters.ok()) return Failure(ctx, counters.status());
    }
    const rv1::Counter* counter = find(*counters);
    if (counter == nullptr) return Message(ctx, "not_found", "not_found_text", 404);
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
    QueueData(ctx, *place, &data).IgnoreError();  // said in the section
    return Render(ctx, "agent_counter",
                  absl::StrCat(counter->display_name(), " — ", place->site.display_name()), data,
                  status, {"/static/queue.js"});
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
    visit.set("outcomes", Choices(VisitOutcomes()));
    visit.set("notices", Choices(Notices()));
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
    const std::string request_id = RequestIdOf(form);
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
      req.set_outcome(Chosen(VisitOutcomes(), form, "issue"));
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
      req.set_notice(Chosen(Notices(), form, "avis"));
      req.set_request_id(request_id);
      ctx.reason = Trimmed(form, "motif");
      notify::v1::SendNoticeResponse sent;
      s = Notify(ctx, &notify::v1::NotifyService::Stub::SendNotice, req, &sent);
      ctx.reason.clear();
      done = "Avis envoyé à la personne.";
    } else {
      s = Error(absl::StatusCode::kInvalidArgument, "UNKNOWN_ACTION", "unknown action");
    }
    return Outcome(ctx, s, done, data);
  }

  // ------------------------------------------------------------- quality

  // Month: "2026-06" of `text`, or nullopt.
  static std::optional<absl::CivilMonth> ParseMonth(const std::string& text) {
    absl::CivilMonth month;
    if (text.size() != 7 || !absl::ParseCivilTime(text, &month)) return std::nullopt;
    return month;
  }

  // Period: the months the quality pages show, `du` to `au` (default: the
  // last 12 months to this one, in the site's zone), at most 36.
  struct Period {
    absl::CivilMonth from, to;
    std::string From() const { return absl::FormatCivilTime(from).substr(0, 7); }
    std::string To() const { return absl::FormatCivilTime(to).substr(0, 7); }
  };
  Period PeriodOf(const PageContext& ctx, absl::TimeZone zone) {
    const absl::CivilMonth now = absl::CivilMonth(absl::ToCivilDay(Now(), zone));
    Period p{now - 11, now};
    if (auto to = ParseMonth(Param(ctx.query, "au"))) p.to = *to;
    if (auto from = ParseMonth(Param(ctx.query, "du"))) p.from = *from;
    if (p.from > p.to || p.to - p.from > 35) p.from = p.to - 11;
    return p;
  }

  absl::StatusOr<metrics::v1::IndicatorReport> Report(const PageContext& ctx,
                                                      const std::string& site,
                                                      const Period& period) {
    metrics::v1::GetIndicatorReportRequest req;
    req.set_site(site);
    req.set_from_month(period.From());
    req.set_to_month(period.To());
    metrics::v1::IndicatorReport report;
    RETURN_IF_ERROR(CallOn<metrics::v1::MetricsService>(
        ctx, "metrics", &metrics::v1::MetricsService::Stub::GetIndicatorReport, req, &report));
    return report;
  }

  // Chart: the monthly values of `row` as a line, drawn on the server
  // (SVG, no script); the table below it holds the same figures.
  static std::string Chart(const metrics::v1::IndicatorRow& row, const std::string& title,
                           const std::string& id) {
    constexpr double kWidth = 640, kHeight = 220, kLeft = 56, kRight = 16, kTop = 16, kBottom = 36;
    const int n = row.months_size();
    double top = 0;
    for (const metrics::v1::MonthValue& m : row.months()) {
      if (m.has_value()) top = std::max(top, m.value());
    }
    if (row.has_objective()) top = std::max(top, row.objective().value());
    top = top <= 0 ? 1 : top * 1.15;
    auto x = [&](int i) { return kLeft + (n <= 1 ? 0 : i * (kWidth - kLeft - kRight) / (n - 1)); };
    auto y = [&](double v) { return kTop + (1 - v / top) * (kHeight - kTop - kBottom); };
    std::string svg = absl::StrFormat(
        "<svg class=\"accueil-chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
        "aria-labelledby=\"%s-title\"><title id=\"%s-title\">%s</title>",
        kWidth, kHeight, id, id, HtmlEscape(title));
    // Axes, the top value, the objective as a dashed line.
    absl::StrAppendFormat(
        &svg,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>"
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" class=\"label\" text-anchor=\"end\">%s</text>"
        "<text x=\"%.1f\" y=\"%.1f\" class=\"label\" text-anchor=\"end\">0</text>",
        kLeft, kTop, kLeft, kHeight - kBottom, kLeft, kHeight - kBottom, kWidth - kRight,
        kHeight - kBottom, kLeft - 6, kTop + 4, Decimal("fr", top, top < 10 ? 1 : 0), kLeft - 6,
        kHeight - kBottom + 4);
    if (row.has_objective()) {
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "class=\"objective\"/>",
                            kLeft, y(row.objective().value()), kWidth - kRight,
                            y(row.objective().value()));
    }
    std::string points;
    for (int i = 0; i < n; ++i) {
      const metrics::v1::MonthValue& m = row.months(i);
      absl::StrAppendFormat(&svg,
                            "<text x=\"%.1f\" y=\"%.1f\" class=\"label\" "
                            "text-anchor=\"middle\">%s</text>",
                            x(i), kHeight - kBottom + 18,
                            m.month().size() == 7 ? m.month().substr(5, 2) : m.month());
      if (!m.has_value()) continue;
      absl::StrAppendFormat(&points, "%s%.1f,%.1f", points.empty() ? "" : " ", x(i), y(m.value()));
      absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" class=\"point\"/>",
                            x(i), y(m.value()));
    }
    if (!points.empty()) {
      absl::StrAppendFormat(&svg, "<polyline points=\"%s\" class=\"line\"/>", points);
    }
    return svg + "</svg>";
  }

  static const char* AttainmentText(metrics::v1::Attainment a) {
    switch (a) {
      case metrics::v1::MET:
        return "atteint";
      case metrics::v1::NOT_MET:
        return "non atteint";
      default:
        return "";
    }
  }

  HttpResponse Quality(PageContext& ctx, const Agent& agent, const std::string& site_id,
                       const Bindings* form) {
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, {access::v1::QUALITY_OFFICER}, site_id);
    if (!site.ok()) return Refusal(ctx, site.status());
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(site->time_zone(), &zone)) zone = absl::UTCTimeZone();
    const Period period = PeriodOf(ctx, zone);
    mustache::data data;
    int status = 200;
    if (form != nullptr) status = QualityAction(ctx, site->name(), *form, &data);
    absl::StatusOr<metrics::v1::IndicatorReport> report = Report(ctx, site->name(), period);
    if (!report.ok()) return Failure(ctx, report.status());
    data.set("site_id", site_id);
    data.set("site_name", site->display_name());
    data.set("from", period.From());
    data.set("to", period.To());
    data.set("request_id", NewRequestId());
    data.set("objective_request_id", NewRequestId());
    data.set("manual_request_id", NewRequestId());
    data.set("csv", absl::StrCat("/agent/qualite/", site_id, "/indicateurs.csv?du=", period.From(),
                                 "&au=", period.To()));
    if (report->lag().seconds() > 60) {
      data.set("lag", absl::StrCat(report->lag().seconds() / 60));
    }
    mustache::data months{mustache::data::type::list};
    for (const std::string& m : report->months()) months.push_back(mustache::data(m));
    data.set("months", months);
    // The months one may publish: those over, in the site's zone.
    const absl::CivilMonth current = absl::CivilMonth(absl::ToCivilDay(Now(), zone));
    mustache::data publishable{mustache::data::type::list};
    for (const std::string& m : report->months()) {
      if (auto month = ParseMonth(m); month && *month < current) {
        publishable.push_back(mustache::data(m));
      }
    }
    data.set("publishable", publishable);
    mustache::data rows{mustache::data::type::list};
    mustache::data charts{mustache::data::type::list};
    mustache::data indicators{mustache::data::type::list};
    mustache::data manual{mustache::data::type::list};
    for (const metrics::v1::IndicatorRow& row : report->rows()) {
      const metrics::v1::Indicator& i = row.indicator();
      const std::string title = IndicatorTitle("fr", i.id(), i.title());
      mustache::data r;
      r.set("id", i.id());
      r.set("title", title);
      if (row.has_objective()) {
        r.set("objective",
              absl::StrCat(row.objective().direction() == metrics::v1::AT_MOST ? "≤ " : "≥ ",
                           IndicatorValue("fr", i.unit(), row.objective().value())));
      }
      mustache::data cells{mustache::data::type::list};
      for (const metrics::v1::MonthValue& m : row.months()) {
        mustache::data cell;
        if (m.has_value()) cell.set("value", IndicatorValue("fr", i.unit(), m.value()));
        const char* attained = AttainmentText(m.attainment());
        if (*attained != '\0') cell.set("attainment", attained);
        if (m.attainment() == metrics::v1::MET) cell.set("met", true);
        if (m.published()) {
          cell.set("published", true);
          if (m.has_published_value() &&
              (!m.has_value() || std::abs(m.published_value() - m.value()) > 1e-9)) {
            cell.set("published_value", IndicatorValue("fr", i.unit(), m.published_value()));
          }
        }
        cells.push_back(cell);
      }
      r.set("cells", cells);
      rows.push_back(r);
      mustache::data option;
      option.set("id", i.id());
      option.set("title", title);
      indicators.push_back(option);
      if (i.manual()) manual.push_back(option);
      static const std::set<std::string> kCharted = {"noshow_rate", "booking_delay_mean",
                                                     "wait_mean", "received_total"};
      if (kCharted.count(i.id()) != 0) {
        mustache::data chart;
        chart.set("title", title);
        chart.set("svg", Chart(row, title, "chart-" + i.id()));
        charts.push_back(chart);
      }
    }
    data.set("rows", rows);
    data.set("charts", charts);
    data.set("indicators", indicators);
    data.set("manual", manual);
    return Render(ctx, "agent_quality", absl::StrCat("Qualité — ", site->display_name()), data,
                  status);
  }

  int QualityAction(PageContext& ctx, const std::string& site, const Bindings& form,
                    mustache::data* data) {
    const std::string action = Param(form, "action");
    const std::string request_id = RequestIdOf(form);
    absl::Status s;
    std::string done;
    double value = 0;
    const bool number =
        absl::SimpleAtod(absl::StrReplaceAll(Param(form, "valeur"), {{",", "."}}), &value);
    if (action == "objectif") {
      metrics::v1::SetObjectiveRequest req;
      req.mutable_objective()->set_site(site);
      req.mutable_objective()->set_indicator(Param(form, "indicateur"));
      req.mutable_objective()->set_value(value);
      req.mutable_objective()->set_direction(Param(form, "sens") == "max" ? metrics::v1::AT_MOST
                                                                          : metrics::v1::AT_LEAST);
      req.set_request_id(request_id);
      metrics::v1::Objective out;
      s = number ? CallOn<metrics::v1::MetricsService>(
                       ctx, "metrics", &metrics::v1::MetricsService::Stub::SetObjective, req, &out)
                 : InvalidField("INVALID_VALUE", "valeur", "not a number");
      done = "Objectif enregistré.";
    } else if (action == "saisie") {
      metrics::v1::RecordManualValueRequest req;
      req.mutable_value()->set_site(site);
      req.mutable_value()->set_indicator(Param(form, "indicateur"));
      req.mutable_value()->set_month(Param(form, "mois"));
      req.mutable_value()->set_value(value);
      req.set_request_id(request_id);
      metrics::v1::ManualValue out;
      s = number ? CallOn<metrics::v1::MetricsService>(
                       ctx, "metrics", &metrics::v1::MetricsService::Stub::RecordManualValue, req,
                       &out)
                 : InvalidField("INVALID_VALUE", "valeur", "not a number");
      done = "Valeur enregistrée.";
    } else if (action == "publier") {
      metrics::v1::PublishReportRequest req;
      req.set_site(site);
      req.set_month(Param(form, "mois"));
      req.set_reason(Trimmed(form, "motif"));
      req.set_request_id(request_id);
      metrics::v1::PublishedMonth out;
      s = CallOn<metrics::v1::MetricsService>(
          ctx, "metrics", &metrics::v1::MetricsService::Stub::PublishReport, req, &out);
      done =
          out.restatements().empty()
              ? absl::StrCat("Mois ", req.month(), " publié.")
              : absl::StrCat("Mois ", req.month(), " publié de nouveau : ", out.restatements_size(),
                             " valeur(s) rectifiée(s).");
    } else {
      s = Error(absl::StatusCode::kInvalidArgument, "UNKNOWN_ACTION", "unknown action");
    }
    return Outcome(ctx, s, done, data);
  }

  // QualityCsv: the period's table as CSV (one line per indicator and
  // month), for a spreadsheet.
  HttpResponse QualityCsv(PageContext& ctx, const Agent& agent, const std::string& site_id) {
    absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, {access::v1::QUALITY_OFFICER}, site_id);
    if (!site.ok()) return Refusal(ctx, site.status());
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(site->time_zone(), &zone)) zone = absl::UTCTimeZone();
    const Period period = PeriodOf(ctx, zone);
    absl::StatusOr<metrics::v1::IndicatorReport> report = Report(ctx, site->name(), period);
    if (!report.ok()) return Failure(ctx, report.status());
    std::string csv =
        "indicator,title,unit,month,value,observations,objective,direction,attainment,"
        "published,published_value\r\n";
    auto quoted = [](const std::string& text) {
      return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
    };
    for (const metrics::v1::IndicatorRow& row : report->rows()) {
      const metrics::v1::Indicator& i = row.indicator();
      for (const metrics::v1::MonthValue& m : row.months()) {
        absl::StrAppend(
            &csv, i.id(), ",", quoted(IndicatorTitle("fr", i.id(), i.title())), ",", i.unit(), ",",
            m.month(), ",", m.has_value() ? absl::StrCat(m.value()) : "", ",", m.count(), ",",
            row.has_objective() ? absl::StrCat(row.objective().value()) : "", ",",
            row.has_objective() ? metrics::v1::Direction_Name(row.objective().direction()) : "",
            ",", metrics::v1::Attainment_Name(m.attainment()), ",", m.published() ? "yes" : "no",
            ",", m.has_published_value() ? absl::StrCat(m.published_value()) : "", "\r\n");
      }
    }
    HttpResponse response;
    response.content_type = "text/csv; charset=utf-8";
    response.headers.emplace_back("Content-Disposition",
                                  absl::StrCat("attachment; filename=\"indicateurs-site-", site_id,
                                               "-", period.From(), "-", period.To(), ".csv\""));
    response.body = std::move(csv);
    return Personal(ctx, std::move(response));
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
    if (std::optional<Bindings> b = MatchPath(queue_path, request.path); b && get) {
      return QueueFragment(ctx, Param(*b, "site"));
    }
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
    if (std::optional<Bindings> b = MatchPath(quality_path, request.path)) {
      if (get || form != nullptr) return Quality(ctx, *agent, Param(*b, "site"), form);
    }
    if (AdminPages::Owns(request.path)) return admin.Handle(ctx, *agent, form);
    if (PersonPages::Owns(request.path)) return persons.Handle(ctx, *agent, form);
    if (std::optional<Bindings> b = MatchPath(quality_csv_path, request.path); b && get) {
      return QualityCsv(ctx, *agent, Param(*b, "site"));
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
