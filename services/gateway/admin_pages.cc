#include "services/gateway/admin_pages.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "services/common/errors.h"
#include "services/common/gate.h"
#include "services/common/grpc_status.h"
#include "services/common/status_macros.h"
#include "services/gateway/form_text.h"
#include "services/gateway/json_routes.h"
#include "services/gateway/web_text.h"

namespace accueil::gateway {
namespace {

namespace v1 = booking::v1;
namespace rv1 = reception::v1;
namespace nv1 = notify::v1;

const std::vector<Choice<v1::DeskKind>>& DeskKinds() {
  static const std::vector<Choice<v1::DeskKind>> k = {
      {v1::RESIDENCE_PERMIT_FIRST_APPLICATION, "premiere", "Titre de séjour : première demande"},
      {v1::RESIDENCE_PERMIT_RENEWAL, "renouvellement", "Titre de séjour : renouvellement"},
      {v1::RESIDENCE_PERMIT_COLLECTION, "remise", "Titre de séjour : remise du titre"},
      {v1::DIGITAL_ACCESS_POINT, "numerique", "Point d'accueil numérique"},
      {v1::OTHER, "autre", "Autre accueil"}};
  return k;
}

// The agents' notices a desk may word its own way.
const std::vector<Choice<nv1::Template>>& NoticeKinds() {
  static const std::vector<Choice<nv1::Template>> k = {
      {nv1::CONVOCATION, "CONVOCATION", "Convocation"},
      {nv1::DOCUMENTS_MISSING, "DOCUMENTS_MISSING", "Pièces manquantes"},
      {nv1::PERMIT_READY, "PERMIT_READY", "Titre disponible"}};
  return k;
}

const char* const kDays[] = {"",      "Lundi",    "Mardi",  "Mercredi",
                             "Jeudi", "Vendredi", "Samedi", "Dimanche"};

google::type::Date DateOf(absl::CivilDay day) {
  google::type::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

absl::CivilDay DayOf(const google::type::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

// A whole number typed into `field`, within [min, max] (the service checks
// its own bounds again and names its field).
absl::StatusOr<int> Count(const Bindings& form, std::string_view field, int min, int max) {
  std::optional<int> n = ParseCount(Param(form, field), min, max);
  if (!n) {
    return InvalidField("INVALID_NUMBER", field,
                        absl::StrCat("a whole number between ", min, " and ", max));
  }
  return *n;
}

absl::StatusOr<absl::CivilDay> Day(const Bindings& form, std::string_view field) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(Param(form, field), &day)) {
    return InvalidField("INVALID_DATE", field, "not a day: YYYY-MM-DD");
  }
  return day;
}

google::protobuf::Duration Minutes(int minutes) {
  google::protobuf::Duration d;
  d.set_seconds(int64_t{minutes} * 60);
  return d;
}

}  // namespace

struct AdminPages::Impl : AgentKit {
  PathTemplate site_path = *ParsePathTemplate("/agent/admin/{site}");
  PathTemplate desk_path = *ParsePathTemplate("/agent/admin/{site}/guichet/{desk}");

  using AgentKit::AgentKit;

  // ------------------------------------------------------------ new site

  HttpResponse NewSite(PageContext& ctx, const Agent& agent, const Bindings* form) {
    // A site belongs to nobody yet: only an administrator of every site
    // creates one (booking's policy says the same).
    if (!agent.HoldsEverywhere(access::v1::ADMINISTRATOR)) return Refused(ctx);
    mustache::data data;
    int status = 200;
    if (form != nullptr) {
      v1::CreateSiteRequest req;
      req.mutable_site()->set_display_name(Trimmed(*form, "nom"));
      req.mutable_site()->set_address(Trimmed(*form, "adresse"));
      req.mutable_site()->set_time_zone(Trimmed(*form, "fuseau"));
      req.set_request_id(RequestIdOf(*form));
      v1::Site site;
      absl::Status s = Call(ctx, &v1::BookingService::Stub::CreateSite, req, &site);
      if (s.ok()) return SeeOther(ctx, absl::StrCat("/agent/admin/", IdOf(site.name())));
      data.set("error_text", AgentError(ctx, s));
      data.set("nom", req.site().display_name());
      data.set("adresse", req.site().address());
      data.set("fuseau", req.site().time_zone());
      status = HttpStatusOf(s.code());
    } else {
      data.set("fuseau", "Europe/Paris");
    }
    data.set("request_id", NewRequestId());
    return Render(ctx, "agent_admin_new_site", "Nouveau site", data, status);
  }

  // ---------------------------------------------------------------- site

