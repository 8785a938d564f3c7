#include "clients/cli/commands.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "accueil/booking/v1/booking.grpc.pb.h"

#include "clients/cli/credentials.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"
#include "clients/cli/session.h"
#include "services/common/status_macros.h"

namespace accueil::cli {
namespace {

namespace v1 = ::accueil::booking::v1;

constexpr std::array<absl::string_view, 8> kWeekdays = {"",    "mon", "tue", "wed",
                                                        "thu", "fri", "sat", "sun"};

std::string WeekdayWord(int iso_weekday) {
  if (iso_weekday >= 1 && iso_weekday <= 7) return std::string(kWeekdays[iso_weekday]);
  return absl::StrCat("day ", iso_weekday);
}

std::string Minutes(const google::protobuf::Duration& duration) {
  if (duration.seconds() % 60 == 0 && duration.nanos() == 0) {
    return absl::StrCat(duration.seconds() / 60, " min");
  }
  return absl::StrCat(duration.seconds(), " s");
}

// FromMinutes returns a duration of whole minutes, as the API takes them.
google::protobuf::Duration FromMinutes(int minutes) {
  google::protobuf::Duration duration;
  duration.set_seconds(int64_t{minutes} * 60);
  return duration;
}

void PrintSite(const v1::Site& site) {
  PrintFields(std::cout, {{"site", site.name()},
                          {"name", site.display_name()},
                          {"address", site.address()},
                          {"time zone", site.time_zone()}});
}

void PrintDesk(const v1::Desk& desk) {
  std::vector<Field> fields = {
      {"desk", desk.name()},
      {"site", desk.site()},
      {"name", desk.display_name()},
      {"kind", ToWord(DeskKindWords(), desk.kind())},
      {"slot", Minutes(desk.slot_duration())},
      {"capacity", absl::StrCat(desk.capacity_per_slot(), " per slot")},
      {"arrival grace", Minutes(desk.arrival_grace())},
  };
  for (const v1::DeskInstructions& instructions : desk.instructions()) {
    const std::string lang = instructions.language();
    if (!instructions.instructions().empty()) {
      fields.emplace_back(absl::StrCat("instructions [", lang, "]"), instructions.instructions());
    }
    for (const std::string& document : instructions.documents()) {
      fields.emplace_back(absl::StrCat("document [", lang, "]"), document);
    }
  }
  PrintFields(std::cout, fields);
}

// PrintAppointment prints what the person needs; `full` adds the person and
// the booking details (for `show`, where the user asked for them).
void PrintAppointment(const v1::Appointment& appointment, const Zone& zone, bool full) {
  std::vector<Field> fields = {
      {"appointment", appointment.name()},
      {"reference", appointment.reference()},
  };
  if (!appointment.access_code().empty()) {
    fields.emplace_back("access code", appointment.access_code());
  }
  fields.emplace_back("status", ToWord(StatusWords(), appointment.status()));
  fields.emplace_back(
      "time", absl::StrCat(FormatSpan(appointment.start_time(), appointment.end_time(), zone), " (",
                           zone.name, ")"));
  fields.emplace_back("desk", appointment.desk());
  if (full) {
    const v1::Person& person = appointment.person();
    fields.emplace_back("site", appointment.site());
    fields.emplace_back("slot", appointment.slot());
    fields.emplace_back("name", absl::StrCat(person.given_name(), " ", person.family_name()));
    if (!person.email().empty()) fields.emplace_back("email", person.email());
    if (!person.phone().empty()) fields.emplace_back("phone", person.phone());
    if (!person.preferred_language().empty()) {
      fields.emplace_back("language", person.preferred_language());
    }
    if (appointment.accessibility().need() != v1::ACCESSIBILITY_NEED_UNSPECIFIED) {
      fields.emplace_back("accessibility",
                          ToWord(AccessibilityWords(), appointment.accessibility().need()));
    }
    if (!appointment.accessibility().note().empty()) {
      fields.emplace_back("accessibility note", appointment.accessibility().note());
    }
    fields.emplace_back("companions", absl::StrCat(appointment.companions()));
    fields.emplace_back("channel", ToWord(ChannelWords(), appointment.channel()));
    fields.emplace_back("booked", FormatTime(appointment.create_time(), zone));
    fields.emplace_back("updated", FormatTime(appointment.update_time(), zone));
  }
  if (!appointment.cancel_reason().empty()) {
    fields.emplace_back("cancel reason", appointment.cancel_reason());
  }
  if (!appointment.check_in_token().empty()) {
    fields.emplace_back("check-in token", appointment.check_in_token());
  }
  PrintFields(std::cout, fields);
}

void PrintOpeningHours(const v1::OpeningHours& hours) {
  std::cout << "desk: " << hours.desk() << "\n\n";
  std::vector<v1::WeeklyRange> weekly(hours.weekly().begin(), hours.weekly().end());
  std::sort(weekly.begin(), weekly.end(), [](const auto& a, const auto& b) {
    return std::pair(a.iso_weekday(), a.start_minute()) <
           std::pair(b.iso_weekday(), b.start_minute());
  });
  if (weekly.empty()) {
    std::cout << "No opening hours: closed every day.\n";
  } else {
    Table table({"DAY", "OPEN", "CLOSE"});
    for (const v1::WeeklyRange& range : weekly) {
      table.AddRow({WeekdayWord(range.iso_weekday()), FormatMinute(range.start_minute()),
                    FormatMinute(range.end_minute())});
    }
    table.Print(std::cout);
  }
  if (hours.closures_size() > 0) {
    std::vector<v1::Closure> closures(hours.closures().begin(), hours.closures().end());
    std::sort(closures.begin(), closures.end(), [](const auto& a, const auto& b) {
      return FormatDate(a.date()) < FormatDate(b.date());
    });
    std::cout << '\n';
    Table table({"CLOSED ON", "REASON"});
    for (const v1::Closure& closure : closures) {
      table.AddRow({FormatDate(closure.date()), closure.reason()});
    }
    table.Print(std::cout);
  }
}

// Instructions groups "LANG=TEXT" and "LANG=DOCUMENT" values by language, in
// the order languages first appear.
absl::StatusOr<std::vector<v1::DeskInstructions>> Instructions(
    const std::vector<std::string>& instructions, const std::vector<std::string>& documents) {
  std::vector<v1::DeskInstructions> out;
  auto for_language = [&out](const std::string& language) -> v1::DeskInstructions& {
    for (v1::DeskInstructions& entry : out) {
      if (entry.language() == language) return entry;
    }
    out.emplace_back().set_language(language);
    return out.back();
  };
  for (const std::string& value : instructions) {
    ASSIGN_OR_RETURN(auto parsed, ParseLanguageText(value));
    v1::DeskInstructions& entry = for_language(parsed.first);
    if (!entry.instructions().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--instructions given twice for language \"", parsed.first, "\""));
    }
    entry.set_instructions(parsed.second);
  }
  for (const std::string& value : documents) {
    ASSIGN_OR_RETURN(auto parsed, ParseLanguageText(value));
    for_language(parsed.first).add_documents(parsed.second);
  }
  return out;
}

