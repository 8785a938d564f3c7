// Past activity for a site, generated and loaded in bulk: the months of
// bookings, cancellations, no-shows, visits and walk-ins a demonstration or a
// benchmark needs before the quality officer's report means anything
// (`accueil-server demo-history`, docs/indicators.md#demo-history).
//
// The generator here decides what happened, day by day, deterministically
// from a seed; it writes nothing. Each module then writes its own part of
// each day through its HistoryHooks (module.h), in its own schema, with the
// events its RPCs would have written, marked `history` (docs/events.md#history)
// so that no consumer acts on them in the world (no reminder for last spring).
// Metrics then rebuilds its figures from the log like after any restore.
//
//   history::Site site;  // the modules' Describe fill it
//   history::Generator generator(site, options);
//   while (std::optional<history::Day> day = generator.Next()) {
//     ... every module's Load(tx, site, *day, context) ...
//   }
//
// The rules (shares, delays) are written in docs/indicators.md#demo-history;
// they follow what prefectures reported (about 30 % of appointments missed,
// DOMAIN.md). Desk-days that already have slots or a reception day are left
// alone: history never overwrites what the system recorded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/secrets.h"

namespace accueil::history {

struct Desk {
  int64_t id = 0;
  absl::Duration slot_length = absl::Minutes(15);
  int capacity_per_slot = 1;
  absl::Duration arrival_grace = absl::Minutes(15);
  // Every slot start of the range by the desk's hours and closures (booking's
  // slot generation), sorted.
  std::vector<absl::Time> slot_starts;
  std::string ticket_prefix;  // reception's, "A"
};

struct Site {
  int64_t id = 0;
  std::string time_zone;
  absl::TimeZone zone;
  std::vector<Desk> desks;
  // Desk-days some module already holds (slots, a reception day): skipped.
  std::set<std::pair<int64_t, absl::CivilDay>> taken;
};

// A visit at the lodge and a counter (reception's), of an appointment or a
// walk-in served today.
struct Visit {
  int64_t id = 0;  // set by reception's Load
  int ticket_number = 0;
  absl::Time arrival;
  absl::Time due;  // the appointment's start; the arrival for a walk-in
  bool late = false;
  bool left = false;  // left before being called (finish = the time they left)
  absl::Time called;
  absl::Time started;
  absl::Time finished;
  std::string outcome;  // served, redirected (empty when left)
};

enum class Fate { kCancelled, kNoShow, kServed, kLeft };

struct Slot {
  size_t desk;  // index in Site::desks
  absl::Time start;
  absl::Time end;
  int capacity = 1;
  int booked = 0;  // appointments holding a place (not cancelled)
  int64_t id = 0;  // set by booking's Load
};

struct Appointment {
  size_t slot;     // index in Day::slots
  int64_t id = 0;  // set by booking's Load
  absl::Time booked;
  std::string channel;  // online, agent, convocation
  int companions = 0;
  std::string accessibility_need;  // none, reduced_mobility, ...
  std::string language;            // fr, en, ...
  Fate fate = Fate::kServed;
  absl::Time cancel_time;
  std::string cancel_actor;  // public, agent
  std::string cancel_cause;  // person, agent
  absl::Time noshow_time;
  std::optional<Visit> visit;  // kServed, kLeft
  absl::Time last_change;      // the time of its final status
};

struct WalkIn {
  std::optional<size_t> desk;  // none: turned away at the door with information
  absl::Time time;
  std::string outcome;         // informed, oriented, booked_on_the_spot, served_today
  std::optional<Visit> visit;  // served_today
  int64_t id = 0;              // set by reception's Load
};

// One local day of the site: what happened at its open desks.
struct Day {
  absl::CivilDay date;
  std::vector<size_t> open_desks;  // indexes in Site::desks, generated this day
  std::vector<Slot> slots;
  std::vector<Appointment> appointments;
  std::vector<WalkIn> walk_ins;
};

struct Options {
  // The local days generated: by default the `months` whole months before
  // the current one and the current month up to yesterday, in the site's
  // zone; `from` and `to` set them explicitly (tests, benchmarks).
  int months = 6;
  absl::Time now;
  std::optional<absl::CivilDay> from;
  std::optional<absl::CivilDay> to;
  // Appointments to generate over the range (cancelled ones included); 0:
  // about 90 % of the desks' capacity. Above that, slots get more places.
  int64_t appointments = 0;
  uint64_t seed = 1;
  double noshow_rate = 0.30;  // of the appointments due (DOMAIN.md: Isère)
};

struct Range {
  absl::CivilDay from;
  absl::CivilDay to;
};
// RangeOf is the range of local days `options` ask for, in `zone`.
Range RangeOf(const Options& options, const absl::TimeZone& zone);

// The days generated, one by one, so that a year of a large site never sits
// in memory at once.
class Generator {
 public:
  // Create checks the options against the site (range, desks, capacity).
  static absl::StatusOr<Generator> Create(const Site& site, const Options& options);
  // Next returns the next day with at least one open desk, or nullopt at the
  // end of the range.
  absl::StatusOr<std::optional<Day>> Next();
  // Totals planned (capacity and fill), for the command's summary.
  int capacity_factor() const { return capacity_factor_; }

