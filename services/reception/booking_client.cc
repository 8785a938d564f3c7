#include "services/reception/booking_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/grpc_status.h"
#include "services/common/peer_call.h"
#include "services/common/status_macros.h"

namespace accueil::reception {
namespace {

constexpr absl::Duration kZoneCacheTime = absl::Minutes(5);

std::string AppointmentName(int64_t id) { return absl::StrCat("appointments/", id); }

}  // namespace

absl::StatusOr<std::unique_ptr<bv1::BookingService::Stub>> BookingClient::Stub() {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, peers_->Channel("booking"));
  return bv1::BookingService::NewStub(channel);
}

absl::StatusOr<absl::TimeZone> BookingClient::SiteZone(const Call& call, int64_t site) {
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = zones_.find(site);
    if (it != zones_.end() && now - it->second.fetched < kZoneCacheTime) return it->second.zone;
  }
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::GetSiteRequest request;
  request.set_name(absl::StrCat("sites/", site));
  ASSIGN_OR_RETURN(bv1::Site s,
                   (CallPeer<bv1::GetSiteRequest, bv1::Site>(
                       *stub, call, "site", &bv1::BookingService::Stub::GetSite, request)));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(s.time_zone(), &zone)) {
    return Error(absl::StatusCode::kInternal, "TIME_ZONE_UNAVAILABLE",
                 "the site's time zone cannot be loaded");
  }
  absl::MutexLock lock(&mu_);
  zones_[site] = {zone, now};
  return zone;
}

absl::StatusOr<bv1::ListDesksResponse> BookingClient::Desks(const Call& call, int64_t site) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::ListDesksRequest request;
  request.set_parent(absl::StrCat("sites/", site));
  bv1::ListDesksResponse all;
  do {
    ASSIGN_OR_RETURN(bv1::ListDesksResponse page,
                     (CallPeer<bv1::ListDesksRequest, bv1::ListDesksResponse>(
                         *stub, call, "desks", &bv1::BookingService::Stub::ListDesks, request)));
    for (bv1::Desk& d : *page.mutable_desks()) *all.add_desks() = std::move(d);
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return all;
}

absl::StatusOr<bv1::Appointment> BookingClient::CheckIn(
    const Call& call, const bv1::CheckInAppointmentRequest& request) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  return CallPeer<bv1::CheckInAppointmentRequest, bv1::Appointment>(
      *stub, call, "check-in", &bv1::BookingService::Stub::CheckInAppointment, request);
}

absl::StatusOr<bv1::Appointment> BookingClient::Move(const Call& call, Transition t,
                                                     int64_t appointment,
                                                     const std::string& request_id) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::TransitionAppointmentRequest request;
  request.set_name(AppointmentName(appointment));
  request.set_request_id(request_id);
  switch (t) {
    case Transition::kStart:
      return CallPeer<bv1::TransitionAppointmentRequest, bv1::Appointment>(
          *stub, call, "start", &bv1::BookingService::Stub::StartService, request);
    case Transition::kComplete:
      return CallPeer<bv1::TransitionAppointmentRequest, bv1::Appointment>(
          *stub, call, "complete", &bv1::BookingService::Stub::CompleteAppointment, request);
  }
  return Error(absl::StatusCode::kInternal, "UNKNOWN_TRANSITION", "no such booking transition");
}

absl::StatusOr<bv1::Appointment> BookingClient::MarkNotServed(const Call& call, int64_t appointment,
                                                              bv1::NotServedCause cause,
                                                              const std::string& request_id) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::MarkNotServedRequest request;
  request.set_name(AppointmentName(appointment));
  request.set_cause(cause);
  request.set_request_id(request_id);
  return CallPeer<bv1::MarkNotServedRequest, bv1::Appointment>(
      *stub, call, "not-served", &bv1::BookingService::Stub::MarkNotServed, request);
}

absl::StatusOr<bv1::Appointment> BookingClient::Rebook(const Call& call, int64_t appointment,
                                                       const std::string& new_slot,
                                                       bv1::RebookCause cause,
                                                       const std::string& request_id) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::RebookAppointmentRequest request;
  request.set_name(AppointmentName(appointment));
  request.set_new_slot(new_slot);
  request.set_cause(cause);
  request.set_request_id(request_id);
  return CallPeer<bv1::RebookAppointmentRequest, bv1::Appointment>(
      *stub, call, "rebook", &bv1::BookingService::Stub::RebookAppointment, request);
}

absl::StatusOr<std::vector<bv1::Appointment>> BookingClient::DayAppointments(const Call& call,
                                                                             int64_t site,
                                                                             int64_t desk,
                                                                             absl::CivilDay day) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::ListDayAppointmentsRequest request;
  request.set_site(absl::StrCat("sites/", site));
  request.set_desk(absl::StrCat("desks/", desk));
  request.mutable_date()->set_year(static_cast<int>(day.year()));
  request.mutable_date()->set_month(day.month());
  request.mutable_date()->set_day(day.day());
  std::vector<bv1::Appointment> out;
  do {
    ASSIGN_OR_RETURN(
        bv1::ListDayAppointmentsResponse page,
        (CallPeer<bv1::ListDayAppointmentsRequest, bv1::ListDayAppointmentsResponse>(
            *stub, call, "day", &bv1::BookingService::Stub::ListDayAppointments, request)));
    for (bv1::DayAppointment& a : *page.mutable_appointments()) {
      out.push_back(std::move(*a.mutable_appointment()));
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return out;
}

absl::StatusOr<bv1::SweepNoShowsResponse> BookingClient::SweepNoShows(
    const Call& call, const bv1::SweepNoShowsRequest& request) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  return CallPeer<bv1::SweepNoShowsRequest, bv1::SweepNoShowsResponse>(
      *stub, call, "sweep", &bv1::BookingService::Stub::SweepNoShows, request);
}

}  // namespace accueil::reception
