// DisplayHub: the waiting-room displays' live board (docs/web.md#call-display).
//
// Each display holds one Server-Sent Events response open (an EventSink).
// For each site with displays the hub keeps ONE reception WatchQueue stream,
// opened with the device token of one of the site's displays, and fans its
// updates out to every display of the site: 500 screens cost one gRPC
// stream per site and no thread per screen.
//
// What a display is sent, as SSE:
//   retry: 3000                      once: reconnect after 3 s if cut
//   event: board                     the board, at once, then after each change
//   data: {"calls":[{"ticket":"A-042","counter":"Guichet 3"},...],
//          "call":"A-042"}           the newest call first, 8 at most; "call"
//                                    names a call this update made (the chime)
//   event: ping                      every 15 s (data: {}), so the page
//                                    notices a dead connection and reconnects
// Ticket numbers and counters only: no name, no reference.
//
// Rights: a display joins with a device token the access module confirmed
// for the site (DEVICE); every 30 s each distinct token is checked again
// (WhoAmI) and the displays of a revoked one are disconnected. When the
// upstream stream ends (a restart, its token revoked), the hub opens it
// again with another display's token and sends the whole board again.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accueil/reception/v1/reception.pb.h"
#include "services/gateway/gateway_channels.h"
#include "services/gateway/http_server.h"

namespace accueil::gateway {

struct DisplayHubOptions {
  absl::Duration heartbeat = absl::Seconds(15);
  absl::Duration recheck = absl::Seconds(30);
  // Calls a board shows.
  int calls_shown = 8;
};

// OpenCalls: the visits of a queue state a board shows as calls (called or
// in service), the newest call first (the page at load and the hub).
std::vector<const reception::v1::Visit*> OpenCalls(const reception::v1::QueueState& state);

class DisplayHub {
 public:
  DisplayHub(ChannelFor channels, DisplayHubOptions options = {});
  ~DisplayHub();
  DisplayHub(const DisplayHub&) = delete;
  DisplayHub& operator=(const DisplayHub&) = delete;

  // Add: a display of `site` ("sites/N"), whose device token `token` was
  // confirmed, sending through `sink`. It gets the board at once if the
  // hub has it, else as soon as the site's stream gives it.
  void Add(const std::string& site, const std::string& token, std::shared_ptr<EventSink> sink);

  // Displays connected now (the benchmark, the tests).
  size_t displays() const;

  // Stop disconnects every display and ends the streams. Idempotent.
  void Stop();

 private:
  struct Display {
    std::string token;
    std::shared_ptr<EventSink> sink;
  };
  struct Call {
    std::string visit;
    std::string ticket;
    std::string counter;
  };
  struct Feed;

  void RunFeed(Feed* feed);
  void Maintain();
  // Broadcast sends `text` to the site's displays, dropping closed ones.
  void Broadcast(Feed* feed, const std::string& text) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Board(const Feed& feed, const std::string& call) const;
  void DropToken(const std::string& token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ChannelFor channels_;
  const DisplayHubOptions options_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::unique_ptr<Feed>> feeds_ ABSL_GUARDED_BY(mu_);  // by site
  std::thread maintenance_;
};

}  // namespace accueil::gateway
