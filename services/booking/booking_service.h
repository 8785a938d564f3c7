// BookingService: sites, desks, opening hours, slots and appointments
// (proto/accueil/booking/v1/booking.proto; behaviour in docs/booking.md).
//
// Handlers validate every field before anything is written, then call one
// SQL function or one explicit transaction (db/migrations/0002_booking.sql
// holds the invariants). Time comes from the injected Clock and is passed to
// SQL, so tests decide what "now" is. Thread-safe: no mutable state.
//
//   The booking module (module.h) serves it: BookingService service(context);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/gate.h"
#include "services/common/idempotency.h"
#include "services/common/server.h"

namespace accueil::booking {

namespace v1 = ::accueil::booking::v1;

// BookingOptions: the booking module's configuration keys (module.cc
// declares them; docs/operations.md#configuration).
struct BookingOptions {
  // booking_arrival_opens_before: how long before its slot an appointment
  // may be checked in (on the slot's local day only).
  absl::Duration arrival_opens_before = absl::Hours(2);
  // booking_noshow_window: the days over which ListDayAppointments counts a
  // person's no-shows.
  int noshow_window_days = 183;
};

class BookingService final : public v1::BookingService::Service {
 public:
  BookingService(const ServiceContext& context, const BookingOptions& options);

  grpc::Status ListSites(grpc::ServerContext*, const v1::ListSitesRequest*,
                         v1::ListSitesResponse*) override;
  grpc::Status GetSite(grpc::ServerContext*, const v1::GetSiteRequest*, v1::Site*) override;
  grpc::Status ListDesks(grpc::ServerContext*, const v1::ListDesksRequest*,
                         v1::ListDesksResponse*) override;
  grpc::Status ListSlots(grpc::ServerContext*, const v1::ListSlotsRequest*,
                         v1::ListSlotsResponse*) override;
  grpc::Status ListAvailableDays(grpc::ServerContext*, const v1::ListAvailableDaysRequest*,
                                 v1::ListAvailableDaysResponse*) override;
  grpc::Status CreateSite(grpc::ServerContext*, const v1::CreateSiteRequest*, v1::Site*) override;
  grpc::Status CreateDesk(grpc::ServerContext*, const v1::CreateDeskRequest*, v1::Desk*) override;
  grpc::Status UpdateDesk(grpc::ServerContext*, const v1::UpdateDeskRequest*, v1::Desk*) override;
  grpc::Status GetOpeningHours(grpc::ServerContext*, const v1::GetOpeningHoursRequest*,
                               v1::OpeningHours*) override;
  grpc::Status SetOpeningHours(grpc::ServerContext*, const v1::SetOpeningHoursRequest*,
                               v1::OpeningHours*) override;
  grpc::Status ReleaseSlots(grpc::ServerContext*, const v1::ReleaseSlotsRequest*,
                            v1::ReleaseSlotsResponse*) override;
  grpc::Status CreateAppointment(grpc::ServerContext*, const v1::CreateAppointmentRequest*,
                                 v1::Appointment*) override;
  grpc::Status GetAppointment(grpc::ServerContext*, const v1::GetAppointmentRequest*,
                              v1::Appointment*) override;
  grpc::Status CancelAppointment(grpc::ServerContext*, const v1::CancelAppointmentRequest*,
                                 v1::Appointment*) override;
  grpc::Status RescheduleAppointment(grpc::ServerContext*, const v1::RescheduleAppointmentRequest*,
                                     v1::Appointment*) override;
  grpc::Status SearchAppointments(grpc::ServerContext*, const v1::SearchAppointmentsRequest*,
                                  v1::SearchAppointmentsResponse*) override;
  grpc::Status ResetAccessCode(grpc::ServerContext*, const v1::ResetAccessCodeRequest*,
                               v1::Appointment*) override;
  grpc::Status CheckInAppointment(grpc::ServerContext*, const v1::CheckInAppointmentRequest*,
                                  v1::Appointment*) override;
  grpc::Status MarkArrived(grpc::ServerContext*, const v1::TransitionAppointmentRequest*,
                           v1::Appointment*) override;
  grpc::Status StartService(grpc::ServerContext*, const v1::TransitionAppointmentRequest*,
                            v1::Appointment*) override;
  grpc::Status CompleteAppointment(grpc::ServerContext*, const v1::TransitionAppointmentRequest*,
                                   v1::Appointment*) override;
  grpc::Status MarkNoShow(grpc::ServerContext*, const v1::TransitionAppointmentRequest*,
                          v1::Appointment*) override;
  grpc::Status MarkNotServed(grpc::ServerContext*, const v1::MarkNotServedRequest*,
                             v1::Appointment*) override;
  grpc::Status RebookAppointment(grpc::ServerContext*, const v1::RebookAppointmentRequest*,
                                 v1::Appointment*) override;
  grpc::Status SweepNoShows(grpc::ServerContext*, const v1::SweepNoShowsRequest*,
                            v1::SweepNoShowsResponse*) override;
  grpc::Status ListDayAppointments(grpc::ServerContext*, const v1::ListDayAppointmentsRequest*,
                                   v1::ListDayAppointmentsResponse*) override;
  grpc::Status GetAppointmentContacts(grpc::ServerContext*,
                                      const v1::GetAppointmentContactsRequest*,
                                      v1::GetAppointmentContactsResponse*) override;
  grpc::Status ReleaseUnconfirmed(grpc::ServerContext*, const v1::TransitionAppointmentRequest*,
                                  v1::Appointment*) override;
  grpc::Status FindActiveAppointments(grpc::ServerContext*,
                                      const v1::FindActiveAppointmentsRequest*,
                                      v1::GetAppointmentContactsResponse*) override;
  grpc::Status ExportPersonData(grpc::ServerContext*, const v1::ExportPersonDataRequest*,
                                v1::ExportPersonDataResponse*) override;
  grpc::Status ErasePersonData(grpc::ServerContext*, const v1::ErasePersonDataRequest*,
                               v1::ErasePersonDataResponse*) override;

