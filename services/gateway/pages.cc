#include "services/gateway/pages.h"

#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "accueil/notify/v1/notify.grpc.pb.h"
#include "services/common/errors.h"
#include "services/common/gate.h"
#include "services/common/grpc_status.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"
#include "services/gateway/json_routes.h"
#include "services/gateway/agent_pages.h"
#include "services/gateway/display_hub.h"
#include "services/gateway/page_kit.h"
#include "services/gateway/path_template.h"
#include "services/gateway/qr_svg.h"
#include "services/gateway/web_text.h"

namespace accueil::gateway {
namespace {

namespace v1 = booking::v1;

constexpr char kCsrfCookie[] = "accueil_csrf";
constexpr char kLanguageCookie[] = "accueil_lang";
// A lodge kiosk's device token, kept by the tablet's browser (HttpOnly,
// only sent to /borne).
constexpr char kDeviceCookie[] = "accueil_device";
// How far ahead the desk page looks for free days.
constexpr int kDaysAhead = 60;

using Context = PageContext;

// Which form field an error's field path belongs to.
std::string FormField(const std::string& field) {
  static const std::map<std::string, std::string> k = {
      {"person.given_name", "given_name"},
      {"person.family_name", "family_name"},
      {"person.phone", "phone"},
      {"person.email", "email"},
      {"person.preferred_language", "preferred_language"},
      {"accessibility.need", "need"},
      {"accessibility.note", "note"},
      {"companions", "companions"}};
  auto it = k.find(field);
  return it == k.end() ? "" : it->second;
}

struct Need {
  v1::AccessibilityNeed value;
  const char* form;  // the form's value
  const char* word;  // its label's key
};
const std::vector<Need>& Needs() {
  static const std::vector<Need> k = {
      {v1::NONE, "none", "need_none"},
      {v1::WHEELCHAIR, "wheelchair", "need_wheelchair"},
      {v1::REDUCED_MOBILITY, "reduced_mobility", "need_reduced_mobility"},
      {v1::VISUAL, "visual", "need_visual"},
      {v1::HEARING, "hearing", "need_hearing"},
      {v1::COGNITIVE, "cognitive", "need_cognitive"},
      {v1::OTHER_NEED, "other", "need_other"}};
  return k;
}

std::string ContentTypeOf(const std::string& path) {
  static const std::vector<std::pair<std::string, std::string>> k = {
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webmanifest", "application/manifest+json"}};
  for (const auto& [suffix, type] : k) {
    if (absl::EndsWith(path, suffix)) return type;
  }
  return "";
}

}  // namespace

struct Pages::Impl : PageKit {
  PathTemplate desk_path = *ParsePathTemplate("/rdv/{site}/{desk}");
  PathTemplate form_path = *ParsePathTemplate("/rdv/{site}/{desk}/creneau");
  PathTemplate indicators_path = *ParsePathTemplate("/indicateurs/{site}");

  AgentPages agents;
  DisplayHub displays;

  Impl(PagesOptions o, ChannelFor c)
      : PageKit(o, c), agents(o, c), displays(std::move(c), o.display) {}

  // ---------------------------------------------------------------- pages

  // Sites: every site (the first 100).
  absl::StatusOr<v1::ListSitesResponse> Sites(const Context& ctx) {
    v1::ListSitesRequest req;
    req.set_page_size(100);
    v1::ListSitesResponse sites;
    RETURN_IF_ERROR(Call(ctx, &v1::BookingService::Stub::ListSites, req, &sites));
    return sites;
  }

  HttpResponse Home(Context& ctx) {
    absl::StatusOr<v1::ListSitesResponse> sites = Sites(ctx);
    if (!sites.ok()) return Failure(ctx, sites.status());
    mustache::data list{mustache::data::type::list};
    for (const v1::Site& site : sites->sites()) {
      v1::ListDesksRequest dreq;
      dreq.set_parent(site.name());
      dreq.set_page_size(100);
      v1::ListDesksResponse desks;
      if (absl::Status s = Call(ctx, &v1::BookingService::Stub::ListDesks, dreq, &desks); !s.ok()) {
        return Failure(ctx, s);
      }
      mustache::data item;
      item.set("name", site.display_name());
      item.set("address", site.address());
      mustache::data desk_list{mustache::data::type::list};
      for (const v1::Desk& desk : desks.desks()) desk_list.push_back(DeskData(ctx, site, desk));
      item.set("desks", desk_list);
      list.push_back(item);
    }
    mustache::data data;
    data.set("sites", list);
    if (sites->sites().empty()) data.set("no_site", true);
    return Render(ctx, "home", gateway::Words(ctx.language).at("home_title"), data);
  }

  static std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

  mustache::data DeskData(const Context& ctx, const v1::Site& site, const v1::Desk& desk) {
    mustache::data item;
    item.set("name", desk.display_name());
    item.set("href", absl::StrCat("/rdv/", IdOf(site.name()), "/", IdOf(desk.name())));
    // The instructions in the page's language, else French, else the first.
    const v1::DeskInstructions* chosen = nullptr;
    for (const v1::DeskInstructions& i : desk.instructions()) {
      if (i.language() == ctx.language) chosen = &i;
    }
    for (const v1::DeskInstructions& i : desk.instructions()) {
      if (chosen == nullptr && i.language() == "fr") chosen = &i;
    }
    if (chosen == nullptr && !desk.instructions().empty()) chosen = &desk.instructions(0);
    mustache::data documents{mustache::data::type::list};
    if (chosen != nullptr) {
      for (const std::string& d : chosen->documents()) documents.push_back(mustache::data(d));
      if (!chosen->instructions().empty()) item.set("instructions", chosen->instructions());
      if (!chosen->documents().empty()) item.set("has_documents", true);
    }
    item.set("documents", documents);
    return item;
  }

