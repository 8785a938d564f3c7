// Sites, desks, opening hours and slots: administration and public listing.
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/booking/booking_service.h"
#include "services/booking/mutation.h"
#include "services/booking/proto_convert.h"
#include "services/booking/slot_generation.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/idempotency.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::booking {

namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

absl::StatusOr<std::string> ParseTimeZoneName(const std::string& raw) {
  absl::TimeZone zone;
  bool plausible = !raw.empty() && raw.size() <= 64;
  for (char c : raw) {
    plausible = plausible && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                              c == '_' || c == '-' || c == '+');
  }
  if (!plausible || !absl::LoadTimeZone(raw, &zone)) {
    return InvalidField("INVALID_TIME_ZONE", "site.time_zone",
                        "expected an IANA time zone such as Europe/Paris");
  }
  return raw;
}

absl::Status ValidateKind(v1::DeskKind kind) {
  if (kind == v1::DESK_KIND_UNSPECIFIED || !v1::DeskKind_IsValid(kind)) {
    return InvalidField("INVALID_DESK_KIND", "desk.kind", "choose a desk kind");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ParseSlotMinutes(const google::protobuf::Duration& d) {
  int64_t seconds = d.seconds();
  if (d.nanos() != 0 || seconds % 60 != 0 || seconds < 5 * 60 || seconds > 480 * 60) {
    return InvalidField("INVALID_SLOT_DURATION", "desk.slot_duration",
                        "a whole number of minutes between 5 and 480");
  }
  return static_cast<int>(seconds / 60);
}

absl::Status ValidateCapacity(int capacity) {
  if (capacity < 1 || capacity > 100) {
    return InvalidField("INVALID_CAPACITY", "desk.capacity_per_slot",
                        "between 1 and 100 people per slot");
  }
  return absl::OkStatus();
}

// InstructionsJson validates and serialises the per-language instructions.
absl::StatusOr<std::string> InstructionsJson(
    const google::protobuf::RepeatedPtrField<v1::DeskInstructions>& list) {
  if (list.size() > 20) {
    return InvalidField("INVALID_INSTRUCTIONS", "desk.instructions", "at most 20 languages");
  }
  absl::flat_hash_set<std::string> seen;
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < list.size(); ++i) {
    std::string prefix = absl::StrCat("desk.instructions[", i, "]");
    ASSIGN_OR_RETURN(std::string lang,
                     input::ParseLanguage(list[i].language(), prefix + ".language"));
    if (!seen.insert(lang).second) {
      return InvalidField("DUPLICATE_LANGUAGE", prefix + ".language", "one entry per language");
    }
    if (list[i].documents_size() > 30) {
      return InvalidField("INVALID_INSTRUCTIONS", prefix + ".documents", "at most 30 documents");
    }
    nlohmann::json docs = nlohmann::json::array();
    for (int j = 0; j < list[i].documents_size(); ++j) {
      ASSIGN_OR_RETURN(std::string doc,
                       input::ParseFreeText(list[i].documents(j),
                                            absl::StrCat(prefix, ".documents[", j, "]"), 200));
      docs.push_back(doc);
    }
    // Instructions may span lines: each line is checked as text.
    const std::string& text = list[i].instructions();
    if (text.size() > 4000) {
      return InvalidField("INVALID_TEXT", prefix + ".instructions", "at most 4000 bytes");
    }
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      RETURN_IF_ERROR(
          input::ParseFreeText(std::string(line), prefix + ".instructions", 2000).status());
    }
    items.push_back({{"language", lang}, {"documents", docs}, {"instructions", text}});
  }
  return items.dump();
}

}  // namespace

absl::Status BookingService::GetSite(int64_t id, v1::Site* out) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("booking_get_site", id);
    if (r.empty()) {
      return Error(absl::StatusCode::kNotFound, "SITE_NOT_FOUND", "no such site");
    }
    SiteFromRow(r[0], out);
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoGetSite(Call&, const v1::GetSiteRequest& req, v1::Site* out) {
  absl::StatusOr<int64_t> id = input::ParseResourceId(req.name(), "sites", "name");
  if (!id.ok()) return id.status();
  absl::Status s = GetSite(*id, out);
  return s.code() == absl::StatusCode::kNotFound ? WithField(s, "name") : s;
}

absl::Status BookingService::SiteExists(int64_t id) {
  v1::Site ignored;
  absl::Status s = GetSite(id, &ignored);
  return s.code() == absl::StatusCode::kNotFound ? WithField(s, "site") : s;
}

