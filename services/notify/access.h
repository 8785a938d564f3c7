// Lost-access requests (ResendAccess, docs/notify.md#lost-access), worked
// by the senders before each claim: each queued request is looked up in
// booking (the coming appointments with that reference, phone or e-mail)
// and becomes an `access` message per appointment found, to the contact on
// file, in the same transaction that marks the request worked and forgets
// what was typed. At most 3 such messages per appointment a day.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/server.h"
#include "services/notify/booking_client.h"

namespace accueil::notify {

class AccessRequests {
 public:
  // Requests (appointments) worked per call at most.
  static constexpr int kBatch = 20;

  AccessRequests(const ServiceContext& context, BookingClient* booking, bool email, bool sms);

  // Work works up to a batch of queued requests (FOR UPDATE SKIP LOCKED:
  // replicas share them); how many, or an error (booking unreachable: the
  // requests stay queued).
  absl::StatusOr<int> Work(absl::Time now);

 private:
  const ServiceContext ctx_;
  BookingClient* booking_;
  const bool email_, sms_;
};

}  // namespace accueil::notify
