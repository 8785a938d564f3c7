#include "services/notify/access.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::notify {
namespace {

constexpr int kAccessMessagesPerAppointment = 3;

struct Request {
  int64_t id;
  std::string kind, value;
};

}  // namespace

AccessRequests::AccessRequests(const ServiceContext& context, BookingClient* booking, bool email,
                               bool sms)
    : ctx_(context), booking_(booking), email_(email), sms_(sms) {
  db::Pool& pool = *ctx_.pool;
  pool.Prepare("notify_access_claim",
               "SELECT id, kind, value FROM notify.access_requests WHERE worked_time IS NULL "
               "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED");
  pool.Prepare("notify_access_recent",
               "SELECT count(*) FROM notify.messages WHERE appointment_id = $1 "
               "AND template = 'access' AND create_time > $2::timestamptz - interval '1 day'");
  pool.Prepare("notify_access_message",
               "INSERT INTO notify.messages (appointment_id, site_id, desk_id, template, channel, "
               "start_time, end_time, decided_by, create_time, due_time, update_time) "
               "VALUES ($1, $2, $3, 'access', $4, $5::timestamptz, $6::timestamptz, $7, "
               "$8::timestamptz, $8::timestamptz, $8::timestamptz) "
               "ON CONFLICT (decided_by, template, channel) DO NOTHING");
  pool.Prepare("notify_access_worked",
               "UPDATE notify.access_requests SET value = NULL, worked_time = $2::timestamptz, "
               "messages = $3 WHERE id = $1");
}

absl::StatusOr<int> AccessRequests::Work(absl::Time now) {
  int worked = 0;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    worked = 0;
    pqxx::work tx(c);
    std::vector<Request> requests;
    for (const pqxx::row& r : tx.exec_prepared("notify_access_claim", kBatch)) {
      requests.push_back(
          {r["id"].as<int64_t>(), r["kind"].as<std::string>(), r["value"].as<std::string>()});
    }
    for (const Request& q : requests) {
      // Booking is asked with the request's row locked: a failure rolls
      // back and leaves it queued.
      const Call call = ctx_.gate->WorkerCall(absl::StrCat("notify-access-", q.id));
      ASSIGN_OR_RETURN(std::vector<bv1::Appointment> found,
                       booking_->FindActive(call, q.kind, q.value));
      int messages = 0;
      for (const bv1::Appointment& a : found) {
        ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(a.name(), "appointments", "name"));
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(a.site(), "sites", "site"));
        ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(a.desk(), "desks", "desk"));
        // Counted under the appointment's lock: two replicas working
        // requests for one appointment take turns.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('notify.access'), $1::integer)",
                       static_cast<int32_t>(id));
        if (tx.exec_prepared1("notify_access_recent", id, db::SqlTime(now))[0].as<int>() >=
            kAccessMessagesPerAppointment) {
          continue;
        }
        // The channel of what was typed, else the other one the appointment
        // has: always a contact on file, never the one typed.
        const bool can_email = email_ && !a.person().email().empty();
        const bool can_sms = sms_ && !a.person().phone().empty();
        const char* channel = nullptr;
        if (q.kind == "phone") {
          channel = can_sms ? "sms" : can_email ? "email" : nullptr;
        } else {
          channel = can_email ? "email" : can_sms ? "sms" : nullptr;
        }
        if (channel == nullptr) continue;
        tx.exec_prepared("notify_access_message", id, site, desk, channel,
                         db::SqlTime(FromProto(a.start_time())),
                         db::SqlTime(FromProto(a.end_time())), absl::StrCat("access:", q.id),
                         db::SqlTime(now));
        ++messages;
      }
      tx.exec_prepared("notify_access_worked", q.id, db::SqlTime(now), messages);
      ++worked;
    }
    tx.commit();
    return absl::OkStatus();
  }));
  return worked;
}

}  // namespace accueil::notify