  // Site: the site's desks (each a link to its page) and a new one, the
  // counters and a new one, the device tokens of its kiosks and displays,
  // the roles on the site, the audit log.
  HttpResponse Site(PageContext& ctx, const Agent& agent, const std::string& site_id,
                    const Bindings* form) {
    absl::StatusOr<SitePlace> place = PlaceFor(ctx, agent, {access::v1::ADMINISTRATOR}, site_id);
    if (!place.ok()) return Refusal(ctx, place.status());
    mustache::data data;
    int status = 200;
    if (form != nullptr) {
      std::optional<HttpResponse> moved;
      status = SiteAction(ctx, *place, *form, &data, &moved);
      if (moved) return *std::move(moved);
    }
    data.set("site_id", site_id);
    data.set("site_name", place->site.display_name());
    data.set("site_address", place->site.address());
    data.set("site_zone", place->site.time_zone());
    for (const char* action : {"guichet", "poste", "appareil", "role"}) {
      data.set(absl::StrCat("rid_", action), NewRequestId());
    }
    data.set("kinds", Choices(DeskKinds()));
    mustache::data desks{mustache::data::type::list};
    for (const v1::Desk& d : place->desks) {
      mustache::data item;
      item.set("name", d.name());
      item.set("id", IdOf(d.name()));
      item.set("display_name", d.display_name());
      item.set("href", absl::StrCat("/agent/admin/", site_id, "/guichet/", IdOf(d.name())));
      for (const Choice<v1::DeskKind>& k : DeskKinds()) {
        if (k.value == d.kind()) item.set("kind", k.label);
      }
      item.set("slot", absl::StrCat(d.slot_duration().seconds() / 60));
      item.set("capacity", absl::StrCat(d.capacity_per_slot()));
      desks.push_back(item);
    }
    data.set("desks", desks);
    if (place->desks.empty()) data.set("no_desk", true);

    rv1::ListCountersRequest creq;
    creq.set_site(place->site.name());
    rv1::ListCountersResponse counters;
    if (absl::Status s =
            Reception(ctx, &rv1::ReceptionService::Stub::ListCounters, creq, &counters);
        !s.ok()) {
      return Failure(ctx, s);
    }
    mustache::data counter_list{mustache::data::type::list};
    for (const rv1::Counter& c : counters.counters()) {
      std::vector<std::string> served;
      for (const std::string& d : c.desks()) served.push_back(place->DeskName(d));
      mustache::data item;
      item.set("display_name", c.display_name());
      item.set("desks", absl::StrJoin(served, ", "));
      item.set("state", c.open() ? "ouvert aujourd'hui" : "fermé");
      counter_list.push_back(item);
    }
    data.set("counters", counter_list);

    absl::StatusOr<std::vector<access::v1::DeviceToken>> devices = DevicesOf(ctx, place->site);
    if (!devices.ok()) return Failure(ctx, devices.status());
    mustache::data device_list{mustache::data::type::list};
    for (const access::v1::DeviceToken& t : *devices) {
      mustache::data item;
      item.set("name", t.name());
      item.set("display_name", t.display_name());
      item.set("created", ShortTime(FromTimestamp(t.create_time()), place->zone));
      item.set("request_id", NewRequestId());
      if (t.has_revoke_time()) {
        item.set("revoked", ShortTime(FromTimestamp(t.revoke_time()), place->zone));
      }
      device_list.push_back(item);
    }
    data.set("devices", device_list);

    absl::StatusOr<std::vector<access::v1::RoleBinding>> bindings =
        RoleBindingsOf(ctx, place->site);
    if (!bindings.ok()) return Failure(ctx, bindings.status());
    mustache::data roles{mustache::data::type::list};
    for (const access::v1::RoleBinding& b : *bindings) {
      mustache::data item;
      item.set("name", b.name());
      item.set("subject", b.subject());
      item.set("role", access::v1::Role_Name(b.role()));
      item.set("site", b.site().empty() ? std::string("tous les sites") : b.site());
      if (b.site() == place->site.name()) item.set("revocable", true);
      item.set("request_id", NewRequestId());
      roles.push_back(item);
    }
    data.set("roles", roles);

    access::v1::ListAuditEventsRequest areq;
    areq.set_site(place->site.name());
    areq.set_page_size(50);
    access::v1::ListAuditEventsResponse audit;
    if (absl::Status s =
            Access(ctx, &access::v1::AccessService::Stub::ListAuditEvents, areq, &audit);
        !s.ok()) {
      return Failure(ctx, s);
    }
    mustache::data events{mustache::data::type::list};
    for (const access::v1::AuditEvent& e : audit.audit_events()) {
      mustache::data item;
      item.set("time", ShortTime(FromTimestamp(e.time()), place->zone));
      item.set("subject", e.subject());
      item.set("method", e.method().substr(e.method().find_last_of("/.") + 1));
      item.set("resource", e.resource());
      item.set("reason", e.reason());
      item.set("outcome", e.outcome());
      events.push_back(item);
    }
    data.set("events", events);
    return Render(ctx, "agent_admin", absl::StrCat("Administration — ", place->site.display_name()),
                  data, status);
  }

