#include "services/notify/decide.h"

#include <algorithm>
#include <map>
#include <optional>

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

// What the decider reads of a desk's settings (notify.desk_settings).
struct DeskSettings {
  ReminderSettings reminders;
  bool confirm = false;  // attendance requests (confirm_after_noshows set)
  absl::Duration confirm_before = absl::Hours(48);
};

// An attendance request goes this long before its deadline.
constexpr absl::Duration kAttendanceNotice = absl::Hours(72);

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
      AskAttendance(tx, e, a);
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
      } else if (p.cause() == "person" || p.cause() == "agent" || p.cause() == "not_confirmed" ||
                 p.cause().empty()) {
        // Released for want of a confirmation: told like a cancellation.
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
    if (t == "appointment.fulfilled") {
      ev::AppointmentFulfilled p;
      RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
      ASSIGN_OR_RETURN(Appointment a, Make(p.appointment(), p.site(), p.desk(), p.start_time(),
                                           p.end_time(), p.time_zone()));
      Withdraw(tx, e, a.id, "ARRIVED");
      // The survey, by e-mail, a little after the visit and out of the
      // quiet hours, within a week.
      const absl::Time after = e.occurred_time + kSurveyDelay;
      if (options_.email) {
        if (auto due = OutOfQuietHours(after, after, after + absl::Hours(24 * 7), a.zone)) {
          static const std::vector<std::string> kEmail = {"email"};
          Add(e, a, "survey", *due, &kEmail);
        }
      }
      return absl::OkStatus();
    }
    if (t == "appointment.arrived") return WithdrawOn<ev::AppointmentArrived>(tx, e);
    if (t == "appointment.in_service") return WithdrawOn<ev::AppointmentInService>(tx, e);
    if (t == "appointment.not_served") return WithdrawOn<ev::AppointmentNotServed>(tx, e);
    return absl::OkStatus();
  }

  // The person came: what is pending about the appointment is withdrawn
  // (each status event has its own message, the same `appointment` field).
  template <typename Payload>
  absl::Status WithdrawOn(pqxx::work& tx, const events::Event& e) {
    Payload p;
    RETURN_IF_ERROR(events::ParsePayload(e, events::ParseMode::kLenient, &p));
    Withdraw(tx, e, p.appointment(), "ARRIVED");
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
           const std::vector<std::string>* only = nullptr,
           std::optional<absl::Time> respond_by = std::nullopt) {
    for (const std::string& channel : only != nullptr ? *only : channels_) {
      pending_.push_back({a.id, a.site, a.desk, templ, channel, db::SqlTime(a.start),
                          db::SqlTime(a.end), DecidedBy(e), db::SqlTime(e.occurred_time),
                          db::SqlTime(due), respond_by ? db::SqlTime(*respond_by) : ""});
    }
  }

  // Flush writes the gathered messages, one statement for all.
  void Flush(pqxx::work& tx) {
    if (pending_.empty()) return;
    std::vector<std::vector<std::string>> columns(11);
    for (const Row& r : pending_) {
      const std::string cells[11] = {absl::StrCat(r.appointment),
                                     absl::StrCat(r.site),
                                     absl::StrCat(r.desk),
                                     r.templ,
                                     r.channel,
                                     r.start,
                                     r.end,
                                     r.decided_by,
                                     r.created,
                                     r.due,
                                     r.respond_by};
      for (int i = 0; i < 11; ++i) columns[i].push_back(cells[i]);
    }
    // Array literals of quoted elements (none holds a quote or a
    // backslash); an empty one is NULL.
    auto literal = [](const std::vector<std::string>& items) {
      std::vector<std::string> quoted;
      for (const std::string& item : items) {
        quoted.push_back(item.empty() ? "NULL" : absl::StrCat("\"", item, "\""));
      }
      return absl::StrCat("{", absl::StrJoin(quoted, ","), "}");
    };
    tx.exec_prepared("notify_add_messages", literal(columns[0]), literal(columns[1]),
                     literal(columns[2]), literal(columns[3]), literal(columns[4]),
                     literal(columns[5]), literal(columns[6]), literal(columns[7]),
                     literal(columns[8]), literal(columns[9]), literal(columns[10]));
    pending_.clear();
  }

  void Withdraw(pqxx::work& tx, const events::Event& e, int64_t appointment, const char* reason) {
    Flush(tx);  // a message decided earlier in the batch is withdrawn too
    tx.exec_prepared("notify_withdraw", appointment, reason, db::SqlTime(e.occurred_time));
  }

  const DeskSettings& SettingsOf(pqxx::work& tx, int64_t desk) {
    auto cached = settings_.find(desk);
    if (cached == settings_.end()) cached = settings_.emplace(desk, ReadSettings(tx, desk)).first;
    return cached->second;
  }

  // AskAttendance asks for a confirmation where the desk does (the sender checks the
  // person's no-shows when it goes): kAttendanceNotice before the deadline,
  // out of the quiet hours; none when the deadline is too close to answer.
  void AskAttendance(pqxx::work& tx, const events::Event& e, const Appointment& a) {
    const DeskSettings& settings = SettingsOf(tx, a.desk);
    if (!settings.confirm) return;
    const absl::Time respond_by = a.start - settings.confirm_before;
    if (respond_by < e.occurred_time + absl::Hours(12)) return;
    const absl::Time wanted = std::max(e.occurred_time, respond_by - kAttendanceNotice);
    if (auto due = OutOfQuietHours(wanted, e.occurred_time, respond_by - absl::Hours(6), a.zone)) {
      Add(e, a, "attendance", *due, nullptr, respond_by);
    }
  }

  absl::Status Remind(pqxx::work& tx, const events::Event& e, const Appointment& a) {
    const ReminderSettings& settings = SettingsOf(tx, a.desk).reminders;
    const Reminders when = ReminderTimes(e.occurred_time, a.start, a.zone, settings);
    for (const std::string& channel : channels_) {
      const std::optional<absl::Time>& due = channel == "email" ? when.email : when.sms;
      if (!due.has_value()) continue;
      const std::vector<std::string> one = {channel};
      Add(e, a, "reminder", *due, &one);
    }
    return absl::OkStatus();
  }

  static DeskSettings ReadSettings(pqxx::work& tx, int64_t desk) {
    DeskSettings out;
    ReminderSettings& settings = out.reminders;
    pqxx::result r = tx.exec_prepared("notify_desk_settings", desk);
    if (!r.empty()) {
      out.confirm = !r[0]["confirm_after_noshows"].is_null();
      out.confirm_before = absl::Seconds(r[0]["confirm_seconds"].as<int64_t>());
      settings.email_before =
          r[0]["email_seconds"].is_null()
              ? std::nullopt
              : std::optional<absl::Duration>(absl::Seconds(r[0]["email_seconds"].as<int64_t>()));
      settings.sms_days_before = r[0]["sms_days_before"].is_null()
                                     ? std::nullopt
                                     : std::optional<int>(r[0]["sms_days_before"].as<int>());
      settings.sms_time = absl::Seconds(r[0]["sms_seconds"].as<int64_t>());
    }
    return out;
  }

  // A message to write (Flush).
  struct Row {
    int64_t appointment, site, desk;
    std::string templ, channel, start, end, decided_by, created, due;
    std::string respond_by;  // attendance requests; "" for none
  };

  DecideOptions options_;
  const Clock* clock_;
  std::vector<std::string> channels_;
  // The batch's state (one batch at a time: the consumer's thread).
  std::vector<Row> pending_;
  std::map<int64_t, DeskSettings> settings_;
};

}  // namespace

