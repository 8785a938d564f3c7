#include "tests/metrics/history.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <set>

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "services/common/db.h"

namespace accueil::testing::metrics_test {
namespace {

constexpr char kConsumer[] = "metrics.rollup";

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S+00:00", t, absl::UTCTimeZone());
}

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) {
    std::fprintf(stderr, "no time zone %s (install tzdata)\n", name.c_str());
    std::abort();
  }
  return zone;
}

// ------------------------------------------------------------- generation

struct Site {
  int64_t id;
  std::string zone;  // the real zone
  bool write_zone;   // false: events without time_zone (before 0011)
  std::vector<int64_t> desks;
};

class Generator {
 public:
  Generator(uint32_t seed, int64_t id_base) : rng_(seed), next_id_(id_base + 100) {
    const int64_t b = id_base;
    sites_ = {{b + 1, "Europe/Paris", true, {b + 11, b + 12, b + 13}},
              {b + 2, "Europe/Paris", false, {b + 21, b + 22}},
              {b + 3, "Indian/Reunion", true, {b + 31, b + 32}},
              {b + 4, "America/Cayenne", true, {b + 41}}};
    unknown_base_ = id_base + 900000;
  }

  History Make(int appointments, int walk_ins) {
    for (int i = 0; i < appointments; ++i) Appointment();
    for (int i = 0; i < walk_ins; ++i) WalkIn();
    for (int i = 0; i < 6; ++i) Unknown(i);
    History h;
    if (!before_booking_.empty()) h.transactions.push_back(before_booking_);
    // Interleave the chains at random, each in its own order.
    std::vector<size_t> next(chains_.size(), 0);
    std::vector<size_t> open;
    for (size_t i = 0; i < chains_.size(); ++i) {
      if (!chains_[i].empty()) open.push_back(i);
    }
    std::vector<LogEvent> all;
    while (!open.empty()) {
      size_t k = Uniform(0, static_cast<int64_t>(open.size()) - 1);
      size_t c = open[k];
      all.push_back(chains_[c][next[c]++]);
      if (next[c] == chains_[c].size()) {
        open[k] = open.back();
        open.pop_back();
      }
    }
    for (size_t i = 0; i < all.size();) {
      size_t n = std::min<size_t>(Uniform(1, 40), all.size() - i);
      h.transactions.emplace_back(all.begin() + i, all.begin() + i + n);
      i += n;
    }
    // Crossed transactions moving the same appointment: applied in log
    // order (txid), the second's move comes last.
    for (size_t i = 0; i < booked_.size() && i < 3; ++i) {
      const Booked& b = booked_[Uniform(0, static_cast<int64_t>(booked_.size()) - 1)];
      History::Crossed x;
      x.first_begin.push_back(WalkInEvent(NextId(), SiteOf(b.site), RandomTime(), nullptr));
      x.second.push_back(Rescheduled(b, RandomTime(), RandomTime()));
      x.first_end.push_back(Rescheduled(b, RandomTime(), RandomTime()));
      h.crossed.push_back(std::move(x));
    }
    for (const auto& t : h.transactions) h.events += static_cast<int64_t>(t.size());
    h.events += 3 * static_cast<int64_t>(h.crossed.size());
    return h;
  }

