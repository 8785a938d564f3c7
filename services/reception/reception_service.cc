#include "services/reception/reception_service.h"

#include "services/reception/visits.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "services/common/mutation.h"
#include "services/common/errors.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::reception {
namespace {

constexpr char kModule[] = "reception";
absl::Time MicrosToTime(const pqxx::field& f) {
  return f.is_null() ? absl::InfinitePast() : absl::FromUnixMicros(f.as<int64_t>());
}

const char* OutcomeName(v1::VisitOutcome o) {
  switch (o) {
    case v1::SERVED:
      return "served";
    case v1::FILE_INCOMPLETE:
      return "file_incomplete";
    case v1::REDIRECTED:
      return "redirected";
    default:
      return "";
  }
}

const char* WalkInOutcomeName(v1::WalkInOutcome o) {
  switch (o) {
    case v1::INFORMED:
      return "informed";
    case v1::ORIENTED:
      return "oriented";
    case v1::BOOKED_ON_THE_SPOT:
      return "booked_on_the_spot";
    case v1::SERVED_TODAY:
      return "served_today";
    default:
      return "";
  }
}

constexpr char kSettingsColumns[] =
    "desk_id, site_id, ticket_prefix, recall_count, priority_first, "
    "to_char(closing_time, 'HH24:MI') AS closing_time, "
    "(extract(epoch FROM update_time) * 1000000)::bigint AS update_micros";

void FillSettings(const pqxx::row& r, v1::DeskSettings* out) {
  out->set_desk(Name("desks", r["desk_id"].as<int64_t>()));
  out->set_site(Name("sites", r["site_id"].as<int64_t>()));
  out->set_ticket_prefix(r["ticket_prefix"].as<std::string>());
  out->set_recall_count(r["recall_count"].as<int>());
  out->set_priority_first(r["priority_first"].as<bool>());
  out->set_closing_time(r["closing_time"].as<std::string>());
  SetTime(r["update_micros"], out->mutable_update_time());
}

// The event of a visit's change (docs/events.md): no personal data.
nlohmann::json VisitPayload(const pqxx::row& r, absl::TimeZone zone) {
  nlohmann::json p = {{"visit", r["id"].as<int64_t>()},
                      {"desk", r["desk_id"].as<int64_t>()},
                      {"ticket", r["ticket"].as<std::string>()},
                      {"kind", r["kind"].as<std::string>()},
                      {"status", r["status"].as<std::string>()},
                      {"priority", r["priority"].as<bool>()},
                      {"late", r["late"].as<bool>()},
                      {"time_zone", zone.name()}};
  if (!r["appointment_id"].is_null()) p["appointment"] = r["appointment_id"].as<int64_t>();
  auto time = [&](const char* column, const char* key) {
    if (!r[column].is_null()) {
      p[key] = absl::FormatTime(absl::RFC3339_full, MicrosToTime(r[column]), absl::UTCTimeZone());
    }
  };
  time("arrival_micros", "arrival_time");
  time("due_micros", "due_time");
  time("called_micros", "called_time");
  time("start_micros", "start_time");
  time("finish_micros", "finish_time");
  if (!r["counter_id"].is_null()) p["counter"] = r["counter_id"].as<int64_t>();
  if (!r["outcome"].is_null()) p["outcome"] = r["outcome"].as<std::string>();
  p["call_count"] = r["call_count"].as<int>();
  return p;
}

void PrepareStatements(db::Pool& pool) {
  pool.Prepare("reception_settings_of",
               absl::StrCat("SELECT ", kSettingsColumns,
                            " FROM reception.desk_settings_of($1, $2, $3::timestamptz)"));
  pool.Prepare("reception_update_settings",
               "UPDATE reception.desk_settings SET ticket_prefix = coalesce(NULLIF($2, ''), "
               "ticket_prefix), recall_count = $3, priority_first = $4, closing_time = $5::time, "
               "update_time = $6::timestamptz WHERE desk_id = $1");
  pool.Prepare("reception_prefix_taken",
               "SELECT 1 FROM reception.desk_settings WHERE site_id = $1 AND ticket_prefix = $2 "
               "AND desk_id <> $3");
  pool.Prepare("reception_visit", absl::StrCat("SELECT ", kVisitColumns,
                                               " FROM reception.visit_details WHERE id = $1"));
  pool.Prepare("reception_visit_of_appointment",
               "SELECT id FROM reception.visits WHERE appointment_id = $1");
  pool.Prepare("reception_counter",
               "SELECT c.id, c.site_id, c.display_name, c.desk_ids::text AS desk_ids, "
               "d.desk_ids::text AS open_desks, d.close_time IS NULL AND d.counter_id IS NOT NULL "
               "AS open, (extract(epoch FROM d.open_time) * 1000000)::bigint AS open_micros, "
               "(SELECT v.id FROM reception.visits v WHERE v.counter_id = c.id "
               "AND v.status IN ('called', 'in_service')) AS current_visit "
               "FROM reception.counters c LEFT JOIN reception.counter_days d "
               "ON d.counter_id = c.id AND d.local_date = $2::date WHERE c.id = $1");
  pool.Prepare("reception_counter_site", "SELECT site_id FROM reception.counters WHERE id = $1");
  pool.Prepare("reception_site_counters",
               "SELECT id FROM reception.counters WHERE site_id = $1 ORDER BY display_name, id");
  pool.Prepare("reception_day_state",
               "SELECT close_time IS NOT NULL AS closed FROM reception.desk_days "
               "WHERE desk_id = $1 AND local_date = $2::date");
  pool.Prepare("reception_open_day",
               "INSERT INTO reception.desk_days (desk_id, local_date, site_id, open_time) "
               "VALUES ($1, $2::date, $3, $4::timestamptz) ON CONFLICT DO NOTHING");
  pool.Prepare("reception_next_ticket",
               "UPDATE reception.desk_days SET last_ticket = last_ticket + 1 "
               "WHERE desk_id = $1 AND local_date = $2::date AND close_time IS NULL "
               "RETURNING last_ticket");
  pool.Prepare("reception_queue_changed",
               "SELECT reception.queue_changed($1, $2::jsonb) AS sequence");
  pool.Prepare("reception_append_event",
               "SELECT shared.append_event('reception', $1, $2, $3, $4::timestamptz, $5::jsonb)");
}

}  // namespace

ReceptionService::ReceptionService(const ServiceContext& context, QueueFeed* feed)
    : ctx_(context), feed_(feed), booking_(context.peers, context.clock) {
  PrepareStatements(*ctx_.pool);
  PrepareQueueStatements(*ctx_.pool);
}

absl::StatusOr<absl::CivilDay> ReceptionService::Today(const Call& call, int64_t site) {
  ASSIGN_OR_RETURN(absl::TimeZone zone, booking_.SiteZone(call, site));
  return absl::ToCivilDay(ctx_.clock->Now(), zone);
}

