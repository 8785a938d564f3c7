#include "services/gateway/display_hub.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "services/common/log.h"

namespace accueil::gateway {
namespace {

namespace rv1 = reception::v1;

// An event, not an SSE comment: the page sees it (EventSource hides
// comments) and reconnects when none came for 45 s.
constexpr char kKeepAlive[] = "event: ping\ndata: {}\n\n";
constexpr char kRetry[] = "retry: 3000\n\n";

bool IsCall(const std::string& kind) { return kind == "visit.called" || kind == "visit.recalled"; }

}  // namespace

std::vector<const rv1::Visit*> OpenCalls(const rv1::QueueState& state) {
  std::vector<const rv1::Visit*> called;
  for (const rv1::Visit& v : state.visits()) {
    if (v.status() == rv1::CALLED || v.status() == rv1::IN_SERVICE) called.push_back(&v);
  }
  std::sort(called.begin(), called.end(), [](const rv1::Visit* a, const rv1::Visit* b) {
    return a->called_time().seconds() > b->called_time().seconds();
  });
  return called;
}

struct DisplayHub::Feed {
  std::string site;
  std::vector<Display> displays;
  std::vector<Call> calls;  // newest first
  bool has_board = false;
  grpc::ClientContext* context = nullptr;  // the open upstream stream, to cancel it
  std::string upstream_token;
  std::thread thread;
};

DisplayHub::DisplayHub(ChannelFor channels, DisplayHubOptions options)
    : channels_(std::move(channels)), options_([&] {
        // Zero from the configuration would spin: a second at least.
        options.heartbeat = std::max(options.heartbeat, absl::Seconds(1));
        options.recheck = std::max(options.recheck, absl::Seconds(1));
        return options;
      }()) {
  maintenance_ = std::thread([this] { Maintain(); });
}

DisplayHub::~DisplayHub() { Stop(); }

void DisplayHub::Stop() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [site, feed] : feeds_) {
      if (feed->context != nullptr) feed->context->TryCancel();
      for (Display& d : feed->displays) d.sink->Close();
      feed->displays.clear();
      threads.push_back(std::move(feed->thread));
    }
  }
  for (std::thread& t : threads) {
    if (t.joinable()) t.join();
  }
  if (maintenance_.joinable()) maintenance_.join();
}

size_t DisplayHub::displays() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [site, feed] : feeds_) n += feed->displays.size();
  return n;
}

void DisplayHub::Add(const std::string& site, const std::string& token,
                     std::shared_ptr<EventSink> sink) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    sink->Close();
    return;
  }
  std::unique_ptr<Feed>& feed = feeds_[site];
  if (feed == nullptr) {
    feed = std::make_unique<Feed>();
    feed->site = site;
    Feed* raw = feed.get();
    feed->thread = std::thread([this, raw] { RunFeed(raw); });
  }
  sink->Send(kRetry);
  if (feed->has_board) sink->Send(Board(*feed, ""));
  feed->displays.push_back(Display{token, std::move(sink)});
}

std::string DisplayHub::Board(const Feed& feed, const std::string& call) const {
  nlohmann::json calls = nlohmann::json::array();
  for (const Call& c : feed.calls) calls.push_back({{"ticket", c.ticket}, {"counter", c.counter}});
  nlohmann::json board = {{"calls", calls}};
  if (!call.empty()) board["call"] = call;
  return absl::StrCat("event: board\ndata: ", board.dump(), "\n\n");
}

void DisplayHub::Broadcast(Feed* feed, const std::string& text) {
  std::vector<Display>& displays = feed->displays;
  displays.erase(std::remove_if(displays.begin(), displays.end(),
                                [&](Display& d) { return !d.sink->Send(text); }),
                 displays.end());
}

void DisplayHub::DropToken(const std::string& token) {
  for (auto& [site, feed] : feeds_) {
    std::vector<Display>& displays = feed->displays;
    for (Display& d : displays) {
      if (d.token == token) d.sink->Close();
    }
    displays.erase(std::remove_if(displays.begin(), displays.end(),
                                  [&](const Display& d) { return d.token == token; }),
                   displays.end());
    if (feed->upstream_token == token && feed->context != nullptr) feed->context->TryCancel();
  }
}