 private:
  struct Booked {
    int64_t id;
    int64_t site;
    int64_t desk;
  };

  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  absl::Duration Seconds(int64_t lo, int64_t hi) { return absl::Seconds(Uniform(lo, hi)); }
  absl::Duration Minutes(int64_t lo, int64_t hi) {
    return absl::Seconds(Uniform(lo * 60, hi * 60));
  }
  int64_t NextId() { return next_id_++; }
  const Site& SiteOf(int64_t id) const {
    for (const Site& s : sites_) {
      if (s.id == id) return s;
    }
    return sites_[0];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int64_t>(v.size()) - 1)];
  }

  // Around the daylight-saving changes and the ends of months (UTC).
  absl::Time RandomTime() {
    static const std::vector<std::pair<absl::Time, absl::Time>> windows = {
        {Utc(2026, 3, 26), Utc(2026, 4, 3)},
        {Utc(2026, 4, 29), Utc(2026, 5, 2)},
        {Utc(2026, 10, 22), Utc(2026, 11, 3)},
        {Utc(2026, 12, 30), Utc(2027, 1, 2)}};
    const auto& w = Pick(windows);
    return w.first + absl::Seconds(Uniform(0, absl::ToInt64Seconds(w.second - w.first)));
  }

  LogEvent Event(const std::string& type, const std::string& subject, int64_t site, absl::Time t,
                 nlohmann::json payload, const Site& s) {
    if (s.write_zone) {
      payload["time_zone"] = s.zone;
    } else if (Chance(0.3)) {
      payload["time_zone"] = "";  // read as none
    }
    return LogEvent{type, subject, site, t, std::move(payload)};
  }

  nlohmann::json AppointmentPayload(int64_t id, int64_t site, int64_t desk, absl::Time start) {
    return {{"appointment", id},
            {"slot", id * 2},
            {"desk", desk},
            {"site", site},
            {"start_time", Rfc3339(start)},
            {"end_time", Rfc3339(start + absl::Minutes(30))},
            {"actor", "agent"}};
  }

  LogEvent Rescheduled(const Booked& b, absl::Time at, absl::Time to) {
    nlohmann::json p = AppointmentPayload(b.id, b.site, b.desk, to);
    p["from_slot"] = b.id * 2;
    p["to_slot"] = b.id * 2 + 1;
    return Event("appointment.rescheduled", absl::StrCat("appointments/", b.id), b.site, at, p,
                 SiteOf(b.site));
  }

  void Appointment() {
    const Site& s = Pick(sites_);
    const int64_t id = NextId();
    const int64_t desk = Pick(s.desks);
    const std::string subject = absl::StrCat("appointments/", id);
    std::vector<LogEvent> chain;
    absl::Time start = RandomTime();
    absl::Duration delay;
    const double d = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (d < 0.3) {
      delay = Seconds(0, 2 * 86400);
    } else if (d < 0.8) {
      delay = Seconds(0, 100 * 86400);
    } else if (d < 0.97) {
      delay = Seconds(100 * 86400, 420 * 86400);
    } else {
      delay = -Minutes(0, 120);  // booked after the start
    }
    absl::Time t = start - delay;
    nlohmann::json booked = AppointmentPayload(id, s.id, desk, start);
    booked["channel"] = Pick(std::vector<std::string>{"online", "agent", "convocation"});
    booked["companions"] = 0;
    booked["accessibility_need"] = "none";
    booked["override"] = false;
    if (Chance(0.1)) {
      booked["rebooked_from"] = id - 1;
    } else if (Chance(0.05)) {
      booked["rebooked_from"] = nullptr;
    }
    if (Chance(0.02)) {
      // An event about it before it was booked (older than the log): ignored.
      before_booking_.push_back(Event("appointment.arrived", subject, s.id, t - absl::Hours(1),
                                      AppointmentPayload(id, s.id, desk, start), s));
    }
    chain.push_back(Event("appointment.booked", subject, s.id, t, booked, s));
    booked_.push_back({id, s.id, desk});
    if (Chance(0.02)) {
      // Booked again: the first booking stands.
      nlohmann::json again = AppointmentPayload(id, s.id, Pick(s.desks), RandomTime());
      chain.push_back(Event("appointment.booked", subject, s.id, t + absl::Minutes(1), again, s));
    }
    int moves = Chance(0.2) ? 1 : (Chance(0.05) ? 2 : 0);
    for (int i = 0; i < moves; ++i) {
      t += Minutes(1, 3 * 24 * 60);
      start = RandomTime();
      chain.push_back(Rescheduled({id, s.id, desk}, t, start));
    }
    if (Chance(0.05)) {
      t += absl::Minutes(1);
      chain.push_back(Event("appointment.access_reset", subject, s.id, t,
                            {{"appointment", id}, {"site", s.id}, {"desk", desk}}, s));
    }
    auto status = [&](const std::string& type, absl::Time at, nlohmann::json extra) {
      nlohmann::json p = AppointmentPayload(id, s.id, desk, start);
      p.update(extra);
      chain.push_back(Event(type, subject, s.id, at, p, s));
    };
    const double path = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (path < 0.1) {
      // Still booked.
    } else if (path < 0.3) {
      const std::string cause = Chance(0.45) ? "person" : (Chance(0.55) ? "agent" : "closure");
      absl::Time at;
      const double w = std::uniform_real_distribution<double>(0, 1)(rng_);
      if (w < 0.4) {
        at = start - absl::Hours(24) - Seconds(1, 20 * 86400);
      } else if (w < 0.8) {
        at = start - Seconds(0, 24 * 3600 - 1);
      } else if (w < 0.9) {
        at = start - absl::Hours(24);  // exactly 24 hours before: not late
      } else {
        at = start + absl::Minutes(10);
      }
      status("appointment.cancelled", at, {{"from_status", "booked"}, {"cause", cause}});
      if (Chance(0.05)) {
        status("appointment.cancelled", at + absl::Hours(1),
               {{"from_status", "booked"}, {"cause", cause == "closure" ? "agent" : "closure"}});
      }
    } else if (path < 0.45) {
      status("appointment.noshow", start + absl::Minutes(45),
             {{"from_status", "booked"}, {"cause", Chance(0.5) ? "marked" : "sweep"}});
      if (Chance(0.4)) {
        const absl::Time arrival = start + Minutes(50, 180);
        status("appointment.arrived", arrival,
               {{"from_status", "noshow"},
                {"late", true},
                {"late_accepted", true},
                {"undid_noshow", true}});
        if (Chance(0.5)) {
          status("appointment.in_service", arrival + absl::Minutes(10),
                 {{"from_status", "arrived"}});
          status("appointment.fulfilled", arrival + absl::Minutes(25),
                 {{"from_status", "in_service"}});
        }
      }
    } else {
      const absl::Time arrival = start + Minutes(-40, 70);
      const bool late = arrival > start + absl::Minutes(15) && Chance(0.7);
      status("appointment.arrived", arrival,
             {{"from_status", "booked"}, {"late", late}, {"late_accepted", late}});
      if (Chance(0.03)) {
        // A repeated arrival: the first one's time stays, the flags add up.
        status("appointment.arrived", arrival + absl::Minutes(3),
               {{"from_status", "booked"}, {"late", Chance(0.5)}, {"undid_noshow", Chance(0.3)}});
      }
      std::optional<absl::Time> started, finished;
      if (Chance(0.85)) {
        auto [st, fi] = Visit(chain, s, desk, "appointment", id, arrival);
        started = st;
        finished = fi;
      }
      const double after = std::uniform_real_distribution<double>(0, 1)(rng_);
      if (after < 0.15) {
        status("appointment.not_served", arrival + Minutes(5, 120),
               {{"from_status", "arrived"},
                {"cause",
                 Pick(std::vector<std::string>{"left", "missed_calls", "sent_away_at_closing"})}});
      } else if (after < 0.25) {
        // Still arrived.
      } else {
        const absl::Time st = started.value_or(arrival + Minutes(0, 90));
        status("appointment.in_service", st, {{"from_status", "arrived"}});
        const absl::Time fi = finished.value_or(st + Minutes(1, 60));
        if (Chance(0.9)) {
          nlohmann::json extra = {{"from_status", "in_service"}};
          if (Chance(0.1)) extra["outcome"] = "file_incomplete";
          status("appointment.fulfilled", fi, extra);
        } else {
          status("appointment.not_served", fi,
                 {{"from_status", "in_service"}, {"cause", "rebooked_at_closing"}});
        }
      }
    }
    chains_.push_back(std::move(chain));
  }

  // Visit appends a visit's events to `chain`; returns its start and finish.
  std::pair<std::optional<absl::Time>, std::optional<absl::Time>> Visit(
      std::vector<LogEvent>& chain, const Site& s, int64_t desk, const std::string& kind,
      int64_t appointment, absl::Time arrival) {
    const int64_t id = NextId();
    const std::string subject = absl::StrCat("visits/", id);
    // The site column: null now and then (the visit then counts on site 0).
    const int64_t site_column = Chance(0.01) ? 0 : s.id;
    const bool write_nulls = Chance(0.1);
    std::string status = "waiting";
    std::optional<absl::Time> called, started, finished;
    std::string outcome;
    int calls = 0;
    absl::Time t = arrival;
    auto emit = [&](const std::string& type) {
      nlohmann::json p = {{"visit", id},
                          {"desk", desk},
                          {"ticket", "A-001"},
                          {"kind", kind},
                          {"status", status},
                          {"priority", false},
                          {"late", false},
                          {"arrival_time", Rfc3339(arrival)},
                          {"due_time", Rfc3339(arrival)},
                          {"call_count", calls}};
      if (kind == "appointment") p["appointment"] = appointment;
      auto time = [&](const char* key, const std::optional<absl::Time>& v) {
        if (v) {
          p[key] = Rfc3339(*v);
        } else if (write_nulls) {
          p[key] = nullptr;  // present, unknown: `p ? key` holds
        }
      };
      time("called_time", called);
      time("start_time", started);
      time("finish_time", finished);
      if (calls > 0) p["counter"] = 7;
      if (!outcome.empty()) p["outcome"] = outcome;
      chain.push_back(Event(type, subject, site_column, t, p, s));
    };
    auto other_desk = [&] {
      if (s.desks.size() < 2) return desk;
      int64_t d = desk;
      while (d == desk) d = Pick(s.desks);
      return d;
    };
    emit("visit.ticket_issued");
    if (Chance(0.15)) {
      t += absl::Minutes(5);
      desk = other_desk();
      emit("visit.transferred");
    }
    // Ends the visit without service, `after` from now.
    auto end = [&](const std::string& type, absl::Duration after) {
      t += after;
      status = type.substr(6);  // "visit.left": "left"
      finished = t;
      emit(type);
      return std::make_pair(started, finished);
    };
    if (Chance(0.1)) return end("visit.left", Minutes(1, 90));
    if (Chance(0.05)) return end("visit.sent_away", Minutes(1, 300));
    t += Minutes(0, 200) + (Chance(0.02) ? absl::Hours(9) : absl::ZeroDuration());
    called = t;
    status = "called";
    ++calls;
    emit("visit.called");
    if (Chance(0.1)) {
      t += absl::Minutes(2);
      ++calls;
      emit("visit.recalled");
    }
    if (Chance(0.08)) return end("visit.missed", absl::Minutes(5));
    t += Seconds(0, 300);
    started = t;
    status = "in_service";
    emit("visit.started");
    if (Chance(0.1)) {
      // Sent to another desk: called and served again there.
      t += Minutes(1, 30);
      desk = other_desk();
      status = "waiting";
      const bool again = Chance(0.5);
      if (again) called = started = std::nullopt;
      emit("visit.transferred");
      t += Minutes(1, 40);
      if (!called) called = t;
      status = "called";
      ++calls;
      emit("visit.called");
      t += Seconds(0, 120);
      if (!started) started = t;
      status = "in_service";
      emit("visit.started");
    }
    t += Minutes(0, 120) + (Chance(0.01) ? absl::Hours(9) : absl::ZeroDuration());
    finished = t;
    status = "done";
    outcome = Pick(std::vector<std::string>{"served", "served", "file_incomplete", "redirected"});
    emit("visit.finished");
    return {started, finished};
  }

  LogEvent WalkInEvent(int64_t id, const Site& s, absl::Time at, const nlohmann::json& desk) {
    nlohmann::json p = {
        {"walk_in", id},
        {"outcome", Pick(std::vector<std::string>{"informed", "oriented", "booked_on_the_spot"})},
        {"local_date", absl::FormatCivilTime(absl::ToCivilDay(at, Zone(s.zone)))}};
    if (!desk.is_null()) p["desk"] = desk;
    return Event("walk_in.registered", absl::StrCat("walkins/", id), s.id, at, p, s);
  }

  void WalkIn() {
    const Site& s = Pick(sites_);
    const int64_t id = NextId();
    const absl::Time at = RandomTime();
    std::vector<LogEvent> chain;
    const bool named = Chance(0.5);
    const int64_t desk = Pick(s.desks);
    LogEvent e = WalkInEvent(id, s, at, named ? nlohmann::json(desk) : nlohmann::json());
    const bool served = Chance(0.3);
    if (served) e.payload["outcome"] = "served_today";
    chain.push_back(e);
    if (Chance(0.03)) {
      // Registered again: the first stands.
      LogEvent again = WalkInEvent(id, s, at + absl::Hours(30), nlohmann::json(Pick(s.desks)));
      chain.push_back(again);
    }
    if (served) {
      std::vector<LogEvent> visit;
      Visit(visit, s, desk, "walk_in", 0, at);
      chain.insert(chain.end(), visit.begin(), visit.end());
    }
    chains_.push_back(std::move(chain));
  }

  // Events about appointments metrics never saw booked: ignored.
  void Unknown(int i) {
    const Site& s = Pick(sites_);
    const int64_t id = unknown_base_ + i;
    const std::vector<std::string> types = {"appointment.arrived", "appointment.cancelled",
                                            "appointment.noshow", "appointment.rescheduled",
                                            "appointment.fulfilled"};
    nlohmann::json p = AppointmentPayload(id, s.id, s.desks[0], RandomTime());
    p["cause"] = "person";
    chains_.push_back({Event(types[i % types.size()], absl::StrCat("appointments/", id), s.id,
                             RandomTime(), p, s)});
  }

  std::mt19937 rng_;
  int64_t next_id_;
  int64_t unknown_base_;
  std::vector<Site> sites_;
  std::vector<std::vector<LogEvent>> chains_;
  std::vector<LogEvent> before_booking_;
  std::vector<Booked> booked_;
};