  int SiteAction(PageContext& ctx, const SitePlace& place, const Bindings& form,
                 mustache::data* data, std::optional<HttpResponse>* moved) {
    const std::string action = Param(form, "action");
    const std::string request_id = RequestIdOf(form);
    absl::Status s;
    std::string done;
    if (action == "guichet") {
      // A new desk: its page follows, to set its hours and documents.
      v1::CreateDeskRequest req;
      req.set_parent(place.site.name());
      req.mutable_desk()->set_display_name(Trimmed(form, "nom"));
      req.mutable_desk()->set_kind(Chosen(DeskKinds(), form, "nature"));
      req.set_request_id(request_id);
      absl::StatusOr<int> minutes = Count(form, "duree", 1, 1440);
      absl::StatusOr<int> capacity = Count(form, "capacite", 1, 1000);
      s = !minutes.ok() ? minutes.status() : capacity.status();
      v1::Desk desk;
      if (s.ok()) {
        *req.mutable_desk()->mutable_slot_duration() = Minutes(*minutes);
        req.mutable_desk()->set_capacity_per_slot(*capacity);
        s = Call(ctx, &v1::BookingService::Stub::CreateDesk, req, &desk);
      }
      if (s.ok()) {
        *moved = SeeOther(ctx, absl::StrCat("/agent/admin/", IdOf(place.site.name()), "/guichet/",
                                            IdOf(desk.name()), "?cree=1"));
        return 303;
      }
      data->set("desk_nom", req.desk().display_name());
    } else if (action == "poste") {
      rv1::CreateCounterRequest req;
      req.mutable_counter()->set_site(place.site.name());
      req.mutable_counter()->set_display_name(Trimmed(form, "nom"));
      for (const auto& [k, v] : form) {
        if (k == "guichets") req.mutable_counter()->add_desks(v);
      }
      req.set_request_id(request_id);
      rv1::Counter counter;
      s = Reception(ctx, &rv1::ReceptionService::Stub::CreateCounter, req, &counter);
      done = absl::StrCat("« ", counter.display_name(),
                          " » créé : un agent de guichet peut l'ouvrir pour la journée.");
    } else if (action == "appareil") {
      access::v1::CreateDeviceTokenRequest req;
      req.set_site(place.site.name());
      req.set_display_name(Trimmed(form, "nom"));
      req.set_request_id(request_id);
      access::v1::DeviceToken token;
      s = Access(ctx, &access::v1::AccessService::Stub::CreateDeviceToken, req, &token);
      if (s.ok()) {
        data->set("new_token", token.token());
        done = absl::StrCat("Jeton de « ", token.display_name(),
                            " » créé : saisissez-le une fois sur l'appareil (/borne ou /ecran). "
                            "Il ne sera plus affiché.");
      }
    } else if (action == "revoquer") {
      access::v1::RevokeDeviceTokenRequest req;
      req.set_name(Param(form, "appareil"));
      req.set_request_id(request_id);
      access::v1::DeviceToken token;
      s = OfThisSite(ctx, place, req.name(), "appareil");
      if (s.ok()) s = Access(ctx, &access::v1::AccessService::Stub::RevokeDeviceToken, req, &token);
      done = "Jeton révoqué : l'appareil est déconnecté dans la minute.";
    } else if (action == "role") {
      access::v1::GrantRoleRequest req;
      req.set_subject(Trimmed(form, "sujet"));
      access::v1::Role role = access::v1::ROLE_UNSPECIFIED;
      access::v1::Role_Parse(Param(form, "role"), &role);
      req.set_role(role);
      req.set_site(place.site.name());
      req.set_request_id(request_id);
      access::v1::RoleBinding binding;
      s = Access(ctx, &access::v1::AccessService::Stub::GrantRole, req, &binding);
      done = "Rôle donné.";
    } else if (action == "retirer") {
      access::v1::RevokeRoleRequest req;
      req.set_name(Param(form, "liaison"));
      req.set_request_id(request_id);
      access::v1::RoleBinding binding;
      s = OfThisSite(ctx, place, req.name(), "liaison");
      if (s.ok()) s = Access(ctx, &access::v1::AccessService::Stub::RevokeRole, req, &binding);
      done = "Rôle retiré : il ne vaut plus dès la page suivante de l'agent.";
    } else {
      s = Error(absl::StatusCode::kInvalidArgument, "UNKNOWN_ACTION", "unknown action");
    }
    return Outcome(ctx, s, done, data);
  }

