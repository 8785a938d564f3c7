#include "services/booking/history.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/booking/slot_generation.h"
#include "services/common/errors.h"
#include "services/common/input/input.h"
#include "services/common/person_key.h"

namespace accueil::booking {
namespace {

using history::Appointment;
using history::Fate;
using history::HistoryEvent;
using history::Rfc3339;

// Fictitious people: common given and family names; the e-mail under
// example.org (reserved, RFC 2606) reaches nobody.
constexpr const char* kGivenNames[] = {
    "Amina", "Lucas",   "Fatou", "Mohamed", "Léa",  "Yusuf",  "Chloé",  "Karim", "Nadia",  "Hugo",
    "Aïcha", "Ibrahim", "Sofia", "Mamadou", "Inès", "Arthur", "Mariam", "Omar",  "Élodie", "Kenji"};
constexpr const char* kFamilyNames[] = {
    "Martin", "Diallo", "Bernard", "Nguyen", "Traoré", "Petit", "Benali",   "Dubois", "Haddad",
    "Moreau", "Camara", "Laurent", "Kaya",   "Garcia", "Mendy", "Rousseau", "Tran",   "Fofana"};

// An ASCII e-mail local part from a name: "Léa" -> "lea".
std::string Ascii(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      out += absl::ascii_tolower(static_cast<char>(c));
    } else if (c == 0xC3 && i + 1 < name.size()) {  // the Latin-1 letters of the lists
      unsigned char n = static_cast<unsigned char>(name[++i]);
      if (n >= 0xA8 && n <= 0xAB)
        out += 'e';
      else if (n >= 0xAC && n <= 0xAF)
        out += 'i';
      else
        out += 'a';
    }
  }
  return out;
}

// The payload every status event carries (booking.append_status_event).
nlohmann::json StatusPayload(const history::Site& site, const history::Slot& slot,
                             const Appointment& a, int64_t desk, const char* from_status,
                             const char* actor) {
  return {{"appointment", a.id},
          {"slot", slot.id},
          {"desk", desk},
          {"site", site.id},
          {"from_status", from_status},
          {"start_time", Rfc3339(slot.start)},
          {"end_time", Rfc3339(slot.end)},
          {"time_zone", site.time_zone},
          {"actor", actor}};
}

// The events of one appointment, in the order they happened.
void AppendEvents(const history::Site& site, const history::Day& day, const Appointment& a,
                  std::vector<HistoryEvent>& out) {
  const history::Slot& slot = day.slots[a.slot];
  const int64_t desk = site.desks[slot.desk].id;
  const std::string subject = absl::StrCat("appointments/", a.id);
  nlohmann::json booked = {{"appointment", a.id},
                           {"slot", slot.id},
                           {"desk", desk},
                           {"site", site.id},
                           {"start_time", Rfc3339(slot.start)},
                           {"end_time", Rfc3339(slot.end)},
                           {"time_zone", site.time_zone},
                           {"channel", a.channel},
                           {"companions", a.companions},
                           {"accessibility_need", a.accessibility_need},
                           {"override", false},
                           {"actor", a.channel == "online" ? "public" : "agent"}};
  out.push_back({"appointment.booked", subject, a.booked, booked.dump()});
  auto status = [&](const char* type, absl::Time when, const char* from, const char* actor,
                    nlohmann::json extra) {
    nlohmann::json p = StatusPayload(site, slot, a, desk, from, actor);
    p.update(extra);
    out.push_back({type, subject, when, p.dump()});
  };
  switch (a.fate) {
    case Fate::kCancelled:
      status("appointment.cancelled", a.cancel_time, "booked", a.cancel_actor.c_str(),
             {{"cause", a.cancel_cause}});
      return;
    case Fate::kNoShow:
      status("appointment.noshow", a.noshow_time, "booked", "service", {{"cause", "sweep"}});
      return;
    case Fate::kServed:
    case Fate::kLeft:
      break;
  }
  const history::Visit& v = *a.visit;
  status("appointment.arrived", v.arrival, "booked", "service",
         {{"late", v.late}, {"late_accepted", v.late}});
  if (a.fate == Fate::kLeft) {
    status("appointment.not_served", v.finished, "arrived", "service", {{"cause", "left"}});
    return;
  }
  status("appointment.in_service", v.started, "arrived", "service", nlohmann::json::object());
  status("appointment.fulfilled", v.finished, "in_service", "service", nlohmann::json::object());
}