void Write(pqxx::transaction_base& tx, const LogEvent& e) {
  const std::string source = e.type.rfind("appointment.", 0) == 0 ? "booking" : "reception";
  tx.exec_params(
      "SELECT shared.append_event($1, $2, $3, NULLIF($4, 0), $5::timestamptz, $6::jsonb)", source,
      e.type, e.subject, e.site, db::SqlTime(e.time), e.payload.dump());
}

// ------------------------------------------------------------ recomputation

// What `p->>'key'` gives: nullopt for a missing key or a JSON null.
std::optional<std::string> Text(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  if (it == p.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::optional<int64_t> Int(const nlohmann::json& p, const char* key) {
  std::optional<std::string> t = Text(p, key);
  if (!t) return std::nullopt;
  int64_t v = 0;
  if (!absl::SimpleAtoi(*t, &v)) ADD_FAILURE() << key << " is not a number: " << *t;
  return v;
}

std::optional<absl::Time> Time(const nlohmann::json& p, const char* key) {
  std::optional<std::string> t = Text(p, key);
  if (!t) return std::nullopt;
  absl::Time out;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, *t, &out, &error)) {
    ADD_FAILURE() << key << " is not a time: " << *t << ": " << error;
  }
  return out;
}

bool Bool(const nlohmann::json& p, const char* key) { return Text(p, key) == "true"; }

