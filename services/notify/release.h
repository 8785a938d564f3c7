// Attendance releases (docs/notify.md#attendance), worked by the senders
// after their claims: for each appointment whose attendance requests reached
// their deadline (`respond_by`) undecided, under the appointment's
// attendance lock (an advisory lock ConfirmAttendance takes too; a replica
// or a confirmation holding it leaves the appointment to the next pass),
// over all its requests:
//   confirmed      a request was answered (ConfirmAttendance): kept;
//   not_reached    no request reached the person (all dropped, refused,
//                  withdrawn): kept, nobody loses a place unasked;
//   changed        the appointment is no longer booked at that time (moved,
//                  cancelled, arrived): nothing to do;
//   released       otherwise: booking's ReleaseUnconfirmed cancels it
//                  (cause not_confirmed), its place goes back to the public,
//                  and the decider tells the person (a cancellation).
// The outcome is written on the requests in the transaction that decided
// it; a release booking already made is replayed (same request id).
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/server.h"
#include "services/notify/booking_client.h"

namespace accueil::notify {

class Releases {
 public:
  // Requests (appointments) worked per call at most.
  static constexpr int kBatch = 20;

  Releases(const ServiceContext& context, BookingClient* booking);

  // Work decides up to a batch of appointments; how many, or an error
  // (booking unreachable: they wait for the next pass).
  absl::StatusOr<int> Work(absl::Time now);

 private:
  const ServiceContext ctx_;
  BookingClient* booking_;
};

}  // namespace accueil::notify