  // DevicesOf, RoleBindingsOf: all of the site's, page after page.
  absl::StatusOr<std::vector<access::v1::DeviceToken>> DevicesOf(const PageContext& ctx,
                                                                 const v1::Site& site) {
    std::vector<access::v1::DeviceToken> out;
    access::v1::ListDeviceTokensRequest req;
    req.set_site(site.name());
    req.set_page_size(100);
    do {
      access::v1::ListDeviceTokensResponse page;
      RETURN_IF_ERROR(Access(ctx, &access::v1::AccessService::Stub::ListDeviceTokens, req, &page));
      out.insert(out.end(), page.device_tokens().begin(), page.device_tokens().end());
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }
  absl::StatusOr<std::vector<access::v1::RoleBinding>> RoleBindingsOf(const PageContext& ctx,
                                                                      const v1::Site& site) {
    std::vector<access::v1::RoleBinding> out;
    access::v1::ListRoleBindingsRequest req;
    req.set_site(site.name());
    req.set_page_size(200);
    do {
      access::v1::ListRoleBindingsResponse page;
      RETURN_IF_ERROR(Access(ctx, &access::v1::AccessService::Stub::ListRoleBindings, req, &page));
      out.insert(out.end(), page.role_bindings().begin(), page.role_bindings().end());
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }

  // OfThisSite: a device token or role binding the form names is one of the
  // page's site (access checks the agent's rights on the resource's own
  // site; this keeps an administrator of two sites from acting on one from
  // the other's page). A role given on every site is not taken back here.
  absl::Status OfThisSite(PageContext& ctx, const SitePlace& place, const std::string& name,
                          std::string_view field) {
    bool found = false;
    if (absl::StartsWith(name, "devices/")) {
      ASSIGN_OR_RETURN(std::vector<access::v1::DeviceToken> devices, DevicesOf(ctx, place.site));
      for (const access::v1::DeviceToken& t : devices) found |= t.name() == name;
    } else {
      ASSIGN_OR_RETURN(std::vector<access::v1::RoleBinding> bindings,
                       RoleBindingsOf(ctx, place.site));
      for (const access::v1::RoleBinding& b : bindings) {
        found |= b.name() == name && b.site() == place.site.name();
      }
    }
    if (!found) return InvalidField("NOT_OF_THIS_SITE", field, "not one of this site's");
    return absl::OkStatus();
  }

  // ---------------------------------------------------------------- desk

  HttpResponse DeskPage(PageContext& ctx, const Agent& agent, const Bindings& path,
                        const Bindings* form) {
    const std::string site_id = Param(path, "site");
    absl::StatusOr<SitePlace> place = PlaceFor(ctx, agent, {access::v1::ADMINISTRATOR}, site_id);
    if (!place.ok()) return Refusal(ctx, place.status());
    // The desk must be the site's: the services check the agent's rights on
    // the desk's own site, this keeps the page's site and the desk together.
    const std::string desk_name = absl::StrCat("desks/", Param(path, "desk"));
    if (!Digits(Param(path, "desk")) || place->FindDesk(desk_name) == nullptr) {
      return Message(ctx, "not_found", "not_found_text", 404);
    }
    mustache::data data;
    int status = 200;
    if (form != nullptr) {
      status = DeskAction(ctx, *place, desk_name, *form, &data);
      // As the action left it.
      absl::StatusOr<SitePlace> again = Place(ctx, place->site);
      if (!again.ok()) return Failure(ctx, again.status());
      place = *std::move(again);
    } else if (Param(ctx.query, "cree") == "1") {
      data.set("done", "Guichet créé : donnez ses horaires, puis ouvrez ses créneaux.");
    }
    const v1::Desk& desk = *place->FindDesk(desk_name);
    data.set("site_id", site_id);
    data.set("site_name", place->site.display_name());
    data.set("desk_name", desk.display_name());
    data.set("kinds", Choices(DeskKinds(), desk.kind()));
    data.set("slot", absl::StrCat(desk.slot_duration().seconds() / 60));
    data.set("capacity", absl::StrCat(desk.capacity_per_slot()));
    data.set("grace", absl::StrCat(desk.arrival_grace().seconds() / 60));
    for (const char* action :
         {"description", "consignes", "horaires", "fermer", "creneaux", "accueil", "rappels"}) {
      data.set(absl::StrCat("rid_", action), NewRequestId());
    }

    // Documents and instructions, one block per language of the pages.
    mustache::data languages{mustache::data::type::list};
    for (const std::string& lang : PageLanguages()) {
      mustache::data item;
      item.set("code", lang);
      item.set("name", LanguageName(lang));
      if (RightToLeft(lang)) item.set("rtl", true);
      for (const v1::DeskInstructions& i : desk.instructions()) {
        if (i.language() != lang) continue;
        item.set("documents", absl::StrJoin(i.documents(), "\n"));
        item.set("instructions", i.instructions());
      }
      languages.push_back(item);
    }
    data.set("languages", languages);

    // Weekly hours, one line per day, and the closures.
    v1::GetOpeningHoursRequest hreq;
    hreq.set_desk(desk_name);
    v1::OpeningHours hours;
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::GetOpeningHours, hreq, &hours);
        !s.ok()) {
      return Failure(ctx, s);
    }
    mustache::data days{mustache::data::type::list};
    for (int day = 1; day <= 7; ++day) {
      DayRanges ranges;
      for (const v1::WeeklyRange& r : hours.weekly()) {
        if (r.iso_weekday() == day) ranges.emplace_back(r.start_minute(), r.end_minute());
      }
      std::sort(ranges.begin(), ranges.end());
      mustache::data item;
      item.set("n", absl::StrCat(day));
      item.set("label", kDays[day]);
      // A form sent back with an error keeps what the agent typed.
      const std::string typed =
          form != nullptr && status != 200 && Param(*form, "action") == "horaires"
              ? Param(*form, absl::StrCat("jour_", day))
              : FormatDayRanges(ranges);
      item.set("value", typed);
      days.push_back(item);
    }
    data.set("days", days);
    mustache::data closures{mustache::data::type::list};
    const absl::CivilDay today = absl::ToCivilDay(Now(), place->zone);
    for (const v1::Closure& c : hours.closures()) {
      if (DayOf(c.date()) < today) continue;
      mustache::data item;
      item.set("day", LongDate("fr", DayOf(c.date())));
      item.set("iso", absl::FormatCivilTime(DayOf(c.date())));
      item.set("request_id", NewRequestId());
      item.set("reason", c.reason());
      closures.push_back(item);
    }
    data.set("closures", closures);
    data.set("release_from", absl::FormatCivilTime(today + 1));
    data.set("release_to", absl::FormatCivilTime(today + 28));

    // Reception: the ticket prefix, recalls, priority, the day's closing.
    rv1::ListDeskSettingsRequest sreq;
    sreq.set_site(place->site.name());
    rv1::ListDeskSettingsResponse settings;
    if (absl::Status s =
            Reception(ctx, &rv1::ReceptionService::Stub::ListDeskSettings, sreq, &settings);
        !s.ok()) {
      return Failure(ctx, s);
    }
    for (const rv1::DeskSettings& d : settings.settings()) {
      if (d.desk() != desk_name) continue;
      data.set("prefix", d.ticket_prefix());
      data.set("recalls", absl::StrCat(d.recall_count()));
      if (d.priority_first()) data.set("priority_first", true);
      data.set("closing", d.closing_time());
    }

    // Reminders and attendance confirmation (notify).
    nv1::GetDeskNotifySettingsRequest nreq;
    nreq.set_desk(desk_name);
    nv1::DeskNotifySettings notify;
    if (absl::Status s =
            Notify(ctx, &nv1::NotifyService::Stub::GetDeskNotifySettings, nreq, &notify);
        !s.ok()) {
      return Failure(ctx, s);
    }
    if (notify.has_email_before()) {
      data.set("email_on", true);
      data.set("email_hours", absl::StrCat(notify.email_before().seconds() / 3600));
    } else {
      data.set("email_hours", "48");
    }
    if (notify.sms_reminder()) data.set("sms_on", true);
    data.set("sms_days", absl::StrCat(notify.sms_days_before()));
    data.set("sms_time",
             notify.sms_local_time().empty() ? std::string("10:00") : notify.sms_local_time());
    data.set("confirm_after", absl::StrCat(notify.confirm_after_noshows()));
    data.set(
        "confirm_hours",
        absl::StrCat(notify.has_confirm_before() ? notify.confirm_before().seconds() / 3600 : 48));
    // The agents' notices, in the desk's words or the built-in ones.
    nv1::ListNoticeTemplatesRequest treq;
    treq.set_desk(desk_name);
    nv1::ListNoticeTemplatesResponse texts;
    if (absl::Status s = Notify(ctx, &nv1::NotifyService::Stub::ListNoticeTemplates, treq, &texts);
        !s.ok()) {
      return Failure(ctx, s);
    }
    const bool retyped = form != nullptr && status != 200 && Param(*form, "action") == "avis";
    mustache::data notices{mustache::data::type::list};
    for (const Choice<nv1::Template>& n : NoticeKinds()) {
      mustache::data notice;
      notice.set("label", n.label);
      mustache::data entries{mustache::data::type::list};
      for (const nv1::NoticeTemplate& t : texts.notice_templates()) {
        if (t.notice() != n.value) continue;
        const std::string channel = nv1::Channel_Name(t.channel());
        mustache::data e;
        e.set("notice", n.form);
        e.set("language", t.language());
        e.set("channel", channel);
        e.set("id", absl::AsciiStrToLower(absl::StrCat(n.form, "-", t.language(), "-", channel)));
        e.set("title", absl::StrCat(LanguageName(t.language()), " — ",
                                    t.channel() == nv1::SMS ? "SMS" : "courriel"));
        const bool this_one = retyped && Param(*form, "avis") == n.form &&
                              Param(*form, "langue") == t.language() &&
                              Param(*form, "canal") == channel;
        e.set("text", this_one ? Param(*form, "texte") : t.text());
        if (t.custom()) {
          e.set("custom", true);
          e.set("updated", ShortTime(FromTimestamp(t.update_time()), place->zone));
        }
        entries.push_back(e);
      }
      notice.set("entries", entries);
      notices.push_back(notice);
    }
    data.set("notices", notices);
    return Render(ctx, "agent_admin_desk",
                  absl::StrCat(desk.display_name(), " — ", place->site.display_name()), data,
                  status);
  }