// The event's zone; Europe/Paris when it has none (events before 0011).
std::string ZoneName(const nlohmann::json& p) {
  std::optional<std::string> z = Text(p, "time_zone");
  return z && !z->empty() ? *z : "Europe/Paris";
}

struct AppointmentFact {
  int64_t site = 0, desk = 0;
  std::string zone;
  bool rebooked = false;
  absl::Time booked, first_start, start;
  std::string status = "booked";
  std::optional<std::string> cancel_cause;
  absl::Time cancel_time;
  std::optional<absl::Time> arrival;
  bool late = false, noshow_undone = false;
};

struct VisitFact {
  int64_t site = 0;
  std::string zone;
  absl::Time arrival;
  std::optional<absl::Time> called, started, finished;
  std::optional<int64_t> called_desk, served_desk;
  std::string status;
};

struct WalkInFact {
  int64_t site = 0, desk = 0;
  absl::CivilDay day;
  int hour = 0;
};

// The histogram bounds of docs/indicators.md, in seconds (hours for hours).
const std::vector<int64_t>& Bounds(const std::string& measure) {
  static const std::vector<int64_t> none;
  static const std::vector<int64_t> durations = [] {
    std::vector<int64_t> b;
    for (int m = 1; m <= 60; ++m) b.push_back(m * 60);         // every minute to 1 h
    for (int m = 65; m <= 180; m += 5) b.push_back(m * 60);    // every 5 minutes to 3 h
    for (int m = 210; m <= 480; m += 30) b.push_back(m * 60);  // every 30 minutes to 8 h
    return b;
  }();
  static const std::vector<int64_t> delays = [] {
    std::vector<int64_t> b;
    for (int d = 1; d <= 90; ++d) b.push_back(d * 86400);       // every day to 90 days
    for (int d = 97; d <= 370; d += 7) b.push_back(d * 86400);  // every week to 370 days
    return b;
  }();
  static const std::vector<int64_t> hours = [] {
    std::vector<int64_t> b;
    for (int h = 1; h <= 23; ++h) b.push_back(h);
    return b;
  }();
  if (measure == "visit.wait" || measure == "visit.service" || measure == "arrival.lateness") {
    return durations;
  }
  if (measure == "booking.delay") return delays;
  if (measure == "received.appointment" || measure == "received.walk_in") return hours;
  return none;
}