absl::Status BookingService::GetDesk(int64_t id, v1::Desk* out) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("booking_get_desk", id);
    if (r.empty()) {
      return Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk");
    }
    return DeskFromRow(r[0], out);
  });
}

absl::StatusOr<int64_t> BookingService::AuthorizeDesk(Call& call, int64_t desk, v1::Desk* out) {
  RETURN_IF_ERROR(GetDesk(desk, out));
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(out->site(), "sites", "site"));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(out->name(), site);
  return site;
}

absl::Status BookingService::DoListSites(Call&, const v1::ListSitesRequest& req,
                                         v1::ListSitesResponse* resp) {
  ASSIGN_OR_RETURN(
      int size, input::ParsePageSize(req.page_size(), kDefaultPageSize, kMaxPageSize, "page_size"));
  int64_t after = 0;
  if (!req.page_token().empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> keys,
                     input::DecodePageToken(req.page_token(), "sites", 1, "page_token"));
    after = keys[0];
  }
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("booking_list_sites", after, size + 1);
    for (int i = 0; i < static_cast<int>(r.size()) && i < size; ++i) {
      SiteFromRow(r[i], resp->add_sites());
    }
    if (static_cast<int>(r.size()) > size) {
      resp->set_next_page_token(input::EncodePageToken("sites", {r[size - 1]["id"].as<int64_t>()}));
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoListDesks(Call&, const v1::ListDesksRequest& req,
                                         v1::ListDesksResponse* resp) {
  int64_t site = 0;
  if (!req.parent().empty()) {
    ASSIGN_OR_RETURN(site, input::ParseResourceId(req.parent(), "sites", "parent"));
  }
  ASSIGN_OR_RETURN(
      int size, input::ParsePageSize(req.page_size(), kDefaultPageSize, kMaxPageSize, "page_size"));
  std::string scope = absl::StrCat("desks:", site);
  int64_t after = 0;
  if (!req.page_token().empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> keys,
                     input::DecodePageToken(req.page_token(), scope, 1, "page_token"));
    after = keys[0];
  }
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("booking_list_desks", site, after, size + 1);
    for (int i = 0; i < static_cast<int>(r.size()) && i < size; ++i) {
      RETURN_IF_ERROR(DeskFromRow(r[i], resp->add_desks()));
    }
    if (static_cast<int>(r.size()) > size) {
      resp->set_next_page_token(input::EncodePageToken(scope, {r[size - 1]["id"].as<int64_t>()}));
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoListSlots(Call&, const v1::ListSlotsRequest& req,
                                         v1::ListSlotsResponse* resp) {
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  absl::Time now = ctx_.clock->Now();
  absl::Time start = req.has_start_time() ? FromProto(req.start_time()) : now;
  absl::Time end = req.has_end_time() ? FromProto(req.end_time()) : start + absl::Hours(24 * 42);
  if (req.has_start_time() && !IsValidTimestamp(req.start_time())) {
    return InvalidField("INVALID_TIME", "start_time", "not a valid timestamp");
  }
  if (req.has_end_time() && !IsValidTimestamp(req.end_time())) {
    return InvalidField("INVALID_TIME", "end_time", "not a valid timestamp");
  }
  if (end <= start) {
    return InvalidField("INVALID_TIME_RANGE", "end_time", "end_time must be after start_time");
  }
  if (end - start > absl::Hours(24 * 400)) {
    return InvalidField("INVALID_TIME_RANGE", "end_time", "at most 400 days at once");
  }
  ASSIGN_OR_RETURN(
      int size, input::ParsePageSize(req.page_size(), kDefaultPageSize, kMaxPageSize, "page_size"));
  // The scope is the window as the client asked for it: an unset start means
  // "now" on every page, and that instant moves between pages (the keyset
  // position keeps the order; slots already started drop out anyway).
  std::string scope = absl::StrCat(
      "slots:", desk, ":", req.has_start_time() ? absl::StrCat(absl::ToUnixMicros(start)) : "now",
      ":", req.has_end_time() ? absl::StrCat(absl::ToUnixMicros(end)) : "default");
  int64_t after_micros = 0, after_id = 0;
  if (!req.page_token().empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> keys,
                     input::DecodePageToken(req.page_token(), scope, 2, "page_token"));
    after_micros = keys[0];
    after_id = keys[1];
  }
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result d = tx.exec_prepared("booking_get_desk", desk);
    if (d.empty()) {
      return Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk");
    }
    resp->Clear();
    pqxx::result r = tx.exec_prepared(
        "booking_list_slots", desk, db::SqlTime(now), db::SqlTime(start), db::SqlTime(end),
        db::SqlTime(absl::FromUnixMicros(after_micros)), after_id, size + 1);
    for (int i = 0; i < static_cast<int>(r.size()) && i < size; ++i) {
      SlotFromRow(r[i], resp->add_slots());
    }
    if (static_cast<int>(r.size()) > size) {
      const auto& last = r[size - 1];
      resp->set_next_page_token(input::EncodePageToken(
          scope, {last["start_micros"].as<int64_t>(), last["id"].as<int64_t>()}));
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoListAvailableDays(Call&, const v1::ListAvailableDaysRequest& req,
                                                 v1::ListAvailableDaysResponse* resp) {
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  std::string first;
  if (req.has_start_date()) {
    ASSIGN_OR_RETURN(absl::CivilDay day, DayFromProto(req.start_date(), "start_date"));
    first = absl::FormatCivilTime(day);
  }
  if (req.days() < 0 || req.days() > 92) {
    return InvalidField("INVALID_DAYS", "days", "1 to 92 days (0: 31)");
  }
  const int days = req.days() == 0 ? 31 : req.days();
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    if (tx.exec_prepared("booking_get_desk", desk).empty()) {
      return WithField(Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk"),
                       "desk");
    }
    resp->Clear();
    for (const pqxx::row& r : tx.exec_prepared("booking_available_days", desk,
                                               db::SqlTime(ctx_.clock->Now()), first, days)) {
      v1::AvailableDay* d = resp->add_days();
      absl::CivilDay day;
      if (!absl::ParseCivilTime(r["local_date"].as<std::string>(), &day)) {
        return Error(absl::StatusCode::kInternal, "BAD_DATE", "a slot's day does not parse");
      }
      d->mutable_date()->set_year(static_cast<int>(day.year()));
      d->mutable_date()->set_month(day.month());
      d->mutable_date()->set_day(day.day());
      d->set_free_slots(r["free_slots"].as<int>());
      d->set_free_places(r["free_places"].as<int>());
      *d->mutable_first_start_time() =
          ToProto(absl::FromUnixMicros(r["first_micros"].as<int64_t>()));
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoCreateSite(Call& call, const v1::CreateSiteRequest& req,
                                          v1::Site* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CreateSite", req));
  ASSIGN_OR_RETURN(std::string name,
                   input::ParseFreeText(req.site().display_name(), "site.display_name", 200));
  if (name.empty()) {
    return InvalidField("INVALID_TEXT", "site.display_name", "a name is required");
  }
  ASSIGN_OR_RETURN(std::string address,
                   input::ParseFreeText(req.site().address(), "site.address", 500));
  ASSIGN_OR_RETURN(std::string zone, ParseTimeZoneName(req.site().time_zone()));
  RETURN_IF_ERROR(call.AuthorizeSite(0));
  absl::Time now = ctx_.clock->Now();
  ASSIGN_OR_RETURN(int64_t id,
                   RunMutation(call, *ctx_.pool, ctx_.commit_signal, idem, now,
                               [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                                 int64_t site =
                                     tx.exec_prepared1("booking_insert_site", name, address, zone,
                                                       db::SqlTime(now))["id"]
                                         .as<int64_t>();
                                 AppendEvent(tx, "site.created", absl::StrCat("sites/", site), site,
                                             now, absl::StrCat("{\"site\":", site, "}"));
                                 call.SetResource(absl::StrCat("sites/", site), site);
                                 return site;
                               }));
  return GetSite(id, out);
}

absl::Status BookingService::DoCreateDesk(Call& call, const v1::CreateDeskRequest& req,
                                          v1::Desk* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CreateDesk", req));
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req.parent(), "sites", "parent"));
  ASSIGN_OR_RETURN(std::string name,
                   input::ParseFreeText(req.desk().display_name(), "desk.display_name", 200));
  if (name.empty()) {
    return InvalidField("INVALID_TEXT", "desk.display_name", "a name is required");
  }
  RETURN_IF_ERROR(ValidateKind(req.desk().kind()));
  ASSIGN_OR_RETURN(int minutes, ParseSlotMinutes(req.desk().slot_duration()));
  RETURN_IF_ERROR(ValidateCapacity(req.desk().capacity_per_slot()));
  ASSIGN_OR_RETURN(int grace, ArrivalGraceFromProto(req.desk()));
  ASSIGN_OR_RETURN(std::string instructions, InstructionsJson(req.desk().instructions()));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  absl::Time now = ctx_.clock->Now();
  ASSIGN_OR_RETURN(
      int64_t id,
      RunMutation(call, *ctx_.pool, ctx_.commit_signal, idem, now,
                  [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                    if (tx.exec_prepared("booking_get_site", site).empty()) {
                      return Error(absl::StatusCode::kNotFound, "SITE_NOT_FOUND", "no such site");
                    }
                    int64_t desk =
                        tx.exec_prepared1("booking_insert_desk", site, name,
                                          KindToSql(req.desk().kind()), minutes,
                                          req.desk().capacity_per_slot(), instructions, grace)["id"]
                            .as<int64_t>();
                    call.SetResource(absl::StrCat("desks/", desk), site);
                    AppendEvent(tx, "desk.created", absl::StrCat("desks/", desk), site, now,
                                absl::StrCat("{\"desk\":", desk, ",\"site\":", site, "}"));
                    return desk;
                  }));
  return GetDesk(id, out);
}

absl::Status BookingService::DoUpdateDesk(Call& call, const v1::UpdateDeskRequest& req,
                                          v1::Desk* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("UpdateDesk", req));
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req.desk().name(), "desks", "desk.name"));
  if (req.update_mask().paths_size() == 0) {
    return InvalidField("INVALID_UPDATE_MASK", "update_mask", "name the fields to change");
  }
  // Start from the stored desk, then apply the masked fields.
  v1::Desk current;
  RETURN_IF_ERROR(AuthorizeDesk(call, desk, &current).status());
  for (const std::string& path : req.update_mask().paths()) {
    if (path == "display_name") {
      current.set_display_name(req.desk().display_name());
    } else if (path == "kind") {
      current.set_kind(req.desk().kind());
    } else if (path == "slot_duration") {
      *current.mutable_slot_duration() = req.desk().slot_duration();
    } else if (path == "capacity_per_slot") {
      current.set_capacity_per_slot(req.desk().capacity_per_slot());
    } else if (path == "instructions") {
      *current.mutable_instructions() = req.desk().instructions();
    } else if (path == "arrival_grace") {
      *current.mutable_arrival_grace() = req.desk().arrival_grace();
    } else {
      return InvalidField("INVALID_UPDATE_MASK", "update_mask",
                          "updatable: display_name, kind, slot_duration, "
                          "capacity_per_slot, instructions, arrival_grace");
    }
  }
  ASSIGN_OR_RETURN(std::string name,
                   input::ParseFreeText(current.display_name(), "desk.display_name", 200));
  if (name.empty()) {
    return InvalidField("INVALID_TEXT", "desk.display_name", "a name is required");
  }
  RETURN_IF_ERROR(ValidateKind(current.kind()));
  ASSIGN_OR_RETURN(int minutes, ParseSlotMinutes(current.slot_duration()));
  RETURN_IF_ERROR(ValidateCapacity(current.capacity_per_slot()));
  ASSIGN_OR_RETURN(int grace, ArrivalGraceFromProto(current));
  ASSIGN_OR_RETURN(std::string instructions, InstructionsJson(current.instructions()));
  absl::Time now = ctx_.clock->Now();
  ASSIGN_OR_RETURN(int64_t id,
                   RunMutation(call, *ctx_.pool, ctx_.commit_signal, idem, now,
                               [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                                 pqxx::result r = tx.exec_prepared(
                                     "booking_update_desk", desk, name, KindToSql(current.kind()),
                                     minutes, current.capacity_per_slot(), instructions, grace);
                                 if (r.empty()) {
                                   return Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND",
                                                "no such desk");
                                 }
                                 AppendEvent(tx, "desk.updated", absl::StrCat("desks/", desk),
                                             r[0]["site_id"].as<int64_t>(), now,
                                             absl::StrCat("{\"desk\":", desk, "}"));
                                 return desk;
                               }));
  return GetDesk(id, out);
}