// ParseMinute parses "HH:MM" into minutes after midnight; "24:00" is 1440.
std::optional<int> ParseMinute(absl::string_view text) {
  int hours = 0;
  int minutes = 0;
  if (text.size() != 5 || text[2] != ':' || !absl::SimpleAtoi(text.substr(0, 2), &hours) ||
      !absl::SimpleAtoi(text.substr(3, 2), &minutes) || !absl::ascii_isdigit(text[0]) ||
      !absl::ascii_isdigit(text[3])) {
    return std::nullopt;
  }
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return hours * 60 + minutes;
}

// WithoutCodeError refuses a call without the access code from the public,
// who could not be allowed it anyway; agents go on to the server, which
// checks their site and reason.
std::optional<ErrorReport> WithoutCodeError(const GlobalOptions& global,
                                            const AppointmentOptions& options) {
  if (!options.access_code.empty() || !global.token.empty()) {
    return std::nullopt;
  }
  return UsageError(
      "--code is required: the access code given at booking (an agent acting "
      "for the person signs in with 'accueil login' and gives --reason "
      "instead)");
}

}  // namespace

int RunSites(const GlobalOptions& global) {
  Session session(global);
  v1::ListSitesResponse sites;
  grpc::Status status = session.ListAllSites(&sites);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(sites);
  if (sites.sites().empty()) {
    std::cout << "No sites.\n";
    return kExitOk;
  }
  Table table({"SITE", "NAME", "TIME ZONE", "ADDRESS"});
  for (const v1::Site& site : sites.sites()) {
    table.AddRow({site.name(), site.display_name(), site.time_zone(), site.address()});
  }
  table.Print(std::cout);
  return kExitOk;
}

