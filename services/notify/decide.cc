#include "services/notify/decide.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accueil/events/v1/events.pb.h"
#include "services/common/errors.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/common/typed_events.h"
#include "services/notify/schedule.h"

namespace accueil::notify {
namespace {

namespace ev = ::accueil::events::v1;

struct Appointment {
  int64_t id = 0, site = 0, desk = 0;
  absl::Time start, end;
  absl::TimeZone zone;
};

class Decider {
 public:
  Decider(DecideOptions options, const Clock* clock) : options_(options), clock_(clock) {
    if (options_.email) channels_.push_back("email");
    if (options_.sms) channels_.push_back("sms");
  }

  // ApplyBatch applies a consumer batch: messages are gathered and written
  // in one statement (before any withdrawal, which must see them), each
  // desk's settings read once.
  absl::Status ApplyBatch(pqxx::work& tx, const std::vector<events::Event>& batch) {
    pending_.clear();
    settings_.clear();
    for (const events::Event& e : batch) RETURN_IF_ERROR(Apply(tx, e));
    Flush(tx);
    return absl::OkStatus();
  }

 private:
  absl::Status Apply(pqxx::work& tx, const events::Event& e) {
    if (e.history || channels_.empty()) return absl::OkStatus();
    if (e.occurred_time < clock_->Now() - kStaleEvent) return absl::OkStatus();
    const std::string& t = e.type;
    if (t == "appointment.booked") {
      ev::AppointmentBooked p;
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      ASSIGN_OR_RETURN(Appointment a, Make(p.appointment(), p.site(), p.desk(), p.start_time(),
                                           p.end_time(), p.time_zone()));
      Add(e, a, "confirmation", e.occurred_time);
      return Remind(tx, e, a);
    }
    if (t == "appointment.rescheduled") {
      ev::AppointmentRescheduled p;
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      ASSIGN_OR_RETURN(Appointment a, Make(p.appointment(), p.site(), p.desk(), p.start_time(),
                                           p.end_time(), p.time_zone()));
      Withdraw(tx, e, a.id, "MOVED");
      Add(e, a, "move", e.occurred_time);
      return Remind(tx, e, a);
    }
    if (t == "appointment.cancelled") {
      ev::AppointmentCancelled p;
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      ASSIGN_OR_RETURN(Appointment a, Make(p.appointment(), p.site(), p.desk(), p.start_time(),
                                           p.end_time(), p.time_zone()));
      Withdraw(tx, e, a.id, "CANCELLED");
      if (p.cause() == "closure") {
        // Nobody asked for it right now: out of the quiet hours, and only
        // while it can still spare the person the trip.
        if (auto due = OutOfQuietHours(e.occurred_time, e.occurred_time, a.start, a.zone)) {
          Add(e, a, "closure", *due);
        }
      } else if (p.cause() == "person" || p.cause() == "agent" || p.cause().empty()) {
        Add(e, a, "cancellation", e.occurred_time);
      }
      return absl::OkStatus();
    }
    if (t == "appointment.noshow") {
      ev::AppointmentNoShow p;
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      ASSIGN_OR_RETURN(Appointment a, Make(p.appointment(), p.site(), p.desk(), p.start_time(),
                                           p.end_time(), p.time_zone()));
      Withdraw(tx, e, a.id, "NOSHOW");
      if (auto due = OutOfQuietHours(e.occurred_time, e.occurred_time,
                                     e.occurred_time + absl::Hours(48), a.zone)) {
        Add(e, a, "noshow", *due);
      }
      return absl::OkStatus();
    }
    if (t == "appointment.arrived" || t == "appointment.in_service" ||
        t == "appointment.fulfilled" || t == "appointment.not_served") {
      ev::AppointmentArrived p;  // the status events share the appointment field
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      Withdraw(tx, e, p.appointment(), "ARRIVED");
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<Appointment> Make(int64_t id, int64_t site, int64_t desk,
                                          const google::protobuf::Timestamp& start,
                                          const google::protobuf::Timestamp& end,
                                          const std::string& zone) {
    Appointment a{id, site, desk, FromProto(start), FromProto(end), absl::UTCTimeZone()};
    if (!absl::LoadTimeZone(zone.empty() ? "Europe/Paris" : zone, &a.zone)) {
      return Error(absl::StatusCode::kInternal, "TIME_ZONE_UNAVAILABLE",
                   absl::StrCat("time zone ", zone, " cannot be loaded"));
    }
    return a;
  }

  static std::string DecidedBy(const events::Event& e) {
    return absl::StrCat(e.txid, ":", e.position);
  }

  // Add gathers a message per channel (or only `*only`), written by Flush.
  void Add(const events::Event& e, const Appointment& a, const char* templ, absl::Time due,
           const std::vector<std::string>* only = nullptr) {
    for (const std::string& channel : only != nullptr ? *only : channels_) {
      pending_.push_back({a.id, a.site, a.desk, templ, channel, db::SqlTime(a.start),
                          db::SqlTime(a.end), DecidedBy(e), db::SqlTime(e.occurred_time),
                          db::SqlTime(due)});
    }
  }

  // Flush writes the gathered messages, one statement for all.
  void Flush(pqxx::work& tx) {
    if (pending_.empty()) return;
    std::vector<std::vector<std::string>> columns(10);
    for (const Row& r : pending_) {
      const std::string cells[10] = {absl::StrCat(r.appointment),
                                     absl::StrCat(r.site),
                                     absl::StrCat(r.desk),
                                     r.templ,
                                     r.channel,
                                     r.start,
                                     r.end,
                                     r.decided_by,
                                     r.created,
                                     r.due};
      for (int i = 0; i < 10; ++i) columns[i].push_back(cells[i]);
    }
    // Array literals of quoted elements (none holds a quote or a backslash).
    auto literal = [](const std::vector<std::string>& items) {
      return absl::StrCat("{\"", absl::StrJoin(items, "\",\""), "\"}");
    };
    tx.exec_prepared("notify_add_messages", literal(columns[0]), literal(columns[1]),
                     literal(columns[2]), literal(columns[3]), literal(columns[4]),
                     literal(columns[5]), literal(columns[6]), literal(columns[7]),
                     literal(columns[8]), literal(columns[9]));
    pending_.clear();
  }

  void Withdraw(pqxx::work& tx, const events::Event& e, int64_t appointment, const char* reason) {
    Flush(tx);  // a message decided earlier in the batch is withdrawn too
    tx.exec_prepared("notify_withdraw", appointment, reason, db::SqlTime(e.occurred_time));
  }

  absl::Status Remind(pqxx::work& tx, const events::Event& e, const Appointment& a) {
    auto cached = settings_.find(a.desk);
    if (cached == settings_.end()) {
      cached = settings_.emplace(a.desk, ReadSettings(tx, a.desk)).first;
    }
    const ReminderSettings& settings = cached->second;
    const Reminders when = ReminderTimes(e.occurred_time, a.start, a.zone, settings);
    for (const std::string& channel : channels_) {
      const std::optional<absl::Time>& due = channel == "email" ? when.email : when.sms;
      if (!due.has_value()) continue;
      const std::vector<std::string> one = {channel};
      Add(e, a, "reminder", *due, &one);
    }
    return absl::OkStatus();
  }

  static ReminderSettings ReadSettings(pqxx::work& tx, int64_t desk) {
    ReminderSettings settings;
    pqxx::result r = tx.exec_prepared("notify_desk_settings", desk);
    if (!r.empty()) {
      settings.email_before =
          r[0]["email_seconds"].is_null()
              ? std::nullopt
              : std::optional<absl::Duration>(absl::Seconds(r[0]["email_seconds"].as<int64_t>()));
      settings.sms_days_before = r[0]["sms_days_before"].is_null()
                                     ? std::nullopt
                                     : std::optional<int>(r[0]["sms_days_before"].as<int>());
      settings.sms_time = absl::Seconds(r[0]["sms_seconds"].as<int64_t>());
    }
    return settings;
  }

  // A message to write (Flush).
  struct Row {
    int64_t appointment, site, desk;
    std::string templ, channel, start, end, decided_by, created, due;
  };

  DecideOptions options_;
  const Clock* clock_;
  std::vector<std::string> channels_;
  // The batch's state (one batch at a time: the consumer's thread).
  std::vector<Row> pending_;
  std::map<int64_t, ReminderSettings> settings_;
};

}  // namespace

std::unique_ptr<events::Consumer> NewDecider(const ServiceContext& context, DecideOptions options,
                                             std::function<void()> after_commit) {
  db::Pool& pool = *context.pool;
  pool.Prepare("notify_add_messages",
               "INSERT INTO notify.messages (appointment_id, site_id, desk_id, template, channel, "
               "start_time, end_time, decided_by, create_time, due_time, update_time) "
               "SELECT a, s, d, t, c, st, en, db, ct, du, ct FROM unnest($1::bigint[], "
               "$2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], "
               "$7::timestamptz[], $8::text[], $9::timestamptz[], $10::timestamptz[]) "
               "AS u(a, s, d, t, c, st, en, db, ct, du) "
               "ON CONFLICT (decided_by, template, channel) DO NOTHING");
  pool.Prepare("notify_withdraw",
               "UPDATE notify.messages SET state = 'withdrawn', reason = $2, "
               "update_time = $3::timestamptz WHERE appointment_id = $1 AND state = 'pending'");
  pool.Prepare("notify_desk_settings",
               "SELECT extract(epoch FROM email_before)::bigint AS email_seconds, "
               "sms_days_before, extract(epoch FROM sms_local_time)::bigint AS sms_seconds "
               "FROM notify.desk_settings WHERE desk_id = $1");
  auto decider = std::make_shared<Decider>(options, context.clock);
  events::ConsumerOptions consumer;
  consumer.metrics = context.metrics;
  return std::make_unique<events::Consumer>(
      kDecideConsumer, context.pool, context.clock,
      events::BatchHandler([decider](pqxx::work& tx, const std::vector<events::Event>& batch) {
        return decider->ApplyBatch(tx, batch);
      }),
      consumer, std::move(after_commit));
}

}  // namespace accueil::notify
