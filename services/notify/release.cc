#include "services/notify/release.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/idempotency.h"
#include "services/common/peer_call.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::notify {
namespace {

struct Request {
  int64_t site = 0;
  absl::Time start;
  bool answered = false, reached = false;
};

}  // namespace

Releases::Releases(const ServiceContext& context, BookingClient* booking)
    : ctx_(context), booking_(booking) {
  // Appointments past their deadline, undecided (no lock: each is then
  // taken under its attendance lock, or left to the next pass).
  ctx_.pool->Prepare("notify_release_due",
                     "SELECT DISTINCT appointment_id FROM notify.messages "
                     "WHERE template = 'attendance' AND release_time IS NULL "
                     "AND respond_by <= $1::timestamptz LIMIT $2");
  // The appointment's attendance lock (attendance.cc takes it too), without
  // waiting: a confirmation in progress is seen at the next pass.
  ctx_.pool->Prepare("notify_attendance_try_lock",
                     "SELECT pg_try_advisory_xact_lock(hashtext('notify.attendance'), "
                     "$1::integer) AS locked");
  ctx_.pool->Prepare(
      "notify_release_requests",
      absl::StrCat("SELECT site_id, ", db::Micros("start_time"),
                   " AS start_micros, answer_time IS NOT NULL AS answered, "
                   "state IN ('accepted', 'delivered') AS reached FROM notify.messages "
                   "WHERE template = 'attendance' AND appointment_id = $1 "
                   "AND release_time IS NULL"));
  ctx_.pool->Prepare("notify_release_mark",
                     "UPDATE notify.messages SET release_time = $2::timestamptz, "
                     "release_outcome = $3, update_time = $2::timestamptz "
                     "WHERE template = 'attendance' AND appointment_id = $1 "
                     "AND release_time IS NULL");
}

absl::StatusOr<int> Releases::Work(absl::Time now) {
  int decided = 0;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    decided = 0;
    pqxx::work tx(c);
    std::map<int64_t, Request> due;
    for (const pqxx::row& r : tx.exec_prepared("notify_release_due", db::SqlTime(now), kBatch)) {
      const int64_t id = r[0].as<int64_t>();
      // 32 bits of the id for the lock: a collision only delays a pass.
      if (!tx.exec_prepared1("notify_attendance_try_lock", static_cast<int32_t>(id))[0]
               .as<bool>()) {
        continue;
      }
      for (const pqxx::row& m : tx.exec_prepared("notify_release_requests", id)) {
        Request& q = due[id];
        q.site = m["site_id"].as<int64_t>();
        q.start = absl::FromUnixMicros(m["start_micros"].as<int64_t>());
        q.answered |= m["answered"].as<bool>();
        q.reached |= m["reached"].as<bool>();
      }
    }
    if (due.empty()) return absl::OkStatus();
    std::vector<int64_t> ids;
    for (const auto& [id, q] : due) ids.push_back(id);
    const Call call = ctx_.gate->WorkerCall(absl::StrCat("notify-release-", ids.front()));
    ASSIGN_OR_RETURN(auto booked, booking_->Contacts(call, ids));
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx_.peers->Channel("booking"));
    auto stub = bv1::BookingService::NewStub(channel);
    for (const auto& [id, q] : due) {
      const char* outcome = "released";
      auto a = booked.find(id);
      if (q.answered) {
        outcome = "confirmed";
      } else if (!q.reached) {
        outcome = "not_reached";
      } else if (a == booked.end() || a->second.status() != bv1::BOOKED ||
                 FromProto(a->second.start_time()) != q.start) {
        outcome = "changed";
      } else {
        bv1::TransitionAppointmentRequest release;
        release.set_name(absl::StrCat("appointments/", id));
        release.set_request_id(DerivedRequestId(absl::StrCat("notify-release-", id), "release"));
        absl::StatusOr<bv1::Appointment> released =
            CallPeer<bv1::TransitionAppointmentRequest, bv1::Appointment>(
                *stub, call, absl::StrCat("release-", id),
                &bv1::BookingService::Stub::ReleaseUnconfirmed, release);
        // Booking saw it change in the meantime (arrived, cancelled): done.
        if (!released.ok() && released.status().code() == absl::StatusCode::kFailedPrecondition) {
          outcome = "changed";
        } else if (!released.ok()) {
          return released.status();
        }
      }
      tx.exec_prepared("notify_release_mark", id, db::SqlTime(now), outcome);
      ++decided;
    }
    tx.commit();
    return absl::OkStatus();
  }));
  return decided;
}

}  // namespace accueil::notify