 private:
  Generator(const Site& site, const Options& options, int capacity_factor, double fill);
  absl::StatusOr<Day> Generate(absl::CivilDay date);

  const Site* site_;
  Options options_;
  int capacity_factor_;
  double fill_;
  Range range_;
  absl::CivilDay next_;
};

// What a module's Load may use besides the day.
struct LoadContext {
  const Secrets* secrets;  // person keys
};

// A field of a COPY row: text, or null.
struct CopyField {
  CopyField(std::string v) : value(std::move(v)) {}                 // NOLINT: implicit by design
  CopyField(const char* v) : value(v) {}                            // NOLINT
  CopyField(std::nullopt_t) {}                                      // NOLINT
  CopyField(std::optional<std::string> v) : value(std::move(v)) {}  // NOLINT
  std::optional<std::string> value;
};

// Bulk writing through COPY (far faster than one INSERT per row): rows go to
// `table` (schema-qualified) in `columns` order; pqxx escapes each field.
class CopyWriter {
 public:
  CopyWriter(pqxx::transaction_base& tx, const std::string& table,
             const std::vector<std::string>& columns)
      : stream_(tx, table, columns) {}
  template <typename... Fields>
  void Row(Fields&&... fields) {
    stream_ << std::make_tuple(CopyField(std::forward<Fields>(fields))...);
  }
  // Complete ends the COPY; call it before the transaction's next statement.
  void Complete() { stream_.complete(); }

 private:
  pqxx::stream_to stream_;
};

// The text forms COPY reads.
std::string CopyTime(absl::Time t);  // "2026-03-29 01:30:00.000000+00"
std::string CopyDate(absl::CivilDay d);
std::string CopyBytes(const std::string& bytes);  // bytea hex: "\x0a1b..."
std::string Rfc3339(absl::Time t);                // for event payloads (UTC)

// Ids drawn from a table's identity sequence, as many as `n`, in one
// statement: COPY writes them explicitly so that rows can refer to each other.
std::vector<int64_t> ReserveIds(pqxx::transaction_base& tx, const std::string& table, size_t n);

// AddTaken adds to `site.taken` the desk-days of `rows` (desk id, local
// date as text): what a module's Describe found already recorded.
void AddTaken(Site& site, const pqxx::result& rows);

// A history event: written by CopyEvents in events.log with history = true.
struct HistoryEvent {
  std::string type;
  std::string subject;  // "appointments/12"
  absl::Time time;
  std::string payload_json;
};
// CopyEvents appends `events` in order (their position follows it).
void CopyEvents(pqxx::transaction_base& tx, const std::string& source, int64_t site_id,
                const std::vector<HistoryEvent>& events);

// A module's part of the history (Module::history()). The host calls, in the
// modules' order (booking before reception: visits refer to appointments):
// every Describe, then every Load for each day, all in one transaction, then
// every Finish once it has committed.
class HistoryHooks {
 public:
  virtual ~HistoryHooks() = default;
  // Describe adds what this module knows of the site for the range: booking
  // its zone, desks and slot starts (so it comes first); reception the ticket
  // prefixes. Either adds the desk-days it already holds to `site.taken`.
  virtual absl::Status Describe(pqxx::transaction_base& tx, const Options& options, Site& site) {
    (void)tx, (void)options, (void)site;
    return absl::OkStatus();
  }
  // Load writes this module's rows and events of `day`, setting the ids the
  // next modules refer to.
  virtual absl::Status Load(pqxx::transaction_base& tx, const Site& site, Day& day,
                            const LoadContext& context) {
    (void)tx, (void)site, (void)day, (void)context;
    return absl::OkStatus();
  }
  // Finish runs after the commit (metrics rebuilds its figures); returns a
  // line for the summary, or "".
  virtual absl::StatusOr<std::string> Finish(db::Pool& pool, const Clock& clock) {
    (void)pool, (void)clock;
    return std::string();
  }
};

}  // namespace accueil::history

namespace pqxx {
template <>
struct string_traits<accueil::history::CopyField> {
  static constexpr const char* name() noexcept { return "CopyField"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const accueil::history::CopyField& f) { return !f.value.has_value(); }
  static accueil::history::CopyField null() { return std::nullopt; }
  static void from_string(const char str[], accueil::history::CopyField& f) { f.value = str; }
  static std::string to_string(const accueil::history::CopyField& f) { return *f.value; }
};
}  // namespace pqxx
