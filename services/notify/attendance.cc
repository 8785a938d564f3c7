// NotifyService: attendance confirmation (GetAttendance, ConfirmAttendance).
// docs/notify.md#attendance. The link in the request carries the message
// and its token (tokens.h, kAttendancePurpose); confirming answers every
// request of the appointment (e-mail and SMS alike).
#include "absl/strings/str_cat.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/notify/notify_service.h"
#include "services/notify/tokens.h"

namespace accueil::notify {

grpc::Status NotifyService::GetAttendance(grpc::ServerContext* context,
                                          const v1::AttendanceRequest* req, v1::Attendance* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.GetAttendance",
                           [&](Call& call) { return DoAttendance(call, *req, false, resp); });
}

grpc::Status NotifyService::ConfirmAttendance(grpc::ServerContext* context,
                                              const v1::AttendanceRequest* req,
                                              v1::Attendance* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.ConfirmAttendance",
                           [&](Call& call) { return DoAttendance(call, *req, true, resp); });
}

absl::Status NotifyService::DoAttendance(Call& call, const v1::AttendanceRequest& req, bool confirm,
                                         v1::Attendance* out) {
  ASSIGN_OR_RETURN(int64_t id,
                   MessageFromLink(*ctx_.secrets, kAttendancePurpose, req.message(), req.token()));
  const absl::Time now = ctx_.clock->Now();
  int64_t appointment = 0, site = 0, desk = 0;
  absl::Time start, respond_by;
  bool confirmed = false, released = false;
  auto read = [&](pqxx::transaction_base& tx) {
    pqxx::result r = tx.exec_params(
        absl::StrCat("SELECT m.appointment_id, m.site_id, m.desk_id, ", db::Micros("m.start_time"),
                     " AS start, ", db::Micros("m.respond_by"),
                     " AS respond_by, EXISTS (SELECT 1 FROM notify.messages x "
                     "WHERE x.appointment_id = m.appointment_id AND x.template = 'attendance' "
                     "AND x.answer_time IS NOT NULL) AS confirmed, "
                     "m.release_outcome IS NOT DISTINCT FROM 'released' AS released "
                     "FROM notify.messages m WHERE m.id = $1 AND m.template = 'attendance'"),
        id);
    if (r.empty()) return;
    appointment = r[0]["appointment_id"].as<int64_t>();
    site = r[0]["site_id"].as<int64_t>();
    desk = r[0]["desk_id"].as<int64_t>();
    start = absl::FromUnixMicros(r[0]["start"].as<int64_t>());
    respond_by = absl::FromUnixMicros(r[0]["respond_by"].as<int64_t>());
    confirmed = r[0]["confirmed"].as<bool>();
    released = r[0]["released"].as<bool>();
  };
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    read(tx);
    return absl::OkStatus();
  }));
  if (appointment == 0) {
    return WithField(Error(absl::StatusCode::kNotFound, "ATTENDANCE_NOT_FOUND",
                           "this request is no longer kept"),
                     "message");
  }
  if (confirm && !confirmed) {
    if (released) {
      return WithField(Error(absl::StatusCode::kFailedPrecondition, "RELEASED",
                             "the deadline passed: the appointment was released"),
                       "message");
    }
    if (now >= respond_by) {
      return WithField(Error(absl::StatusCode::kFailedPrecondition, "CONFIRMATION_CLOSED",
                             "the deadline to confirm has passed"),
                       "message");
    }
    RETURN_IF_ERROR(RunChange(
        call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
        [&](pqxx::transaction_base& tx) -> absl::Status {
          call.SetResource(absl::StrCat("appointments/", appointment), site);
          // The release worker's lock (release.h): it decides either before
          // (this then finds the requests decided) or after (it then finds
          // them answered). Every request of the appointment, before its
          // deadline only.
          tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('notify.attendance'), $1::integer)",
                         static_cast<int32_t>(appointment));
          tx.exec_params(
              "UPDATE notify.messages SET answer_time = $2::timestamptz, "
              "update_time = $2::timestamptz WHERE appointment_id = $1 "
              "AND template = 'attendance' AND answer_time IS NULL AND release_time IS NULL "
              "AND respond_by > $2::timestamptz",
              appointment, db::SqlTime(now));
          read(tx);
          return absl::OkStatus();
        }));
    if (!confirmed) {
      return WithField(Error(absl::StatusCode::kFailedPrecondition, "CONFIRMATION_CLOSED",
                             "the deadline to confirm has passed"),
                       "message");
    }
  }
  call.SetResource(absl::StrCat("appointments/", appointment), site);
  ASSIGN_OR_RETURN(bv1::Site s, booking_->Site(call, site));
  ASSIGN_OR_RETURN(bv1::Desk d, booking_->Desk(call, site, desk));
  out->Clear();
  out->set_appointment(absl::StrCat("appointments/", appointment));
  out->set_site_display_name(s.display_name());
  out->set_desk_display_name(d.display_name());
  *out->mutable_start_time() = ToProto(start);
  *out->mutable_respond_by() = ToProto(respond_by);
  out->set_confirmed(confirmed);
  out->set_released(released);
  out->set_time_zone(s.time_zone());
  return absl::OkStatus();
}

}  // namespace accueil::notify
