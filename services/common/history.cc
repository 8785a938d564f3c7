#include "services/common/history.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace accueil::history {
namespace {

// Shares and delays (docs/indicators.md#demo-history).
constexpr double kDefaultFill = 0.90;       // places taken when no target is given
constexpr double kCancelledPerHeld = 0.14;  // about 12 % of appointments cancelled
constexpr double kLateCancellation = 0.25;  // of cancellations: under 24 h
constexpr double kLeftShare = 0.02;         // of people who came: left unserved
constexpr double kWalkInsPerDue = 0.15;     // walk-ins per appointment due
constexpr int kMaxTicketsPerDeskDay = 999;  // reception's ticket numbers
constexpr int kMaxPlacesPerSlot = 100;      // booking's limit

// Durations drawn are whole microseconds, as PostgreSQL stores instants: an
// event's payload and the row it describes then say the same.
absl::Duration Seconds(double s) { return absl::Microseconds(std::llround(s * 1e6)); }
absl::Duration Minutes(double m) { return Seconds(m * 60); }
absl::Duration Part(absl::Duration d, double share) {
  return Seconds(absl::ToDoubleSeconds(d) * share);
}

class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  double Uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
  bool Chance(double p) { return Uniform() < p; }
  double Exponential(double mean) { return std::exponential_distribution<double>(1 / mean)(rng_); }
  double LogNormal(double median, double sigma) {
    return std::lognormal_distribution<double>(std::log(median), sigma)(rng_);
  }
  int Binomial(int n, double p) { return std::binomial_distribution<int>(n, p)(rng_); }
  int Poisson(double mean) { return mean <= 0 ? 0 : std::poisson_distribution<int>(mean)(rng_); }
  size_t Index(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  // Pick returns the index of the weight drawn.
  size_t Pick(std::initializer_list<double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform(0, total);
    size_t i = 0;
    for (double w : weights) {
      if (x < w) return i;
      x -= w;
      ++i;
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 rng_;
};

absl::Time DayStart(const absl::TimeZone& zone, absl::CivilDay day) {
  return zone.At(absl::CivilSecond(day)).pre;
}

// The slots of the range, in desk-days not taken.
int64_t CapacityOf(const Site& site, const Range& range) {
  int64_t places = 0;
  const absl::Time begin = DayStart(site.zone, range.from);
  const absl::Time end = DayStart(site.zone, range.to + 1);
  for (const Desk& desk : site.desks) {
    for (absl::Time t : desk.slot_starts) {
      if (t < begin || t >= end) continue;
      absl::CivilDay day(site.zone.At(t).cs);
      if (site.taken.count({desk.id, day}) > 0) continue;
      places += desk.capacity_per_slot;
    }
  }
  return places;
}

// A visit from arrival to its end (the left ones never get called).
Visit Serve(Draw& draw, absl::Time arrival, absl::Time due, double mean_wait_minutes,
            double served_share) {
  Visit v;
  v.arrival = arrival;
  v.due = due;
  v.called =
      std::max(arrival, due - absl::Minutes(5)) + Minutes(draw.Exponential(mean_wait_minutes));
  v.started = v.called + Seconds(draw.Uniform(30, 180));
  v.finished = v.started + absl::Minutes(4) + Minutes(draw.Exponential(5));
  v.outcome = draw.Chance(served_share) ? "served" : "redirected";
  return v;
}

}  // namespace

Range RangeOf(const Options& options, const absl::TimeZone& zone) {
  const absl::CivilDay today(zone.At(options.now).cs);
  const absl::CivilMonth first = absl::CivilMonth(today) - options.months;
  return Range{options.from.value_or(absl::CivilDay(first)), options.to.value_or(today - 1)};
}

absl::StatusOr<Generator> Generator::Create(const Site& site, const Options& options) {
  const Range range = RangeOf(options, site.zone);
  if (range.to < range.from) {
    return InvalidField("INVALID_RANGE", "months", "history: the range ends before it starts");
  }
  if (options.noshow_rate < 0 || options.noshow_rate > 1) {
    return InvalidField("INVALID_NOSHOW_RATE", "noshow_rate",
                        "history: the no-show rate is a share, from 0 to 1");
  }
  if (options.appointments < 0) {
    return InvalidField("INVALID_APPOINTMENTS", "appointments",
                        "history: --appointments is a count, 0 or more");
  }
  if (options.months < 0 || options.months > 120) {
    return InvalidField("INVALID_MONTHS", "months", "history: --months is from 0 to 120");
  }
  const int64_t capacity = CapacityOf(site, range);
  if (capacity == 0) {
    return Error(
        absl::StatusCode::kFailedPrecondition, "NOTHING_TO_GENERATE",
        "history: no desk of the site has free opening hours in the range (hours, closures, "
        "days already recorded)");
  }
  if (options.appointments == 0) return Generator(site, options, 1, kDefaultFill);
  const double held = static_cast<double>(options.appointments) / (1 + kCancelledPerHeld);
  const int factor = static_cast<int>(std::ceil(held / (kDefaultFill * capacity)));
  for (const Desk& desk : site.desks) {
    if (desk.capacity_per_slot * factor > kMaxPlacesPerSlot) {
      return InvalidField(
          "TOO_MANY_APPOINTMENTS", "appointments",
          absl::StrCat("history: ", options.appointments, " appointments need ",
                       desk.capacity_per_slot * factor, " places per slot at desk ", desk.id,
                       " (at most ", kMaxPlacesPerSlot, "): fewer appointments or a longer range"));
    }
  }
  return Generator(site, options, factor, held / (static_cast<double>(capacity) * factor));
}

Generator::Generator(const Site& site, const Options& options, int capacity_factor, double fill)
    : site_(&site),
      options_(options),
      capacity_factor_(capacity_factor),
      fill_(fill),
      range_(RangeOf(options, site.zone)),
      next_(range_.from) {}

absl::StatusOr<std::optional<Day>> Generator::Next() {
  while (next_ <= range_.to) {
    absl::CivilDay date = next_++;
    absl::StatusOr<Day> day = Generate(date);
    if (!day.ok()) return day.status();
    if (!day->open_desks.empty()) return std::optional<Day>(std::move(*day));
  }
  return std::optional<Day>();
}

absl::StatusOr<Day> Generator::Generate(absl::CivilDay date) {
  const Site& site = *site_;
  // One stream per day: a day's history does not depend on the range.
  Draw draw(options_.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(date - absl::CivilDay()));
  Day day;
  day.date = date;
  const absl::Time begin = DayStart(site.zone, date);
  const absl::Time end = DayStart(site.zone, date + 1);
  int due = 0;
  for (size_t d = 0; d < site.desks.size(); ++d) {
    const Desk& desk = site.desks[d];
    if (site.taken.count({desk.id, date}) > 0) continue;
    auto first = std::lower_bound(desk.slot_starts.begin(), desk.slot_starts.end(), begin);
    auto last = std::lower_bound(first, desk.slot_starts.end(), end);
    if (first == last) continue;
    day.open_desks.push_back(d);
    for (auto it = first; it != last; ++it) {
      Slot slot{d, *it, *it + desk.slot_length, desk.capacity_per_slot * capacity_factor_};
      slot.booked = draw.Binomial(slot.capacity, fill_);
      const size_t slot_index = day.slots.size();
      day.slots.push_back(slot);
      const int cancelled = draw.Binomial(slot.booked, kCancelledPerHeld);
      for (int k = 0; k < slot.booked + cancelled; ++k) {
        Appointment a;
        a.slot = slot_index;
        // Booked some weeks before (median 18 days), never before the slot
        // was released (90 days) nor in its last two hours.
        absl::Duration lead =
            std::min(Minutes(60 * draw.LogNormal(18 * 24, 0.9)), absl::Hours(80 * 24));
        a.booked = slot.start - std::max(lead, absl::Hours(2));
        a.channel =
            std::vector<std::string>{"online", "agent", "convocation"}[draw.Pick({85, 12, 3})];
        a.companions = static_cast<int>(draw.Pick({80, 15, 5}));
        a.accessibility_need =
            std::vector<std::string>{"none",    "reduced_mobility", "wheelchair", "visual",
                                     "hearing", "cognitive",        "other"}[draw.Pick(
                {95, 2, 1, 0.5, 0.5, 0.5, 0.5})];
        a.language = std::vector<std::string>{"fr", "en", "ar", "es"}[draw.Pick({70, 15, 10, 5})];
        if (k >= slot.booked) {
          a.fate = Fate::kCancelled;
          const absl::Time day_before = slot.start - absl::Hours(24);
          if (day_before > a.booked && !draw.Chance(kLateCancellation)) {
            a.cancel_time = a.booked + Part(day_before - a.booked, draw.Uniform());
          } else {
            const absl::Time earliest = std::max(a.booked, day_before) + absl::Minutes(10);
            a.cancel_time =
                earliest + Part(slot.start - absl::Minutes(30) - earliest, draw.Uniform());
          }
          const bool by_person = draw.Chance(0.8);
          a.cancel_actor = by_person ? "public" : "agent";
          a.cancel_cause = by_person ? "person" : "agent";
          a.last_change = a.cancel_time;
        } else if (draw.Chance(options_.noshow_rate)) {
          ++due;
          a.fate = Fate::kNoShow;
          a.noshow_time = slot.end + desk.arrival_grace + Seconds(draw.Uniform(0, 600));
          a.last_change = a.noshow_time;
        } else {
          ++due;
          // Most come early; some within the grace period; a few later, let
          // in by an agent.
          absl::Time arrival;
          bool late = false;
          switch (draw.Pick({80, 15, 5})) {
            case 0:
              arrival = slot.start - Minutes(draw.Uniform(0, 30));
              break;
            case 1:
              arrival = slot.start + Part(desk.arrival_grace, draw.Uniform());
              break;
            default:
              arrival = slot.start + desk.arrival_grace + Minutes(draw.Uniform(1, 30));
              late = true;
          }
          Visit v = Serve(draw, arrival, slot.start, 12, 0.93);
          v.late = late;
          if (draw.Chance(kLeftShare)) {
            a.fate = Fate::kLeft;
            v.left = true;
            v.finished = arrival + Minutes(draw.Uniform(20, 60));
            v.outcome.clear();
          }
          a.last_change = v.finished;
          a.visit = v;
        }
        day.appointments.push_back(std::move(a));
      }
    }
  }
  // Walk-ins: people without an appointment, spread over the desks' hours.
  if (!day.open_desks.empty()) {
    const int n = draw.Poisson(kWalkInsPerDue * due);
    for (int k = 0; k < n; ++k) {
      WalkIn w;
      const size_t d = day.open_desks[draw.Index(day.open_desks.size())];
      const Desk& desk = site.desks[d];
      auto first = std::lower_bound(desk.slot_starts.begin(), desk.slot_starts.end(), begin);
      auto last = std::lower_bound(first, desk.slot_starts.end(), end) - 1;
      w.time = *first + Part(*last + desk.slot_length - *first, draw.Uniform());
      if (draw.Chance(0.1)) {
        w.outcome = draw.Chance(0.6) ? "informed" : "oriented";  // at the door, no desk
      } else {
        w.desk = d;
        w.outcome = std::vector<std::string>{"informed", "oriented", "booked_on_the_spot",
                                             "served_today"}[draw.Pick({35, 25, 10, 30})];
        if (w.outcome == "served_today") w.visit = Serve(draw, w.time, w.time, 20, 0.85);
      }
      day.walk_ins.push_back(std::move(w));
    }
  }
  // Tickets by arrival, per desk.
  for (size_t d : day.open_desks) {
    std::vector<Visit*> visits;
    for (Appointment& a : day.appointments) {
      if (a.visit && day.slots[a.slot].desk == d) visits.push_back(&*a.visit);
    }
    for (WalkIn& w : day.walk_ins) {
      if (w.visit && w.desk == d) visits.push_back(&*w.visit);
    }
    if (static_cast<int>(visits.size()) > kMaxTicketsPerDeskDay) {
      return InvalidField(
          "TOO_MANY_VISITS", "appointments",
          absl::StrCat("history: ", visits.size(), " visits at desk ", site.desks[d].id, " on ",
                       absl::FormatCivilTime(date), ", more than the ", kMaxTicketsPerDeskDay,
                       " tickets of a day: fewer appointments or a longer range"));
    }
    std::stable_sort(visits.begin(), visits.end(),
                     [](const Visit* x, const Visit* y) { return x->arrival < y->arrival; });
    for (size_t i = 0; i < visits.size(); ++i) visits[i]->ticket_number = static_cast<int>(i) + 1;
  }
  return day;
}

std::string CopyTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

std::string CopyDate(absl::CivilDay d) { return absl::FormatCivilTime(d); }

std::string CopyBytes(const std::string& bytes) {
  return absl::StrCat("\\x", absl::BytesToHexString(bytes));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

std::vector<int64_t> ReserveIds(pqxx::transaction_base& tx, const std::string& table, size_t n) {
  std::vector<int64_t> ids;
  if (n == 0) return ids;
  ids.reserve(n);
  pqxx::result r = tx.exec_params(
      "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)", table,
      static_cast<int64_t>(n));
  for (const pqxx::row& row : r) ids.push_back(row["id"].as<int64_t>());
  return ids;
}

void AddTaken(Site& site, const pqxx::result& rows) {
  for (const pqxx::row& r : rows) {
    absl::CivilDay day;
    if (absl::ParseCivilTime(r[1].as<std::string>(), &day)) {
      site.taken.insert({r[0].as<int64_t>(), day});
    }
  }
}

void CopyEvents(pqxx::transaction_base& tx, const std::string& source, int64_t site_id,
                const std::vector<HistoryEvent>& events) {
  if (events.empty()) return;
  CopyWriter copy(tx, "events.log",
                  {"type", "source", "subject", "site_id", "occurred_time", "payload", "history"});
  const std::string site = absl::StrCat(site_id);
  for (const HistoryEvent& e : events) {
    copy.Row(e.type, source, e.subject, site, CopyTime(e.time), e.payload_json, "t");
  }
  copy.Complete();
}

}  // namespace accueil::history