absl::Status BookingService::DoGetOpeningHours(int64_t desk, v1::OpeningHours* out) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    if (tx.exec_prepared("booking_get_desk", desk).empty()) {
      return Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk");
    }
    out->Clear();
    out->set_desk(absl::StrCat("desks/", desk));
    for (const auto& row : tx.exec_prepared("booking_list_ranges", desk)) {
      v1::WeeklyRange* range = out->add_weekly();
      range->set_iso_weekday(row["iso_weekday"].as<int>());
      range->set_start_minute(row["start_minute"].as<int>());
      range->set_end_minute(row["end_minute"].as<int>());
    }
    for (const auto& row : tx.exec_prepared("booking_list_closures", desk)) {
      v1::Closure* closure = out->add_closures();
      closure->mutable_date()->set_year(row["year"].as<int>());
      closure->mutable_date()->set_month(row["month"].as<int>());
      closure->mutable_date()->set_day(row["day_of_month"].as<int>());
      closure->set_reason(row["reason"].as<std::string>());
    }
    return absl::OkStatus();
  });
}

absl::Status BookingService::DoSetOpeningHours(Call& call, const v1::SetOpeningHoursRequest& req,
                                               v1::OpeningHours* out) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("SetOpeningHours", req));
  const v1::OpeningHours& hours = req.opening_hours();
  ASSIGN_OR_RETURN(int64_t desk,
                   input::ParseResourceId(hours.desk(), "desks", "opening_hours.desk"));
  if (hours.weekly_size() > 7 * 12) {
    return InvalidField("INVALID_OPENING_HOURS", "opening_hours.weekly", "too many ranges");
  }
  for (int i = 0; i < hours.weekly_size(); ++i) {
    const v1::WeeklyRange& r = hours.weekly(i);
    std::string field = absl::StrCat("opening_hours.weekly[", i, "]");
    if (r.iso_weekday() < 1 || r.iso_weekday() > 7 || r.start_minute() < 0 ||
        r.end_minute() > 1440 || r.start_minute() >= r.end_minute()) {
      return InvalidField("INVALID_OPENING_HOURS", field,
                          "weekday 1-7 and 0 <= start_minute < end_minute <= 1440");
    }
    for (int j = 0; j < i; ++j) {
      const v1::WeeklyRange& o = hours.weekly(j);
      if (o.iso_weekday() == r.iso_weekday() && r.start_minute() < o.end_minute() &&
          o.start_minute() < r.end_minute()) {
        return InvalidField("OVERLAPPING_RANGES", field, "ranges of one day must not overlap");
      }
    }
  }
  if (hours.closures_size() > 400) {
    return InvalidField("INVALID_OPENING_HOURS", "opening_hours.closures", "at most 400 closures");
  }
  std::vector<std::pair<absl::CivilDay, std::string>> closures;
  absl::flat_hash_set<absl::CivilDay> seen;
  for (int i = 0; i < hours.closures_size(); ++i) {
    std::string field = absl::StrCat("opening_hours.closures[", i, "]");
    ASSIGN_OR_RETURN(absl::CivilDay day, DayFromProto(hours.closures(i).date(), field + ".date"));
    ASSIGN_OR_RETURN(std::string reason,
                     input::ParseFreeText(hours.closures(i).reason(), field + ".reason", 200));
    if (seen.insert(day).second) closures.emplace_back(day, reason);
  }
  // Authorize before anything, replays included.
  v1::Desk current;
  ASSIGN_OR_RETURN(int64_t desk_site, AuthorizeDesk(call, desk, &current));
  absl::Time now = ctx_.clock->Now();
  ASSIGN_OR_RETURN(
      int64_t id,
      RunMutation(
          call, *ctx_.pool, ctx_.commit_signal, idem, now,
          [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
            int64_t site = desk_site;
            // The closed days before and after, for the event: consumers (notify,
            // reception) act on the days that changed.
            absl::btree_set<absl::CivilDay> before, after;
            for (const auto& row : tx.exec_prepared("booking_list_closures", desk)) {
              before.insert(absl::CivilDay(row["year"].as<int>(), row["month"].as<int>(),
                                           row["day_of_month"].as<int>()));
            }
            for (const auto& closure : closures) after.insert(closure.first);
            nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array();
            for (absl::CivilDay day : after) {
              if (!before.contains(day)) added.push_back(absl::FormatCivilTime(day));
            }
            for (absl::CivilDay day : before) {
              if (!after.contains(day)) removed.push_back(absl::FormatCivilTime(day));
            }
            tx.exec_prepared("booking_clear_ranges", desk);
            tx.exec_prepared("booking_clear_closures", desk);
            for (const v1::WeeklyRange& r : hours.weekly()) {
              tx.exec_prepared("booking_insert_range", desk, r.iso_weekday(), r.start_minute(),
                               r.end_minute());
            }
            for (const auto& [day, reason] : closures) {
              tx.exec_prepared("booking_insert_closure", desk, absl::FormatCivilTime(day), reason);
            }
            // The days closed now: their booked appointments are cancelled
            // (cause closure, actor system; the notify module tells the
            // people), in this transaction.
            if (!added.empty()) {
              std::vector<std::string> days;
              for (const auto& day : added) days.push_back(day.get<std::string>());
              tx.exec_prepared("booking_cancel_for_closure", desk,
                               absl::StrCat("{", absl::StrJoin(days, ","), "}"), db::SqlTime(now));
            }
            nlohmann::json payload = {
                {"desk", desk},
                {"closures", closures.size()},
                {"closures_added", added},
                {"closures_removed", removed},
                {"time_zone",
                 tx.exec_prepared1("booking_get_site", site)["time_zone"].as<std::string>()}};
            AppendEvent(tx, "desk.hours_changed", absl::StrCat("desks/", desk), site, now,
                        payload.dump());
            return desk;
          }));
  return DoGetOpeningHours(id, out);
}