int RunDesks(const GlobalOptions& global, const DesksOptions& options) {
  Session session(global);
  v1::ListDesksResponse desks;
  grpc::Status status = session.ListAllDesks(options.site, &desks);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(desks);
  if (desks.desks().empty()) {
    std::cout << "No desks.\n";
    return kExitOk;
  }
  Table table({"DESK", "SITE", "NAME", "KIND", "SLOT", "CAPACITY", "ARRIVAL GRACE"});
  for (const v1::Desk& desk : desks.desks()) {
    table.AddRow({desk.name(), desk.site(), desk.display_name(),
                  ToWord(DeskKindWords(), desk.kind()), Minutes(desk.slot_duration()),
                  absl::StrCat(desk.capacity_per_slot()), Minutes(desk.arrival_grace())});
  }
  table.Print(std::cout);
  return kExitOk;
}

int RunSlots(const GlobalOptions& global, const SlotsOptions& options) {
  std::optional<absl::CivilDay> from;
  std::optional<absl::CivilDay> to;
  for (auto [text, day] : {std::pair(&options.from, &from), std::pair(&options.to, &to)}) {
    if (text->empty()) continue;
    absl::StatusOr<absl::CivilDay> parsed = ParseDay(*text);
    if (!parsed.ok()) return Report(UsageError(parsed.status().message()));
    *day = *parsed;
  }
  if (from && to && *to < *from) return Report(UsageError("--to is before --from"));

  Session session(global);
  // Days are the site's local days, so the zone is needed before the call;
  // here a failed lookup is an error, not a silent change of zone.
  Zone zone{"UTC", absl::UTCTimeZone()};
  if (!global.json || from || to) {
    std::string zone_name;
    grpc::Status status = session.ZoneNameOfDesk(options.desk, &zone_name);
    if (!status.ok()) return session.Fail(status);
    absl::StatusOr<Zone> loaded = LoadZone(zone_name);
    if (!loaded.ok()) return Report(LocalError(loaded.status().message()));
    zone = *std::move(loaded);
  }

  v1::ListSlotsRequest request;
  request.set_desk(options.desk);
  if (from) *request.mutable_start_time() = ToTimestamp(absl::FromCivil(*from, zone.tz));
  if (to) *request.mutable_end_time() = ToTimestamp(absl::FromCivil(*to + 1, zone.tz));
  request.set_page_size(options.limit > 0 ? std::min(options.limit, kPageSize) : kPageSize);

  v1::ListSlotsResponse all;
  grpc::Status status = CollectPages(
      request,
      [&](const v1::ListSlotsRequest& r, v1::ListSlotsResponse* page) {
        grpc::ClientContext context;
        session.Prepare(&context);
        return session.stub().ListSlots(&context, r, page);
      },
      [](v1::ListSlotsResponse& r) { return r.mutable_slots(); }, &all, options.limit);
  if (!status.ok()) return session.Fail(status);

  if (global.json) return PrintJsonMessage(all);
  if (all.slots().empty()) {
    std::cout << "No slots.\n";
    return kExitOk;
  }
  Table table({"SLOT", "DATE", absl::StrCat("TIME (", zone.name, ")"), "AVAILABLE"});
  for (const v1::Slot& slot : all.slots()) {
    const absl::Time start = ToTime(slot.start_time());
    const absl::Time end = ToTime(slot.end_time());
    table.AddRow({slot.name(), absl::FormatTime("%Y-%m-%d", start, zone.tz),
                  absl::StrCat(absl::FormatTime("%H:%M", start, zone.tz), "-",
                               absl::FormatTime("%H:%M", end, zone.tz)),
                  absl::StrCat(slot.remaining_capacity(), "/", slot.capacity())});
  }
  table.Print(std::cout);
  return kExitOk;
}