const char* StatusOf(Fate fate) {
  switch (fate) {
    case Fate::kCancelled:
      return "cancelled";
    case Fate::kNoShow:
      return "noshow";
    case Fate::kServed:
      return "fulfilled";
    case Fate::kLeft:
      return "not_served";
  }
  return "";
}

}  // namespace

std::string HistoryReference(int64_t id) {
  // A bijection of the 40 bits 8 characters of 32 hold: odd multipliers and
  // xor-shifts are each invertible modulo 2^40.
  constexpr uint64_t kMask = (uint64_t{1} << 40) - 1;
  uint64_t x = static_cast<uint64_t>(id) & kMask;
  x = (x * 0x9E3779B97FULL) & kMask;
  x ^= x >> 19;
  x = (x * 0xC2B2AE3D27ULL) & kMask;
  x ^= x >> 21;
  std::string out(8, ' ');
  for (int i = 7; i >= 0; --i) {
    out[i] = input::kReferenceAlphabet[x & 31];
    x >>= 5;
  }
  return out;
}

absl::Status HistoryHooks::Describe(pqxx::transaction_base& tx, const history::Options& options,
                                    history::Site& site) {
  pqxx::result s = tx.exec_params("SELECT time_zone FROM booking.sites WHERE id = $1", site.id);
  if (s.empty())
    return Error(absl::StatusCode::kNotFound, "SITE_NOT_FOUND",
                 absl::StrCat("history: no site ", site.id));
  site.time_zone = s[0]["time_zone"].as<std::string>();
  if (!absl::LoadTimeZone(site.time_zone, &site.zone)) {
    return Error(
        absl::StatusCode::kFailedPrecondition, "UNKNOWN_TIME_ZONE",
        absl::StrCat("history: the site's time zone ", site.time_zone, " is unknown here"));
  }
  const history::Range range = history::RangeOf(options, site.zone);
  const std::string from = absl::FormatCivilTime(range.from);
  const std::string to = absl::FormatCivilTime(range.to);
  pqxx::result desks = tx.exec_params(
      "SELECT id, slot_minutes, capacity_per_slot, arrival_grace_seconds FROM booking.desks "
      "WHERE site_id = $1 ORDER BY id",
      site.id);
  for (const pqxx::row& d : desks) {
    history::Desk desk;
    desk.id = d["id"].as<int64_t>();
    desk.slot_length = absl::Minutes(d["slot_minutes"].as<int>());
    desk.capacity_per_slot = d["capacity_per_slot"].as<int>();
    desk.arrival_grace = absl::Seconds(d["arrival_grace_seconds"].as<int>());
    std::vector<WeeklyRange> weekly;
    for (const pqxx::row& r :
         tx.exec_params("SELECT iso_weekday, start_minute, end_minute FROM booking.opening_ranges "
                        "WHERE desk_id = $1",
                        desk.id)) {
      weekly.push_back({r[0].as<int>(), r[1].as<int>(), r[2].as<int>()});
    }
    absl::flat_hash_set<absl::CivilDay> closed;
    for (const pqxx::row& r :
         tx.exec_params("SELECT day::text FROM booking.closures WHERE desk_id = $1 AND day "
                        "BETWEEN $2::date AND $3::date",
                        desk.id, from, to)) {
      absl::CivilDay day;
      if (absl::ParseCivilTime(r[0].as<std::string>(), &day)) closed.insert(day);
    }
    desk.slot_starts =
        GenerateSlotStarts(site.zone, weekly, closed, range.from, range.to, desk.slot_length);
    site.desks.push_back(std::move(desk));
  }
  history::AddTaken(site,
                    tx.exec_params("SELECT DISTINCT s.desk_id, s.local_date::text FROM "
                                   "booking.slots s JOIN booking.desks d ON d.id = s.desk_id "
                                   "WHERE d.site_id = $1 AND s.local_date BETWEEN $2::date AND "
                                   "$3::date",
                                   site.id, from, to));
  return absl::OkStatus();
}

