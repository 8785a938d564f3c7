// BookingClient: what notify asks of booking, through booking's RPCs as a
// service (the module never reads booking's schema): the appointments'
// contact and management details at send time (GetAppointmentContacts),
// sites and desks (cached a few minutes: what a message says of them).
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/gate.h"
#include "services/common/peers.h"

namespace accueil::notify {

namespace bv1 = ::accueil::booking::v1;

// ContactOn: the person's address on `channel` ("email", "sms"); empty when
// they gave none.
inline const std::string& ContactOn(const bv1::Person& person, const std::string& channel) {
  return channel == "sms" ? person.phone() : person.email();
}

class BookingClient {
 public:
  BookingClient(Peers* peers, const Clock* clock) : peers_(peers), clock_(clock) {}

  // Contacts: the appointments found, by id (any number; asked 100 at a
  // time); with `noshows`, each person's no-shows at the site too.
  absl::StatusOr<std::map<int64_t, bv1::Appointment>> Contacts(
      const Call& call, const std::vector<int64_t>& ids, std::map<int64_t, int>* noshows = nullptr);
  // FindActive: the booked appointments still to come with this reference,
  // phone or e-mail (`kind`), with their contact.
  absl::StatusOr<std::vector<bv1::Appointment>> FindActive(const Call& call,
                                                           const std::string& kind,
                                                           const std::string& value);
  // ByCredentials: the appointment a reference and access code open
  // (booking checks the code; its errors come back as they are).
  absl::StatusOr<bv1::Appointment> ByCredentials(const Call& call, const std::string& reference,
                                                 const std::string& access_code);
  absl::StatusOr<bv1::Site> Site(const Call& call, int64_t site);
  // Desk: one desk of `site` (NOT_FOUND DESK_NOT_FOUND when the site has none such).
  absl::StatusOr<bv1::Desk> Desk(const Call& call, int64_t site, int64_t desk);
  // DeskSite: the site of `desk` (NOT_FOUND DESK_NOT_FOUND, field `field`).
  absl::StatusOr<int64_t> DeskSite(const Call& call, int64_t desk, const std::string& field);

 private:
  absl::StatusOr<std::unique_ptr<bv1::BookingService::Stub>> Stub();

  Peers* peers_;
  const Clock* clock_;
  absl::Mutex mu_;
  struct CachedSite {
    bv1::Site site;
    std::map<int64_t, bv1::Desk> desks;
    absl::Time fetched;
  };
  std::map<int64_t, CachedSite> sites_ ABSL_GUARDED_BY(mu_);
};

}  // namespace accueil::notify
