#include "services/gateway/person_pages.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/errors.h"
#include "services/common/gate.h"
#include "services/gateway/json_routes.h"
#include "services/gateway/web_text.h"

namespace accueil::gateway {
namespace {

namespace v1 = booking::v1;

const std::vector<Choice<v1::AccessibilityNeed>>& Needs() {
  static const std::vector<Choice<v1::AccessibilityNeed>> k = {
      {v1::NONE, "aucun", "Aucun"},
      {v1::WHEELCHAIR, "fauteuil", "Fauteuil roulant"},
      {v1::REDUCED_MOBILITY, "mobilite", "Mobilité réduite"},
      {v1::VISUAL, "visuel", "Handicap visuel"},
      {v1::HEARING, "auditif", "Handicap auditif"},
      {v1::COGNITIVE, "cognitif", "Handicap cognitif ou psychique"},
      {v1::OTHER_NEED, "autre", "Autre besoin"}};
  return k;
}

constexpr int kDaysAhead = 60;

}  // namespace

struct PersonPages::Impl : AgentKit {
  PathTemplate booking_path = *ParsePathTemplate("/agent/rdv/{site}");
  PathTemplate rights_path = *ParsePathTemplate("/agent/personne/{site}");

  using AgentKit::AgentKit;

  // ------------------------------------------------------------- booking

  // Booking: for a person at the lodge or on the phone. The desk, then its
  // days with free slots, then the day's slots with the person's form; the
  // appointment is the substitute channel's (AGENT), booked with the
  // agent's reason, and the one-appointment-per-desk rule is lifted only
  // with a reason of its own.
  HttpResponse Booking(PageContext& ctx, const Agent& agent, const std::string& site_id,
                       const Bindings* form) {
    absl::StatusOr<SitePlace> place = PlaceFor(
        ctx, agent, {access::v1::LODGE_AGENT, access::v1::COUNTER_AGENT, access::v1::ADMINISTRATOR},
        site_id);
    if (!place.ok()) return Refusal(ctx, place.status());
    mustache::data data;
    int status = 200;
    const std::string desk_id = Param(ctx.query, "guichet");
    const v1::Desk* desk =
        Digits(desk_id) ? place->FindDesk(absl::StrCat("desks/", desk_id)) : nullptr;
    if (form != nullptr && desk != nullptr) {
      status = Book(ctx, *place, *desk, *form, &data);
    } else if (form != nullptr) {
      data.set("error_text", "Choisissez d'abord le guichet.");
      status = 400;
    }
    data.set("site_id", site_id);
    data.set("site_name", place->site.display_name());
    mustache::data desks{mustache::data::type::list};
    for (const v1::Desk& d : place->desks) {
      mustache::data item;
      item.set("id", IdOf(d.name()));
      item.set("display_name", d.display_name());
      if (desk != nullptr && d.name() == desk->name()) item.set("selected", true);
      desks.push_back(item);
    }
    data.set("desks", desks);
    if (desk == nullptr) {
      return Render(ctx, "agent_booking", "Prendre un rendez-vous", data, status);
    }
    data.set("desk_id", desk_id);
    data.set("desk_name", desk->display_name());
    absl::StatusOr<v1::ListAvailableDaysResponse> days =
        FreeDays(ctx, desk->name(), place->zone, kDaysAhead);
    if (!days.ok()) return Failure(ctx, days.status());
    absl::CivilDay chosen;
    const bool has_day = absl::ParseCivilTime(Param(ctx.query, "jour"), &chosen);
    mustache::data day_list{mustache::data::type::list};
    for (const v1::AvailableDay& d : days->days()) {
      const absl::CivilDay day(d.date().year(), d.date().month(), d.date().day());
      mustache::data item;
      item.set("label", LongDate("fr", day));
      item.set("count", absl::StrCat(d.free_slots()));
      item.set("href", absl::StrCat("/agent/rdv/", site_id, "?guichet=", desk_id,
                                    "&jour=", absl::FormatCivilTime(day)));
      if (has_day && day == chosen) item.set("current", true);
      day_list.push_back(item);
    }
    data.set("days", day_list);
    if (days->days().empty()) data.set("no_day", true);
    if (has_day) {
      absl::StatusOr<std::vector<v1::Slot>> slots =
          FreeSlots(ctx, desk->name(), place->zone, chosen);
      if (!slots.ok()) return Failure(ctx, slots.status());
      // A form sent back with an error keeps what the agent chose; after a
      // booking the next person starts afresh.
      const bool retyped = form != nullptr && status != 200;
      const std::string picked = retyped ? Param(*form, "creneau") : "";
      mustache::data slot_list{mustache::data::type::list};
      for (const v1::Slot& slot : *slots) {
        mustache::data item;
        item.set("id", IdOf(slot.name()));
        item.set("time", TimeOfDay(FromTimestamp(slot.start_time()), place->zone));
        item.set("left", absl::StrCat(slot.remaining_capacity()));
        if (picked == IdOf(slot.name())) item.set("checked", true);
        slot_list.push_back(item);
      }
      data.set("day_label", LongDate("fr", chosen));
      data.set("slots", slot_list);
      data.set("has_slots", !slots->empty());
      data.set("needs", Choices(Needs(), retyped ? Chosen(Needs(), *form, "besoin") : v1::NONE));
      mustache::data languages{mustache::data::type::list};
      const std::string language = retyped ? Param(*form, "langue") : "fr";
      for (const std::string& l : PageLanguages()) {
        mustache::data item;
        item.set("code", l);
        item.set("name", LanguageName(l));
        if (l == language) item.set("selected", true);
        languages.push_back(item);
      }
      data.set("languages", languages);
      // What was typed too, and the request id (the same booking is never
      // made twice).
      if (retyped) {
        for (const char* field : {"prenom", "nom", "telephone", "courriel", "note", "accompagnants",
                                  "motif", "motif_doublon"}) {
          data.set(absl::StrCat("v_", field), Param(*form, field));
        }
        data.set("request_id", RequestIdOf(*form));
      } else {
        data.set("v_accompagnants", "0");
        data.set("request_id", NewRequestId());
      }
    }
    return Render(ctx, "agent_booking",
                  absl::StrCat("Prendre un rendez-vous — ", place->site.display_name()), data,
                  status);
  }

