#include "services/metrics/slot_snapshot.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/log.h"
#include "services/common/peer_call.h"
#include "services/common/peers.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::metrics {
namespace {

namespace bv1 = ::accueil::booking::v1;

// How far ahead a person may look (ListSlots' longest window).
constexpr absl::Duration kHorizon = absl::Hours(24 * 400);

}  // namespace

SlotSnapshot::SlotSnapshot(const ServiceContext& context, absl::Duration interval)
    : ctx_(context), interval_(interval) {}

SlotSnapshot::~SlotSnapshot() { Stop(); }

void SlotSnapshot::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SlotSnapshot::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void SlotSnapshot::Run() {
  for (;;) {
    const absl::Status s = Pass();
    if (!s.ok()) {
      log::Warn("metrics_slot_snapshot.failed",
                {{"code", CodeName(s.code())}, {"reason", ErrorReason(s)}});
    }
    healthy_ = s.ok();
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    if (stopping_) return;
  }
}

absl::Status SlotSnapshot::Pass() {
  const absl::Time now = ctx_.clock->Now();
  Call call = ctx_.gate->WorkerCall(absl::StrCat("metrics-slots-", absl::ToUnixSeconds(now)));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx_.peers->Channel("booking"));
  auto stub = bv1::BookingService::NewStub(channel);
  bv1::ListSitesRequest sites_req;
  sites_req.set_page_size(100);
  do {
    ASSIGN_OR_RETURN(
        bv1::ListSitesResponse sites,
        (CallPeer<bv1::ListSitesRequest, bv1::ListSitesResponse>(
            *stub, call, "ListSites", &bv1::BookingService::Stub::ListSites, sites_req)));
    for (const bv1::Site& site : sites.sites()) {
      absl::TimeZone zone;
      if (!absl::LoadTimeZone(site.time_zone(), &zone)) continue;
      const absl::CivilDay today = absl::ToCivilDay(now, zone);
      const std::string date =
          absl::StrFormat("%04d-%02d-%02d", today.year(), today.month(), today.day());
      ASSIGN_OR_RETURN(const int64_t site_id, input::ParseResourceId(site.name(), "sites", "site"));
      auto complete = complete_.find(site_id);
      if (complete != complete_.end() && complete->second == today) continue;
      // The desks looked at today already (by this or another replica).
      std::set<int64_t> done;
      RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
        done.clear();
        pqxx::nontransaction tx(c);
        for (const auto& r : tx.exec_params("SELECT desk_id FROM metrics.next_free_slots WHERE "
                                            "site_id = $1 AND local_date = $2::date",
                                            site_id, date)) {
          done.insert(r[0].as<int64_t>());
        }
        return absl::OkStatus();
      }));
      bv1::ListDesksRequest desks_req;
      desks_req.set_parent(site.name());
      desks_req.set_page_size(100);
      do {
        ASSIGN_OR_RETURN(
            bv1::ListDesksResponse desks,
            (CallPeer<bv1::ListDesksRequest, bv1::ListDesksResponse>(
                *stub, call, "ListDesks", &bv1::BookingService::Stub::ListDesks, desks_req)));
        for (const bv1::Desk& desk : desks.desks()) {
          ASSIGN_OR_RETURN(const int64_t desk_id,
                           input::ParseResourceId(desk.name(), "desks", "desk"));
          if (done.count(desk_id) > 0) continue;
          bv1::ListSlotsRequest slots_req;
          slots_req.set_desk(desk.name());
          *slots_req.mutable_start_time() = ToProto(now);
          *slots_req.mutable_end_time() = ToProto(now + kHorizon);
          slots_req.set_page_size(1);
          ASSIGN_OR_RETURN(
              bv1::ListSlotsResponse slots,
              (CallPeer<bv1::ListSlotsRequest, bv1::ListSlotsResponse>(
                  *stub, call, "ListSlots", &bv1::BookingService::Stub::ListSlots, slots_req)));
          // "" (NULL): nothing released ahead.
          const std::string seconds =
              slots.slots().empty()
                  ? ""
                  : absl::StrCat(std::max<int64_t>(
                        0, absl::ToInt64Seconds(FromProto(slots.slots(0).start_time()) - now)));
          RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
            pqxx::work tx(c);
            const bool recorded =
                tx.exec_params(
                      "INSERT INTO metrics.next_free_slots (site_id, desk_id, "
                      "local_date, snapshot_time, seconds) VALUES ($1, $2, $3::date, "
                      "$4::timestamptz, NULLIF($5, '')::bigint) ON CONFLICT DO NOTHING",
                      site_id, desk_id, date, db::SqlTime(now), seconds)
                    .affected_rows() > 0;
            if (recorded) {
              tx.exec_params(
                  "SELECT metrics.add_observations('{}', ARRAY(SELECT o FROM "
                  "metrics.next_free_slots s, metrics.next_free_observations(s) o "
                  "WHERE s.site_id = $1 AND s.desk_id = $2 AND s.local_date = $3::date))",
                  site_id, desk_id, date);
            }
            tx.commit();
            return absl::OkStatus();
          }));
        }
        desks_req.set_page_token(desks.next_page_token());
      } while (!desks_req.page_token().empty());
      complete_[site_id] = today;  // every desk looked at (an error returned above)
    }
    sites_req.set_page_token(sites.next_page_token());
  } while (!sites_req.page_token().empty());
  return absl::OkStatus();
}

}  // namespace accueil::metrics