absl::Status BookingService::DoReleaseSlots(Call& call, const v1::ReleaseSlotsRequest& req,
                                            v1::ReleaseSlotsResponse* resp) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("ReleaseSlots", req));
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  ASSIGN_OR_RETURN(absl::CivilDay first, DayFromProto(req.start_date(), "start_date"));
  ASSIGN_OR_RETURN(absl::CivilDay last, DayFromProto(req.end_date(), "end_date"));
  if (last < first || last - first > 366) {
    return InvalidField("INVALID_DATE_RANGE", "end_date",
                        "end_date must be on or after start_date, at most 366 days later");
  }
  absl::Time now = ctx_.clock->Now();
  absl::Time release = now;
  if (req.has_release_time()) {
    if (!IsValidTimestamp(req.release_time())) {
      return InvalidField("INVALID_TIME", "release_time", "not a valid timestamp");
    }
    release = FromProto(req.release_time());
  }
  if (req.has_release_window()) {
    int64_t window = req.release_window().seconds();
    if (window < 0 || window > 30 * 24 * 3600 || req.release_window().nanos() != 0) {
      return InvalidField("INVALID_RELEASE_WINDOW", "release_window",
                          "whole seconds between 0 and 30 days");
    }
    // Cryptographic draw, so the instant cannot be predicted from earlier ones.
    if (window > 0) {
      release += absl::Seconds(randombytes_uniform(static_cast<uint32_t>(window)));
    }
  }

  // Read the desk's zone and hours, then generate in C++ (Abseil's zone rules).
  v1::Desk desk_proto;
  ASSIGN_OR_RETURN(int64_t site_id, AuthorizeDesk(call, desk, &desk_proto));
  v1::OpeningHours hours;
  RETURN_IF_ERROR(DoGetOpeningHours(desk, &hours));
  v1::Site site;
  RETURN_IF_ERROR(GetSite(site_id, &site));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(site.time_zone(), &zone)) {
    return Error(absl::StatusCode::kInternal, "TIME_ZONE_UNAVAILABLE",
                 "the site's time zone cannot be loaded (is tzdata installed?)");
  }
  std::vector<WeeklyRange> weekly;
  for (const v1::WeeklyRange& r : hours.weekly()) {
    weekly.push_back({r.iso_weekday(), r.start_minute(), r.end_minute()});
  }
  absl::flat_hash_set<absl::CivilDay> closed;
  for (const v1::Closure& c : hours.closures()) {
    closed.insert(absl::CivilDay(c.date().year(), c.date().month(), c.date().day()));
  }
  std::vector<absl::Time> starts = GenerateSlotStarts(
      zone, weekly, closed, first, last, absl::Seconds(desk_proto.slot_duration().seconds()));
  std::vector<std::string> seconds;
  seconds.reserve(starts.size());
  for (absl::Time t : starts) seconds.push_back(absl::StrCat(absl::ToUnixSeconds(t)));

  return RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
                   [&](pqxx::transaction_base& tx) -> absl::Status {
                     pqxx::row r = tx.exec_prepared1(
                         "booking_release_slots", idem.request_id, idem.hash_hex, db::SqlTime(now),
                         desk, absl::StrCat("{", absl::StrJoin(seconds, ","), "}"),
                         db::SqlTime(release));
                     resp->set_created_slot_count(r["created"].as<int>());
                     *resp->mutable_release_time() =
                         ToProto(absl::FromUnixMicros(r["release_micros"].as<int64_t>()));
                     return absl::OkStatus();
                   });
}

}  // namespace accueil::booking