  int Book(PageContext& ctx, const SitePlace& place, const v1::Desk& desk, const Bindings& form,
           mustache::data* data) {
    v1::CreateAppointmentRequest req;
    const std::string slot = Param(form, "creneau");
    req.set_slot(absl::StrCat("slots/", slot));
    v1::Person* person = req.mutable_person();
    person->set_given_name(Trimmed(form, "prenom"));
    person->set_family_name(Trimmed(form, "nom"));
    person->set_phone(Trimmed(form, "telephone"));
    person->set_email(Trimmed(form, "courriel"));
    person->set_preferred_language(Param(form, "langue"));
    req.mutable_accessibility()->set_need(Chosen(Needs(), form, "besoin"));
    req.mutable_accessibility()->set_note(Trimmed(form, "note"));
    int companions = 0;
    if (!absl::SimpleAtoi(Param(form, "accompagnants"), &companions)) companions = -1;
    req.set_companions(companions);
    req.set_channel(v1::AGENT);
    if (Param(form, "doublon") == "oui") req.set_override_reason(Trimmed(form, "motif_doublon"));
    req.set_request_id(RequestIdOf(form));
    absl::Status s;
    v1::Appointment a;
    if (!Digits(slot)) {
      s = InvalidField("SLOT_REQUIRED", "creneau", "choose a slot");
    } else if (!OfThisDesk(ctx, place, desk, req.slot())) {
      s = InvalidField("NOT_OF_THIS_SITE", "creneau", "not a slot of this desk that day");
    } else if (Param(form, "doublon") == "oui" && req.override_reason().empty()) {
      s = InvalidField("OVERRIDE_REASON_REQUIRED", "motif_doublon",
                       "say why the person needs a second appointment at this desk");
    } else {
      ctx.reason = Trimmed(form, "motif");
      s = Call(ctx, &v1::BookingService::Stub::CreateAppointment, req, &a);
      ctx.reason.clear();
    }
    if (!s.ok()) {
      data->set("error_text", AgentError(ctx, s));
      if (ErrorReason(s) == "ACTIVE_APPOINTMENT_EXISTS") data->set("offer_override", true);
      return HttpStatusOf(s.code());
    }
    const absl::Time start = FromTimestamp(a.start_time());
    data->set("booked", true);
    data->set("booked_reference", a.reference());
    data->set("booked_code", a.access_code());
    data->set("booked_when", absl::StrCat(LongDate("fr", absl::ToCivilDay(start, place.zone)),
                                          " à ", TimeOfDay(start, place.zone)));
    data->set("booked_desk", desk.display_name());
    return 200;
  }