absl::Status ReceptionService::DesksOfSite(const Call& call, int64_t site,
                                           const std::vector<int64_t>& desks,
                                           const std::function<std::string(size_t)>& field) {
  // One call to booking for them all.
  ASSIGN_OR_RETURN(booking::v1::ListDesksResponse known, booking_.Desks(call, site));
  for (size_t i = 0; i < desks.size(); ++i) {
    const std::string name = Name("desks", desks[i]);
    if (std::none_of(known.desks().begin(), known.desks().end(),
                     [&](const booking::v1::Desk& d) { return d.name() == name; })) {
      return WithField(
          Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk at this site"),
          field(i));
    }
  }
  return absl::OkStatus();
}

absl::Status ReceptionService::DeskOfSite(const Call& call, int64_t site, int64_t desk,
                                          std::string_view field) {
  return DesksOfSite(call, site, {desk}, [&](size_t) { return std::string(field); });
}

absl::Status ReceptionService::LoadSettings(int64_t site, int64_t desk, v1::DeskSettings* out) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    FillSettings(
        tx.exec_prepared1("reception_settings_of", desk, site, db::SqlTime(ctx_.clock->Now())),
        out);
    return absl::OkStatus();
  });
}

absl::Status ReceptionService::LoadCounter(int64_t id, absl::CivilDay today, v1::Counter* out) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    // The counter exists: its handler found it (AuthorizeCounter) or made it,
    // and counters are never deleted.
    const pqxx::row row = tx.exec_prepared1("reception_counter", id, SqlDate(today));
    out->Clear();
    out->set_name(Name("counters", id));
    out->set_site(Name("sites", row["site_id"].as<int64_t>()));
    out->set_display_name(row["display_name"].as<std::string>());
    auto desks = [](const pqxx::field& f, google::protobuf::RepeatedPtrField<std::string>* to) {
      if (f.is_null()) return;
      auto parser = f.as_array();
      for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
           std::tie(kind, value) = parser.get_next()) {
        if (kind == pqxx::array_parser::string_value) *to->Add() = absl::StrCat("desks/", value);
      }
    };
    desks(row["desk_ids"], out->mutable_desks());
    out->set_open(!row["open"].is_null() && row["open"].as<bool>());
    if (out->open()) {
      desks(row["open_desks"], out->mutable_open_desks());
      SetTime(row["open_micros"], out->mutable_open_time());
    }
    if (!row["current_visit"].is_null()) {
      out->set_current_visit(Name("visits", row["current_visit"].as<int64_t>()));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> ReceptionService::AuthorizeCounter(Call& call, int64_t id) {
  int64_t site = 0;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("reception_counter_site", id);
    if (r.empty()) {
      return WithField(Error(absl::StatusCode::kNotFound, "COUNTER_NOT_FOUND", "no such counter"),
                       "counter");
    }
    site = r[0][0].as<int64_t>();
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(Name("counters", id), site);
  return site;
}

absl::Status ReceptionService::LoadVisit(int64_t id, v1::Visit* out) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("reception_visit", id);
    if (r.empty()) {
      return WithField(Error(absl::StatusCode::kNotFound, "VISIT_NOT_FOUND", "no such visit"),
                       "visit");
    }
    FillVisit(r[0], out);
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> ReceptionService::AuthorizeVisit(Call& call, const std::string& name,
                                                         v1::Visit* out) {
  ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(name, "visits", "visit"));
  RETURN_IF_ERROR(LoadVisit(id, out));
  const int64_t site = IdOf(out->site());
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(out->name(), site);
  return site;
}

namespace {

// Publish records a change of visit `id` made in `tx`: its event (type
// `type`) and the site's queue change, both from the visit as it now is.
void Publish(pqxx::transaction_base& tx, int64_t id, const std::string& type, absl::TimeZone zone,
             absl::Time now) {
  pqxx::row r = tx.exec_prepared1("reception_visit", id);
  const int64_t site = r["site_id"].as<int64_t>();
  nlohmann::json payload = VisitPayload(r, zone);
  tx.exec_prepared("reception_append_event", type, Name("visits", id), site, db::SqlTime(now),
                   payload.dump());
  // What displays need: ticket numbers and counters, never names.
  nlohmann::json change = {{"change", type},
                           {"visit", id},
                           {"desk", r["desk_id"].as<int64_t>()},
                           {"ticket", r["ticket"].as<std::string>()},
                           {"status", r["status"].as<std::string>()},
                           {"counter", r["counter_display_name"].as<std::string>()},
                           {"call_count", r["call_count"].as<int>()}};
  tx.exec_prepared("reception_queue_changed", site, change.dump());
}

struct Ticket {
  int number;
  std::string text;  // "A-042"
};

// NextTicket opens the desk's reception day if needed and takes its next
// ticket, under the prefix of `settings` (a reception.desk_settings_of
// row); FAILED_PRECONDITION DAY_CLOSED once the day is closed.
absl::StatusOr<Ticket> NextTicket(pqxx::transaction_base& tx, const pqxx::row& settings,
                                  int64_t site, int64_t desk, absl::CivilDay day, absl::Time now) {
  tx.exec_prepared("reception_open_day", desk, SqlDate(day), site, db::SqlTime(now));
  pqxx::result n = tx.exec_prepared("reception_next_ticket", desk, SqlDate(day));
  if (n.empty()) {
    return Error(absl::StatusCode::kFailedPrecondition, "DAY_CLOSED",
                 "reception is closed for the day at this desk");
  }
  const int number = n[0][0].as<int>();
  return Ticket{number,
                absl::StrFormat("%s-%03d", settings["ticket_prefix"].as<std::string>(), number)};
}

absl::Status IllegalVisitTransition(absl::string_view what) {
  return WithField(Error(absl::StatusCode::kFailedPrecondition, "ILLEGAL_VISIT_TRANSITION",
                         absl::StrCat("the visit cannot ", what, " now")),
                   "visit");
}

// The person is called first where the desk enables it (priority_first).
bool HasPriorityNeed(const booking::v1::Appointment& a) {
  return a.accessibility().need() != booking::v1::ACCESSIBILITY_NEED_UNSPECIFIED &&
         a.accessibility().need() != booking::v1::NONE;
}

}  // namespace

grpc::Status ReceptionService::ListDeskSettings(grpc::ServerContext* context,
                                                const v1::ListDeskSettingsRequest* req,
                                                v1::ListDeskSettingsResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.ListDeskSettings",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);
        ASSIGN_OR_RETURN(booking::v1::ListDesksResponse desks, booking_.Desks(call, site));
        for (const booking::v1::Desk& d : desks.desks()) {
          RETURN_IF_ERROR(LoadSettings(site, IdOf(d.name()), resp->add_settings()));
        }
        return absl::OkStatus();
      });
}