 private:
  // Catalogue (catalog.cc).
  absl::Status DoListSites(Call& call, const v1::ListSitesRequest&, v1::ListSitesResponse*);
  absl::Status DoListDesks(Call& call, const v1::ListDesksRequest&, v1::ListDesksResponse*);
  absl::Status DoListSlots(Call& call, const v1::ListSlotsRequest&, v1::ListSlotsResponse*);
  absl::Status DoListAvailableDays(Call& call, const v1::ListAvailableDaysRequest&,
                                   v1::ListAvailableDaysResponse*);
  absl::Status DoCreateSite(Call& call, const v1::CreateSiteRequest&, v1::Site*);
  absl::Status DoCreateDesk(Call& call, const v1::CreateDeskRequest&, v1::Desk*);
  absl::Status DoUpdateDesk(Call& call, const v1::UpdateDeskRequest&, v1::Desk*);
  absl::Status DoGetOpeningHours(int64_t desk_id, v1::OpeningHours*);
  absl::Status DoSetOpeningHours(Call& call, const v1::SetOpeningHoursRequest&, v1::OpeningHours*);
  absl::Status DoReleaseSlots(Call& call, const v1::ReleaseSlotsRequest&,
                              v1::ReleaseSlotsResponse*);
  absl::Status DoGetSite(Call& call, const v1::GetSiteRequest&, v1::Site*);
  absl::Status GetSite(int64_t id, v1::Site*);
  // SiteExists: OK, or NOT_FOUND SITE_NOT_FOUND on field `site`.
  absl::Status SiteExists(int64_t id);
  absl::Status GetDesk(int64_t id, v1::Desk*);
  // AuthorizeDesk loads desk `id` and authorizes the caller on its site;
  // returns the site id.
  absl::StatusOr<int64_t> AuthorizeDesk(Call& call, int64_t id, v1::Desk* out);