  int DeskAction(PageContext& ctx, const SitePlace& place, const std::string& desk_name,
                 const Bindings& form, mustache::data* data) {
    const std::string action = Param(form, "action");
    const std::string request_id = RequestIdOf(form);
    const v1::Desk& desk = *place.FindDesk(desk_name);
    absl::Status s;
    std::string done;
    if (action == "description") {
      s = Describe(ctx, desk, form, request_id);
      done = "Description enregistrée (les créneaux déjà ouverts gardent leur durée).";
    } else if (action == "consignes") {
      s = Instruct(ctx, desk, form, request_id);
      done =
          "Pièces à fournir et consignes enregistrées : les pages et les messages les "
          "donnent dès maintenant.";
    } else if (action == "horaires" || action == "fermer" || action == "rouvrir") {
      s = SetHours(ctx, desk, form, request_id, &done);
    } else if (action == "creneaux") {
      s = Release(ctx, place, desk, form, request_id, &done);
    } else if (action == "accueil") {
      rv1::UpdateDeskSettingsRequest req;
      req.mutable_settings()->set_desk(desk_name);
      req.mutable_settings()->set_site(place.site.name());
      req.mutable_settings()->set_ticket_prefix(absl::AsciiStrToUpper(Trimmed(form, "prefixe")));
      req.mutable_settings()->set_priority_first(Param(form, "priorite") == "oui");
      req.mutable_settings()->set_closing_time(Trimmed(form, "fermeture"));
      req.set_request_id(request_id);
      absl::StatusOr<int> recalls = Count(form, "rappels", 0, 100);
      s = recalls.status();
      if (s.ok()) {
        req.mutable_settings()->set_recall_count(*recalls);
        rv1::DeskSettings out;
        s = Reception(ctx, &rv1::ReceptionService::Stub::UpdateDeskSettings, req, &out);
      }
      done = "Réglages de l'accueil enregistrés.";
    } else if (action == "rappels") {
      s = Remind(ctx, desk, form);
      done = "Rappels enregistrés : ils valent pour les rappels décidés désormais.";
    } else if (action == "avis") {
      nv1::UpdateNoticeTemplateRequest req;
      nv1::NoticeTemplate& t = *req.mutable_notice_template();
      t.set_desk(desk_name);
      t.set_notice(Chosen(NoticeKinds(), form, "avis"));
      t.set_language(Param(form, "langue"));
      nv1::Channel channel = nv1::CHANNEL_UNSPECIFIED;
      nv1::Channel_Parse(Param(form, "canal"), &channel);
      t.set_channel(channel);
      const bool original = Param(form, "origine") == "oui";
      if (!original) t.set_text(absl::StrReplaceAll(Param(form, "texte"), {{"\r\n", "\n"}}));
      nv1::NoticeTemplate out;
      s = Notify(ctx, &nv1::NotifyService::Stub::UpdateNoticeTemplate, req, &out);
      done = original ? "Texte d'origine rétabli pour cet avis."
                      : "Texte de l'avis enregistré : il vaut pour les avis envoyés désormais.";
    } else {
      s = Error(absl::StatusCode::kInvalidArgument, "UNKNOWN_ACTION", "unknown action");
    }
    return Outcome(ctx, s, done, data);
  }