class Recomputation {
 public:
  void Observe(int64_t site, int64_t desk, absl::CivilDay day, const std::string& measure,
               int64_t value_micros) {
    const std::string month = absl::FormatCivilTime(absl::CivilDay(absl::CivilMonth(day)));
    Rollup& r = rollups_[{site, desk, month, measure}];
    const std::vector<int64_t>& bounds = Bounds(measure);
    if (r.histogram.empty()) r.histogram.assign(bounds.size() + 1, 0);
    size_t bucket = 0;
    while (bucket < bounds.size() && bounds[bucket] * 1000000 <= value_micros) ++bucket;
    ++r.histogram[bucket];
    ++r.count;
    r.sum_micros += value_micros;
  }
  void Count(int64_t site, int64_t desk, absl::CivilDay day, const std::string& measure) {
    Observe(site, desk, day, measure, 1000000);
  }
  Rollups Take() { return std::move(rollups_); }

 private:
  Rollups rollups_;
};

int64_t NonNegativeMicros(absl::Duration d) {
  return std::max<int64_t>(0, absl::ToInt64Microseconds(d));
}

// ------------------------------------------------------------ reading

events::Cursor ParseCursor(const pqxx::row& r, const char* txid, const char* position) {
  if (r[txid].is_null()) return events::Cursor{};
  return events::Cursor{r[txid].as<std::string>(), r[position].as<int64_t>()};
}

uint64_t Xid(const std::string& text) { return std::stoull(text); }

// One snapshot of the database for several reads (REPEATABLE READ), times in
// UTC; read-only, it ends with the object.
class Snapshot {
 public:
  explicit Snapshot(const std::string& url) : c_(url), tx_(c_) {
    tx_.exec("SET LOCAL TimeZone = 'UTC'");
  }
  pqxx::transaction_base& tx() { return tx_; }

 private:
  pqxx::connection c_;
  pqxx::transaction<pqxx::repeatable_read> tx_;
};

}  // namespace

History RandomHistory(uint32_t seed, int64_t id_base, int appointments, int walk_ins) {
  return Generator(seed, id_base).Make(appointments, walk_ins);
}

void AppendHistory(const std::string& url, const History& history) {
  pqxx::connection c(url);
  for (const std::vector<LogEvent>& t : history.transactions) {
    pqxx::work tx(c);
    for (const LogEvent& e : t) Write(tx, e);
    tx.commit();
  }
  pqxx::connection other(url);
  for (const History::Crossed& x : history.crossed) {
    pqxx::work first(c);
    for (const LogEvent& e : x.first_begin) Write(first, e);  // takes the older txid
    {
      pqxx::work second(other);
      for (const LogEvent& e : x.second) Write(second, e);
      second.commit();
    }
    for (const LogEvent& e : x.first_end) Write(first, e);
    first.commit();
  }
}