  // OfThisDesk: the slot a form names is one of the page's desk on the
  // page's day (booking checks the agent's rights on the slot's own
  // site; this keeps an agent of two sites from booking one from the
  // other's page, the confirmation naming the wrong desk).
  bool OfThisDesk(PageContext& ctx, const SitePlace& place, const v1::Desk& desk,
                  const std::string& slot) {
    absl::CivilDay day;
    if (!absl::ParseCivilTime(Param(ctx.query, "jour"), &day)) return false;
    absl::StatusOr<std::vector<v1::Slot>> slots = DaySlots(ctx, desk.name(), place.zone, day);
    if (!slots.ok()) return false;
    for (const v1::Slot& s : *slots) {
      if (s.name() == slot) return true;
    }
    return false;
  }

  // -------------------------------------------------------------- rights

  // Rights: what the system holds of a person at the site (every module's
  // share), shown or downloaded, and its erasure; found by phone or e-mail,
  // always with the agent's reason.
  HttpResponse Rights(PageContext& ctx, const Agent& agent, const std::string& site_id,
                      const Bindings* form) {
    absl::StatusOr<SitePlace> place = PlaceFor(ctx, agent, {access::v1::ADMINISTRATOR}, site_id);
    if (!place.ok()) return Refusal(ctx, place.status());
    mustache::data data;
    int status = 200;
    data.set("site_id", site_id);
    data.set("site_name", place->site.display_name());
    data.set("request_id", NewRequestId());
    if (form != nullptr) {
      const std::string action = Param(*form, "action");
      const std::string query = Trimmed(*form, "personne");
      data.set("personne", query);
      data.set("motif", Trimmed(*form, "motif"));
      ctx.reason = Trimmed(*form, "motif");
      absl::Status s;
      if (action == "voir" || action == "telecharger") {
        v1::ExportPersonDataRequest req;
        req.set_site(place->site.name());
        req.set_query(query);
        v1::ExportPersonDataResponse out;
        s = Call(ctx, &v1::BookingService::Stub::ExportPersonData, req, &out);
        ctx.reason.clear();
        if (s.ok() && action == "telecharger") return Download(ctx, *place, out);
        if (s.ok()) Show(*place, out, &data);
      } else if (action == "effacer") {
        v1::ErasePersonDataRequest req;
        req.set_site(place->site.name());
        req.set_query(query);
        req.set_request_id(RequestIdOf(*form));
        v1::ErasePersonDataResponse out;
        if (Param(*form, "confirmer") != "oui") {
          s = InvalidField("CONFIRMATION_REQUIRED", "confirmer", "tick the box to erase");
        } else {
          s = Call(ctx, &v1::BookingService::Stub::ErasePersonData, req, &out);
        }
        ctx.reason.clear();
        if (s.ok()) {
          std::vector<std::string> modules;
          for (const auto& [module, count] : out.module_erased_counts()) {
            modules.push_back(absl::StrCat(module, " : ", count));
          }
          data.set("done",
                   absl::StrCat("Effacé : ", out.erased_appointment_count(), " rendez-vous",
                                modules.empty() ? "" : " ; ", absl::StrJoin(modules, ", "), "."));
        }
      } else {
        s = Error(absl::StatusCode::kInvalidArgument, "UNKNOWN_ACTION", "unknown action");
      }
      ctx.reason.clear();
      if (!s.ok() && action == "effacer" && ErrorReason(s) == "ACTIVE_APPOINTMENT_EXISTS") {
        data.set("error_text",
                 "La personne a un rendez-vous à venir : il est annulé ou passé avant que ses "
                 "données soient effacées. (ACTIVE_APPOINTMENT_EXISTS)");
        status = HttpStatusOf(s.code());
      } else if (!s.ok()) {
        data.set("error_text", AgentError(ctx, s));
        status = HttpStatusOf(s.code());
      }
    }
    return Render(ctx, "agent_person",
                  absl::StrCat("Droits des personnes — ", place->site.display_name()), data,
                  status);
  }

