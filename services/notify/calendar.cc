// NotifyService: "add to my calendar" (GetCalendar). docs/notify.md#calendar.
// The file is the one the e-mails attach (ics.h), so that the person's
// calendar holds one event whichever way it came.
#include "absl/strings/str_cat.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/status_macros.h"
#include "services/notify/ics.h"
#include "services/notify/notify_service.h"

namespace accueil::notify {

grpc::Status NotifyService::GetCalendar(grpc::ServerContext* context,
                                        const v1::GetCalendarRequest* req, v1::CalendarFile* resp) {
  return ctx_.gate->Handle(
      context, "accueil.notify.v1.NotifyService.GetCalendar", [&](Call& call) -> absl::Status {
        // The person's file: the code is required here (booking would let an
        // agent in without one, and this is not an agent's tool).
        ASSIGN_OR_RETURN(std::string reference,
                         input::ParseReference(req->reference(), "reference"));
        ASSIGN_OR_RETURN(std::string code,
                         input::ParseAccessCode(req->access_code(), "access_code"));
        ASSIGN_OR_RETURN(bv1::Appointment a, booking_->ByCredentials(call, reference, code));
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(a.site(), "sites", "site"));
        ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(a.desk(), "desks", "desk"));
        call.SetResource(a.name(), site);
        ASSIGN_OR_RETURN(bv1::Site s, booking_->Site(call, site));
        ASSIGN_OR_RETURN(bv1::Desk d, booking_->Desk(call, site, desk));
        const std::string manage_url =
            absl::StrCat(options_.public_base_url, "/rdv#", a.reference(), "-", code);
        resp->Clear();
        resp->set_appointment(a.name());
        resp->set_ics(
            Calendar(AppointmentEvent(a, s, d, manage_url, options_.domain, ctx_.clock->Now())));
        return absl::OkStatus();
      });
}

}  // namespace accueil::notify