// MutateAppointment runs one call that changes an appointment and answers it,
// then prints the answer (JSON or a record) and `note`, if any.
template <typename Request>
int MutateAppointment(const GlobalOptions& global, const std::string& request_id,
                      grpc::Status (v1::BookingService::Stub::*method)(grpc::ClientContext*,
                                                                       const Request&,
                                                                       v1::Appointment*),
                      const Request& request, bool full, const char* note) {
  return Mutate(global, request_id, &Session::stub, method, request,
                [&](Session& session, const v1::Appointment& appointment) {
                  PrintAppointment(appointment,
                                   session.DisplayZone(appointment.site(), appointment.desk()),
                                   full);
                  if (note != nullptr) std::cout << note;
                });
}

int RunBook(const GlobalOptions& global, const BookOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));

  v1::CreateAppointmentRequest request;
  request.set_slot(options.slot);
  v1::Person& person = *request.mutable_person();
  person.set_given_name(options.given_name);
  person.set_family_name(options.family_name);
  person.set_email(options.email);
  person.set_phone(options.phone);
  person.set_preferred_language(options.language);
  if (!options.accessibility.empty() || !options.accessibility_note.empty()) {
    request.mutable_accessibility()->set_need(
        FromWord(AccessibilityWords(), options.accessibility));
    request.mutable_accessibility()->set_note(options.accessibility_note);
  }
  request.set_companions(options.companions);
  request.set_channel(FromWord(ChannelWords(), options.channel));
  request.set_override_reason(options.override_reason);
  request.set_request_id(*request_id);

  return MutateAppointment(global, *request_id, &v1::BookingService::Stub::CreateAppointment,
                           request, /*full=*/false,
                           "\nKeep the reference and the access code: both are needed to "
                           "change or cancel the appointment.\n");
}

int RunShow(const GlobalOptions& global, const AppointmentOptions& options) {
  if (auto error = WithoutCodeError(global, options)) return Report(*error);
  v1::GetAppointmentRequest request;
  request.set_reference(options.reference);
  request.set_access_code(options.access_code);

  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  v1::Appointment appointment;
  grpc::Status status = session.stub().GetAppointment(&context, request, &appointment);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(appointment);
  PrintAppointment(appointment, session.DisplayZone(appointment.site(), appointment.desk()),
                   /*full=*/true);
  return kExitOk;
}

int RunCancel(const GlobalOptions& global, const AppointmentOptions& options) {
  if (auto error = WithoutCodeError(global, options)) return Report(*error);
  // An agent cancelling for the person may give one reason for both: the
  // cancellation's, and the agent's own when none was given globally.
  GlobalOptions call_global = global;
  if (options.access_code.empty() && call_global.reason.empty() && !options.reason.empty()) {
    absl::StatusOr<std::string> header = AgentReasonHeader(options.reason);
    if (!header.ok()) return Report(UsageError(header.status().message()));
    call_global.reason = *std::move(header);
  }
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  v1::CancelAppointmentRequest request;
  request.set_reference(options.reference);
  request.set_access_code(options.access_code);
  request.set_reason(options.reason);
  request.set_request_id(*request_id);

  return MutateAppointment(call_global, *request_id, &v1::BookingService::Stub::CancelAppointment,
                           request,
                           /*full=*/false, nullptr);
}