  absl::Status Describe(PageContext& ctx, const v1::Desk& desk, const Bindings& form,
                        const std::string& request_id) {
    v1::UpdateDeskRequest req;
    req.mutable_desk()->set_name(desk.name());
    req.mutable_desk()->set_display_name(Trimmed(form, "nom"));
    req.mutable_desk()->set_kind(Chosen(DeskKinds(), form, "nature"));
    ASSIGN_OR_RETURN(int minutes, Count(form, "duree", 1, 1440));
    ASSIGN_OR_RETURN(int capacity, Count(form, "capacite", 1, 1000));
    ASSIGN_OR_RETURN(int grace, Count(form, "delai", 0, 1440));
    *req.mutable_desk()->mutable_slot_duration() = Minutes(minutes);
    req.mutable_desk()->set_capacity_per_slot(capacity);
    *req.mutable_desk()->mutable_arrival_grace() = Minutes(grace);
    for (const char* field :
         {"display_name", "kind", "slot_duration", "capacity_per_slot", "arrival_grace"}) {
      req.mutable_update_mask()->add_paths(field);
    }
    req.set_request_id(request_id);
    v1::Desk out;
    return Call(ctx, &v1::BookingService::Stub::UpdateDesk, req, &out);
  }

  // Instruct: per language, the documents (one per line) and the
  // instructions; a language left blank is dropped.
  absl::Status Instruct(PageContext& ctx, const v1::Desk& desk, const Bindings& form,
                        const std::string& request_id) {
    v1::UpdateDeskRequest req;
    req.mutable_desk()->set_name(desk.name());
    for (const std::string& lang : PageLanguages()) {
      v1::DeskInstructions i;
      i.set_language(lang);
      const std::string documents =
          absl::StrReplaceAll(Param(form, absl::StrCat("pieces_", lang)), {{"\r\n", "\n"}});
      for (absl::string_view line : absl::StrSplit(documents, '\n')) {
        line = absl::StripAsciiWhitespace(line);
        if (!line.empty()) i.add_documents(std::string(line));
      }
      i.set_instructions(std::string(absl::StripAsciiWhitespace(
          absl::StrReplaceAll(Param(form, absl::StrCat("consignes_", lang)), {{"\r\n", "\n"}}))));
      if (i.documents_size() > 0 || !i.instructions().empty()) {
        *req.mutable_desk()->add_instructions() = std::move(i);
      }
    }
    req.mutable_update_mask()->add_paths("instructions");
    req.set_request_id(request_id);
    v1::Desk out;
    return Call(ctx, &v1::BookingService::Stub::UpdateDesk, req, &out);
  }

