#include "services/reception/history.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace accueil::reception {
namespace {

using history::CopyTime;
using history::HistoryEvent;
using history::Rfc3339;
using history::Visit;

// What reception knows of a visit besides the plan's Visit.
struct VisitRow {
  Visit* visit;
  size_t desk;
  int64_t appointment = 0;  // 0: a walk-in's
  bool priority = false;
};

// The events of one visit, each with the visit as it was then (the payload
// of reception_service.cc's VisitPayload).
void AppendEvents(const history::Site& site, const VisitRow& row, std::vector<HistoryEvent>& out) {
  const Visit& v = *row.visit;
  const history::Desk& desk = site.desks[row.desk];
  const std::string subject = absl::StrCat("visits/", v.id);
  nlohmann::json p = {{"visit", v.id},
                      {"desk", desk.id},
                      {"ticket", absl::StrFormat("%s-%03d", desk.ticket_prefix, v.ticket_number)},
                      {"kind", row.appointment != 0 ? "appointment" : "walk_in"},
                      {"status", "waiting"},
                      {"priority", row.priority},
                      {"late", v.late},
                      {"time_zone", site.time_zone},
                      {"arrival_time", Rfc3339(v.arrival)},
                      {"due_time", Rfc3339(v.due)},
                      {"call_count", 0}};
  if (row.appointment != 0) p["appointment"] = row.appointment;
  out.push_back({"visit.ticket_issued", subject, v.arrival, p.dump()});
  if (v.left) {
    p["status"] = "left";
    p["finish_time"] = Rfc3339(v.finished);
    out.push_back({"visit.left", subject, v.finished, p.dump()});
    return;
  }
  p["status"] = "called";
  p["call_count"] = 1;
  p["called_time"] = Rfc3339(v.called);
  out.push_back({"visit.called", subject, v.called, p.dump()});
  p["status"] = "in_service";
  p["start_time"] = Rfc3339(v.started);
  out.push_back({"visit.started", subject, v.started, p.dump()});
  p["status"] = "done";
  p["finish_time"] = Rfc3339(v.finished);
  p["outcome"] = v.outcome;
  out.push_back({"visit.finished", subject, v.finished, p.dump()});
}

}  // namespace

absl::Status HistoryHooks::Describe(pqxx::transaction_base& tx, const history::Options& options,
                                    history::Site& site) {
  for (history::Desk& desk : site.desks) {
    // The desk's settings, made with their defaults if it never had any.
    desk.ticket_prefix =
        tx.exec_params1(
              "SELECT ticket_prefix FROM reception.desk_settings_of($1, $2, $3::timestamptz)",
              desk.id, site.id, db::SqlTime(options.now))[0]
            .as<std::string>();
  }
  const history::Range range = history::RangeOf(options, site.zone);
  history::AddTaken(
      site,
      tx.exec_params("SELECT desk_id, local_date::text FROM reception.desk_days WHERE "
                     "site_id = $1 AND local_date BETWEEN $2::date AND $3::date",
                     site.id, absl::FormatCivilTime(range.from), absl::FormatCivilTime(range.to)));
  return absl::OkStatus();
}