int RunMove(const GlobalOptions& global, const AppointmentOptions& options) {
  if (auto error = WithoutCodeError(global, options)) return Report(*error);
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  v1::RescheduleAppointmentRequest request;
  request.set_reference(options.reference);
  request.set_access_code(options.access_code);
  request.set_new_slot(options.new_slot);
  request.set_request_id(*request_id);

  return MutateAppointment(global, *request_id, &v1::BookingService::Stub::RescheduleAppointment,
                           request, /*full=*/false, nullptr);
}

int RunNoShow(const GlobalOptions& global, const TransitionOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  v1::TransitionAppointmentRequest request;
  request.set_name(options.name);
  request.set_request_id(*request_id);
  return MutateAppointment(global, *request_id, &v1::BookingService::Stub::MarkNoShow, request,
                           /*full=*/false, nullptr);
}

int RunResetCode(const GlobalOptions& global, const NameOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  v1::ResetAccessCodeRequest request;
  request.set_name(options.name);
  request.set_request_id(*request_id);

  return MutateAppointment(global, *request_id, &v1::BookingService::Stub::ResetAccessCode, request,
                           /*full=*/false,
                           "\nGive the person the new access code: the old code and the "
                           "old check-in token no longer work.\n");
}

int RunCreateSite(const GlobalOptions& global, const CreateSiteOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  v1::CreateSiteRequest request;
  request.mutable_site()->set_display_name(options.display_name);
  request.mutable_site()->set_address(options.address);
  request.mutable_site()->set_time_zone(options.time_zone);
  request.set_request_id(*request_id);

  return Mutate(global, *request_id, &Session::stub, &v1::BookingService::Stub::CreateSite, request,
                [](Session&, const v1::Site& site) { PrintSite(site); });
}

int RunCreateDesk(const GlobalOptions& global, const DeskOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  absl::StatusOr<std::vector<v1::DeskInstructions>> instructions =
      Instructions(options.instructions, options.documents);
  if (!instructions.ok()) return Report(UsageError(instructions.status().message()));

  v1::CreateDeskRequest request;
  request.set_parent(options.site);
  v1::Desk& desk = *request.mutable_desk();
  desk.set_site(options.site);
  desk.set_display_name(options.display_name.value_or(""));
  desk.set_kind(FromWord(DeskKindWords(), options.kind.value_or("")));
  *desk.mutable_slot_duration() = FromMinutes(options.slot_minutes.value_or(0));
  desk.set_capacity_per_slot(options.capacity.value_or(1));
  // Unset: the server's default.
  if (options.grace_minutes) {
    *desk.mutable_arrival_grace() = FromMinutes(*options.grace_minutes);
  }
  for (v1::DeskInstructions& entry : *instructions) {
    *desk.add_instructions() = std::move(entry);
  }
  request.set_request_id(*request_id);

  return Mutate(global, *request_id, &Session::stub, &v1::BookingService::Stub::CreateDesk, request,
                [](Session&, const v1::Desk& desk) { PrintDesk(desk); });
}

int RunUpdateDesk(const GlobalOptions& global, const DeskOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  absl::StatusOr<std::vector<v1::DeskInstructions>> instructions =
      Instructions(options.instructions, options.documents);
  if (!instructions.ok()) return Report(UsageError(instructions.status().message()));

  v1::UpdateDeskRequest request;
  v1::Desk& desk = *request.mutable_desk();
  google::protobuf::FieldMask& mask = *request.mutable_update_mask();
  desk.set_name(options.desk);
  if (options.display_name) {
    desk.set_display_name(*options.display_name);
    mask.add_paths("display_name");
  }
  if (options.kind) {
    desk.set_kind(FromWord(DeskKindWords(), *options.kind));
    mask.add_paths("kind");
  }
  if (options.slot_minutes) {
    *desk.mutable_slot_duration() = FromMinutes(*options.slot_minutes);
    mask.add_paths("slot_duration");
  }
  if (options.capacity) {
    desk.set_capacity_per_slot(*options.capacity);
    mask.add_paths("capacity_per_slot");
  }
  if (options.grace_minutes) {
    *desk.mutable_arrival_grace() = FromMinutes(*options.grace_minutes);
    mask.add_paths("arrival_grace");
  }
  if (!instructions->empty()) {
    for (v1::DeskInstructions& entry : *instructions) {
      *desk.add_instructions() = std::move(entry);
    }
    mask.add_paths("instructions");
  }
  if (mask.paths().empty()) {
    return Report(
        UsageError("nothing to update: give --name, --kind, --slot-minutes, --capacity, "
                   "--grace-minutes, --instructions or --documents"));
  }
  request.set_request_id(*request_id);

  return Mutate(global, *request_id, &Session::stub, &v1::BookingService::Stub::UpdateDesk, request,
                [](Session&, const v1::Desk& desk) { PrintDesk(desk); });
}