grpc::Status ReceptionService::UpdateDeskSettings(grpc::ServerContext* context,
                                                  const v1::UpdateDeskSettingsRequest* req,
                                                  v1::DeskSettings* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.UpdateDeskSettings",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("UpdateDeskSettings", *req));
        const v1::DeskSettings& s = req->settings();
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(s.site(), "sites", "settings.site"));
        ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(s.desk(), "desks", "settings.desk"));
        if (!s.ticket_prefix().empty()) {
          RETURN_IF_ERROR(
              input::ParseTicketPrefix(s.ticket_prefix(), "settings.ticket_prefix").status());
        }
        if (s.recall_count() < 0 || s.recall_count() > 5) {
          return InvalidField("INVALID_RECALL_COUNT", "settings.recall_count", "0 to 5 recalls");
        }
        const std::string closing = s.closing_time().empty() ? "18:00" : s.closing_time();
        RETURN_IF_ERROR(input::ParseTimeOfDay(closing, "settings.closing_time").status());
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        RETURN_IF_ERROR(DeskOfSite(call, site, desk, "settings.desk"));
        call.SetResource(s.desk(), site);
        const absl::Time now = ctx_.clock->Now();
        RETURN_IF_ERROR(
            RunMutation(
                call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                  tx.exec_prepared("reception_settings_of", desk, site, db::SqlTime(now));
                  if (!tx.exec_prepared("reception_prefix_taken", site, s.ticket_prefix(), desk)
                           .empty()) {
                    return WithField(Error(absl::StatusCode::kAlreadyExists, "TICKET_PREFIX_TAKEN",
                                           "another desk of the site has this prefix"),
                                     "settings.ticket_prefix");
                  }
                  tx.exec_prepared("reception_update_settings", desk, s.ticket_prefix(),
                                   s.recall_count(), s.priority_first(), closing, db::SqlTime(now));
                  nlohmann::json payload = {{"desk", desk},
                                            {"ticket_prefix", s.ticket_prefix()},
                                            {"recall_count", s.recall_count()},
                                            {"priority_first", s.priority_first()},
                                            {"closing_time", closing}};
                  tx.exec_prepared("reception_append_event", "desk.reception_settings_changed",
                                   s.desk(), site, db::SqlTime(now), payload.dump());
                  return desk;
                })
                .status());
        return LoadSettings(site, desk, resp);
      });
}

grpc::Status ReceptionService::CreateCounter(grpc::ServerContext* context,
                                             const v1::CreateCounterRequest* req,
                                             v1::Counter* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.CreateCounter",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CreateCounter", *req));
        const v1::Counter& c = req->counter();
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(c.site(), "sites", "counter.site"));
        ASSIGN_OR_RETURN(std::string display,
                         input::ParseFreeText(c.display_name(), "counter.display_name", 40));
        if (display.empty()) {
          return InvalidField("INVALID_TEXT", "counter.display_name", "a name such as Guichet 3");
        }
        if (c.desks_size() < 1 || c.desks_size() > 20) {
          return InvalidField("INVALID_COUNTER_DESKS", "counter.desks", "1 to 20 desks");
        }
        std::vector<int64_t> desks;
        for (int i = 0; i < c.desks_size(); ++i) {
          ASSIGN_OR_RETURN(
              int64_t d,
              input::ParseResourceId(c.desks(i), "desks", absl::StrCat("counter.desks[", i, "]")));
          if (std::find(desks.begin(), desks.end(), d) == desks.end()) desks.push_back(d);
        }
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        RETURN_IF_ERROR(DesksOfSite(
            call, site, desks, [](size_t i) { return absl::StrCat("counter.desks[", i, "]"); }));
        const absl::Time now = ctx_.clock->Now();
        const std::string array = SqlArray(desks);
        ASSIGN_OR_RETURN(
            int64_t id,
            RunMutation(
                call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                  pqxx::result r = tx.exec_params(
                      "INSERT INTO reception.counters (site_id, display_name, desk_ids, "
                      "create_time) VALUES ($1, $2, $3::bigint[], $4::timestamptz) "
                      "ON CONFLICT (site_id, display_name) DO NOTHING RETURNING id",
                      site, display, array, db::SqlTime(now));
                  if (r.empty()) {
                    return WithField(Error(absl::StatusCode::kAlreadyExists, "COUNTER_EXISTS",
                                           "the site has a counter of this name"),
                                     "counter.display_name");
                  }
                  const int64_t id = r[0][0].as<int64_t>();
                  call.SetResource(Name("counters", id), site);
                  nlohmann::json payload = {{"counter", id}, {"desks", desks}};
                  tx.exec_prepared("reception_append_event", "counter.created",
                                   Name("counters", id), site, db::SqlTime(now), payload.dump());
                  return id;
                }));
        call.SetResource(Name("counters", id), site);
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        return LoadCounter(id, today, resp);
      });
}

grpc::Status ReceptionService::ListCounters(grpc::ServerContext* context,
                                            const v1::ListCountersRequest* req,
                                            v1::ListCountersResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.ListCounters",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        std::vector<int64_t> ids;
        RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          pqxx::nontransaction tx(c);
          for (const auto& row : tx.exec_prepared("reception_site_counters", site)) {
            ids.push_back(row[0].as<int64_t>());
          }
          return absl::OkStatus();
        }));
        for (int64_t id : ids) RETURN_IF_ERROR(LoadCounter(id, today, resp->add_counters()));
        return absl::OkStatus();
      });
}

grpc::Status ReceptionService::OpenCounter(grpc::ServerContext* context,
                                           const v1::OpenCounterRequest* req, v1::Counter* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.OpenCounter",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("OpenCounter", *req));
        ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req->counter(), "counters", "counter"));
        std::vector<int64_t> wanted;
        for (int i = 0; i < req->desks_size(); ++i) {
          ASSIGN_OR_RETURN(int64_t d, input::ParseResourceId(req->desks(i), "desks",
                                                             absl::StrCat("desks[", i, "]")));
          wanted.push_back(d);
        }
        ASSIGN_OR_RETURN(int64_t site, AuthorizeCounter(call, id));
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        v1::Counter counter;
        RETURN_IF_ERROR(LoadCounter(id, today, &counter));
        std::vector<int64_t> desks;
        for (const std::string& d : counter.desks()) desks.push_back(IdOf(d));
        for (size_t i = 0; i < wanted.size(); ++i) {
          if (std::find(desks.begin(), desks.end(), wanted[i]) == desks.end()) {
            return InvalidField("DESK_NOT_SERVED", absl::StrCat("desks[", i, "]"),
                                "this counter does not serve that desk");
          }
        }
        if (!wanted.empty()) desks = wanted;
        const absl::Time now = ctx_.clock->Now();
        const std::string array = SqlArray(desks);
        RETURN_IF_ERROR(
            RunMutation(
                call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                  for (int64_t d : desks) {
                    tx.exec_prepared("reception_settings_of", d, site, db::SqlTime(now));
                    tx.exec_prepared("reception_open_day", d, SqlDate(today), site,
                                     db::SqlTime(now));
                    pqxx::result closed =
                        tx.exec_prepared("reception_day_state", d, SqlDate(today));
                    if (closed[0]["closed"].as<bool>()) {
                      return Error(absl::StatusCode::kFailedPrecondition, "DAY_CLOSED",
                                   "reception is closed for the day at this desk");
                    }
                  }
                  tx.exec_params(
                      "INSERT INTO reception.counter_days (counter_id, local_date, desk_ids, "
                      "open_time) VALUES ($1, $2::date, $3::bigint[], $4::timestamptz) "
                      "ON CONFLICT (counter_id, local_date) DO UPDATE SET desk_ids = "
                      "excluded.desk_ids, open_time = CASE WHEN counter_days.close_time IS NULL "
                      "THEN counter_days.open_time ELSE excluded.open_time END, close_time = NULL",
                      id, SqlDate(today), array, db::SqlTime(now));
                  nlohmann::json payload = {
                      {"counter", id}, {"desks", desks}, {"local_date", SqlDate(today)}};
                  tx.exec_prepared("reception_append_event", "counter.opened", counter.name(), site,
                                   db::SqlTime(now), payload.dump());
                  nlohmann::json change = {{"change", "counter.opened"},
                                           {"counter", counter.display_name()}};
                  tx.exec_prepared("reception_queue_changed", site, change.dump());
                  return id;
                })
                .status());
        return LoadCounter(id, today, resp);
      });
}