absl::Status HistoryHooks::Load(pqxx::transaction_base& tx, const history::Site& site,
                                history::Day& day, const history::LoadContext& context) {
  (void)context;
  const std::string date = history::CopyDate(day.date);
  std::vector<VisitRow> rows;
  for (history::Appointment& a : day.appointments) {
    if (!a.visit) continue;
    if (a.id == 0) return absl::InternalError("history: reception loads before booking");
    rows.push_back({&*a.visit, day.slots[a.slot].desk, a.id, a.accessibility_need != "none"});
  }
  for (history::WalkIn& w : day.walk_ins) {
    if (w.visit) rows.push_back({&*w.visit, *w.desk});
  }
  const std::vector<int64_t> visit_ids = history::ReserveIds(tx, "reception.visits", rows.size());
  const std::vector<int64_t> walk_in_ids =
      history::ReserveIds(tx, "reception.walk_ins", day.walk_ins.size());

  // The desks' days: opened before the first slot, closed automatically
  // after the last visit.
  std::vector<HistoryEvent> events;
  history::CopyWriter days(tx, "reception.desk_days",
                           {"desk_id", "local_date", "site_id", "open_time", "last_ticket",
                            "close_time", "closed_by", "swept_time"});
  for (size_t d : day.open_desks) {
    absl::Time open = absl::InfiniteFuture();
    absl::Time close = absl::InfinitePast();
    for (const history::Slot& s : day.slots) {
      if (s.desk != d) continue;
      open = std::min(open, s.start - absl::Minutes(30));
      close = std::max(close, s.end + absl::Minutes(30));
    }
    int tickets = 0;
    for (const VisitRow& r : rows) {
      if (r.desk != d) continue;
      ++tickets;
      open = std::min(open, r.visit->arrival);
      close = std::max(close, r.visit->finished + absl::Minutes(5));
    }
    days.Row(absl::StrCat(site.desks[d].id), date, absl::StrCat(site.id), CopyTime(open),
             absl::StrCat(tickets), CopyTime(close), "automatic", CopyTime(close));
    nlohmann::json closed = {{"desk", site.desks[d].id},
                             {"local_date", date},
                             {"closed_by", "automatic"},
                             {"sent_away", 0},
                             {"finished", tickets}};
    events.push_back(
        {"reception.day_closed", absl::StrCat("desks/", site.desks[d].id), close, closed.dump()});
  }
  days.Complete();

  history::CopyWriter visits(
      tx, "reception.visits",
      {"id", "site_id", "desk_id", "local_date", "ticket_number", "ticket", "kind",
       "appointment_id", "status", "priority", "late", "arrival_time", "due_time", "call_count",
       "called_time", "start_time", "finish_time", "outcome", "update_time"});
  for (size_t i = 0; i < rows.size(); ++i) {
    VisitRow& r = rows[i];
    Visit& v = *r.visit;
    v.id = visit_ids[i];
    const history::Desk& desk = site.desks[r.desk];
    auto when = [&](absl::Time t) -> history::CopyField {
      if (v.left) return std::nullopt;
      return CopyTime(t);
    };
    visits.Row(absl::StrCat(v.id), absl::StrCat(site.id), absl::StrCat(desk.id), date,
               absl::StrCat(v.ticket_number),
               absl::StrFormat("%s-%03d", desk.ticket_prefix, v.ticket_number),
               r.appointment != 0 ? "appointment" : "walk_in",
               r.appointment != 0 ? history::CopyField(absl::StrCat(r.appointment))
                                  : history::CopyField(std::nullopt),
               v.left ? "left" : "done", r.priority ? "t" : "f", v.late ? "t" : "f",
               CopyTime(v.arrival), CopyTime(v.due), v.left ? "0" : "1", when(v.called),
               when(v.started), CopyTime(v.finished),
               v.left ? history::CopyField(std::nullopt) : history::CopyField(v.outcome),
               CopyTime(v.finished));
    AppendEvents(site, r, events);
  }
  visits.Complete();

  history::CopyWriter walk_ins(
      tx, "reception.walk_ins",
      {"id", "site_id", "desk_id", "local_date", "reason", "outcome", "visit_id", "create_time"});
  for (size_t i = 0; i < day.walk_ins.size(); ++i) {
    history::WalkIn& w = day.walk_ins[i];
    w.id = walk_in_ids[i];
    auto desk = w.desk ? history::CopyField(absl::StrCat(site.desks[*w.desk].id))
                       : history::CopyField(std::nullopt);
    auto visit =
        w.visit ? history::CopyField(absl::StrCat(w.visit->id)) : history::CopyField(std::nullopt);
    walk_ins.Row(absl::StrCat(w.id), absl::StrCat(site.id), desk, date, "", w.outcome, visit,
                 CopyTime(w.time));
    nlohmann::json p = {{"walk_in", w.id},
                        {"outcome", w.outcome},
                        {"local_date", date},
                        {"time_zone", site.time_zone}};
    if (w.desk) p["desk"] = site.desks[*w.desk].id;
    if (w.visit) p["visit"] = w.visit->id;
    events.push_back({"walk_in.registered", absl::StrCat("walkins/", w.id), w.time, p.dump()});
  }
  walk_ins.Complete();

  std::stable_sort(events.begin(), events.end(),
                   [](const HistoryEvent& x, const HistoryEvent& y) { return x.time < y.time; });
  history::CopyEvents(tx, "reception", site.id, events);
  return absl::OkStatus();
}

}  // namespace accueil::reception