Rollups Recompute(const std::vector<events::Event>& log) {
  // Facts: what each appointment, visit and walk-in is after its events.
  std::map<int64_t, AppointmentFact> appointments;
  std::map<int64_t, VisitFact> visits;
  std::map<int64_t, WalkInFact> walk_ins;
  for (const events::Event& e : log) {
    const nlohmann::json p = nlohmann::json::parse(e.payload_json);
    if (e.type == "appointment.booked") {
      const int64_t id = Int(p, "appointment").value_or(0);
      if (appointments.count(id) > 0) continue;  // the first booking stands
      AppointmentFact a;
      a.site = Int(p, "site").value_or(0);
      a.desk = Int(p, "desk").value_or(0);
      a.zone = ZoneName(p);
      a.rebooked = Int(p, "rebooked_from").value_or(0) != 0;
      a.booked = e.occurred_time;
      a.first_start = a.start = Time(p, "start_time").value_or(absl::InfinitePast());
      appointments[id] = a;
    } else if (e.type.rfind("appointment.", 0) == 0) {
      std::optional<int64_t> id = Int(p, "appointment");
      if (!id || appointments.count(*id) == 0) continue;  // never seen booked
      AppointmentFact& a = appointments[*id];
      const std::string what = e.type.substr(12);
      if (what == "rescheduled") {
        a.start = Time(p, "start_time").value_or(absl::InfinitePast());
      } else if (what == "cancelled") {
        a.status = what;
        a.cancel_time = e.occurred_time;
        a.cancel_cause = Text(p, "cause").value_or("");
      } else if (what == "noshow") {
        a.status = what;
      } else if (what == "arrived" || what == "in_service" || what == "fulfilled" ||
                 what == "not_served") {
        a.status = what;
        if (!a.arrival) a.arrival = e.occurred_time;  // the first arrival
        if (what == "arrived") {
          a.late = a.late || Bool(p, "late");
          a.noshow_undone = a.noshow_undone || Bool(p, "undid_noshow");
        }
      }
    } else if (e.type.rfind("visit.", 0) == 0) {
      const int64_t id = Int(p, "visit").value_or(0);
      const int64_t desk = Int(p, "desk").value_or(0);
      auto it = visits.find(id);
      if (it == visits.end()) {
        VisitFact v;
        v.site = e.site_id;
        v.zone = ZoneName(p);
        v.arrival = Time(p, "arrival_time").value_or(absl::InfinitePast());
        it = visits.emplace(id, v).first;
      }
      VisitFact& v = it->second;
      // The first call and start, at the desk of the first event naming them.
      if (!v.called) v.called = Time(p, "called_time");
      if (!v.called_desk && p.contains("called_time")) v.called_desk = desk;
      if (!v.started) v.started = Time(p, "start_time");
      if (!v.served_desk && p.contains("start_time")) v.served_desk = desk;
      // The last event's end and status.
      v.finished = Time(p, "finish_time");
      v.status = Text(p, "status").value_or("");
    } else if (e.type == "walk_in.registered") {
      const int64_t id = Int(p, "walk_in").value_or(0);
      if (walk_ins.count(id) > 0) continue;  // the first registration stands
      WalkInFact w;
      w.site = e.site_id;
      w.desk = Int(p, "desk").value_or(0);
      if (!absl::ParseCivilTime(Text(p, "local_date").value_or(""), &w.day)) {
        ADD_FAILURE() << "walk-in " << id << " without a local_date";
      }
      w.hour = absl::ToCivilHour(e.occurred_time, Zone(ZoneName(p))).hour();
      walk_ins[id] = w;
    }
  }

  // Measures (docs/indicators.md#measures), rolled up by month.
  Recomputation out;
  for (const auto& [id, a] : appointments) {
    const absl::TimeZone zone = Zone(a.zone);
    const absl::CivilDay day = absl::ToCivilDay(a.start, zone);
    const bool cancelled = a.status == "cancelled";
    const bool closure = a.cancel_cause == "closure";
    auto count = [&](const char* measure) { out.Count(a.site, a.desk, day, measure); };
    if (!closure) count("appointments.scheduled");
    if (cancelled && !closure) {
      count("appointments.cancelled");
      if (a.cancel_time > a.start - absl::Hours(24)) count("appointments.cancelled_late");
    }
    if (closure) count("appointments.closure_cancelled");
    if (a.status == "arrived" || a.status == "in_service" || a.status == "fulfilled" ||
        a.status == "not_served") {
      count("appointments.honoured");
    }
    if (a.status == "noshow") count("appointments.noshow");
    if (a.noshow_undone && a.status != "noshow") count("appointments.noshow_undone");
    if (a.status == "not_served") count("appointments.not_served");
    if (a.status == "booked") count("appointments.unrecorded");
    if (a.arrival && a.status != "noshow") {
      out.Observe(a.site, a.desk, day, "arrival.lateness", NonNegativeMicros(*a.arrival - a.start));
      out.Observe(a.site, a.desk, day, "received.appointment",
                  int64_t{absl::ToCivilHour(*a.arrival, zone).hour()} * 1000000);
    }
    if (a.late && a.status != "noshow") count("arrival.late");
    if (!a.rebooked) {
      out.Observe(a.site, a.desk, absl::ToCivilDay(a.booked, zone), "booking.delay",
                  NonNegativeMicros(a.first_start - a.booked));
    }
  }
  for (const auto& [id, v] : visits) {
    const absl::CivilDay day = absl::ToCivilDay(v.arrival, Zone(v.zone));
    if (v.called && v.called_desk) {
      out.Observe(v.site, *v.called_desk, day, "visit.wait",
                  NonNegativeMicros(*v.called - v.arrival));
    }
    if (v.status == "done" && v.started && v.finished && v.served_desk) {
      out.Observe(v.site, *v.served_desk, day, "visit.service",
                  NonNegativeMicros(*v.finished - *v.started));
    }
  }
  for (const auto& [id, w] : walk_ins) {
    out.Observe(w.site, w.desk, w.day, "received.walk_in", int64_t{w.hour} * 1000000);
  }
  return out.Take();
}