  // Appointments (appointments.cc).
  absl::Status DoCreateAppointment(Call& call, const v1::CreateAppointmentRequest&,
                                   v1::Appointment*);
  absl::Status DoGetAppointment(Call& call, const v1::GetAppointmentRequest&, v1::Appointment*);
  absl::Status DoCancelAppointment(Call& call, const v1::CancelAppointmentRequest&,
                                   v1::Appointment*);
  absl::Status DoRescheduleAppointment(Call& call, const v1::RescheduleAppointmentRequest&,
                                       v1::Appointment*);
  absl::Status DoSearchAppointments(Call& call, const v1::SearchAppointmentsRequest&,
                                    v1::SearchAppointmentsResponse*);
  absl::Status DoResetAccessCode(Call& call, const v1::ResetAccessCodeRequest&, v1::Appointment*);
  absl::Status DoCheckIn(Call& call, const v1::CheckInAppointmentRequest&, v1::Appointment*);
  absl::Status DoTransition(Call& call, const char* method, const char* to,
                            const v1::TransitionAppointmentRequest&, v1::Appointment*);
  absl::Status DoMarkNotServed(Call& call, const v1::MarkNotServedRequest&, v1::Appointment*);
  absl::Status DoRebook(Call& call, const v1::RebookAppointmentRequest&, v1::Appointment*);
  // Arrival: how an arrival is checked (booking.transition's window); none
  // for the other transitions.
  struct Arrival {
    absl::Duration grace;
    bool late_accepted = false;
    const char* field;  // the request field the window's errors name
  };
  // ParseArrival validates an arrival's grace period and, with
  // late_accepted, that an agent decides (x-acting-agent) and says why.
  // `grace_period` is null when unset.
  absl::StatusOr<Arrival> ParseArrival(const Call& call,
                                       const google::protobuf::Duration* grace_period,
                                       bool late_accepted, const char* field) const;
  // RunTransition moves appointment `id` to status `to` (booking.transition),
  // recording the caller's actor kind and `cause` ("" for none) in the event;
  // an arrival is checked against its window.
  absl::Status RunTransition(Call& call, const Idempotency& idem, int64_t id, const char* to,
                             const std::string& reason, const char* cause, v1::Appointment* out,
                             const std::optional<Arrival>& arrival = std::nullopt);
  // WithFreshReference runs `attempt` with a new reference until it is not
  // REFERENCE_TAKEN, at most three times.
  absl::Status WithFreshReference(const std::function<absl::Status(const std::string&)>& attempt);
  // The day's work for reception (day.cc).
  absl::Status DoSweepNoShows(Call& call, const v1::SweepNoShowsRequest&,
                              v1::SweepNoShowsResponse*);
  absl::Status DoListDayAppointments(Call& call, const v1::ListDayAppointmentsRequest&,
                                     v1::ListDayAppointmentsResponse*);
  absl::Status DoGetAppointmentContacts(Call& call, const v1::GetAppointmentContactsRequest&,
                                        v1::GetAppointmentContactsResponse*);
  absl::Status DoReleaseUnconfirmed(Call& call, const v1::TransitionAppointmentRequest&,
                                    v1::Appointment*);
  absl::Status DoFindActiveAppointments(Call& call, const v1::FindActiveAppointmentsRequest&,
                                        v1::GetAppointmentContactsResponse*);
  // Person rights (person_data.cc).
  absl::Status DoExportPersonData(Call& call, const v1::ExportPersonDataRequest&,
                                  v1::ExportPersonDataResponse*);
  absl::Status DoErasePersonData(Call& call, const v1::ErasePersonDataRequest&,
                                 v1::ErasePersonDataResponse*);
  // FillAppointment fills `out` from a booking.appointment_details row,
  // with the derived access code and check-in token; returns the code version.
  int FillAppointment(const pqxx::row& row, v1::Appointment* out) const;
  // LoadAppointment fills `out` from the database (id > 0) or by reference;
  // with `check_code_lock` (by reference), a reference locked against
  // guessing is RESOURCE_EXHAUSTED ACCESS_CODE_LOCKED, in the same query.
  absl::Status LoadAppointment(int64_t id, const std::string& reference, v1::Appointment* out,
                               int* code_version, bool check_code_lock = false);
  // Authorize loads the appointment by reference and checks the access code
  // (with the lock against guessing), or, without a code, that the caller is
  // an agent of the appointment's site with a reason.
  absl::StatusOr<int64_t> Authorize(Call& call, const std::string& raw_reference,
                                    const std::string& raw_code, v1::Appointment* out);
  // AuthorizeOnAppointment loads appointment `id` and checks the caller's
  // site-scoped role on its site.
  absl::Status AuthorizeOnAppointment(Call& call, int64_t id, int* code_version);

  ServiceContext ctx_;
  BookingOptions options_;
};

}  // namespace accueil::booking