int RunSetHours(const GlobalOptions& global, const HoursOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  v1::SetOpeningHoursRequest request;
  v1::OpeningHours& hours = *request.mutable_opening_hours();
  hours.set_desk(options.desk);
  for (const std::string& text : options.ranges) {
    absl::StatusOr<v1::WeeklyRange> range = ParseWeeklyRange(text);
    if (!range.ok()) return Report(UsageError(range.status().message()));
    *hours.add_weekly() = *std::move(range);
  }
  for (const std::string& text : options.closed) {
    absl::StatusOr<v1::Closure> closure = ParseClosure(text);
    if (!closure.ok()) return Report(UsageError(closure.status().message()));
    *hours.add_closures() = *std::move(closure);
  }
  request.set_request_id(*request_id);

  return Mutate(global, *request_id, &Session::stub, &v1::BookingService::Stub::SetOpeningHours,
                request, [](Session&, const v1::OpeningHours& saved) { PrintOpeningHours(saved); });
}

int RunShowHours(const GlobalOptions& global, const std::string& desk) {
  v1::GetOpeningHoursRequest request;
  request.set_desk(desk);
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  v1::OpeningHours hours;
  grpc::Status status = session.stub().GetOpeningHours(&context, request, &hours);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(hours);
  PrintOpeningHours(hours);
  return kExitOk;
}

int RunRelease(const GlobalOptions& global, const ReleaseOptions& options) {
  absl::StatusOr<absl::CivilDay> from = ParseDay(options.from);
  if (!from.ok()) return Report(UsageError(from.status().message()));
  absl::StatusOr<absl::CivilDay> to = ParseDay(options.to);
  if (!to.ok()) return Report(UsageError(to.status().message()));
  if (*to < *from) return Report(UsageError("--to is before --from"));
  if (options.window_minutes > 0 && options.at.empty()) {
    return Report(UsageError("--window needs --at (the start of the window)"));
  }
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));

  v1::ReleaseSlotsRequest request;
  request.set_desk(options.desk);
  *request.mutable_start_date() = ToDate(*from);
  *request.mutable_end_date() = ToDate(*to);
  if (!options.at.empty()) {
    absl::StatusOr<absl::Time> at = ParseRfc3339(options.at);
    if (!at.ok()) return Report(UsageError(at.status().message()));
    *request.mutable_release_time() = ToTimestamp(*at);
  }
  if (options.window_minutes > 0) {
    *request.mutable_release_window() = FromMinutes(options.window_minutes);
  }
  request.set_request_id(*request_id);

  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  v1::ReleaseSlotsResponse response;
  grpc::Status status = session.stub().ReleaseSlots(&context, request, &response);
  if (!status.ok()) return session.FailMutation(status, *request_id);
  if (global.json) return PrintJsonMessage(response);
  std::string release = "at once";
  if (response.has_release_time()) {
    const Zone zone = session.DisplayZone("", options.desk);
    release = absl::StrCat(FormatTime(response.release_time(), zone), " (", zone.name, ")");
  }
  PrintFields(std::cout, {{"desk", options.desk},
                          {"days", absl::StrCat(options.from, " to ", options.to)},
                          {"slots created", absl::StrCat(response.created_slot_count())},
                          {"bookable from", release}});
  return kExitOk;
}

