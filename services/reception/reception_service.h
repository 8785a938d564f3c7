// ReceptionService: the lodge, the queue, the counters
// (proto/accueil/reception/v1/reception.proto; behaviour in
// docs/reception.md).
//
// A step that moves the appointment asks booking first (BookingClient, with
// a request id derived from reception's), then writes reception's side in
// one transaction that claims reception's request id: a retry replays both.
// If the second half fails, the appointment has moved and the visit has not;
// the reconciliation pass of the day worker (day_worker.h) repairs it.
//
// Every change to a site's queue takes the site's next sequence number and
// notifies `reception_queue` in its transaction (reception.queue_changed),
// which feeds WatchQueue on every replica.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "accueil/reception/v1/reception.grpc.pb.h"
#include "services/common/idempotency.h"
#include "services/common/server.h"
#include "services/reception/booking_client.h"
#include "services/reception/queue_feed.h"

namespace accueil::reception {

namespace v1 = ::accueil::reception::v1;
struct VisitMove;  // reception_service.cc

class ReceptionService final
    : public v1::ReceptionService::WithCallbackMethod_WatchQueue<v1::ReceptionService::Service> {
 public:
  // `feed` serves WatchQueue (queue_feed.h); the module runs it.
  ReceptionService(const ServiceContext& context, QueueFeed* feed);

  grpc::Status ListDeskSettings(grpc::ServerContext*, const v1::ListDeskSettingsRequest*,
                                v1::ListDeskSettingsResponse*) override;
  grpc::Status UpdateDeskSettings(grpc::ServerContext*, const v1::UpdateDeskSettingsRequest*,
                                  v1::DeskSettings*) override;
  grpc::Status CreateCounter(grpc::ServerContext*, const v1::CreateCounterRequest*,
                             v1::Counter*) override;
  grpc::Status ListCounters(grpc::ServerContext*, const v1::ListCountersRequest*,
                            v1::ListCountersResponse*) override;
  grpc::Status OpenCounter(grpc::ServerContext*, const v1::OpenCounterRequest*,
                           v1::Counter*) override;
  grpc::Status CloseCounter(grpc::ServerContext*, const v1::CounterRequest*, v1::Counter*) override;
  grpc::Status CheckInVisitor(grpc::ServerContext*, const v1::CheckInVisitorRequest*,
                              v1::Visit*) override;
  grpc::Status RegisterWalkIn(grpc::ServerContext*, const v1::RegisterWalkInRequest*,
                              v1::WalkIn*) override;
  grpc::Status CallNextVisitor(grpc::ServerContext*, const v1::CounterRequest*,
                               v1::Visit*) override;
  grpc::Status RecallVisitor(grpc::ServerContext*, const v1::VisitRequest*, v1::Visit*) override;
  grpc::Status StartVisit(grpc::ServerContext*, const v1::VisitRequest*, v1::Visit*) override;
  grpc::Status FinishVisit(grpc::ServerContext*, const v1::FinishVisitRequest*,
                           v1::FinishVisitResponse*) override;
  grpc::Status TransferVisitor(grpc::ServerContext*, const v1::TransferVisitorRequest*,
                               v1::Visit*) override;
  grpc::Status MarkVisitorLeft(grpc::ServerContext*, const v1::VisitRequest*, v1::Visit*) override;
  grpc::Status SendAwayVisitor(grpc::ServerContext*, const v1::SendAwayVisitorRequest*,
                               v1::FinishVisitResponse*) override;
  grpc::Status CloseDay(grpc::ServerContext*, const v1::CloseDayRequest*,
                        v1::CloseDayResponse*) override;
  grpc::Status GetQueue(grpc::ServerContext*, const v1::GetQueueRequest*, v1::QueueState*) override;
  grpc::Status GetVisit(grpc::ServerContext*, const v1::GetVisitRequest*, v1::Visit*) override;
  grpc::ServerWriteReactor<v1::QueueUpdate>* WatchQueue(grpc::CallbackServerContext* context,
                                                        const v1::WatchQueueRequest* req) override;

  // CloseDeskDays closes the site's reception day `day` at `desks` (every
  // desk open that day when empty), for CloseDay and the day worker: people
  // still waiting or called are sent away, and with `automatic` people in
  // service are finished as served; then the days and the counters close.
  // `parent_id` derives every request id, so a retried pass replays.
  // Without `automatic`, anyone still waiting is PEOPLE_STILL_WAITING
  // unless `send_away`, and anyone in service COUNTER_STILL_SERVING.
  absl::StatusOr<v1::CloseDayResponse> CloseDeskDays(Call& call, int64_t site, absl::CivilDay day,
                                                     std::vector<int64_t> desks, bool automatic,
                                                     bool send_away, const std::string& parent_id);

  // RepairArrivals gives a ticket to every appointment of the desk's day
  // that booking has as arrived and that has no visit (a check-in whose
  // second half failed); returns how many.
  absl::StatusOr<int> RepairArrivals(Call& call, int64_t site, int64_t desk, absl::CivilDay day,
                                     const std::string& parent_id);

  BookingClient& booking() { return booking_; }

 private:
  // Today in the site's zone.
  absl::StatusOr<absl::CivilDay> Today(const Call& call, int64_t site);
  // The desk must be one of the site's (booking's desks): NOT_FOUND
  // DESK_NOT_FOUND on `field` otherwise.
  absl::Status DeskOfSite(const Call& call, int64_t site, int64_t desk, std::string_view field);
  // DesksOfSite: the same for several, `field(i)` naming the i-th.
  absl::Status DesksOfSite(const Call& call, int64_t site, const std::vector<int64_t>& desks,
                           const std::function<std::string(size_t)>& field);
  // Settings (created with the defaults on first use).
  absl::Status LoadSettings(int64_t site, int64_t desk, v1::DeskSettings* out);
  absl::Status LoadCounter(int64_t id, absl::CivilDay today, v1::Counter* out);
  // LoadVisit fills `out`; NOT_FOUND VISIT_NOT_FOUND on field `visit`.
  absl::Status LoadVisit(int64_t id, v1::Visit* out);
  // AuthorizeVisit loads the visit named by `name` and authorizes the
  // caller on its site.
  absl::StatusOr<int64_t> AuthorizeVisit(Call& call, const std::string& name, v1::Visit* out);
  // AuthorizeCounter: the same for counter `id`, reading only its site (its
  // day is not known yet); NOT_FOUND COUNTER_NOT_FOUND on field `counter`.
  absl::StatusOr<int64_t> AuthorizeCounter(Call& call, int64_t id);
  // IssueTicket gives a ticket to an arrived appointment (or a walk-in:
  // appointment 0) in the desk's queue; an appointment that already has a
  // visit gets that visit back.
  absl::StatusOr<int64_t> IssueTicket(Call& call, const Idempotency& idem, int64_t site,
                                      int64_t desk, absl::CivilDay day, int64_t appointment,
                                      bool priority, bool late, absl::Time due);
  // ChangeVisit makes `move` (VisitMove, reception_service.cc); `args` are its $3...
  template <typename... Args>
  absl::Status ChangeVisit(Call& call, const Idempotency& idem, const v1::Visit& visit,
                           const VisitMove& move, const Args&... args);
  // EndVisit ends a waiting or called visit as `status` (missed, left,
  // sent_away), booking's appointment first (not_served with `cause`).
  absl::Status EndVisit(Call& call, const Idempotency& idem, const v1::Visit& visit,
                        const char* status, booking::v1::NotServedCause cause);

  // AlreadyDone: reception's half of request `idem` committed (a retry):
  // true; REQUEST_ID_REUSED when the id came with another request.
  absl::StatusOr<bool> AlreadyDone(const Idempotency& idem);

  const ServiceContext ctx_;
  QueueFeed* const feed_;
  BookingClient booking_;
};

}  // namespace accueil::reception
