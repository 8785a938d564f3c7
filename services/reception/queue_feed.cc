#include "services/reception/queue_feed.h"

#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"
#include "services/reception/visits.h"

namespace accueil::reception {
namespace {

constexpr char kChannel[] = "reception_queue";
// How long one wait on the connection lasts: the delay of a Stop() or of a
// new watch's state.
constexpr long kWaitSliceMicros = 50000;

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, std::vector<std::string>* received)
      : pqxx::notification_receiver(c, kChannel), received_(received) {}
  void operator()(const std::string& payload, int) override { received_->push_back(payload); }

 private:
  std::vector<std::string>* received_;
};

v1::VisitStatus StatusOf(const std::string& s) {
  v1::VisitStatus out = v1::VISIT_STATUS_UNSPECIFIED;
  std::string upper;
  for (char c : s) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return v1::VisitStatus_Parse(upper, &out) ? out : v1::VISIT_STATUS_UNSPECIFIED;
}

}  // namespace

QueueWatch::QueueWatch(Gate* gate, grpc::CallbackServerContext* context, QueueFeed* feed,
                       BookingClient* booking, const v1::WatchQueueRequest& request)
    : ServerStream(gate, context, "accueil.reception.v1.ReceptionService.WatchQueue"),
      feed_(feed),
      booking_(booking),
      request_(request) {}

absl::Status QueueWatch::Opened(Call& call) {
  ASSIGN_OR_RETURN(site_, input::ParseResourceId(request_.site(), "sites", "site"));
  RETURN_IF_ERROR(call.AuthorizeSite(site_));
  call.SetResource(request_.site(), site_);
  ASSIGN_OR_RETURN(zone_, booking_->SiteZone(call, site_));
  feed_->Add(this);
  return absl::OkStatus();
}

void QueueWatch::Closed() { feed_->Remove(this); }

QueueFeed::QueueFeed(db::Pool* pool, const Clock* clock, absl::Duration keep_alive)
    : pool_(pool), clock_(clock), keep_alive_(keep_alive) {
  PrepareQueueStatements(*pool_);
}

QueueFeed::~QueueFeed() { Stop(); }

void QueueFeed::Start() {
  thread_ = std::thread([this] { Run(); });
}

void QueueFeed::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool QueueFeed::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void QueueFeed::Add(QueueWatch* watch) {
  absl::MutexLock lock(&mu_);
  Watched w;
  w.site = watch->site_;
  w.zone = watch->zone_;
  watches_[watch] = w;
}

void QueueFeed::Remove(QueueWatch* watch) {
  // The feed sends under mu_, so once erased here it never touches `watch`.
  absl::MutexLock lock(&mu_);
  watches_.erase(watch);
}

void QueueFeed::Run() {
  while (!Stopping()) {
    absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = pool_->OpenDedicated();
    if (!conn.ok()) {
      healthy_ = false;
      absl::SleepFor(absl::Seconds(1));
      continue;
    }
    try {
      Serve(**conn);
    } catch (const std::exception& e) {
      log::Warn("queue_feed.connection_lost", {{"error", e.what()}});
      healthy_ = false;
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
}

void QueueFeed::Serve(pqxx::connection& conn) {
  std::vector<std::string> received;
  Receiver receiver(conn, &received);
  {
    // Listening again: what was sent before may have missed changes.
    absl::MutexLock lock(&mu_);
    for (auto& [watch, w] : watches_) w.sent = -1;
  }
  healthy_ = true;
  absl::Time next_keep_alive = absl::Now() + keep_alive_;
  while (!Stopping()) {
    conn.await_notification(0, kWaitSliceMicros);
    for (const std::string& payload : received) Apply(payload);
    received.clear();
    const bool keep_alive = absl::Now() >= next_keep_alive;
    if (keep_alive) next_keep_alive = absl::Now() + keep_alive_;
    SendStates(keep_alive);
  }
}

void QueueFeed::Apply(const std::string& payload) {
  nlohmann::json change = nlohmann::json::parse(payload, nullptr, false);
  if (change.is_discarded() || !change.contains("site") || !change.contains("sequence")) {
    log::Warn("queue_feed.bad_notification", {});
    return;
  }
  const int64_t site = change["site"].get<int64_t>();
  const int64_t sequence = change["sequence"].get<int64_t>();
  // The desks' loads after the change: read once for every watch of the
  // site, outside the lock; the day is the one of the first watch found.
  std::optional<absl::CivilDay> day;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [watch, w] : watches_) {
      if (w.site == site && w.sent >= 0) {
        day = absl::ToCivilDay(clock_->Now(), w.zone);
        break;
      }
    }
  }
  if (!day) return;  // nobody watches this site (or every watch awaits its state)
  v1::QueueUpdate update;
  update.set_sequence(sequence);
  v1::QueueChange* c = update.mutable_change();
  c->set_kind(change.value("change", ""));
  if (change.contains("visit")) c->set_visit(Name("visits", change["visit"].get<int64_t>()));
  c->set_ticket(change.value("ticket", ""));
  if (change.contains("desk")) c->set_desk(Name("desks", change["desk"].get<int64_t>()));
  c->set_status(StatusOf(change.value("status", "")));
  c->set_counter_display_name(change.value("counter", ""));
  c->set_call_count(change.value("call_count", 0));
  absl::Status loaded = pool_->Run([&](pqxx::connection& conn) -> absl::Status {
    pqxx::nontransaction tx(conn);
    LoadDeskLoads(tx, site, *day, c->mutable_desks());
    return absl::OkStatus();
  });
  absl::MutexLock lock(&mu_);
  for (auto& [watch, w] : watches_) {
    if (w.site != site || w.sent < 0 || sequence <= w.sent) continue;
    if (sequence == w.sent + 1 && loaded.ok() && w.day == *day) {
      if (watch->Send(update)) w.sent = sequence;
    } else {
      w.sent = -1;  // a change is missing: the state again
    }
  }
}

void QueueFeed::SendStates(bool keep_alive) {
  // Which (site, day) states are due.
  std::map<std::pair<int64_t, absl::CivilDay>, v1::QueueState> due;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [watch, w] : watches_) {
      const absl::CivilDay today = absl::ToCivilDay(clock_->Now(), w.zone);
      if (w.sent >= 0 && w.day != today) w.sent = -1;  // a new day: a new queue
      w.day = today;
      if (w.sent < 0) due[{w.site, today}];
    }
  }
  for (auto& [key, state] : due) {
    absl::Status s = LoadQueueState(*pool_, key.first, key.second, &state);
    if (!s.ok()) {
      log::Warn("queue_feed.state_failed", {{"reason", ErrorReason(s)}});
      return;  // tried again on the next turn
    }
  }
  absl::MutexLock lock(&mu_);
  for (auto& [watch, w] : watches_) {
    auto it = due.find({w.site, w.day});
    if (w.sent < 0 && it != due.end()) {
      v1::QueueUpdate update;
      update.set_sequence(it->second.sequence());
      *update.mutable_state() = it->second;
      if (watch->Send(std::move(update))) w.sent = it->second.sequence();
    } else if (keep_alive && w.sent >= 0) {
      v1::QueueUpdate update;
      update.set_sequence(w.sent);
      update.set_keep_alive(true);
      watch->Send(std::move(update));
    }
  }
}

}  // namespace accueil::reception