AtCursor ReadAtCursor(const std::string& url) {
  Snapshot snapshot(url);
  pqxx::transaction_base& tx = snapshot.tx();
  AtCursor out;
  out.cursor = events::LoadCursor(tx, kConsumer);
  for (const auto& row :
       tx.exec("SELECT site_id, desk_id, month::text AS month, measure, count, "
               "(sum * 1000000)::bigint AS sum_micros, array_to_string(histogram, ',') AS h "
               "FROM metrics.month_measures")) {
    Rollup r;
    r.count = row["count"].as<int64_t>();
    r.sum_micros = row["sum_micros"].as<int64_t>();
    for (absl::string_view n : absl::StrSplit(row["h"].as<std::string>(), ',')) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(n, &v)) ADD_FAILURE() << "histogram " << row["h"].as<std::string>();
      r.histogram.push_back(v);
    }
    out.months[{row["site_id"].as<int64_t>(), row["desk_id"].as<int64_t>(),
                row["month"].as<std::string>(), row["measure"].as<std::string>()}] = r;
  }
  for (const auto& row : tx.exec_params(
           "SELECT txid::text AS txid_text, position, type, coalesce(site_id, 0) AS site_id, "
           "  (extract(epoch from occurred_time) * 1000000)::bigint AS micros, "
           "  payload::text AS payload "
           "FROM events.log WHERE (txid, position) <= ($1::xid8, $2) ORDER BY txid, position",
           out.cursor.txid, out.cursor.position)) {
    events::Event e;
    e.txid = row["txid_text"].as<std::string>();
    e.position = row["position"].as<int64_t>();
    e.type = row["type"].as<std::string>();
    e.site_id = row["site_id"].as<int64_t>();
    e.occurred_time = absl::FromUnixMicros(row["micros"].as<int64_t>());
    e.payload_json = row["payload"].as<std::string>();
    out.events.push_back(std::move(e));
  }
  return out;
}

::testing::AssertionResult SameRollups(const Rollups& stored, const Rollups& recomputed) {
  auto text = [](const RollupKey& k) {
    return absl::StrCat("(site ", std::get<0>(k), ", desk ", std::get<1>(k), ", ", std::get<2>(k),
                        ", ", std::get<3>(k), ")");
  };
  auto value = [](const Rollup& r) {
    std::string h;  // the buckets that are not empty, bucket:count
    for (size_t i = 0; i < r.histogram.size(); ++i) {
      if (r.histogram[i] != 0) absl::StrAppend(&h, h.empty() ? "" : " ", i, ":", r.histogram[i]);
    }
    return absl::StrCat("count ", r.count, " sum ", r.sum_micros / 1e6, " histogram of ",
                        r.histogram.size(), " {", h, "}");
  };
  std::vector<std::string> differences;
  for (const auto& [k, r] : stored) {
    // The next free slot is booking's answer looked at once a day, not an
    // event of the log (report_test.cc covers it).
    if (std::get<3>(k) == "slot.next_free") continue;
    auto it = recomputed.find(k);
    if (it == recomputed.end()) {
      differences.push_back(absl::StrCat(text(k), ": stored ", value(r), ", recomputed none"));
    } else if (!(it->second == r)) {
      differences.push_back(
          absl::StrCat(text(k), ": stored ", value(r), ", recomputed ", value(it->second)));
    }
  }
  for (const auto& [k, r] : recomputed) {
    if (stored.count(k) == 0) {
      differences.push_back(absl::StrCat(text(k), ": stored none, recomputed ", value(r)));
    }
  }
  if (differences.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << differences.size() << " of " << std::max(stored.size(), recomputed.size())
          << " month rollups differ:";
  for (size_t i = 0; i < differences.size() && i < 15; ++i) failure << "\n  " << differences[i];
  return failure;
}

Tables ReadTables(const std::string& url) {
  Snapshot snapshot(url);
  pqxx::transaction_base& tx = snapshot.tx();
  Tables out;
  out.cursor = events::LoadCursor(tx, kConsumer);
  for (const char* table : {"appointments", "visits", "walk_ins", "day_measures", "month_measures",
                            "site_month_measures"}) {
    std::vector<std::string>& rows = out.rows[table];
    for (const auto& row :
         tx.exec(absl::StrCat("SELECT t::text FROM metrics.", table, " t ORDER BY 1"))) {
      rows.push_back(row[0].as<std::string>());
    }
  }
  return out;
}

::testing::AssertionResult SameTables(const Tables& a, const Tables& b) {
  auto failure = ::testing::AssertionFailure();
  bool same = true;
  for (const auto& [table, rows] : a.rows) {
    const std::vector<std::string>& other = b.rows.at(table);
    if (rows == other) continue;
    same = false;
    std::vector<std::string> only_a, only_b;
    std::set_difference(rows.begin(), rows.end(), other.begin(), other.end(),
                        std::back_inserter(only_a));
    std::set_difference(other.begin(), other.end(), rows.begin(), rows.end(),
                        std::back_inserter(only_b));
    failure << "\nmetrics." << table << ": " << rows.size() << " rows against " << other.size();
    for (size_t i = 0; i < only_a.size() && i < 5; ++i) failure << "\n  only first:  " << only_a[i];
    for (size_t i = 0; i < only_b.size() && i < 5; ++i) failure << "\n  only second: " << only_b[i];
  }
  if (same) return ::testing::AssertionSuccess();
  return failure;
}

events::Cursor NewestEvent(const std::string& url) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  pqxx::result r = tx.exec(
      "SELECT txid::text AS txid_text, position FROM events.log "
      "ORDER BY txid DESC, position DESC LIMIT 1");
  if (r.empty()) return events::Cursor{};
  return events::Cursor{r[0]["txid_text"].as<std::string>(), r[0]["position"].as<int64_t>()};
}