int RunPersonExport(const GlobalOptions& global, const PersonOptions& options) {
  v1::ExportPersonDataRequest request;
  request.set_site(options.site);
  request.set_query(options.query);
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  v1::ExportPersonDataResponse response;
  grpc::Status status = session.stub().ExportPersonData(&context, request, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  if (response.appointments().empty()) {
    std::cout << "No appointment of this person at " << options.site << ".\n";
    return kExitOk;
  }
  Zone zone = session.DisplayZone(options.site);
  for (int i = 0; i < response.appointments_size(); ++i) {
    if (i > 0) std::cout << "\n";
    PrintAppointment(response.appointments(i), zone, /*full=*/true);
  }
  return kExitOk;
}

int RunPersonErase(const GlobalOptions& global, const PersonOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  v1::ErasePersonDataRequest request;
  request.set_site(options.site);
  request.set_query(options.query);
  request.set_request_id(*request_id);
  return Mutate(global, *request_id, &Session::stub, &v1::BookingService::Stub::ErasePersonData,
                request, [&](Session&, const v1::ErasePersonDataResponse& response) {
                  PrintFields(std::cout, {{"site", options.site},
                                          {"erased appointments",
                                           absl::StrCat(response.erased_appointment_count())}});
                });
}

absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view text) {
  absl::CivilDay day;
  // ParseCivilTime would read "2026-02-30" as March 2: insist on a round trip.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) ||
      absl::FormatCivilTime(day) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a date (expected YYYY-MM-DD)"));
  }
  return day;
}

absl::StatusOr<v1::WeeklyRange> ParseWeeklyRange(absl::string_view text) {
  auto invalid = [text] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an opening range (expected e.g. \"mon 09:00-12:00\")"));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.size() != 2) return invalid();
  const std::string day = absl::AsciiStrToLower(parts[0]);
  auto weekday = std::find(kWeekdays.begin() + 1, kWeekdays.end(), day);
  if (weekday == kWeekdays.end()) return invalid();
  std::vector<absl::string_view> times = absl::StrSplit(parts[1], '-');
  if (times.size() != 2) return invalid();
  std::optional<int> start = ParseMinute(times[0]);
  std::optional<int> end = ParseMinute(times[1]);
  if (!start || !end) return invalid();
  if (*start >= *end) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": the range must end after it starts"));
  }
  v1::WeeklyRange range;
  range.set_iso_weekday(static_cast<int>(weekday - kWeekdays.begin()));
  range.set_start_minute(*start);
  range.set_end_minute(*end);
  return range;
}

absl::StatusOr<v1::Closure> ParseClosure(absl::string_view text) {
  absl::StatusOr<absl::CivilDay> day = ParseDay(text.substr(0, 10));
  if (!day.ok() || (text.size() > 10 && text[10] != ':')) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a closure (expected YYYY-MM-DD or YYYY-MM-DD:reason)"));
  }
  v1::Closure closure;
  *closure.mutable_date() = ToDate(*day);
  if (text.size() > 11) closure.set_reason(std::string(text.substr(11)));
  return closure;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseLanguageText(absl::string_view text) {
  std::pair<std::string, std::string> parsed = absl::StrSplit(text, absl::MaxSplits('=', 1));
  if (parsed.first.empty() || parsed.second.empty() || text.find('=') == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not LANG=TEXT (e.g. \"fr=Venez 10 minutes avant\")"));
  }
  return parsed;
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an RFC 3339 time (e.g. 2026-11-02T08:00:00+01:00)"));
  }
  return time;
}

absl::StatusOr<std::string> NewRequestId() {
  std::array<unsigned char, 16> bytes;
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(bytes.data()), bytes.size())) {
    return absl::UnavailableError("cannot read /dev/urandom to make a request id");
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string id;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    absl::StrAppendFormat(&id, "%02x", bytes[i]);
  }
  return id;
}

}  // namespace accueil::cli