grpc::Status ReceptionService::CloseCounter(grpc::ServerContext* context,
                                            const v1::CounterRequest* req, v1::Counter* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.CloseCounter",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CloseCounter", *req));
        ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req->counter(), "counters", "counter"));
        ASSIGN_OR_RETURN(int64_t site, AuthorizeCounter(call, id));
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        v1::Counter counter;
        RETURN_IF_ERROR(LoadCounter(id, today, &counter));
        const absl::Time now = ctx_.clock->Now();
        RETURN_IF_ERROR(
            RunMutation(
                call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                  if (!tx.exec_params("SELECT 1 FROM reception.visits WHERE counter_id = $1 "
                                      "AND status IN ('called', 'in_service')",
                                      id)
                           .empty()) {
                    return WithField(
                        Error(absl::StatusCode::kFailedPrecondition, "COUNTER_BUSY",
                              "finish the current visit (or transfer the person) first"),
                        "counter");
                  }
                  pqxx::result r = tx.exec_params(
                      "UPDATE reception.counter_days SET close_time = $3::timestamptz "
                      "WHERE counter_id = $1 AND local_date = $2::date AND close_time IS NULL "
                      "RETURNING 1",
                      id, SqlDate(today), db::SqlTime(now));
                  if (r.empty()) {
                    return WithField(Error(absl::StatusCode::kFailedPrecondition,
                                           "COUNTER_NOT_OPEN", "the counter is not open"),
                                     "counter");
                  }
                  nlohmann::json payload = {{"counter", id}, {"local_date", SqlDate(today)}};
                  tx.exec_prepared("reception_append_event", "counter.closed", counter.name(), site,
                                   db::SqlTime(now), payload.dump());
                  nlohmann::json change = {{"change", "counter.closed"},
                                           {"counter", counter.display_name()}};
                  tx.exec_prepared("reception_queue_changed", site, change.dump());
                  return id;
                })
                .status());
        return LoadCounter(id, today, resp);
      });
}

absl::StatusOr<int64_t> ReceptionService::IssueTicket(Call& call, const Idempotency& idem,
                                                      int64_t site, int64_t desk,
                                                      absl::CivilDay day, int64_t appointment,
                                                      bool priority, bool late, absl::Time due) {
  ASSIGN_OR_RETURN(absl::TimeZone zone, booking_.SiteZone(call, site));
  const absl::Time now = ctx_.clock->Now();
  return RunMutation(
      call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
        pqxx::row settings =
            tx.exec_prepared1("reception_settings_of", desk, site, db::SqlTime(now));
        if (appointment != 0) {
          // Checked in already (a retry with another request id, or the
          // reconciliation came first): the same visit.
          pqxx::result existing = tx.exec_prepared("reception_visit_of_appointment", appointment);
          if (!existing.empty()) return existing[0][0].as<int64_t>();
        }
        ASSIGN_OR_RETURN(Ticket ticket, NextTicket(tx, settings, site, desk, day, now));
        pqxx::result v = tx.exec_params(
            "INSERT INTO reception.visits (site_id, desk_id, local_date, ticket_number, ticket, "
            "kind, appointment_id, status, priority, late, arrival_time, due_time, update_time) "
            "VALUES ($1, $2, $3::date, $4, $5, $6, NULLIF($7, 0), 'waiting', $8, $9, "
            "$10::timestamptz, $11::timestamptz, $10::timestamptz) "
            // A check-in and the day worker's repair at the same instant:
            // the first visit stays (the other's ticket number is unused).
            "ON CONFLICT (appointment_id) WHERE appointment_id IS NOT NULL DO NOTHING RETURNING id",
            site, desk, SqlDate(day), ticket.number, ticket.text,
            appointment != 0 ? "appointment" : "walk_in", appointment,
            priority && settings["priority_first"].as<bool>(), late, db::SqlTime(now),
            db::SqlTime(due));
        if (v.empty()) {
          return tx.exec_prepared1("reception_visit_of_appointment", appointment)[0].as<int64_t>();
        }
        const int64_t id = v[0][0].as<int64_t>();
        Publish(tx, id, "visit.ticket_issued", zone, now);
        return id;
      });
}

grpc::Status ReceptionService::CheckInVisitor(grpc::ServerContext* context,
                                              const v1::CheckInVisitorRequest* req,
                                              v1::Visit* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.CheckInVisitor",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CheckInVisitor", *req));
        if (req->reference().empty() == req->check_in_token().empty()) {
          return InvalidField("CHECK_IN_TARGET_REQUIRED", "reference",
                              "give the reference or the QR code's token, one of them");
        }
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);
        if (req->late_accepted() && !call.IsAgent()) {
          return InvalidField("LATE_DECISION_NEEDS_AGENT", "late_accepted",
                              "only a lodge agent admits a late arrival: please see the lodge");
        }
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        // A closed day takes nobody: refuse before booking marks the arrival.
        bool closed = false;
        RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          pqxx::nontransaction tx(c);
          closed = tx.exec_params1(
                         "SELECT EXISTS (SELECT 1 FROM reception.desk_days WHERE "
                         "site_id = $1 AND local_date = $2::date AND close_time IS NOT "
                         "NULL) AS closed",
                         site, SqlDate(today))["closed"]
                       .as<bool>();
          return absl::OkStatus();
        }));
        if (closed) {
          return Error(absl::StatusCode::kFailedPrecondition, "DAY_CLOSED",
                       "reception is closed for the day");
        }
        booking::v1::CheckInAppointmentRequest check_in;
        check_in.set_reference(req->reference());
        check_in.set_check_in_token(req->check_in_token());
        check_in.set_site(req->site());
        check_in.set_late_accepted(req->late_accepted());
        check_in.set_request_id(DerivedRequestId(idem.request_id, "check-in"));
        absl::StatusOr<booking::v1::Appointment> appointment = booking_.CheckIn(call, check_in);
        if (!appointment.ok()) {
          // Booking names its own fields; the lodge typed one of these.
          const char* field = req->reference().empty() ? "check_in_token" : "reference";
          return ErrorField(appointment.status()).empty() ? appointment.status()
                                                          : WithField(appointment.status(), field);
        }
        ASSIGN_OR_RETURN(int64_t appointment_id,
                         input::ParseResourceId(appointment->name(), "appointments", "name"));
        ASSIGN_OR_RETURN(int64_t desk,
                         input::ParseResourceId(appointment->desk(), "desks", "desk"));
        ASSIGN_OR_RETURN(int64_t id,
                         IssueTicket(call, idem, site, desk, today, appointment_id,
                                     HasPriorityNeed(*appointment), req->late_accepted(),
                                     FromProto(appointment->start_time())));
        call.SetResource(Name("visits", id), site);
        return LoadVisit(id, resp);
      });
}

