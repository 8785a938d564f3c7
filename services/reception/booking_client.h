// BookingClient: what reception asks of booking, through booking's RPCs (the
// module never reads booking's schema). Every call is made for the call
// being served (Call::Downstream): as this process's service identity,
// acting for the agent or device, with the agent's reason. Booking's errors
// come back as they are (code, reason, field), so that the lodge sees
// "ARRIVAL_LATE" as booking said it.
//
// Transitions carry a request id derived from reception's own request id
// and the step, so a retried reception request replays booking's change
// instead of making it twice.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/gate.h"
#include "services/common/peers.h"

namespace accueil::reception {

namespace bv1 = ::accueil::booking::v1;

class BookingClient {
 public:
  BookingClient(Peers* peers, const Clock* clock) : peers_(peers), clock_(clock) {}

  // The site's time zone (cached for a few minutes: zones do not change
  // while people wait).
  absl::StatusOr<absl::TimeZone> SiteZone(const Call& call, int64_t site);
  // The site's desks (validating a desk named by a client).
  absl::StatusOr<bv1::ListDesksResponse> Desks(const Call& call, int64_t site);

  absl::StatusOr<bv1::Appointment> CheckIn(const Call& call, const bv1::CheckInAppointmentRequest&);
  // MarkArrived, StartService, CompleteAppointment, MarkNoShow.
  enum class Transition { kStart, kComplete };
  absl::StatusOr<bv1::Appointment> Move(const Call& call, Transition t, int64_t appointment,
                                        const std::string& request_id);
  absl::StatusOr<bv1::Appointment> MarkNotServed(const Call& call, int64_t appointment,
                                                 bv1::NotServedCause cause,
                                                 const std::string& request_id);
  // The desk's appointments of `day` (every page).
  absl::StatusOr<std::vector<bv1::Appointment>> DayAppointments(const Call& call, int64_t site,
                                                                int64_t desk, absl::CivilDay day);
  absl::StatusOr<bv1::SweepNoShowsResponse> SweepNoShows(const Call& call,
                                                         const bv1::SweepNoShowsRequest& request);
  absl::StatusOr<bv1::Appointment> Rebook(const Call& call, int64_t appointment,
                                          const std::string& new_slot, bv1::RebookCause cause,
                                          const std::string& request_id);

 private:
  absl::StatusOr<std::unique_ptr<bv1::BookingService::Stub>> Stub();

  Peers* peers_;
  const Clock* clock_;
  absl::Mutex mu_;
  struct CachedZone {
    absl::TimeZone zone;
    absl::Time fetched;
  };
  std::map<int64_t, CachedZone> zones_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accueil::reception