  void Show(const SitePlace& place, const v1::ExportPersonDataResponse& out, mustache::data* data) {
    const auto& words = gateway::Words("fr");
    mustache::data list{mustache::data::type::list};
    for (const v1::Appointment& a : out.appointments()) {
      const absl::Time start = FromTimestamp(a.start_time());
      mustache::data item;
      item.set("reference", a.reference());
      item.set("when", absl::StrCat(LongDate("fr", absl::ToCivilDay(start, place.zone)), " ",
                                    TimeOfDay(start, place.zone)));
      item.set("desk", place.DeskName(a.desk()));
      item.set("status", words.at(absl::StrCat("status_", v1::AppointmentStatus_Name(a.status()))));
      item.set("person", absl::StrCat(a.person().given_name(), " ", a.person().family_name()));
      item.set("contact", absl::StrJoin({a.person().phone(), a.person().email()}, " "));
      list.push_back(item);
    }
    data->set("appointments", list);
    mustache::data modules{mustache::data::type::list};
    for (const v1::ModuleRecords& m : out.module_records()) {
      mustache::data item;
      item.set("module", m.module());
      item.set("records", absl::StrJoin(m.records_json(), "\n"));
      modules.push_back(item);
    }
    data->set("modules", modules);
    data->set("shown", true);
    if (out.appointments().empty() && out.module_records().empty()) data->set("nothing", true);
  }

  // Download: the export as one JSON document, for the person's request.
  HttpResponse Download(PageContext& ctx, const SitePlace& place,
                        const v1::ExportPersonDataResponse& out) {
    HttpResponse response;
    response.content_type = "application/json; charset=utf-8";
    response.headers.emplace_back("Content-Disposition",
                                  absl::StrCat("attachment; filename=\"donnees-personne-site-",
                                               IdOf(place.site.name()), ".json\""));
    response.body = ToJson(out);
    return Personal(ctx, std::move(response));
  }

  // ------------------------------------------------------------ dispatch

  HttpResponse Handle(PageContext& ctx, const Agent& agent, const Bindings* form) {
    const HttpRequest& request = *ctx.request;
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (!get && form == nullptr) return Message(ctx, "not_found", "not_found_text", 404);
    if (std::optional<Bindings> b = MatchPath(booking_path, request.path)) {
      return Booking(ctx, agent, Param(*b, "site"), form);
    }
    if (std::optional<Bindings> b = MatchPath(rights_path, request.path)) {
      return Rights(ctx, agent, Param(*b, "site"), form);
    }
    return Message(ctx, "not_found", "not_found_text", 404);
  }
};

PersonPages::PersonPages(PagesOptions options, ChannelFor channels)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(channels))) {}

PersonPages::~PersonPages() = default;

HttpResponse PersonPages::Handle(PageContext& ctx, const Agent& agent, const Bindings* form) {
  return impl_->Handle(ctx, agent, form);
}

}  // namespace accueil::gateway