absl::Status HistoryHooks::Load(pqxx::transaction_base& tx, const history::Site& site,
                                history::Day& day, const history::LoadContext& context) {
  using history::CopyTime;
  using history::CopyWriter;
  const std::vector<int64_t> slot_ids = history::ReserveIds(tx, "booking.slots", day.slots.size());
  const size_t n = day.appointments.size();
  const std::vector<int64_t> person_ids = history::ReserveIds(tx, "booking.persons", n);
  const std::vector<int64_t> ids = history::ReserveIds(tx, "booking.appointments", n);
  const std::string date = history::CopyDate(day.date);

  CopyWriter slots(tx, "booking.slots",
                   {"id", "desk_id", "start_time", "end_time", "local_date", "capacity", "booked",
                    "release_time"});
  for (size_t i = 0; i < day.slots.size(); ++i) {
    history::Slot& s = day.slots[i];
    s.id = slot_ids[i];
    slots.Row(absl::StrCat(s.id), absl::StrCat(site.desks[s.desk].id), CopyTime(s.start),
              CopyTime(s.end), date, absl::StrCat(s.capacity), absl::StrCat(s.booked),
              CopyTime(s.start - absl::Hours(24 * 90)));
  }
  slots.Complete();

  std::vector<std::string> emails(n);
  CopyWriter persons(tx, "booking.persons",
                     {"id", "given_name", "family_name", "email", "preferred_language"});
  for (size_t i = 0; i < n; ++i) {
    const int64_t pid = person_ids[i];
    const char* given = kGivenNames[static_cast<size_t>(pid) % std::size(kGivenNames)];
    const char* family = kFamilyNames[static_cast<size_t>(pid / 7) % std::size(kFamilyNames)];
    emails[i] = absl::StrCat(Ascii(given), ".", Ascii(family), ".", pid, "@example.org");
    persons.Row(absl::StrCat(pid), given, family, emails[i], day.appointments[i].language);
  }
  persons.Complete();

  std::vector<HistoryEvent> events;
  CopyWriter appointments(
      tx, "booking.appointments",
      {"id", "reference", "slot_id", "desk_id", "site_id", "person_id", "person_key", "status",
       "channel", "companions", "accessibility_need", "create_time", "update_time"});
  for (size_t i = 0; i < n; ++i) {
    Appointment& a = day.appointments[i];
    a.id = ids[i];
    const history::Slot& s = day.slots[a.slot];
    appointments.Row(absl::StrCat(a.id), HistoryReference(a.id), absl::StrCat(s.id),
                     absl::StrCat(site.desks[s.desk].id), absl::StrCat(site.id),
                     absl::StrCat(person_ids[i]),
                     history::CopyBytes(PersonKey(*context.secrets, emails[i])), StatusOf(a.fate),
                     a.channel, absl::StrCat(a.companions), a.accessibility_need,
                     CopyTime(a.booked), CopyTime(a.last_change));
    AppendEvents(site, day, a, events);
  }
  appointments.Complete();
  // What no constraint states: a slot's count of places taken.
  if (tx.exec_params1("SELECT count(*) FROM booking.slots s JOIN booking.desks d ON d.id = "
                      "s.desk_id WHERE d.site_id = $1 AND s.local_date = $2::date AND s.booked <> "
                      "(SELECT count(*) FROM booking.appointments a WHERE a.slot_id = s.id AND "
                      "a.status <> 'cancelled')",
                      site.id, date)[0]
          .as<int64_t>() != 0) {
    return absl::InternalError(absl::StrCat("history: places taken miscounted on ", date));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const HistoryEvent& x, const HistoryEvent& y) { return x.time < y.time; });
  history::CopyEvents(tx, "booking", site.id, events);
  return absl::OkStatus();
}

}  // namespace accueil::booking