  // SetHours: the desk's hours read, the week's ranges replaced, a closure
  // added or removed, all written back. Closing a day cancels its booked
  // appointments in the same transaction, and notify tells each person;
  // reopening it offers its slots again.
  absl::Status SetHours(PageContext& ctx, const v1::Desk& desk, const Bindings& form,
                        const std::string& request_id, std::string* done) {
    const std::string action = Param(form, "action");
    v1::GetOpeningHoursRequest get;
    get.set_desk(desk.name());
    v1::SetOpeningHoursRequest set;
    RETURN_IF_ERROR(
        Call(ctx, &v1::BookingService::Stub::GetOpeningHours, get, set.mutable_opening_hours()));
    v1::OpeningHours& hours = *set.mutable_opening_hours();
    if (action == "horaires") {
      hours.clear_weekly();
      for (int day = 1; day <= 7; ++day) {
        const std::string field = absl::StrCat("jour_", day);
        std::optional<DayRanges> ranges = ParseDayRanges(Param(form, field));
        if (!ranges) {
          return InvalidField("INVALID_HOURS", field, "ranges such as 09:00-12:00 13:30-16:30");
        }
        for (const auto& [start, end] : *ranges) {
          v1::WeeklyRange* r = hours.add_weekly();
          r->set_iso_weekday(day);
          r->set_start_minute(start);
          r->set_end_minute(end);
        }
      }
      *done = "Horaires enregistrés : les créneaux ouverts désormais les suivent.";
    } else if (action == "fermer") {
      ASSIGN_OR_RETURN(absl::CivilDay day, Day(form, "jour"));
      v1::Closure* closure = hours.add_closures();
      *closure->mutable_date() = DateOf(day);
      closure->set_reason(Trimmed(form, "motif"));
      *done = absl::StrCat(desk.display_name(), " fermé le ", LongDate("fr", day),
                           " : les rendez-vous de ce jour sont annulés et les personnes "
                           "prévenues.");
    } else {
      ASSIGN_OR_RETURN(absl::CivilDay day, Day(form, "jour"));
      auto* closures = hours.mutable_closures();
      const auto before = closures->size();
      closures->erase(std::remove_if(closures->begin(), closures->end(),
                                     [&](const v1::Closure& c) { return DayOf(c.date()) == day; }),
                      closures->end());
      if (closures->size() == before) {
        return InvalidField("NOT_CLOSED", "jour", "the desk is not closed that day");
      }
      *done = absl::StrCat(desk.display_name(), " rouvert le ", LongDate("fr", day),
                           " : ses créneaux sont de nouveau offerts (les rendez-vous annulés "
                           "le restent).");
    }
    set.set_request_id(request_id);
    v1::OpeningHours out;
    return Call(ctx, &v1::BookingService::Stub::SetOpeningHours, set, &out);
  }