void DisplayHub::RunFeed(Feed* feed) {
  absl::Duration backoff = absl::Milliseconds(200);
  while (true) {
    std::string token;
    {
      absl::MutexLock lock(&mu_);
      // Wait for a display (its token opens the stream) or the end.
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !feed->displays.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      token = feed->displays.front().token;
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_("reception");
    if (!channel.ok()) {
      log::Warn("display.no_reception", {{"error", std::string(channel.status().message())}});
      absl::MutexLock lock(&mu_);
      auto stopping = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Seconds(1));
      continue;
    }
    std::unique_ptr<rv1::ReceptionService::Stub> stub = rv1::ReceptionService::NewStub(*channel);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      feed->context = &context;
      feed->upstream_token = token;
    }
    rv1::WatchQueueRequest req;
    req.set_site(feed->site);
    std::unique_ptr<grpc::ClientReader<rv1::QueueUpdate>> reader = stub->WatchQueue(&context, req);
    rv1::QueueUpdate update;
    while (reader->Read(&update)) {
      backoff = absl::Milliseconds(200);
      absl::MutexLock lock(&mu_);
      if (update.has_state()) {
        // The whole state (at the start, or whenever the service could not
        // vouch for the next change): the calls still open, newest first.
        std::vector<Call> calls;
        for (const rv1::Visit* v : OpenCalls(update.state())) {
          calls.push_back(Call{v->name(), v->ticket(), v->counter_display_name()});
        }
        // Calls already on the board that ended stay below, as on any board.
        for (const Call& c : feed->calls) {
          bool present = false;
          for (const Call& n : calls) present |= n.visit == c.visit;
          if (!present) calls.push_back(c);
        }
        if (static_cast<int>(calls.size()) > options_.calls_shown)
          calls.resize(options_.calls_shown);
        feed->calls = std::move(calls);
        feed->has_board = true;
        Broadcast(feed, Board(*feed, ""));
      } else if (update.has_change()) {
        const rv1::QueueChange& change = update.change();
        if (IsCall(change.kind())) {
          feed->calls.erase(
              std::remove_if(feed->calls.begin(), feed->calls.end(),
                             [&](const Call& c) { return c.visit == change.visit(); }),
              feed->calls.end());
          feed->calls.insert(feed->calls.begin(),
                             Call{change.visit(), change.ticket(), change.counter_display_name()});
          if (static_cast<int>(feed->calls.size()) > options_.calls_shown) {
            feed->calls.resize(options_.calls_shown);
          }
          Broadcast(feed, Board(*feed, change.ticket()));
        } else if (change.kind() == "reception.day_closed") {
          feed->calls.clear();
          Broadcast(feed, Board(*feed, ""));
        }
      } else {
        Broadcast(feed, kKeepAlive);
      }
      // Nobody watches any more: let the stream go until someone does.
      if (feed->displays.empty()) context.TryCancel();
    }
    const grpc::Status status = reader->Finish();
    absl::MutexLock lock(&mu_);
    feed->context = nullptr;
    if (stopping_) return;
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      log::Info("display.token_refused", {{"site", feed->site}});
      DropToken(token);
    } else if (!feed->displays.empty()) {
      log::Warn("display.stream_ended", {{"site", feed->site},
                                         {"code", absl::StrCat(status.error_code())},
                                         {"error", status.error_message()}});
    }
    // Again after a pause (growing while it keeps failing), or at once
    // when Stop comes.
    auto stopping = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), backoff);
    if (stopping_) return;
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

void DisplayHub::Maintain() {
  absl::Time next_check = absl::Now() + options_.recheck;
  while (true) {
    std::map<std::string, std::string> tokens;  // token -> its site
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.heartbeat);
      if (stopping_) return;
      for (auto& [site, feed] : feeds_) {
        Broadcast(feed.get(), kKeepAlive);
        if (absl::Now() >= next_check) {
          for (const Display& d : feed->displays) tokens[d.token] = site;
        }
      }
    }
    if (absl::Now() < next_check) continue;
    next_check = absl::Now() + options_.recheck;
    // Each distinct token asked again: revoked, or no longer the site's
    // device, its displays go.
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_("access");
    if (!channel.ok()) continue;
    std::unique_ptr<access::v1::AccessService::Stub> stub =
        access::v1::AccessService::NewStub(*channel);
    for (const auto& [token, site] : tokens) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      context.AddMetadata("authorization", "Bearer " + token);
      access::v1::Caller caller;
      const grpc::Status status = stub->WhoAmI(&context, access::v1::WhoAmIRequest(), &caller);
      bool device = false;
      for (const access::v1::RoleGrant& g : caller.grants()) {
        device |= g.role() == access::v1::DEVICE && g.site() == site;
      }
      const bool refused =
          status.error_code() == grpc::StatusCode::UNAUTHENTICATED || (status.ok() && !device);
      if (!refused) continue;  // valid, or the directory unreachable for a moment
      log::Info("display.revoked", {{"site", site}});
      absl::MutexLock lock(&mu_);
      DropToken(token);
    }
  }
}

}  // namespace accueil::gateway