grpc::Status ReceptionService::RegisterWalkIn(grpc::ServerContext* context,
                                              const v1::RegisterWalkInRequest* req,
                                              v1::WalkIn* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.RegisterWalkIn",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("RegisterWalkIn", *req));
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        int64_t desk = 0;
        if (!req->desk().empty()) {
          ASSIGN_OR_RETURN(desk, input::ParseResourceId(req->desk(), "desks", "desk"));
        }
        ASSIGN_OR_RETURN(std::string reason, input::ParseFreeText(req->reason(), "reason", 200));
        const char* outcome = WalkInOutcomeName(req->outcome());
        if (*outcome == '\0') {
          return InvalidField("INVALID_OUTCOME", "outcome",
                              "INFORMED, ORIENTED, BOOKED_ON_THE_SPOT or SERVED_TODAY");
        }
        if (req->outcome() == v1::SERVED_TODAY && desk == 0) {
          return InvalidField("DESK_REQUIRED", "desk",
                              "a person served today joins a desk's queue");
        }
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);
        if (desk != 0) RETURN_IF_ERROR(DeskOfSite(call, site, desk, "desk"));
        ASSIGN_OR_RETURN(absl::TimeZone zone, booking_.SiteZone(call, site));
        const absl::Time now = ctx_.clock->Now();
        const absl::CivilDay today = absl::ToCivilDay(now, zone);
        int64_t visit = 0;
        if (req->outcome() == v1::SERVED_TODAY) {
          ASSIGN_OR_RETURN(
              visit,
              IssueTicket(call,
                          Idempotency{DerivedRequestId(idem.request_id, "ticket"), idem.hash_hex},
                          site, desk, today, 0, false, false, now));
        }
        ASSIGN_OR_RETURN(
            int64_t id,
            RunMutation(
                call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                  const int64_t id =
                      tx.exec_params1(
                            "INSERT INTO reception.walk_ins (site_id, desk_id, local_date, "
                            "reason, outcome, visit_id, create_time) VALUES ($1, "
                            "NULLIF($2, 0), $3::date, $4, $5, NULLIF($6, 0), "
                            "$7::timestamptz) RETURNING id",
                            site, desk, SqlDate(today), reason, outcome, visit, db::SqlTime(now))[0]
                          .as<int64_t>();
                  // The reason stays out of the event: free text.
                  nlohmann::json payload = {{"walk_in", id},
                                            {"outcome", outcome},
                                            {"local_date", SqlDate(today)},
                                            {"time_zone", zone.name()}};
                  if (desk != 0) payload["desk"] = desk;
                  if (visit != 0) payload["visit"] = visit;
                  tx.exec_prepared("reception_append_event", "walk_in.registered",
                                   Name("walkins", id), site, db::SqlTime(now), payload.dump());
                  return id;
                }));
        resp->set_name(Name("walkins", id));
        resp->set_site(req->site());
        if (desk != 0) resp->set_desk(Name("desks", desk));
        resp->set_reason(reason);
        resp->set_outcome(req->outcome());
        *resp->mutable_time() = ToProto(now);
        if (visit != 0) RETURN_IF_ERROR(LoadVisit(visit, resp->mutable_visit()));
        call.SetResource(resp->name(), site);
        return absl::OkStatus();
      });
}

// A move of a visit (docs/reception.md#the-visit). ChangeVisit writes
// reception's half once per request id: the visit's UPDATE where it is still
// in `from` (else ILLEGAL_VISIT_TRANSITION: another request moved it first),
// its event and the queue change.
struct VisitMove {
  absl::string_view from;   // the states it leaves: SQL on the visit's row
  absl::string_view set;    // SQL; $1 is the visit's id, $2 the time, $3... ChangeVisit's args
  absl::string_view event;  // "visit.started"
  absl::string_view what;   // "start": ILLEGAL_VISIT_TRANSITION "the visit cannot start now"
};

// FinishVisit's move, and the closing's for a visit started and never
// finished; $3 is the outcome.
constexpr VisitMove kFinish{.from = "status = 'in_service'",
                            .set = "status = 'done', outcome = $3, finish_time = $2::timestamptz",
                            .event = "visit.finished",
                            .what = "finish"};

grpc::Status ReceptionService::CallNextVisitor(grpc::ServerContext* context,
                                               const v1::CounterRequest* req, v1::Visit* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.CallNextVisitor",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CallNextVisitor", *req));
        ASSIGN_OR_RETURN(int64_t counter,
                         input::ParseResourceId(req->counter(), "counters", "counter"));
        ASSIGN_OR_RETURN(int64_t site, AuthorizeCounter(call, counter));
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        ASSIGN_OR_RETURN(absl::TimeZone zone, booking_.SiteZone(call, site));
        const absl::Time now = ctx_.clock->Now();
        ASSIGN_OR_RETURN(
            int64_t id,
            RunMutation(
                call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                  // The counter's row for today, locked: one call at a time
                  // per counter.
                  pqxx::result day = tx.exec_params(
                      "SELECT desk_ids::text FROM reception.counter_days WHERE counter_id = $1 "
                      "AND local_date = $2::date AND close_time IS NULL FOR UPDATE",
                      counter, SqlDate(today));
                  if (day.empty()) {
                    return WithField(Error(absl::StatusCode::kFailedPrecondition,
                                           "COUNTER_NOT_OPEN", "open the counter first"),
                                     "counter");
                  }
                  if (!tx.exec_params("SELECT 1 FROM reception.visits WHERE counter_id = $1 AND "
                                      "status IN ('called', 'in_service')",
                                      counter)
                           .empty()) {
                    return WithField(Error(absl::StatusCode::kFailedPrecondition, "COUNTER_BUSY",
                                           "finish the current visit first (or recall the person)"),
                                     "counter");
                  }
                  // The first of the counter's queues in call order. SKIP
                  // LOCKED: another counter calling at the same instant
                  // takes the next person instead of waiting for this one.
                  pqxx::result next = tx.exec_params(
                      "SELECT id FROM reception.visits WHERE desk_id = ANY ($1::bigint[]) "
                      "AND local_date = $2::date AND status = 'waiting' "
                      "ORDER BY (NOT priority), due_time, arrival_time, id "
                      "LIMIT 1 FOR UPDATE SKIP LOCKED",
                      day[0][0].as<std::string>(), SqlDate(today));
                  if (next.empty()) {
                    return Error(absl::StatusCode::kNotFound, "QUEUE_EMPTY",
                                 "nobody is waiting for this counter's desks");
                  }
                  const int64_t id = next[0][0].as<int64_t>();
                  tx.exec_params(
                      "UPDATE reception.visits SET status = 'called', counter_id = $2, "
                      "call_count = 1, called_time = $3::timestamptz, update_time = "
                      "$3::timestamptz WHERE id = $1",
                      id, counter, db::SqlTime(now));
                  Publish(tx, id, "visit.called", zone, now);
                  return id;
                }));
        call.SetResource(Name("visits", id), site);
        return LoadVisit(id, resp);
      });
}