std::unique_ptr<events::Consumer> NewDecider(const ServiceContext& context, DecideOptions options,
                                             std::function<void()> after_commit) {
  db::Pool& pool = *context.pool;
  pool.Prepare("notify_add_messages",
               "INSERT INTO notify.messages (appointment_id, site_id, desk_id, template, channel, "
               "start_time, end_time, decided_by, create_time, due_time, update_time, "
               "respond_by) "
               "SELECT a, s, d, t, c, st, en, db, ct, du, ct, rb FROM unnest($1::bigint[], "
               "$2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], "
               "$7::timestamptz[], $8::text[], $9::timestamptz[], $10::timestamptz[], "
               "$11::timestamptz[]) AS u(a, s, d, t, c, st, en, db, ct, du, rb) "
               "ON CONFLICT (decided_by, template, channel) DO NOTHING");
  pool.Prepare("notify_withdraw",
               "UPDATE notify.messages SET state = 'withdrawn', reason = $2, "
               "update_time = $3::timestamptz WHERE appointment_id = $1 AND state = 'pending'");
  pool.Prepare("notify_desk_settings",
               "SELECT extract(epoch FROM email_before)::bigint AS email_seconds, "
               "sms_days_before, extract(epoch FROM sms_local_time)::bigint AS sms_seconds, "
               "confirm_after_noshows, extract(epoch FROM confirm_before)::bigint "
               "AS confirm_seconds FROM notify.desk_settings WHERE desk_id = $1");
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