  // The site and desk of a desk page's path; NOT_FOUND when either is missing.
  struct Place {
    v1::Site site;
    v1::Desk desk;
    absl::TimeZone zone;
  };
  absl::StatusOr<Place> FindPlace(const Context& ctx, const Bindings& bindings) {
    const std::string site_id = Param(bindings, "site");
    const std::string desk_id = Param(bindings, "desk");
    if (!Digits(site_id) || !Digits(desk_id)) {
      return Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk");
    }
    Place place;
    v1::GetSiteRequest sreq;
    sreq.set_name(absl::StrCat("sites/", site_id));
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::GetSite, sreq, &place.site);
        !s.ok()) {
      return s;
    }
    v1::ListDesksRequest dreq;
    dreq.set_parent(place.site.name());
    dreq.set_page_size(100);
    v1::ListDesksResponse desks;
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::ListDesks, dreq, &desks); !s.ok()) {
      return s;
    }
    bool found = false;
    for (const v1::Desk& d : desks.desks()) {
      if (d.name() == absl::StrCat("desks/", desk_id)) {
        place.desk = d;
        found = true;
      }
    }
    if (!found) return Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk");
    if (!absl::LoadTimeZone(place.site.time_zone(), &place.zone)) {
      return Error(absl::StatusCode::kInternal, "TIME_ZONE_UNKNOWN", "the site's zone is unknown");
    }
    return place;
  }

  static std::optional<absl::CivilDay> ParseDay(const std::string& text) {
    absl::CivilDay day;
    if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) return std::nullopt;
    return day;
  }

  HttpResponse DeskPage(Context& ctx, const Bindings& bindings) {
    absl::StatusOr<Place> place = FindPlace(ctx, bindings);
    if (!place.ok()) return Failure(ctx, place.status());
    absl::StatusOr<v1::ListAvailableDaysResponse> days =
        FreeDays(ctx, place->desk.name(), place->zone, kDaysAhead);
    if (!days.ok()) return Failure(ctx, days.status());
    const std::string base =
        absl::StrCat("/rdv/", IdOf(place->site.name()), "/", IdOf(place->desk.name()));
    std::optional<absl::CivilDay> chosen = ParseDay(Param(ctx.query, "jour"));
    if (!chosen && !days->days().empty()) {
      const auto& d = days->days(0).date();
      chosen = absl::CivilDay(d.year(), d.month(), d.day());
    }
    mustache::data day_list{mustache::data::type::list};
    for (const v1::AvailableDay& d : days->days()) {
      const absl::CivilDay day(d.date().year(), d.date().month(), d.date().day());
      mustache::data item;
      item.set("label", LongDate(ctx.language, day));
      item.set("count", absl::StrCat(d.free_slots()));
      item.set("href", absl::StrCat(base, "?jour=", absl::FormatCivilTime(day)));
      if (chosen && *chosen == day) item.set("current", true);
      day_list.push_back(item);
    }
    mustache::data data = DeskData(ctx, place->site, place->desk);
    data.set("site_name", place->site.display_name());
    data.set("address", place->site.address());
    data.set("days", day_list);
    if (days->days().empty()) data.set("no_day", true);
    if (chosen) {
      absl::StatusOr<std::vector<v1::Slot>> slots =
          FreeSlots(ctx, place->desk.name(), place->zone, *chosen);
      if (!slots.ok()) return Failure(ctx, slots.status());
      mustache::data slot_list{mustache::data::type::list};
      for (const v1::Slot& slot : *slots) {
        mustache::data item;
        item.set("time", TimeOfDay(FromTimestamp(slot.start_time()), place->zone));
        item.set("href", absl::StrCat(base, "/creneau?jour=", absl::FormatCivilTime(*chosen),
                                      "&creneau=", IdOf(slot.name())));
        slot_list.push_back(item);
      }
      data.set("day_label", LongDate(ctx.language, *chosen));
      data.set("slots", slot_list);
      if (slots->empty()) data.set("no_slot", true);
    }
    return Render(ctx, "desk", place->desk.display_name(), data);
  }

  // The form's values and the error to show, if any.
  struct FormState {
    Bindings values;
    std::string error_field;  // form field id, "" for the summary only
    std::string error_text;
    bool slot_error = false;
  };

  HttpResponse FormPage(Context& ctx, const Bindings& bindings, const FormState& state,
                        int status) {
    absl::StatusOr<Place> place = FindPlace(ctx, bindings);
    if (!place.ok()) return Failure(ctx, place.status());
    std::optional<absl::CivilDay> day = ParseDay(Param(ctx.query, "jour"));
    const std::string slot_id = Param(ctx.query, "creneau");
    if (!day || !Digits(slot_id)) return Message(ctx, "not_found", "not_found_text", 404);
    const std::string base =
        absl::StrCat("/rdv/", IdOf(place->site.name()), "/", IdOf(place->desk.name()));
    mustache::data data = DeskData(ctx, place->site, place->desk);
    data.set("site_name", place->site.display_name());
    data.set("address", place->site.address());
    data.set("back_href", absl::StrCat(base, "?jour=", absl::FormatCivilTime(*day)));
    data.set("action", absl::StrCat(base, "/creneau?jour=", absl::FormatCivilTime(*day),
                                    "&creneau=", slot_id));
    absl::StatusOr<std::vector<v1::Slot>> slots =
        FreeSlots(ctx, place->desk.name(), place->zone, *day);
    if (!slots.ok()) return Failure(ctx, slots.status());
    const v1::Slot* slot = nullptr;
    for (const v1::Slot& s : *slots) {
      if (s.name() == absl::StrCat("slots/", slot_id)) slot = &s;
    }
    const auto& words = gateway::Words(ctx.language);
    if (slot == nullptr || state.slot_error) {
      data.set("slot_gone", true);
      data.set("error_text", state.slot_error ? state.error_text : words.at("error_SLOT_FULL"));
      return Render(ctx, "form", words.at("form_title"), data, status == 200 ? 409 : status);
    }
    data.set("slot_label", absl::StrCat(LongDate(ctx.language, *day), " ",
                                        TimeOfDay(FromTimestamp(slot->start_time()), place->zone)));
    for (const char* field : {"given_name", "family_name", "phone", "email", "note"}) {
      data.set(absl::StrCat("value_", field), Param(state.values, field));
    }
    std::string companions = Param(state.values, "companions");
    data.set("value_companions", companions.empty() ? "0" : companions);
    std::string request_id = Param(state.values, "request_id");
    data.set("request_id", SafeToken(request_id) ? request_id : NewRequestId());
    const std::string chosen_language = Param(state.values, "preferred_language").empty()
                                            ? ctx.language
                                            : Param(state.values, "preferred_language");
    mustache::data languages{mustache::data::type::list};
    for (const std::string& l : PageLanguages()) {
      mustache::data item;
      item.set("code", l);
      item.set("name", LanguageName(l));
      if (l == chosen_language) item.set("selected", true);
      languages.push_back(item);
    }
    data.set("languages", languages);
    const std::string chosen_need =
        Param(state.values, "need").empty() ? "none" : Param(state.values, "need");
    mustache::data needs{mustache::data::type::list};
    for (const Need& need : Needs()) {
      mustache::data item;
      item.set("value", need.form);
      item.set("label", words.at(need.word));
      if (chosen_need == need.form) item.set("selected", true);
      needs.push_back(item);
    }
    data.set("needs", needs);
    if (!state.error_text.empty()) {
      data.set("error_text", state.error_text);
      if (!state.error_field.empty()) {
        data.set(absl::StrCat("error_", state.error_field), true);
        data.set("error_anchor", state.error_field);
      }
    }
    return Render(ctx, "form", words.at("form_title"), data, status);
  }

  HttpResponse Book(Context& ctx, const Bindings& bindings, const Bindings& form) {
    const std::string slot_id = Param(ctx.query, "creneau");
    v1::CreateAppointmentRequest req;
    req.set_slot(absl::StrCat("slots/", slot_id));
    v1::Person* person = req.mutable_person();
    person->set_given_name(Param(form, "given_name"));
    person->set_family_name(Param(form, "family_name"));
    person->set_phone(Param(form, "phone"));
    person->set_email(Param(form, "email"));
    person->set_preferred_language(Param(form, "preferred_language"));
    req.mutable_accessibility()->set_need(v1::ACCESSIBILITY_NEED_UNSPECIFIED);
    for (const Need& need : Needs()) {
      if (Param(form, "need") == need.form) req.mutable_accessibility()->set_need(need.value);
    }
    req.mutable_accessibility()->set_note(Param(form, "note"));
    int companions = 0;
    if (!absl::SimpleAtoi(Param(form, "companions"), &companions)) companions = -1;
    req.set_companions(companions);
    req.set_channel(v1::ONLINE);
    const std::string request_id = Param(form, "request_id");
    req.set_request_id(SafeToken(request_id) ? request_id : NewRequestId());
    v1::Appointment appointment;
    absl::Status booked =
        Call(ctx, &v1::BookingService::Stub::CreateAppointment, req, &appointment);
    if (!booked.ok()) {
      FormState state;
      state.values = form;
      state.error_text = ErrorText(ctx, booked);
      const std::string field = ErrorField(booked);
      state.error_field = FormField(field);
      state.slot_error = field == "slot";
      return FormPage(ctx, bindings, state, HttpStatusOf(booked.code()));
    }
    return Confirmation(ctx, bindings, appointment);
  }

  HttpResponse Confirmation(Context& ctx, const Bindings& bindings, const v1::Appointment& a) {
    absl::StatusOr<Place> place = FindPlace(ctx, bindings);
    if (!place.ok()) return Failure(ctx, place.status());
    const auto& words = gateway::Words(ctx.language);
    mustache::data data = DeskData(ctx, place->site, place->desk);
    data.set("site_name", place->site.display_name());
    data.set("address", place->site.address());
    data.set("reference", a.reference());
    data.set("access_code", a.access_code());
    const absl::Time start = FromTimestamp(a.start_time());
    data.set("when", absl::StrCat(LongDate(ctx.language, absl::ToCivilDay(start, place->zone)), " ",
                                  TimeOfDay(start, place->zone)));
    absl::StatusOr<std::string> qr = QrSvg(a.check_in_token(), words.at("qr_alt"));
    if (qr.ok()) data.set("qr", *qr);
    return Render(ctx, "confirmation", words.at("confirmed_title"), data);
  }

  // ---------------------------------------------------------- manage

  HttpResponse ManageForm(Context& ctx, const Bindings& values, const std::string& error_text,
                          int status) {
    mustache::data data;
    data.set("value_reference", Param(values, "reference"));
    data.set("value_access_code", Param(values, "access_code"));
    if (!error_text.empty()) data.set("error_text", error_text);
    return Render(ctx, "manage", gateway::Words(ctx.language).at("manage"), data, status,
                  {"/static/fragment.js"});
  }

  HttpResponse AppointmentPage(Context& ctx, const v1::Appointment& a,
                               const std::string& access_code, bool confirm_cancel,
                               const std::string& notice) {
    absl::StatusOr<Place> place =
        FindPlace(ctx, {{"site", IdOf(a.site())}, {"desk", IdOf(a.desk())}});
    if (!place.ok()) return Failure(ctx, place.status());
    const auto& words = gateway::Words(ctx.language);
    mustache::data data;
    data.set("appointment", true);
    data.set("reference", a.reference());
    data.set("access_code", access_code);
    data.set("status", words.at(absl::StrCat("status_", v1::AppointmentStatus_Name(a.status()))));
    const absl::Time start = FromTimestamp(a.start_time());
    data.set("when", absl::StrCat(LongDate(ctx.language, absl::ToCivilDay(start, place->zone)), " ",
                                  TimeOfDay(start, place->zone)));
    data.set("site_name", place->site.display_name());
    data.set("address", place->site.address());
    data.set("desk_name", place->desk.display_name());
    if (a.status() == v1::BOOKED) data.set("cancellable", true);
    if (confirm_cancel) data.set("confirm_cancel", true);
    data.set("request_id", NewRequestId());
    if (!notice.empty()) data.set("notice", notice);
    return Render(ctx, "manage", words.at("manage"), data);
  }

  // ShowAppointment looks the appointment up with what the person typed (or
  // what the link's fragment gave the page's script).
  HttpResponse ShowAppointment(Context& ctx, const Bindings& form, bool confirm_cancel) {
    v1::GetAppointmentRequest req = Credentials(form);
    v1::Appointment a;
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::GetAppointment, req, &a); !s.ok()) {
      return ManageForm(ctx, form, ErrorText(ctx, s), HttpStatusOf(s.code()));
    }
    return AppointmentPage(ctx, a, req.access_code(), confirm_cancel, "");
  }

  // Credentials: the reference and access code a form carries, as typed
  // (spaces around them dropped, letters in capitals).
  static v1::GetAppointmentRequest Credentials(const Bindings& form) {
    v1::GetAppointmentRequest req;
    req.set_reference(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(Param(form, "reference"))));
    req.set_access_code(
        absl::AsciiStrToUpper(absl::StripAsciiWhitespace(Param(form, "access_code"))));
    return req;
  }

  // Move shows the desk's days and a day's free slots as forms (the
  // credentials never go in a URL); a slot's form moves the appointment
  // there (RescheduleAppointment, idempotent by the request id drawn when
  // the slots were shown).
  HttpResponse Move(Context& ctx, const Bindings& form) {
    const auto& words = gateway::Words(ctx.language);
    const v1::GetAppointmentRequest get = Credentials(form);
    v1::Appointment a;
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::GetAppointment, get, &a); !s.ok()) {
      return ManageForm(ctx, form, ErrorText(ctx, s), HttpStatusOf(s.code()));
    }
    std::string error_text;
    int status = 200;
    const std::string slot_id = Param(form, "creneau");
    if (Digits(slot_id)) {
      v1::RescheduleAppointmentRequest req;
      req.set_reference(get.reference());
      req.set_access_code(get.access_code());
      req.set_new_slot(absl::StrCat("slots/", slot_id));
      const std::string request_id = Param(form, "request_id");
      req.set_request_id(SafeToken(request_id) ? request_id : NewRequestId());
      v1::Appointment moved;
      absl::Status s = Call(ctx, &v1::BookingService::Stub::RescheduleAppointment, req, &moved);
      if (s.ok())
        return AppointmentPage(ctx, moved, get.access_code(), false, words.at("moved_done"));
      error_text = ErrorText(ctx, s);
      status = HttpStatusOf(s.code());
    }
    absl::StatusOr<Place> place =
        FindPlace(ctx, {{"site", IdOf(a.site())}, {"desk", IdOf(a.desk())}});
    if (!place.ok()) return Failure(ctx, place.status());
    absl::StatusOr<v1::ListAvailableDaysResponse> days =
        FreeDays(ctx, place->desk.name(), place->zone, kDaysAhead);
    if (!days.ok()) return Failure(ctx, days.status());
    std::optional<absl::CivilDay> chosen = ParseDay(Param(form, "jour"));
    mustache::data data;
    data.set("reference", get.reference());
    data.set("access_code", get.access_code());
    data.set("desk_name", place->desk.display_name());
    const absl::Time start = FromTimestamp(a.start_time());
    data.set("when", absl::StrCat(LongDate(ctx.language, absl::ToCivilDay(start, place->zone)), " ",
                                  TimeOfDay(start, place->zone)));
    if (!error_text.empty()) data.set("error_text", error_text);
    mustache::data day_list{mustache::data::type::list};
    for (const v1::AvailableDay& d : days->days()) {
      const absl::CivilDay day(d.date().year(), d.date().month(), d.date().day());
      mustache::data item;
      item.set("label", LongDate(ctx.language, day));
      item.set("count", absl::StrCat(d.free_slots()));
      item.set("day", absl::FormatCivilTime(day));
      if (chosen && *chosen == day) item.set("current", true);
      day_list.push_back(item);
    }
    data.set("days", day_list);
    if (days->days().empty()) data.set("no_day", true);
    if (chosen) {
      absl::StatusOr<std::vector<v1::Slot>> slots =
          FreeSlots(ctx, place->desk.name(), place->zone, *chosen);
      if (!slots.ok()) return Failure(ctx, slots.status());
      const std::string request_id = NewRequestId();
      mustache::data slot_list{mustache::data::type::list};
      for (const v1::Slot& slot : *slots) {
        if (slot.name() == a.slot()) continue;
        mustache::data item;
        item.set("time", TimeOfDay(FromTimestamp(slot.start_time()), place->zone));
        item.set("id", IdOf(slot.name()));
        item.set("day", absl::FormatCivilTime(*chosen));
        item.set("request_id", request_id);
        slot_list.push_back(item);
      }
      data.set("day_label", LongDate(ctx.language, *chosen));
      data.set("slots", slot_list);
      if (slot_list.is_empty_list()) data.set("no_slot", true);
    }
    return Render(ctx, "move", words.at("move_title"), data, status);
  }

  // ------------------------------------------------------------- legal

  // Legal: a page of paragraphs `<prefix>_p1`, `<prefix>_p2`, ... under the
  // heading `title_key`.
  HttpResponse Legal(Context& ctx, const std::string& title_key, const std::string& prefix) {
    const auto& words = gateway::Words(ctx.language);
    mustache::data paragraphs{mustache::data::type::list};
    for (int i = 1; words.count(absl::StrCat(prefix, "_p", i)); ++i) {
      paragraphs.push_back(mustache::data(
          absl::StrReplaceAll(words.at(absl::StrCat(prefix, "_p", i)),
                              {{"{retention_days}", absl::StrCat(options.retention_days)}})));
    }
    mustache::data data;
    data.set("heading", words.at(title_key));
    data.set("paragraphs", paragraphs);
    return Render(ctx, "legal", words.at(title_key), data);
  }

  // ------------------------------------------------------- lost access

  HttpResponse ResendForm(Context& ctx, const std::string& value, const std::string& error_text,
                          const std::string& notice, int status) {
    mustache::data data;
    data.set("value_identifier", value);
    if (!error_text.empty()) data.set("error_text", error_text);
    if (!notice.empty()) data.set("notice", notice);
    return Render(ctx, "resend", gateway::Words(ctx.language).at("resend_title"), data, status);
  }

  // Resend: what the person typed is an e-mail (an "@"), a phone (digits
  // and separators), or else a reference; notify sends the details to the
  // contact on file and answers the same whether or not anything was found.
  HttpResponse Resend(Context& ctx, const Bindings& form) {
    const std::string typed(absl::StripAsciiWhitespace(Param(form, "identifier")));
    notify::v1::ResendAccessRequest req;
    int digits = 0;
    bool phone_like = !typed.empty();
    for (char c : typed) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        ++digits;
      } else if (c != ' ' && c != '+' && c != '.' && c != '-' && c != '(' && c != ')') {
        phone_like = false;
      }
    }
    if (typed.find('@') != std::string::npos) {
      req.set_email(typed);
    } else if (phone_like && digits >= 6) {
      req.set_phone(typed);
    } else {
      req.set_reference(absl::AsciiStrToUpper(typed));
    }
    notify::v1::ResendAccessResponse resp;
    absl::Status s = Notify(ctx, &notify::v1::NotifyService::Stub::ResendAccess, req, &resp);
    if (!s.ok()) return ResendForm(ctx, typed, ErrorText(ctx, s), "", HttpStatusOf(s.code()));
    return ResendForm(ctx, "", "", gateway::Words(ctx.language).at("resend_done"), 200);
  }

  // Cancel asks first, then cancels on the second POST (confirmed=yes).
  HttpResponse Cancel(Context& ctx, const Bindings& form) {
    if (Param(form, "confirmed") != "yes") return ShowAppointment(ctx, form, true);
    v1::CancelAppointmentRequest req;
    const v1::GetAppointmentRequest credentials = Credentials(form);
    req.set_reference(credentials.reference());
    req.set_access_code(credentials.access_code());
    const std::string request_id = Param(form, "request_id");
    req.set_request_id(SafeToken(request_id) ? request_id : NewRequestId());
    v1::Appointment a;
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::CancelAppointment, req, &a);
        !s.ok()) {
      return ManageForm(ctx, form, ErrorText(ctx, s), HttpStatusOf(s.code()));
    }
    return AppointmentPage(ctx, a, req.access_code(), false,
                           gateway::Words(ctx.language).at("cancelled_done"));
  }

  // ------------------------------------------------------ calendar file

  // CalendarFile: "add to my calendar", notify's iCalendar file of the
  // appointment (the same event as the e-mails'), as a download.
  HttpResponse CalendarFile(Context& ctx, const Bindings& form) {
    const v1::GetAppointmentRequest credentials = Credentials(form);
    notify::v1::GetCalendarRequest req;
    req.set_reference(credentials.reference());
    req.set_access_code(credentials.access_code());
    notify::v1::CalendarFile file;
    absl::Status s = Notify(ctx, &notify::v1::NotifyService::Stub::GetCalendar, req, &file);
    if (!s.ok()) return ManageForm(ctx, form, ErrorText(ctx, s), HttpStatusOf(s.code()));
    std::string name;
    for (char c : credentials.reference()) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c))) name += c;
    }
    HttpResponse response;
    response.status = 200;
    response.content_type = "text/calendar; charset=utf-8";
    response.body = file.ics();
    response.headers.emplace_back(
        "Content-Disposition", absl::StrCat("attachment; filename=\"rendez-vous-", name, ".ics\""));
    return Personal(ctx, std::move(response));
  }

  // ---------------------------------------------------- message links

  // The pages the links in messages open (docs/notify.md#links): the
  // fragment "MESSAGE-TOKEN" reaches the page's form through fragment.js
  // (or the person pastes it, or the whole link); each later form carries
  // it again as `lien` (ParseMessageLink).

  // LinkText: the link's "ID-TOKEN" for the page's next form (once
  // WithLink accepted it).
  static std::string LinkText(const Bindings& form) {
    const std::optional<MessageLink> link = ParseMessageLink(Param(form, "lien"));
    return link ? absl::StrCat(link->id, "-", link->token) : "";
  }

  // WithLink puts the link's message and token in `req`; a link that does
  // not parse is refused as notify refuses a wrong token.
  template <typename Req>
  static absl::Status WithLink(const Bindings& form, Req* req) {
    std::optional<MessageLink> link = ParseMessageLink(Param(form, "lien"));
    if (!link) {
      return Error(absl::StatusCode::kPermissionDenied, "WRONG_TOKEN", "not a message's link");
    }
    req->set_message(absl::StrCat("messages/", link->id));
    req->set_token(link->token);
    return absl::OkStatus();
  }

  // LinkForm: the page a link opens, before its fragment is posted, or
  // again when the link does not work (`failed`).
  HttpResponse LinkForm(Context& ctx, const std::string& title_key, const std::string& action,
                        const Bindings& form, const absl::Status& failed) {
    const auto& words = gateway::Words(ctx.language);
    mustache::data data;
    data.set("heading", words.at(title_key));
    data.set("action", action);
    data.set("value_lien", Param(form, "lien"));
    if (!failed.ok()) data.set("error_text", ErrorText(ctx, failed));
    return Render(ctx, "link", words.at(title_key), data,
                  failed.ok() ? 200 : HttpStatusOf(failed.code()), {"/static/fragment.js"});
  }

  // WhenIn: "mardi 2 juin 2026 09:30" in `zone_name` (UTC if unknown).
  static std::string WhenIn(const Context& ctx, const google::protobuf::Timestamp& t,
                            const std::string& zone_name) {
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(zone_name, &zone)) zone = absl::UTCTimeZone();
    const absl::Time time = FromTimestamp(t);
    return absl::StrCat(LongDate(ctx.language, absl::ToCivilDay(time, zone)), " ",
                        TimeOfDay(time, zone));
  }

  // Attendance: the appointment, its deadline, and "I will come" (a POST
  // with confirm=yes: ConfirmAttendance).
  HttpResponse Attendance(Context& ctx, const Bindings& form) {
    using Stub = notify::v1::NotifyService::Stub;
    const auto& words = gateway::Words(ctx.language);
    notify::v1::AttendanceRequest req;
    notify::v1::Attendance a;
    std::string notice, error_text;
    int status = 200;
    absl::Status s = WithLink(form, &req);
    if (s.ok() && Param(form, "confirm") == "yes") {
      s = Notify(ctx, &Stub::ConfirmAttendance, req, &a);
      if (s.ok()) {
        notice = words.at("attendance_done");
      } else if (s.code() == absl::StatusCode::kFailedPrecondition) {
        // Too late, or released: said under the facts, read again.
        error_text = ErrorText(ctx, s);
        status = HttpStatusOf(s.code());
        s = absl::OkStatus();
      }
    }
    if (s.ok() && notice.empty()) s = Notify(ctx, &Stub::GetAttendance, req, &a);
    if (!s.ok()) return LinkForm(ctx, "attendance_title", "/confirmer", form, s);
    const bool open = !a.confirmed() && !a.released() && Now() < FromTimestamp(a.respond_by());
    mustache::data data;
    data.set("when", WhenIn(ctx, a.start_time(), a.time_zone()));
    data.set("site_name", a.site_display_name());
    data.set("desk_name", a.desk_display_name());
    data.set("respond_by", WhenIn(ctx, a.respond_by(), a.time_zone()));
    data.set("status", words.at(a.confirmed()  ? "attendance_status_confirmed"
                                : a.released() ? "attendance_status_released"
                                : open         ? "attendance_status_waiting"
                                               : "attendance_status_closed"));
    data.set("lien", LinkText(form));
    if (open) data.set("can_confirm", true);
    if (a.released()) data.set("released", true);
    if (!notice.empty()) data.set("notice", notice);
    if (!error_text.empty()) data.set("error_text", error_text);
    return Render(ctx, "attendance", words.at("attendance_title"), data, status);
  }

  // The survey's items: the request's field and its question.
  struct SurveyItem {
    const char* field;
    const char* question;
    void (notify::v1::SubmitSurveyResponseRequest::*set)(int32_t);
  };
  static const std::vector<SurveyItem>& SurveyItems() {
    using R = notify::v1::SubmitSurveyResponseRequest;
    static const std::vector<SurveyItem> k = {
        {"delay", "survey_delay", &R::set_delay},
        {"courtesy", "survey_courtesy", &R::set_courtesy},
        {"availability", "survey_availability", &R::set_availability},
        {"clarity", "survey_clarity", &R::set_clarity},
        {"comfort", "survey_comfort", &R::set_comfort},
        {"overall", "survey_overall", &R::set_overall}};
    return k;
  }

  // Survey: the Qual-e-Pref questions (each 1 to 4, or no opinion) and a
  // comment; a POST with submit=yes sends them (SubmitSurveyResponse).
  HttpResponse Survey(Context& ctx, const Bindings& form) {
    using Stub = notify::v1::NotifyService::Stub;
    const auto& words = gateway::Words(ctx.language);
    notify::v1::GetSurveyRequest get;
    notify::v1::Survey survey;
    absl::Status s = WithLink(form, &get);
    if (s.ok()) s = Notify(ctx, &Stub::GetSurvey, get, &survey);
    if (!s.ok()) return LinkForm(ctx, "survey_title", "/enquete", form, s);
    if (survey.answered()) return Message(ctx, "survey_title", "error_SURVEY_ANSWERED", 200);
    if (Now() >= FromTimestamp(survey.expire_time())) {
      return Message(ctx, "survey_title", "error_SURVEY_EXPIRED", 200);
    }
    std::string error_text;
    int status = 200;
    if (Param(form, "submit") == "yes") {
      notify::v1::SubmitSurveyResponseRequest req;
      req.set_message(get.message());
      req.set_token(get.token());
      for (const SurveyItem& item : SurveyItems()) {
        const std::string value = Param(form, item.field);
        int score = 0;
        if (!value.empty() && !absl::SimpleAtoi(value, &score)) score = -1;
        (req.*item.set)(score);
      }
      req.set_comment(Param(form, "comment"));
      notify::v1::SubmitSurveyResponseResponse done;
      s = Notify(ctx, &Stub::SubmitSurveyResponse, req, &done);
      if (s.ok()) return Message(ctx, "survey_title", "survey_done", 200);
      error_text = ErrorText(ctx, s);
      status = HttpStatusOf(s.code());
    }
    mustache::data items{mustache::data::type::list};
    for (const SurveyItem& item : SurveyItems()) {
      const std::string chosen = Param(form, item.field).empty() ? "0" : Param(form, item.field);
      mustache::data choices{mustache::data::type::list};
      for (const char* value : {"1", "2", "3", "4", "0"}) {
        mustache::data choice;
        choice.set("id", absl::StrCat(item.field, "-", value));
        choice.set("field", item.field);
        choice.set("value", value);
        choice.set("text", words.at(absl::StrCat("score_", value)));
        if (chosen == value) choice.set("checked", true);
        choices.push_back(choice);
      }
      mustache::data entry;
      entry.set("name", item.field);
      entry.set("label", words.at(item.question));
      entry.set("choices", choices);
      items.push_back(entry);
    }
    mustache::data data;
    data.set("items", items);
    data.set("site_name", survey.site_display_name());
    data.set("desk_name", survey.desk_display_name());
    data.set("until", WhenIn(ctx, survey.expire_time(), survey.time_zone()));
    data.set("lien", LinkText(form));
    data.set("value_comment", Param(form, "comment"));
    if (!error_text.empty()) data.set("error_text", error_text);
    return Render(ctx, "survey", words.at("survey_title"), data, status);
  }

  // Preferences: stop or resume, per channel, what the person did not ask
  // for; a POST with save=yes records the whole choice.
  HttpResponse Preferences(Context& ctx, const Bindings& form) {
    using Stub = notify::v1::NotifyService::Stub;
    const auto& words = gateway::Words(ctx.language);
    notify::v1::ContactPreferences prefs;
    std::string notice;
    absl::Status s;
    if (Param(form, "save") == "yes") {
      notify::v1::UpdateContactPreferencesRequest req;
      s = WithLink(form, &req);
      req.set_email_opted_out(Param(form, "stop_email") == "yes");
      req.set_sms_opted_out(Param(form, "stop_sms") == "yes");
      if (s.ok()) s = Notify(ctx, &Stub::UpdateContactPreferences, req, &prefs);
      if (s.ok()) notice = words.at("preferences_done");
    } else {
      notify::v1::GetContactPreferencesRequest req;
      s = WithLink(form, &req);
      if (s.ok()) s = Notify(ctx, &Stub::GetContactPreferences, req, &prefs);
    }
    if (!s.ok()) return LinkForm(ctx, "preferences_title", "/preferences", form, s);
    mustache::data data;
    data.set("lien", LinkText(form));
    if (prefs.has_email() || prefs.has_sms()) data.set("has_contact", true);
    if (prefs.has_email()) data.set("has_email", true);
    if (prefs.has_sms()) data.set("has_sms", true);
    if (prefs.email_opted_out()) data.set("email_opted_out", true);
    if (prefs.sms_opted_out()) data.set("sms_opted_out", true);
    if (!notice.empty()) data.set("notice", notice);
    return Render(ctx, "preferences", words.at("preferences_title"), data);
  }

  // ------------------------------------------------ published indicators

  // Indicators: the sites (`site` empty), or a site's published report of
  // a year (`?annee=`, default this year): the metrics module's public
  // GetPublishedReport, values in the page's language.
  HttpResponse Indicators(Context& ctx, const std::string& site_id) {
    const auto& words = gateway::Words(ctx.language);
    mustache::data data;
    if (site_id.empty()) {
      absl::StatusOr<v1::ListSitesResponse> sites = Sites(ctx);
      if (!sites.ok()) return Failure(ctx, sites.status());
      mustache::data list{mustache::data::type::list};
      for (const v1::Site& site : sites->sites()) {
        mustache::data item;
        item.set("name", site.display_name());
        item.set("href", absl::StrCat("/indicateurs/", IdOf(site.name())));
        list.push_back(item);
      }
      data.set("choose", true);
      data.set("sites", list);
      return Render(ctx, "indicators", words.at("indicators_title"), data);
    }
    if (!Digits(site_id)) return Message(ctx, "not_found", "not_found_text", 404);
    v1::GetSiteRequest get_site;
    get_site.set_name(absl::StrCat("sites/", site_id));
    v1::Site site;
    if (absl::Status s = Call(ctx, &v1::BookingService::Stub::GetSite, get_site, &site); !s.ok()) {
      return Failure(ctx, s);
    }
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(site.time_zone(), &zone)) zone = absl::UTCTimeZone();
    int year = static_cast<int>(absl::ToCivilYear(Now(), zone).year());
    const std::string asked = Param(ctx.query, "annee");
    if (!asked.empty() && (!absl::SimpleAtoi(asked, &year) || year < 2000 || year > 2199)) {
      return Message(ctx, "not_found", "not_found_text", 404);
    }
    metrics::v1::GetPublishedReportRequest req;
    req.set_site(site.name());
    req.set_year(year);
    metrics::v1::PublishedReport report;
    if (absl::Status s = CallOn<metrics::v1::MetricsService>(
            ctx, "metrics", &metrics::v1::MetricsService::Stub::GetPublishedReport, req, &report);
        !s.ok()) {
      return Failure(ctx, s);
    }
    auto month_label = [&](const std::string& month) {
      absl::CivilMonth m;
      return absl::ParseCivilTime(month, &m) ? MonthYear(ctx.language, m) : month;
    };
    mustache::data months{mustache::data::type::list};
    for (const std::string& month : report.months()) months.push_back(month_label(month));
    // Each indicator's row by id, for the restatements below.
    std::map<std::string, const metrics::v1::Indicator*> indicators;
    mustache::data rows{mustache::data::type::list};
    for (const metrics::v1::IndicatorRow& row : report.rows()) {
      const std::string& unit = row.indicator().unit();
      indicators[row.indicator().id()] = &row.indicator();
      mustache::data item;
      item.set("id", row.indicator().id());
      item.set("title",
               IndicatorTitle(ctx.language, row.indicator().id(), row.indicator().title()));
      if (row.has_objective()) {
        item.set("objective",
                 absl::StrCat(row.objective().direction() == metrics::v1::AT_MOST ? "≤ " : "≥ ",
                              IndicatorValue(ctx.language, unit, row.objective().value())));
      }
      mustache::data cells{mustache::data::type::list};
      for (const metrics::v1::MonthValue& m : row.months()) {
        mustache::data cell;
        if (m.has_value()) cell.set("value", IndicatorValue(ctx.language, unit, m.value()));
        cell.set("missing", words.at(m.suppressed() ? "value_hidden" : "value_none"));
        if (m.attainment() == metrics::v1::MET) cell.set("met", true);
        if (m.attainment() == metrics::v1::NOT_MET) cell.set("not_met", true);
        cells.push_back(cell);
      }
      item.set("cells", cells);
      rows.push_back(item);
    }
    mustache::data restatements{mustache::data::type::list};
    for (const metrics::v1::Restatement& r : report.restatements()) {
      auto known = indicators.find(r.indicator());
      const std::string unit = known != indicators.end() ? known->second->unit() : "";
      mustache::data item;
      item.set("title",
               known != indicators.end()
                   ? IndicatorTitle(ctx.language, known->second->id(), known->second->title())
                   : r.indicator());
      item.set("month", month_label(r.month()));
      item.set("before",
               r.has_old_value() ? IndicatorValue(ctx.language, unit, r.old_value()) : "—");
      item.set("after",
               r.has_new_value() ? IndicatorValue(ctx.language, unit, r.new_value()) : "—");
      item.set("reason", r.reason());
      restatements.push_back(item);
    }
    mustache::data shown;
    shown.set("site_name", site.display_name());
    shown.set("year", absl::StrCat(year));
    const std::string base = absl::StrCat("/indicateurs/", site_id, "?annee=");
    shown.set("previous_year", absl::StrCat(year - 1));
    shown.set("previous_href", absl::StrCat(base, year - 1));
    shown.set("next_year", absl::StrCat(year + 1));
    shown.set("next_href", absl::StrCat(base, year + 1));
    shown.set("months", months);
    shown.set("rows", rows);
    if (report.months().empty()) shown.set("no_month", true);
    shown.set("hidden_note",
              absl::StrReplaceAll(words.at("indicators_hidden_note"),
                                  {{"{threshold}", absl::StrCat(report.anonymity_threshold())}}));
    shown.set("restatements", restatements);
    if (!report.restatements().empty()) shown.set("has_restatements", true);
    data.set("report", shown);
    return Render(ctx, "indicators", words.at("indicators_title"), data);
  }

  // ------------------------------------------------------------- kiosk

  // A device token as the access module issues it: printable, bounded.
  static bool SafeDeviceToken(const std::string& token) {
    if (token.empty() || token.size() > 512) return false;
    for (char c : token) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' &&
          c != '~') {
        return false;
      }
    }
    return true;
  }

  // DeviceSite: the site a device token serves (a kiosk, a display), as
  // the access module says (WhoAmI: a DEVICE grant), or UNAUTHENTICATED
  // DEVICE_REQUIRED.
  absl::StatusOr<v1::Site> DeviceSite(Context& ctx, const std::string& token) {
    const absl::Status refused =
        Error(absl::StatusCode::kUnauthenticated, "DEVICE_REQUIRED", "not a device's token");
    if (!SafeDeviceToken(token)) return refused;
    ctx.bearer = token;
    access::v1::Caller caller;
    absl::Status s =
        CallOn<access::v1::AccessService>(ctx, "access", &access::v1::AccessService::Stub::WhoAmI,
                                          access::v1::WhoAmIRequest(), &caller);
    if (s.code() == absl::StatusCode::kUnauthenticated) return refused;
    RETURN_IF_ERROR(s);
    std::string site;
    for (const access::v1::RoleGrant& g : caller.grants()) {
      if (g.role() == access::v1::DEVICE) site = g.site();
    }
    if (site.empty()) return refused;
    v1::GetSiteRequest get;
    get.set_name(site);
    v1::Site out;
    RETURN_IF_ERROR(Call(ctx, &v1::BookingService::Stub::GetSite, get, &out));
    return out;
  }

  // LinkedDevice: the site of the device page's cookie, or the page itself
  // (`page`: the kiosk's, the display's) asking to link the device, 401
  // when the browser's token was refused.
  using DevicePage = HttpResponse (Impl::*)(Context&, mustache::data, int);
  std::variant<v1::Site, HttpResponse> LinkedDevice(Context& ctx, DevicePage page) {
    const std::string cookie = ctx.request->Cookie(kDeviceCookie);
    absl::StatusOr<v1::Site> site = DeviceSite(ctx, cookie);
    if (site.ok()) return *site;
    mustache::data data;
    data.set("pairing", true);
    if (!cookie.empty()) data.set("error_text", ErrorText(ctx, site.status()));
    return (this->*page)(ctx, data, cookie.empty() ? 200 : 401);
  }

  HttpResponse KioskPage(Context& ctx, mustache::data data, int status) {
    return Render(ctx, "kiosk", gateway::Words(ctx.language).at("kiosk_title"), data, status,
                  {"/static/scan.js"});
  }

  // Kiosk: the lodge tablet's self check-in. Without its device token (an
  // administrator's CreateDeviceToken), the page asks for it once and keeps
  // it in a cookie; then a person types their reference or scans their QR
  // code (a handheld scanner types it) and gets their ticket
  // (CheckInVisitor as the device: a late arrival is sent to the lodge).
  HttpResponse Kiosk(Context& ctx, const Bindings* form) {
    std::variant<v1::Site, HttpResponse> linked = LinkedDevice(ctx, &Impl::KioskPage);
    if (auto* page = std::get_if<HttpResponse>(&linked)) return std::move(*page);
    const v1::Site* site = &std::get<v1::Site>(linked);
    mustache::data data;
    data.set("site_name", site->display_name());
    data.set("request_id", NewRequestId());
    if (form == nullptr) return KioskPage(ctx, data, 200);
    const std::string typed(absl::StripAsciiWhitespace(Param(*form, "saisie")));
    reception::v1::CheckInVisitorRequest req;
    req.set_site(site->name());
    if (absl::StartsWith(typed, "c1.")) {
      req.set_check_in_token(typed);
    } else {
      req.set_reference(absl::AsciiStrToUpper(typed));
    }
    const std::string request_id = Param(*form, "request_id");
    req.set_request_id(SafeToken(request_id) ? request_id : NewRequestId());
    reception::v1::Visit visit;
    absl::Status s = CallOn<reception::v1::ReceptionService>(
        ctx, "reception", &reception::v1::ReceptionService::Stub::CheckInVisitor, req, &visit);
    if (!s.ok()) {
      data.set("error_text", ErrorText(ctx, s));
      return KioskPage(ctx, data, HttpStatusOf(s.code()));
    }
    data.set("ticket", visit.ticket());
    data.set("position", absl::StrReplaceAll(gateway::Words(ctx.language).at("kiosk_position"),
                                             {{"{n}", absl::StrCat(visit.position())}}));
    return KioskPage(ctx, data, 200);
  }

  // DevicePairing: the device token typed once on the tablet or the
  // display, checked with the access module, then kept in a cookie only
  // sent to the device's page (`path`: /borne, /ecran).
  HttpResponse DevicePairing(Context& ctx, const Bindings& form, const std::string& path) {
    const std::string token(absl::StripAsciiWhitespace(Param(form, "jeton")));
    absl::StatusOr<v1::Site> site = DeviceSite(ctx, token);
    if (!site.ok()) {
      mustache::data data;
      data.set("pairing", true);
      data.set("error_text", ErrorText(ctx, site.status()));
      const int status = HttpStatusOf(site.status().code());
      return path == "/ecran" ? DisplayPage(ctx, data, status) : KioskPage(ctx, data, status);
    }
    HttpResponse response;
    response.status = 303;
    response.headers.emplace_back("Location", path);
    response.headers.emplace_back("Set-Cookie",
                                  absl::StrCat(kDeviceCookie, "=", token, "; Path=", path,
                                               "; Max-Age=31536000; HttpOnly; SameSite=Strict",
                                               ctx.request->tls ? "; Secure" : ""));
    return Personal(ctx, std::move(response));
  }

  // ----------------------------------------------------------- display

  HttpResponse DisplayPage(Context& ctx, mustache::data data, int status) {
    ctx.bare = true;
    return Render(ctx, "display", gateway::Words(ctx.language).at("display_title"), data, status,
                  {"/static/display.js"});
  }

  // Display: the waiting-room board, linked once with a device token like
  // the kiosk; the calls at load (GetQueue), then live (display.js and
  // /ecran/flux).
  HttpResponse Display(Context& ctx) {
    std::variant<v1::Site, HttpResponse> linked = LinkedDevice(ctx, &Impl::DisplayPage);
    if (auto* page = std::get_if<HttpResponse>(&linked)) return std::move(*page);
    const v1::Site* site = &std::get<v1::Site>(linked);
    mustache::data data;
    data.set("site_name", site->display_name());
    reception::v1::GetQueueRequest req;
    req.set_site(site->name());
    reception::v1::QueueState queue;
    mustache::data calls{mustache::data::type::list};
    absl::Status s = CallOn<reception::v1::ReceptionService>(
        ctx, "reception", &reception::v1::ReceptionService::Stub::GetQueue, req, &queue);
    const std::vector<const reception::v1::Visit*> called = OpenCalls(queue);
    for (const reception::v1::Visit* v : called) {
      mustache::data item;
      item.set("ticket", v->ticket());
      item.set("counter", v->counter_display_name());
      calls.push_back(item);
    }
    if (!s.ok()) log::Warn("gateway.display_queue_failed", {{"reason", ErrorReason(s)}});
    if (called.empty()) data.set("no_call", true);
    data.set("calls", calls);
    return DisplayPage(ctx, data, 200);
  }

  // DisplayStream: the board's Server-Sent Events (display_hub.h).
  HttpResponse DisplayStream(Context& ctx) {
    const std::string token = ctx.request->Cookie(kDeviceCookie);
    absl::StatusOr<v1::Site> site = DeviceSite(ctx, token);
    HttpResponse response;
    response.headers.emplace_back("Cache-Control", "no-store");
    if (!site.ok()) {
      response.status = HttpStatusOf(site.status().code());
      response.body = "this display is not linked\n";
      return response;
    }
    response.content_type = "text/event-stream; charset=utf-8";
    response.headers.emplace_back("X-Accel-Buffering", "no");
    response.stream = [hub = &displays, site = site->name(),
                       token](std::shared_ptr<EventSink> sink) {
      hub->Add(site, token, std::move(sink));
    };
    return response;
  }

  std::optional<HttpResponse> Asset(const HttpRequest& request) {
    if (request.method != "GET") return std::nullopt;
    const std::string& path = request.path;
    if (!absl::StartsWith(path, "/dsfr/") && !absl::StartsWith(path, "/static/")) {
      return std::nullopt;
    }
    HttpResponse response;
    response.status = 404;
    response.body = "not found\n";
    const std::string type = ContentTypeOf(path);
    bool safe = !options.assets_dir.empty() && !type.empty() &&
                path.find("..") == std::string::npos && path.find("//") == std::string::npos;
    for (char c : path) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '.' && c != '-' &&
          c != '_') {
        safe = false;
      }
    }
    if (!safe) return response;
    std::ifstream file(options.assets_dir + path, std::ios::binary);
    if (!file) return response;
    std::ostringstream text;
    text << file.rdbuf();
    response.status = 200;
    response.content_type = type;
    response.body = text.str();
    response.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return response;
  }
};