::testing::AssertionResult WaitForConsumer(const std::string& url) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  events::Cursor cursor, newest;
  while (absl::Now() < deadline) {
    newest = NewestEvent(url);
    {
      pqxx::connection c(url);
      pqxx::nontransaction tx(c);
      cursor = events::LoadCursor(tx, kConsumer);
    }
    if (SameCursor(cursor, newest)) return ::testing::AssertionSuccess();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return ::testing::AssertionFailure() << "the consumer stayed at " << CursorText(cursor)
                                       << ", the log ends at " << CursorText(newest);
}

bool CursorLess(const events::Cursor& a, const events::Cursor& b) {
  return std::make_pair(Xid(a.txid), a.position) < std::make_pair(Xid(b.txid), b.position);
}

bool SameCursor(const events::Cursor& a, const events::Cursor& b) {
  return Xid(a.txid) == Xid(b.txid) && a.position == b.position;
}

std::string CursorText(const events::Cursor& c) { return absl::StrCat(c.txid, ":", c.position); }

void RecordCursorMoves(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  tx.exec(
      "CREATE TABLE public.cursor_moves (id bigserial PRIMARY KEY, from_txid xid8, "
      "from_position bigint, to_txid xid8 NOT NULL, to_position bigint NOT NULL, "
      "update_time timestamptz NOT NULL)");
  tx.exec(R"sql(
    CREATE FUNCTION public.record_cursor_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.consumer = 'metrics.rollup' THEN
        IF TG_OP = 'UPDATE' THEN
          INSERT INTO public.cursor_moves (from_txid, from_position, to_txid, to_position,
                                           update_time)
          VALUES (OLD.txid, OLD.position, NEW.txid, NEW.position, NEW.update_time);
        ELSE
          INSERT INTO public.cursor_moves (to_txid, to_position, update_time)
          VALUES (NEW.txid, NEW.position, NEW.update_time);
        END IF;
      END IF;
      RETURN NEW;
    END $$)sql");
  tx.exec(
      "CREATE TRIGGER record_cursor_move AFTER INSERT OR UPDATE ON events.cursors "
      "FOR EACH ROW EXECUTE FUNCTION public.record_cursor_move()");
  tx.commit();
}

std::vector<CursorMove> CursorMoves(const std::string& url) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::vector<CursorMove> moves;
  for (const auto& row :
       tx.exec("SELECT from_txid::text AS from_txid, from_position, to_txid::text AS to_txid, "
               "to_position, (extract(epoch from update_time) * 1000000)::bigint AS micros "
               "FROM public.cursor_moves ORDER BY id")) {
    moves.push_back({ParseCursor(row, "from_txid", "from_position"),
                     ParseCursor(row, "to_txid", "to_position"),
                     absl::FromUnixMicros(row["micros"].as<int64_t>())});
  }
  return moves;
}

void ResetConsumer(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  // As the backfill does: a batch of the consumer in flight commits first or
  // waits, then finds its cursor moved.
  tx.exec(
      "LOCK TABLE metrics.appointments, metrics.visits, metrics.walk_ins "
      "IN ACCESS EXCLUSIVE MODE");
  tx.exec("TRUNCATE metrics.appointments, metrics.visits, metrics.walk_ins");
  // What is left to observe: the next-free-slot snapshots (not from the log).
  tx.exec("SELECT metrics.rebuild_rollups()");
  tx.exec(
      "UPDATE events.cursors SET txid = '0', position = 0, update_time = now() "
      "WHERE consumer = 'metrics.rollup'");
  // An active consumer learns of the move with its next batch: give it one
  // (an event metrics ignores), and wake it.
  tx.exec("SELECT shared.append_event('test', 'test.nudged', 'tests/1', NULL, now(), '{}'::jsonb)");
  tx.exec("NOTIFY accueil_events");
  tx.commit();
}

::testing::AssertionResult WaitForReadable(const std::string& url, const events::Cursor& event) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  pqxx::connection c(url);
  std::optional<events::Cursor> last;
  while (absl::Now() < deadline) {
    {
      pqxx::nontransaction tx(c);
      last = events::LastSafeEvent(tx);
    }
    if (last && !CursorLess(*last, event)) return ::testing::AssertionSuccess();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return ::testing::AssertionFailure() << CursorText(event) << " never became readable";
}

::testing::AssertionResult WaitForLockWait(const std::string& url, const std::string& query) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  pqxx::connection c(url);
  while (absl::Now() < deadline) {
    pqxx::nontransaction tx(c);
    if (tx.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query LIKE $1",
                        query)[0]
            .as<int>() > 0) {
      return ::testing::AssertionSuccess();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return ::testing::AssertionFailure() << "no session waited on a lock running " << query;
}

}  // namespace accueil::testing::metrics_test
