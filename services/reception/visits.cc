#include "services/reception/visits.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/common/proto_time.h"

namespace accueil::reception {
namespace {

// Service time assumed for the estimated wait before a desk has finished
// three visits today (docs/reception.md#estimated-wait).
constexpr absl::Duration kDefaultServiceTime = absl::Minutes(10);

v1::VisitStatus StatusOf(const std::string& s) {
  if (s == "waiting") return v1::WAITING;
  if (s == "called") return v1::CALLED;
  if (s == "in_service") return v1::IN_SERVICE;
  if (s == "done") return v1::DONE;
  if (s == "missed") return v1::MISSED;
  if (s == "left") return v1::LEFT;
  if (s == "sent_away") return v1::SENT_AWAY;
  return v1::VISIT_STATUS_UNSPECIFIED;
}

v1::VisitOutcome OutcomeOf(const std::string& s) {
  if (s == "served") return v1::SERVED;
  if (s == "file_incomplete") return v1::FILE_INCOMPLETE;
  if (s == "redirected") return v1::REDIRECTED;
  return v1::VISIT_OUTCOME_UNSPECIFIED;
}

}  // namespace

std::string Name(absl::string_view collection, int64_t id) {
  return absl::StrCat(collection, "/", id);
}

int64_t IdOf(const std::string& name) {
  int64_t id = 0;
  const size_t slash = name.find('/');
  if (slash == std::string::npos || !absl::SimpleAtoi(name.substr(slash + 1), &id)) return 0;
  return id;
}

std::string SqlDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

std::string SqlArray(const std::vector<int64_t>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

void SetTime(const pqxx::field& f, google::protobuf::Timestamp* out) {
  if (!f.is_null()) *out = ToProto(absl::FromUnixMicros(f.as<int64_t>()));
}

void FillVisit(const pqxx::row& r, v1::Visit* out) {
  out->Clear();
  out->set_name(Name("visits", r["id"].as<int64_t>()));
  out->set_ticket(r["ticket"].as<std::string>());
  out->set_site(Name("sites", r["site_id"].as<int64_t>()));
  out->set_desk(Name("desks", r["desk_id"].as<int64_t>()));
  out->set_kind(r["kind"].as<std::string>() == "appointment" ? v1::APPOINTMENT : v1::WALK_IN);
  if (!r["appointment_id"].is_null()) {
    out->set_appointment(Name("appointments", r["appointment_id"].as<int64_t>()));
  }
  out->set_status(StatusOf(r["status"].as<std::string>()));
  out->set_priority(r["priority"].as<bool>());
  out->set_late(r["late"].as<bool>());
  if (!r["counter_id"].is_null()) out->set_counter(Name("counters", r["counter_id"].as<int64_t>()));
  out->set_counter_display_name(r["counter_display_name"].as<std::string>());
  out->set_call_count(r["call_count"].as<int>());
  SetTime(r["arrival_micros"], out->mutable_arrival_time());
  SetTime(r["due_micros"], out->mutable_due_time());
  SetTime(r["called_micros"], out->mutable_called_time());
  SetTime(r["start_micros"], out->mutable_start_time());
  SetTime(r["finish_micros"], out->mutable_finish_time());
  if (!r["outcome"].is_null()) out->set_outcome(OutcomeOf(r["outcome"].as<std::string>()));
  out->set_position(r["position"].as<int>());
}

const char kVisitColumns[] =
    "id, site_id, desk_id, ticket, kind, appointment_id, status, priority, late, counter_id, "
    "counter_display_name, call_count, outcome, arrival_micros, due_micros, called_micros, "
    "start_micros, finish_micros, position";

void PrepareQueueStatements(db::Pool& pool) {
  pool.Prepare("reception_queue",
               absl::StrCat("SELECT ", kVisitColumns,
                            " FROM reception.visit_details WHERE site_id = $1 "
                            "AND local_date = $2::date AND status IN ('waiting', 'called') "
                            "ORDER BY desk_id, status DESC, position, id"));
  pool.Prepare(
      "reception_sequence",
      "SELECT coalesce((SELECT sequence FROM reception.site_queues WHERE site_id = $1), 0) "
      "AS sequence");
  // Per desk of the site today: waiting people, open counters serving it,
  // and the mean service time of today's finished visits (3 or more).
  pool.Prepare(
      "reception_desk_loads",
      "SELECT d.desk_id, "
      "(SELECT count(*) FROM reception.visits v WHERE v.desk_id = d.desk_id "
      " AND v.local_date = d.local_date AND v.status = 'waiting') AS waiting, "
      "(SELECT count(*) FROM reception.counter_days c WHERE c.local_date = d.local_date "
      " AND c.close_time IS NULL AND d.desk_id = ANY (c.desk_ids)) AS counters, "
      "(SELECT CASE WHEN count(*) >= 3 THEN (extract(epoch FROM avg(v.finish_time - "
      " v.start_time)) * 1000000)::bigint END FROM reception.visits v "
      " WHERE v.desk_id = d.desk_id AND v.local_date = d.local_date AND v.status = 'done') "
      " AS mean_service_micros "
      "FROM reception.desk_days d WHERE d.site_id = $1 AND d.local_date = $2::date "
      "ORDER BY d.desk_id");
}

absl::Status LoadQueueState(db::Pool& pool, int64_t site, absl::CivilDay today,
                            v1::QueueState* out) {
  return pool.Run([&](pqxx::connection& c) -> absl::Status {
    // One snapshot: the sequence number matches the state.
    pqxx::work tx(c, "queue");
    tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    out->Clear();
    out->set_site(Name("sites", site));
    out->mutable_local_date()->set_year(static_cast<int>(today.year()));
    out->mutable_local_date()->set_month(today.month());
    out->mutable_local_date()->set_day(today.day());
    out->set_sequence(tx.exec_prepared1("reception_sequence", site)["sequence"].as<int64_t>());
    for (const auto& row : tx.exec_prepared("reception_queue", site, SqlDate(today))) {
      FillVisit(row, out->add_visits());
    }
    LoadDeskLoads(tx, site, today, out->mutable_desks());
    tx.commit();
    return absl::OkStatus();
  });
}

void LoadDeskLoads(pqxx::transaction_base& tx, int64_t site, absl::CivilDay today,
                   google::protobuf::RepeatedPtrField<v1::DeskQueue>* out) {
  for (const auto& row : tx.exec_prepared("reception_desk_loads", site, SqlDate(today))) {
    v1::DeskQueue* d = out->Add();
    d->set_desk(Name("desks", row["desk_id"].as<int64_t>()));
    const int64_t waiting = row["waiting"].as<int64_t>();
    const int64_t counters = row["counters"].as<int64_t>();
    d->set_waiting(static_cast<int>(waiting));
    if (counters > 0) {
      absl::Duration service = row["mean_service_micros"].is_null()
                                   ? kDefaultServiceTime
                                   : absl::Microseconds(row["mean_service_micros"].as<int64_t>());
      // Everyone waiting is served by the open counters in turn.
      absl::Duration wait = service * static_cast<double>((waiting + counters - 1) / counters);
      d->mutable_estimated_wait()->set_seconds(absl::ToInt64Seconds(wait));
    }
  }
}

}  // namespace accueil::reception