template <typename... Args>
absl::Status ReceptionService::ChangeVisit(Call& call, const Idempotency& idem,
                                           const v1::Visit& visit, const VisitMove& move,
                                           const Args&... args) {
  const int64_t id = IdOf(visit.name());
  ASSIGN_OR_RETURN(absl::TimeZone zone, booking_.SiteZone(call, IdOf(visit.site())));
  const absl::Time now = ctx_.clock->Now();
  const std::string update = absl::StrCat("UPDATE reception.visits SET ", move.set,
                                          ", update_time = $2::timestamptz WHERE id = $1 AND (",
                                          move.from, ") RETURNING id");
  return RunMutation(call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                     [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                       if (tx.exec_params(update, id, db::SqlTime(now), args...).empty()) {
                         return IllegalVisitTransition(move.what);
                       }
                       Publish(tx, id, std::string(move.event), zone, now);
                       return id;
                     })
      .status();
}

absl::Status ReceptionService::EndVisit(Call& call, const Idempotency& idem, const v1::Visit& visit,
                                        const char* status, booking::v1::NotServedCause cause) {
  if (visit.kind() == v1::APPOINTMENT) {
    RETURN_IF_ERROR(booking_
                        .MarkNotServed(call, IdOf(visit.appointment()), cause,
                                       DerivedRequestId(idem.request_id, "not-served"))
                        .status());
  }
  const std::string event = absl::StrCat("visit.", status);
  return ChangeVisit(call, idem, visit,
                     {.from = "status IN ('waiting', 'called')",
                      .set = "status = $3, finish_time = $2::timestamptz",
                      .event = event,
                      .what = "end"},
                     status);
}

grpc::Status ReceptionService::RecallVisitor(grpc::ServerContext* context,
                                             const v1::VisitRequest* req, v1::Visit* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.RecallVisitor",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("RecallVisitor", *req));
        v1::Visit visit;
        ASSIGN_OR_RETURN(int64_t site, AuthorizeVisit(call, req->visit(), &visit));
        const int64_t id = IdOf(visit.name());
        // A retry must not take the other branch because the first try
        // counted a call.
        ASSIGN_OR_RETURN(bool done, AlreadyDone(idem));
        if (done) return LoadVisit(id, resp);
        v1::DeskSettings settings;
        RETURN_IF_ERROR(LoadSettings(site, IdOf(visit.desk()), &settings));
        if (visit.status() == v1::CALLED && visit.call_count() > settings.recall_count()) {
          // Every recall is spent: the visit ends as missed.
          RETURN_IF_ERROR(EndVisit(call, idem, visit, "missed", booking::v1::MISSED_CALLS));
          return LoadVisit(id, resp);
        }
        RETURN_IF_ERROR(
            ChangeVisit(call, idem, visit,
                        {.from = "status = 'called' AND call_count <= $3",
                         .set = "call_count = call_count + 1, called_time = $2::timestamptz",
                         .event = "visit.recalled",
                         .what = "be recalled"},
                        settings.recall_count()));
        return LoadVisit(id, resp);
      });
}

grpc::Status ReceptionService::StartVisit(grpc::ServerContext* context, const v1::VisitRequest* req,
                                          v1::Visit* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.StartVisit", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("StartVisit", *req));
        v1::Visit visit;
        RETURN_IF_ERROR(AuthorizeVisit(call, req->visit(), &visit).status());
        const int64_t id = IdOf(visit.name());
        ASSIGN_OR_RETURN(bool done, AlreadyDone(idem));
        if (done) return LoadVisit(id, resp);  // a retry
        if (visit.status() != v1::CALLED) return IllegalVisitTransition("start");
        if (visit.kind() == v1::APPOINTMENT) {
          RETURN_IF_ERROR(booking_
                              .Move(call, BookingClient::Transition::kStart,
                                    IdOf(visit.appointment()),
                                    DerivedRequestId(idem.request_id, "start"))
                              .status());
        }
        RETURN_IF_ERROR(ChangeVisit(call, idem, visit,
                                    {.from = "status = 'called'",
                                     .set = "status = 'in_service', start_time = $2::timestamptz",
                                     .event = "visit.started",
                                     .what = "start"}));
        return LoadVisit(id, resp);
      });
}

grpc::Status ReceptionService::FinishVisit(grpc::ServerContext* context,
                                           const v1::FinishVisitRequest* req,
                                           v1::FinishVisitResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.FinishVisit",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("FinishVisit", *req));
        const char* outcome = OutcomeName(req->outcome());
        if (*outcome == '\0') {
          return InvalidField("INVALID_OUTCOME", "outcome",
                              "SERVED, FILE_INCOMPLETE or REDIRECTED");
        }
        if (!req->new_slot().empty() && req->outcome() != v1::FILE_INCOMPLETE) {
          return InvalidField("NEW_SLOT_NOT_ALLOWED", "new_slot",
                              "a new appointment is booked here only for an incomplete file");
        }
        if (!req->new_slot().empty()) {
          RETURN_IF_ERROR(input::ParseResourceId(req->new_slot(), "slots", "new_slot").status());
        }
        v1::Visit visit;
        RETURN_IF_ERROR(AuthorizeVisit(call, req->visit(), &visit).status());
        const int64_t id = IdOf(visit.name());
        if (visit.status() != v1::IN_SERVICE) {
          // A retry after reception's half committed replays booking's
          // (for the new appointment) and returns the visit.
          ASSIGN_OR_RETURN(bool done, AlreadyDone(idem));
          if (!done) return IllegalVisitTransition("finish");
        }
        if (!req->new_slot().empty() && visit.kind() != v1::APPOINTMENT) {
          return InvalidField("NEW_SLOT_NOT_ALLOWED", "new_slot",
                              "a walk-in has no appointment to continue: book one for them");
        }
        if (visit.kind() == v1::APPOINTMENT) {
          if (req->new_slot().empty()) {
            RETURN_IF_ERROR(booking_
                                .Move(call, BookingClient::Transition::kComplete,
                                      IdOf(visit.appointment()),
                                      DerivedRequestId(idem.request_id, "complete"))
                                .status());
          } else {
            ASSIGN_OR_RETURN(*resp->mutable_new_appointment(),
                             booking_.Rebook(call, IdOf(visit.appointment()), req->new_slot(),
                                             booking::v1::FILE_INCOMPLETE,
                                             DerivedRequestId(idem.request_id, "rebook")));
          }
        }
        RETURN_IF_ERROR(ChangeVisit(call, idem, visit, kFinish, outcome));
        return LoadVisit(id, resp->mutable_visit());
      });
}

