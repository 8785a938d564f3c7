#include "services/notify/booking_client.h"

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/peer_call.h"
#include "services/common/status_macros.h"

namespace accueil::notify {
namespace {

// How long a site's name, address and desks are reused.
constexpr absl::Duration kSiteCacheTime = absl::Minutes(5);
constexpr int kContactsPerCall = 100;

}  // namespace

absl::StatusOr<std::unique_ptr<bv1::BookingService::Stub>> BookingClient::Stub() {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, peers_->Channel("booking"));
  return bv1::BookingService::NewStub(channel);
}

absl::StatusOr<std::map<int64_t, bv1::Appointment>> BookingClient::Contacts(
    const Call& call, const std::vector<int64_t>& ids, std::map<int64_t, int>* noshows) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  std::map<int64_t, bv1::Appointment> out;
  for (size_t i = 0; i < ids.size(); i += kContactsPerCall) {
    bv1::GetAppointmentContactsRequest request;
    request.set_with_noshow_counts(noshows != nullptr);
    for (size_t k = i; k < ids.size() && k < i + kContactsPerCall; ++k) {
      request.add_names(absl::StrCat("appointments/", ids[k]));
    }
    ASSIGN_OR_RETURN(
        bv1::GetAppointmentContactsResponse page,
        (CallPeer<bv1::GetAppointmentContactsRequest, bv1::GetAppointmentContactsResponse>(
            *stub, call, absl::StrCat("contacts-", i),
            &bv1::BookingService::Stub::GetAppointmentContacts, request)));
    for (bv1::Appointment& a : *page.mutable_appointments()) {
      absl::StatusOr<int64_t> id = input::ParseResourceId(a.name(), "appointments", "name");
      if (!id.ok()) continue;
      if (noshows != nullptr) {
        auto count = page.noshow_counts().find(a.name());
        (*noshows)[*id] = count == page.noshow_counts().end() ? 0 : count->second;
      }
      out[*id] = std::move(a);
    }
  }
  return out;
}

absl::StatusOr<std::vector<bv1::Appointment>> BookingClient::FindActive(const Call& call,
                                                                        const std::string& kind,
                                                                        const std::string& value) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::FindActiveAppointmentsRequest request;
  if (kind == "reference") request.set_reference(value);
  if (kind == "phone") request.set_phone(value);
  if (kind == "email") request.set_email(value);
  ASSIGN_OR_RETURN(
      bv1::GetAppointmentContactsResponse found,
      (CallPeer<bv1::FindActiveAppointmentsRequest, bv1::GetAppointmentContactsResponse>(
          *stub, call, "find-active", &bv1::BookingService::Stub::FindActiveAppointments,
          request)));
  return std::vector<bv1::Appointment>(found.appointments().begin(), found.appointments().end());
}

absl::StatusOr<bv1::Appointment> BookingClient::ByCredentials(const Call& call,
                                                              const std::string& reference,
                                                              const std::string& access_code) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::GetAppointmentRequest request;
  request.set_reference(reference);
  request.set_access_code(access_code);
  return CallPeer<bv1::GetAppointmentRequest, bv1::Appointment>(
      *stub, call, "by-credentials", &bv1::BookingService::Stub::GetAppointment, request);
}

absl::StatusOr<bv1::Site> BookingClient::Site(const Call& call, int64_t site) {
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = sites_.find(site);
    if (it != sites_.end() && now - it->second.fetched < kSiteCacheTime) return it->second.site;
  }
  ASSIGN_OR_RETURN(auto stub, Stub());
  CachedSite cached;
  cached.fetched = now;
  bv1::GetSiteRequest get;
  get.set_name(absl::StrCat("sites/", site));
  ASSIGN_OR_RETURN(cached.site,
                   (CallPeer<bv1::GetSiteRequest, bv1::Site>(
                       *stub, call, "site", &bv1::BookingService::Stub::GetSite, get)));
  bv1::ListDesksRequest list;
  list.set_parent(get.name());
  do {
    ASSIGN_OR_RETURN(bv1::ListDesksResponse page,
                     (CallPeer<bv1::ListDesksRequest, bv1::ListDesksResponse>(
                         *stub, call, "desks", &bv1::BookingService::Stub::ListDesks, list)));
    for (bv1::Desk& d : *page.mutable_desks()) {
      absl::StatusOr<int64_t> id = input::ParseResourceId(d.name(), "desks", "name");
      if (id.ok()) cached.desks[*id] = std::move(d);
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  absl::MutexLock lock(&mu_);
  sites_[site] = cached;
  return cached.site;
}

absl::StatusOr<int64_t> BookingClient::DeskSite(const Call& call, int64_t desk,
                                                const std::string& field) {
  ASSIGN_OR_RETURN(auto stub, Stub());
  bv1::ListDesksRequest list;  // every site's desks
  const std::string name = absl::StrCat("desks/", desk);
  do {
    ASSIGN_OR_RETURN(bv1::ListDesksResponse page,
                     (CallPeer<bv1::ListDesksRequest, bv1::ListDesksResponse>(
                         *stub, call, "desks", &bv1::BookingService::Stub::ListDesks, list)));
    for (const bv1::Desk& d : page.desks()) {
      if (d.name() == name) return input::ParseResourceId(d.site(), "sites", "site");
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  return WithField(Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk"), field);
}

absl::StatusOr<bv1::Desk> BookingClient::Desk(const Call& call, int64_t site, int64_t desk) {
  RETURN_IF_ERROR(Site(call, site).status());
  absl::MutexLock lock(&mu_);
  const CachedSite& cached = sites_[site];
  auto it = cached.desks.find(desk);
  if (it == cached.desks.end()) {
    return WithField(Error(absl::StatusCode::kNotFound, "DESK_NOT_FOUND", "no such desk"), "desk");
  }
  return it->second;
}

}  // namespace accueil::notify
