#include "services/notify/decide.h"

#include "absl/strings/str_cat.h"
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

  absl::Status Apply(pqxx::work& tx, const events::Event& e) {
    if (e.history || channels_.empty()) return absl::OkStatus();
    if (e.occurred_time < clock_->Now() - kStaleEvent) return absl::OkStatus();
    const std::string& t = e.type;
    if (t == "appointment.booked") {
      ev::AppointmentBooked p;
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      ASSIGN_OR_RETURN(Appointment a, Make(p.appointment(), p.site(), p.desk(), p.start_time(),
                                           p.end_time(), p.time_zone()));
      Add(tx, e, a, "confirmation", e.occurred_time);
      return Remind(tx, e, a);
    }
    if (t == "appointment.rescheduled") {
      ev::AppointmentRescheduled p;
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      ASSIGN_OR_RETURN(Appointment a, Make(p.appointment(), p.site(), p.desk(), p.start_time(),
                                           p.end_time(), p.time_zone()));
      Withdraw(tx, e, a.id, "MOVED");
      Add(tx, e, a, "move", e.occurred_time);
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
          Add(tx, e, a, "closure", *due);
        }
      } else if (p.cause() == "person" || p.cause() == "agent" || p.cause().empty()) {
        Add(tx, e, a, "cancellation", e.occurred_time);
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
        Add(tx, e, a, "noshow", *due);
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

 private:
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

  void Add(pqxx::work& tx, const events::Event& e, const Appointment& a, const char* templ,
           absl::Time due, const std::vector<std::string>* only = nullptr) {
    for (const std::string& channel : only != nullptr ? *only : channels_) {
      tx.exec_prepared("notify_add_message", a.id, a.site, a.desk, templ, channel,
                       db::SqlTime(a.start), db::SqlTime(a.end), DecidedBy(e),
                       db::SqlTime(e.occurred_time), db::SqlTime(due));
    }
  }

  void Withdraw(pqxx::work& tx, const events::Event& e, int64_t appointment, const char* reason) {
    tx.exec_prepared("notify_withdraw", appointment, reason, db::SqlTime(e.occurred_time));
  }

  absl::Status Remind(pqxx::work& tx, const events::Event& e, const Appointment& a) {
    ReminderSettings settings;
    pqxx::result r = tx.exec_prepared("notify_desk_settings", a.desk);
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
    const Reminders when = ReminderTimes(e.occurred_time, a.start, a.zone, settings);
    for (const std::string& channel : channels_) {
      const std::optional<absl::Time>& due = channel == "email" ? when.email : when.sms;
      if (!due.has_value()) continue;
      const std::vector<std::string> one = {channel};
      Add(tx, e, a, "reminder", *due, &one);
    }
    return absl::OkStatus();
  }

  DecideOptions options_;
  const Clock* clock_;
  std::vector<std::string> channels_;
};

}  // namespace

std::unique_ptr<events::Consumer> NewDecider(const ServiceContext& context, DecideOptions options,
                                             std::function<void()> after_commit) {
  db::Pool& pool = *context.pool;
  pool.Prepare("notify_add_message",
               "INSERT INTO notify.messages (appointment_id, site_id, desk_id, template, channel, "
               "start_time, end_time, decided_by, create_time, due_time, update_time) "
               "VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8, "
               "$9::timestamptz, $10::timestamptz, $9::timestamptz) "
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
      events::Handler(
          [decider](pqxx::work& tx, const events::Event& e) { return decider->Apply(tx, e); }),
      consumer, std::move(after_commit));
}

}  // namespace accueil::notify