grpc::Status ReceptionService::TransferVisitor(grpc::ServerContext* context,
                                               const v1::TransferVisitorRequest* req,
                                               v1::Visit* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.TransferVisitor",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("TransferVisitor", *req));
        ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req->desk(), "desks", "desk"));
        v1::Visit visit;
        ASSIGN_OR_RETURN(int64_t site, AuthorizeVisit(call, req->visit(), &visit));
        const int64_t id = IdOf(visit.name());
        if (desk == IdOf(visit.desk())) {
          return InvalidField("SAME_DESK", "desk", "the person already waits for this desk");
        }
        RETURN_IF_ERROR(DeskOfSite(call, site, desk, "desk"));
        ASSIGN_OR_RETURN(absl::TimeZone zone, booking_.SiteZone(call, site));
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        const absl::Time now = ctx_.clock->Now();
        RETURN_IF_ERROR(
            RunMutation(
                call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
                [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
                  pqxx::row settings =
                      tx.exec_prepared1("reception_settings_of", desk, site, db::SqlTime(now));
                  ASSIGN_OR_RETURN(Ticket ticket, NextTicket(tx, settings, site, desk, today, now));
                  // The person keeps their place (arrival and due time) in
                  // the new queue, under the new desk's ticket.
                  pqxx::result r = tx.exec_params(
                      "UPDATE reception.visits SET desk_id = $2, local_date = $3::date, "
                      "ticket_number = $4, ticket = $5, status = 'waiting', counter_id = NULL, "
                      "call_count = 0, called_time = NULL, update_time = $6::timestamptz "
                      "WHERE id = $1 AND status IN ('waiting', 'called') RETURNING id",
                      id, desk, SqlDate(today), ticket.number, ticket.text, db::SqlTime(now));
                  if (r.empty()) return IllegalVisitTransition("be transferred");
                  Publish(tx, id, "visit.transferred", zone, now);
                  return id;
                })
                .status());
        return LoadVisit(id, resp);
      });
}

grpc::Status ReceptionService::MarkVisitorLeft(grpc::ServerContext* context,
                                               const v1::VisitRequest* req, v1::Visit* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.MarkVisitorLeft",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("MarkVisitorLeft", *req));
        v1::Visit visit;
        RETURN_IF_ERROR(AuthorizeVisit(call, req->visit(), &visit).status());
        ASSIGN_OR_RETURN(bool done, AlreadyDone(idem));
        if (done) return LoadVisit(IdOf(visit.name()), resp);  // a retry
        if (visit.status() != v1::WAITING && visit.status() != v1::CALLED) {
          return IllegalVisitTransition("end");
        }
        RETURN_IF_ERROR(EndVisit(call, idem, visit, "left", booking::v1::LEFT));
        return LoadVisit(IdOf(visit.name()), resp);
      });
}

grpc::Status ReceptionService::GetVisit(grpc::ServerContext* context,
                                        const v1::GetVisitRequest* req, v1::Visit* resp) {
  return ctx_.gate->Handle(context, "accueil.reception.v1.ReceptionService.GetVisit",
                           [&](Call& call) -> absl::Status {
                             return AuthorizeVisit(call, req->visit(), resp).status();
                           });
}

grpc::Status ReceptionService::GetQueue(grpc::ServerContext* context,
                                        const v1::GetQueueRequest* req, v1::QueueState* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.GetQueue", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        return LoadQueueState(*ctx_.pool, site, today, resp);
      });
}

grpc::Status ReceptionService::SendAwayVisitor(grpc::ServerContext* context,
                                               const v1::SendAwayVisitorRequest* req,
                                               v1::FinishVisitResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.SendAwayVisitor",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("SendAwayVisitor", *req));
        if (!req->new_slot().empty()) {
          RETURN_IF_ERROR(input::ParseResourceId(req->new_slot(), "slots", "new_slot").status());
        }
        v1::Visit visit;
        RETURN_IF_ERROR(AuthorizeVisit(call, req->visit(), &visit).status());
        const int64_t id = IdOf(visit.name());
        ASSIGN_OR_RETURN(bool done, AlreadyDone(idem));
        if (!done && visit.status() != v1::WAITING && visit.status() != v1::CALLED) {
          return IllegalVisitTransition("be sent away");
        }
        if (!req->new_slot().empty()) {
          if (visit.kind() != v1::APPOINTMENT) {
            return InvalidField("NEW_SLOT_NOT_ALLOWED", "new_slot",
                                "a walk-in has no appointment to continue: book one for them");
          }
          // Booking ends the appointment (not served, rebooked at closing) and
          // books the new one in one call; then the visit ends here.
          ASSIGN_OR_RETURN(*resp->mutable_new_appointment(),
                           booking_.Rebook(call, IdOf(visit.appointment()), req->new_slot(),
                                           booking::v1::REBOOKED_AT_CLOSING,
                                           DerivedRequestId(idem.request_id, "rebook")));
          visit.set_kind(v1::WALK_IN);  // nothing more to ask booking
        }
        if (!done) {
          RETURN_IF_ERROR(
              EndVisit(call, idem, visit, "sent_away", booking::v1::SENT_AWAY_AT_CLOSING));
        }
        return LoadVisit(id, resp->mutable_visit());
      });
}