  // Release: the desk's slots of a span of days, bookable at once or from a
  // time (site's clock), optionally drawn at random within a window so
  // nobody can watch for it.
  absl::Status Release(PageContext& ctx, const SitePlace& place, const v1::Desk& desk,
                       const Bindings& form, const std::string& request_id, std::string* done) {
    v1::ReleaseSlotsRequest req;
    req.set_desk(desk.name());
    ASSIGN_OR_RETURN(absl::CivilDay from, Day(form, "du"));
    ASSIGN_OR_RETURN(absl::CivilDay to, Day(form, "au"));
    *req.mutable_start_date() = DateOf(from);
    *req.mutable_end_date() = DateOf(to);
    if (const std::string at = Trimmed(form, "ouverture"); !at.empty()) {
      absl::CivilMinute minute;
      if (!absl::ParseCivilTime(at, &minute)) {
        return InvalidField("INVALID_DATE", "ouverture", "a day and a time: YYYY-MM-DDTHH:MM");
      }
      const absl::Time t = absl::FromCivil(minute, place.zone);
      req.mutable_release_time()->set_seconds(absl::ToUnixSeconds(t));
    }
    if (const std::string window = Trimmed(form, "fenetre"); !window.empty()) {
      ASSIGN_OR_RETURN(int minutes, Count(form, "fenetre", 0, 7 * 24 * 60));
      if (minutes > 0) *req.mutable_release_window() = Minutes(minutes);
    }
    req.set_request_id(request_id);
    v1::ReleaseSlotsResponse out;
    RETURN_IF_ERROR(Call(ctx, &v1::BookingService::Stub::ReleaseSlots, req, &out));
    const absl::Time when = FromTimestamp(out.release_time());
    *done = absl::StrCat(
        out.created_slot_count(), " créneaux créés du ", LongDate("fr", from), " au ",
        LongDate("fr", to),
        when <= Now() ? std::string(", réservables dès maintenant.")
                      : absl::StrCat(", réservables à partir du ", ShortTime(when, place.zone),
                                     req.has_release_window() ? " (heure tirée au sort : gardez-la "
                                                                "pour vous)."
                                                              : "."));
    return absl::OkStatus();
  }

  // Remind: the desk's reminders (e-mail so long before, SMS on a day and a
  // time) and who is asked to confirm they will come.
  absl::Status Remind(PageContext& ctx, const v1::Desk& desk, const Bindings& form) {
    nv1::UpdateDeskNotifySettingsRequest req;
    nv1::DeskNotifySettings& s = *req.mutable_settings();
    s.set_desk(desk.name());
    if (Param(form, "courriel") == "oui") {
      ASSIGN_OR_RETURN(int hours, Count(form, "courriel_heures", 1, 24 * 14));
      s.mutable_email_before()->set_seconds(int64_t{hours} * 3600);
    }
    s.set_sms_reminder(Param(form, "sms") == "oui");
    if (s.sms_reminder()) {
      ASSIGN_OR_RETURN(int days, Count(form, "sms_jours", 0, 7));
      s.set_sms_days_before(days);
      s.set_sms_local_time(Trimmed(form, "sms_heure"));
    }
    ASSIGN_OR_RETURN(int after, Count(form, "confirmer_apres", 0, 10));
    s.set_confirm_after_noshows(after);
    ASSIGN_OR_RETURN(int before, Count(form, "confirmer_heures", 1, 24 * 7));
    s.mutable_confirm_before()->set_seconds(int64_t{before} * 3600);
    nv1::DeskNotifySettings out;
    return Notify(ctx, &nv1::NotifyService::Stub::UpdateDeskNotifySettings, req, &out);
  }

  // ------------------------------------------------------------ dispatch

  HttpResponse Handle(PageContext& ctx, const Agent& agent, const Bindings* form) {
    const HttpRequest& request = *ctx.request;
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (!get && form == nullptr) return Message(ctx, "not_found", "not_found_text", 404);
    if (request.path == "/agent/admin/nouveau-site") return NewSite(ctx, agent, form);
    if (std::optional<Bindings> b = MatchPath(site_path, request.path)) {
      return Site(ctx, agent, Param(*b, "site"), form);
    }
    if (std::optional<Bindings> b = MatchPath(desk_path, request.path)) {
      return DeskPage(ctx, agent, *b, form);
    }
    return Message(ctx, "not_found", "not_found_text", 404);
  }
};

AdminPages::AdminPages(PagesOptions options, ChannelFor channels)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(channels))) {}

AdminPages::~AdminPages() = default;

HttpResponse AdminPages::Handle(PageContext& ctx, const Agent& agent, const Bindings* form) {
  return impl_->Handle(ctx, agent, form);
}

}  // namespace accueil::gateway
