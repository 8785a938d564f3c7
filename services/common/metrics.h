// Metrics: the process's Prometheus registry, its instruments, and the
// plaintext port that serves them (`metrics_listen`, GET /metrics).
//
// The host owns one Metrics per process and passes it down like the clock
// and the pool (ServiceContext::metrics); there is no global registry. Every
// metric is named `accueil_<what>_<unit>` and listed in
// docs/operations.md#metrics. Labels carry method, code, consumer, worker
// and pool state names only: never a subject, a person, a site's content or
// anything a client chose, so the port may be open beyond loopback.
//
//   // The gate, once per call:
//   metrics->RecordCall(method, status.code(), absl::Now() - start);
//   // A server stream, for as long as it is open:
//   Metrics::Stream open = metrics->OpenStream(method);
//   // An event consumer, after each batch:
//   metrics->SetConsumerLag("notify", /*events=*/12, /*age=*/absl::Seconds(3));
//   // A worker, when its queue changes:
//   metrics->SetWorkerQueue("reminders", /*items=*/40);
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace accueil {

namespace db {
class Pool;
}

// Metrics is thread-safe.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Serve starts serving GET /metrics on `listen` ("host:port" with an IPv4
  // address or `localhost`; port 0 picks a free one), plaintext. Once only.
  // UNAVAILABLE naming the key when it cannot listen.
  absl::Status Serve(const std::string& listen);
  // port is the port Serve bound; 0 before Serve.
  int port() const { return port_; }

  // registry holds every instrument below; a module may add its own
  // (named `accueil_<module>_...`, documented with the others).
  prometheus::Registry& registry() { return *registry_; }

  // RecordCall counts one call of `method` (its full proto name,
  // "accueil.booking.v1.BookingService.GetSite") ended with `code`, and its
  // duration: accueil_rpc_calls_total{method,code} and
  // accueil_rpc_duration_seconds{method}. A stream records once, when it ends.
  void RecordCall(std::string_view method, absl::StatusCode code, absl::Duration duration);

  // Stream counts one open stream of its method in accueil_rpc_open_streams
  // until it is destroyed (or moved from). Keep it in the stream's reactor;
  // the Metrics outlives it (the host stops the server first).
  class Stream {
   public:
    Stream() = default;
    Stream(Stream&& other) noexcept : gauge_(other.gauge_) { other.gauge_ = nullptr; }
    Stream& operator=(Stream&& other) noexcept;
    ~Stream();

   private:
    friend class Metrics;
    explicit Stream(prometheus::Gauge* gauge);
    prometheus::Gauge* gauge_ = nullptr;
  };
  // OpenStream counts a stream of `method` (full proto name) as open.
  [[nodiscard]] Stream OpenStream(std::string_view method);

  // SetConsumerLag reports how far the event consumer `consumer` (its
  // name, as its cursor's) is behind the log: `events` not yet applied, and
  // the age of the oldest of them (zero when none):
  // accueil_consumer_lag_events{consumer}, accueil_consumer_lag_seconds{consumer}.
  void SetConsumerLag(std::string_view consumer, int64_t events, absl::Duration age);

  // SetWorkerQueue reports the items waiting for the worker `worker` (its
  // Worker::name()): accueil_worker_queue_items{worker}.
  void SetWorkerQueue(std::string_view worker, int64_t items);

  // WatchPool reports the process's pool at each scrape: accueil_db_pool_connections
  // {state="in_use"|"idle"}, accueil_db_pool_size, accueil_db_pool_waits_total,
  // accueil_db_pool_acquire_timeouts_total. `pool` outlives this object.
  void WatchPool(const db::Pool* pool);

 private:
  class Scrape;
  struct MethodInstruments {
    prometheus::Histogram* duration = nullptr;
    std::array<prometheus::Counter*, 17> calls{};  // by absl::StatusCode
  };
  MethodInstruments& InstrumentsOf(std::string_view method, absl::StatusCode code);

  // Constant after construction.
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* durations_;
  prometheus::Family<prometheus::Gauge>* streams_;
  prometheus::Family<prometheus::Gauge>* lag_events_;
  prometheus::Family<prometheus::Gauge>* lag_seconds_;
  prometheus::Family<prometheus::Gauge>* queues_;
  std::shared_ptr<Scrape> scrape_;

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;

  absl::Mutex mu_;
  // The gate's instruments by method: Family::Add builds a histogram before
  // looking it up, too costly once per call.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodInstruments>> methods_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace accueil