grpc::Status ReceptionService::CloseDay(grpc::ServerContext* context,
                                        const v1::CloseDayRequest* req,
                                        v1::CloseDayResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.reception.v1.ReceptionService.CloseDay", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(Idempotency idem, ForRequest("CloseDay", *req));
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        call.SetResource(req->site(), site);
        ASSIGN_OR_RETURN(absl::CivilDay today, Today(call, site));
        ASSIGN_OR_RETURN(*resp, CloseDeskDays(call, site, today, {}, /*automatic=*/false,
                                              req->send_away_remaining(), idem.request_id));
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::CloseDayResponse> ReceptionService::CloseDeskDays(Call& call, int64_t site,
                                                                     absl::CivilDay day,
                                                                     std::vector<int64_t> desks,
                                                                     bool automatic, bool send_away,
                                                                     const std::string& parent_id) {
  const std::string desk_list = SqlArray(desks);
  struct Remaining {
    int64_t id;
    std::string status;
  };
  std::vector<Remaining> remaining;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    for (const auto& row : tx.exec_params(
             "SELECT id, status FROM reception.visits WHERE site_id = $1 AND local_date = "
             "$2::date AND (cardinality($3::bigint[]) = 0 OR desk_id = ANY ($3::bigint[])) "
             "AND status IN ('waiting', 'called', 'in_service') ORDER BY id",
             site, SqlDate(day), desk_list)) {
      remaining.push_back({row[0].as<int64_t>(), row[1].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  if (!automatic) {
    for (const Remaining& r : remaining) {
      if (r.status == "in_service") {
        return Error(absl::StatusCode::kFailedPrecondition, "COUNTER_STILL_SERVING",
                     "a counter is still serving someone: finish that visit first");
      }
    }
    if (!remaining.empty() && !send_away) {
      return WithField(Error(absl::StatusCode::kFailedPrecondition, "PEOPLE_STILL_WAITING",
                             absl::StrCat(remaining.size(),
                                          " people still wait: call them, rebook them, or send "
                                          "them away (send_away_remaining)")),
                       "send_away_remaining");
    }
  }
  std::map<int64_t, std::pair<int, int>> ended;  // desk -> (sent away, finished)
  for (const Remaining& r : remaining) {
    v1::Visit visit;
    RETURN_IF_ERROR(LoadVisit(r.id, &visit));
    const Idempotency idem{DerivedRequestId(parent_id, absl::StrCat("visit-", r.id)),
                           DerivedRequestId(parent_id, "close").substr(2)};
    if (r.status == "in_service") {
      // Started and never finished (the counter forgot): recorded as served.
      if (visit.kind() == v1::APPOINTMENT) {
        RETURN_IF_ERROR(booking_
                            .Move(call, BookingClient::Transition::kComplete,
                                  IdOf(visit.appointment()),
                                  DerivedRequestId(idem.request_id, "complete"))
                            .status());
      }
      RETURN_IF_ERROR(ChangeVisit(call, idem, visit, kFinish, "served"));
      ++ended[IdOf(visit.desk())].second;
    } else {
      RETURN_IF_ERROR(EndVisit(call, idem, visit, "sent_away", booking::v1::SENT_AWAY_AT_CLOSING));
      ++ended[IdOf(visit.desk())].first;
    }
  }
  const absl::Time now = ctx_.clock->Now();
  v1::CloseDayResponse out;
  const Idempotency idem{DerivedRequestId(parent_id, "close"),
                         DerivedRequestId(parent_id, "close").substr(2)};
  const char* closed_by = automatic ? "automatic" : "agent";
  RETURN_IF_ERROR(
      RunMutation(
          call, *ctx_.pool, ctx_.commit_signal, kModule, idem, now,
          [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
            for (const auto& row : tx.exec_params(
                     "UPDATE reception.desk_days SET close_time = $4::timestamptz, closed_by = $5 "
                     "WHERE site_id = $1 AND local_date = $2::date AND close_time IS NULL AND "
                     "(cardinality($3::bigint[]) = 0 OR desk_id = ANY ($3::bigint[])) "
                     "RETURNING desk_id",
                     site, SqlDate(day), desk_list, db::SqlTime(now), closed_by)) {
              const int64_t desk = row[0].as<int64_t>();
              nlohmann::json payload = {{"desk", desk},
                                        {"local_date", SqlDate(day)},
                                        {"closed_by", closed_by},
                                        {"sent_away", ended[desk].first},
                                        {"finished", ended[desk].second}};
              tx.exec_prepared("reception_append_event", "reception.day_closed",
                               Name("desks", desk), site, db::SqlTime(now), payload.dump());
              nlohmann::json change = {{"change", "reception.day_closed"}, {"desk", desk}};
              tx.exec_prepared("reception_queue_changed", site, change.dump());
              *out.add_desks() = Name("desks", desk);
            }
            // The counters serving only closed desks close too.
            tx.exec_params(
                "UPDATE reception.counter_days d SET close_time = $3::timestamptz "
                "FROM reception.counters c WHERE c.id = d.counter_id AND c.site_id = $1 "
                "AND d.local_date = $2::date AND d.close_time IS NULL AND NOT EXISTS ("
                "SELECT 1 FROM reception.desk_days x WHERE x.desk_id = ANY (d.desk_ids) "
                "AND x.local_date = d.local_date AND x.close_time IS NULL)",
                site, SqlDate(day), db::SqlTime(now));
            return site;
          })
          .status());
  for (const auto& [desk, counts] : ended)
    out.set_sent_away_count(out.sent_away_count() + counts.first);
  return out;
}

absl::StatusOr<int> ReceptionService::RepairArrivals(Call& call, int64_t site, int64_t desk,
                                                     absl::CivilDay day,
                                                     const std::string& parent_id) {
  ASSIGN_OR_RETURN(std::vector<booking::v1::Appointment> appointments,
                   booking_.DayAppointments(call, site, desk, day));
  int repaired = 0;
  for (const booking::v1::Appointment& a : appointments) {
    // Arrived a moment ago: the check-in may still be writing its visit.
    if (a.status() != booking::v1::ARRIVED ||
        ctx_.clock->Now() - FromProto(a.update_time()) < absl::Seconds(30)) {
      continue;
    }
    const int64_t appointment = IdOf(a.name());
    bool has_visit = true;
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      has_visit = !tx.exec_prepared("reception_visit_of_appointment", appointment).empty();
      return absl::OkStatus();
    }));
    if (has_visit) continue;
    const std::string id = DerivedRequestId(parent_id, absl::StrCat("repair-", appointment));
    RETURN_IF_ERROR(IssueTicket(call, Idempotency{id, id.substr(2)}, site, desk, day, appointment,
                                HasPriorityNeed(a), /*late=*/false, FromProto(a.start_time()))
                        .status());
    ++repaired;
  }
  return repaired;
}

grpc::ServerWriteReactor<v1::QueueUpdate>* ReceptionService::WatchQueue(
    grpc::CallbackServerContext* context, const v1::WatchQueueRequest* req) {
  return OpenStream(new QueueWatch(ctx_.gate, context, feed_, &booking_, *req));
}

absl::StatusOr<bool> ReceptionService::AlreadyDone(const Idempotency& idem) {
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::StatusOr<bool> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_params(
        "SELECT payload_hash = decode($2, 'hex') AS same FROM shared.requests "
        "WHERE module = 'reception' AND request_id = $1",
        idem.request_id, idem.hash_hex);
    if (r.empty()) return false;
    if (!r[0]["same"].as<bool>()) {
      return InvalidField("REQUEST_ID_REUSED", "request_id",
                          "this request id was used for another request");
    }
    return true;
  });
}

}  // namespace accueil::reception