Pages::Pages(PagesOptions options, ChannelFor channels)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(channels))) {}

Pages::~Pages() = default;

void Pages::StopStreams() { impl_->displays.Stop(); }

HttpResponse Pages::Handle(const HttpRequest& request, const std::string& client) {
  if (std::optional<HttpResponse> asset = impl_->Asset(request)) return *asset;
  Context ctx;
  ctx.request = &request;
  ctx.client = client;
  ctx.query = ParseUrlEncoded(request.query).value_or(Bindings());
  const std::string query_lang = Param(ctx.query, "lang");
  ctx.language = ChooseLanguage(query_lang, request.Cookie(kLanguageCookie),
                                request.Header("accept-language"));
  const std::string secure = request.tls ? "; Secure" : "";
  if (query_lang == ctx.language) {
    ctx.set_cookies.push_back(absl::StrCat(kLanguageCookie, "=", ctx.language,
                                           "; Path=/; Max-Age=31536000; SameSite=Lax", secure));
  }
  ctx.csrf = request.Cookie(kCsrfCookie);
  if (!SafeToken(ctx.csrf)) {
    ctx.csrf = NewRequestId();
    ctx.set_cookies.push_back(
        absl::StrCat(kCsrfCookie, "=", ctx.csrf, "; Path=/; HttpOnly; SameSite=Strict", secure));
  }
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (request.path == "/" && get) return impl_->Home(ctx);
  if (std::optional<Bindings> b = MatchPath(impl_->desk_path, request.path); b && get) {
    return impl_->DeskPage(ctx, *b);
  }
  // Double submit: a form's token must be the cookie's (which a page of
  // another site can neither read nor set).
  std::optional<Bindings> form;
  if (request.method == "POST") {
    if (!absl::StartsWith(absl::AsciiStrToLower(request.Header("content-type")),
                          "application/x-www-form-urlencoded")) {
      return impl_->Message(ctx, "error_summary", "error_other", 415);
    }
    form = ParseUrlEncoded(request.body);
    const std::string sent = form ? Param(*form, "csrf") : "";
    if (!SafeToken(sent) || sent != request.Cookie(kCsrfCookie)) {
      return impl_->Message(ctx, "error_summary", "error_csrf", 403);
    }
  }
  if (AgentPages::Owns(request.path)) return impl_->agents.Handle(ctx, form ? &*form : nullptr);
  if (std::optional<Bindings> b = MatchPath(impl_->form_path, request.path)) {
    if (get) return impl_->FormPage(ctx, *b, {}, 200);
    if (form) return impl_->Book(ctx, *b, *form);
  }
  if (request.path == "/rdv") {
    if (get) return impl_->ManageForm(ctx, {}, "", 200);
    if (form) return impl_->ShowAppointment(ctx, *form, false);
  }
  if (get && request.path == "/accessibilite") {
    return impl_->Legal(ctx, "accessibility_statement", "accessibility");
  }
  if (get && request.path == "/donnees-personnelles")
    return impl_->Legal(ctx, "privacy", "privacy");
  if (get && request.path == "/mentions-legales") return impl_->Legal(ctx, "legal", "legal");
  if (get && request.path == "/indicateurs") return impl_->Indicators(ctx, "");
  if (std::optional<Bindings> b = MatchPath(impl_->indicators_path, request.path); b && get) {
    return impl_->Indicators(ctx, Param(*b, "site"));
  }
  if (request.path == "/acces") {
    if (get) return impl_->ResendForm(ctx, "", "", "", 200);
    if (form) return impl_->Resend(ctx, *form);
  }
  // The pages the links in messages open (docs/notify.md#links).
  static const std::vector<
      std::tuple<std::string, std::string, HttpResponse (Impl::*)(Context&, const Bindings&)>>
      kLinkPages = {{"/confirmer", "attendance_title", &Impl::Attendance},
                    {"/enquete", "survey_title", &Impl::Survey},
                    {"/preferences", "preferences_title", &Impl::Preferences}};
  for (const auto& [path, title_key, page] : kLinkPages) {
    if (request.path != path) continue;
    if (get) return impl_->LinkForm(ctx, title_key, path, {}, absl::OkStatus());
    if (form) return ((*impl_).*page)(ctx, *form);
  }
  if (request.path == "/rdv/calendrier" && form) return impl_->CalendarFile(ctx, *form);
  if (request.path == "/borne") {
    if (get) return impl_->Kiosk(ctx, nullptr);
    if (form) return impl_->Kiosk(ctx, &*form);
  }
  if (request.path == "/borne/appareil" && form) {
    return impl_->DevicePairing(ctx, *form, "/borne");
  }
  if (request.path == "/ecran" && get) return impl_->Display(ctx);
  if (request.path == "/ecran/appareil" && form) {
    return impl_->DevicePairing(ctx, *form, "/ecran");
  }
  if (request.path == "/ecran/flux" && request.method == "GET") return impl_->DisplayStream(ctx);
  if (request.path == "/rdv/annuler" && form) return impl_->Cancel(ctx, *form);
  if (request.path == "/rdv/deplacer" && form) return impl_->Move(ctx, *form);
  return impl_->Message(ctx, "not_found", "not_found_text", 404);
}

}  // namespace accueil::gateway
