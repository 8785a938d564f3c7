#include "services/common/metrics.h"

#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/strings/str_cat.h"
#include "services/common/db.h"
#include "services/common/errors.h"

namespace accueil {
namespace {

// Call durations, in seconds: from a cached read (about a millisecond) to
// the pool's acquire timeout and a slow transaction.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

prometheus::ClientMetric Sample(double value, std::vector<prometheus::ClientMetric::Label> labels,
                                prometheus::MetricType type) {
  prometheus::ClientMetric sample;
  sample.label = std::move(labels);
  if (type == prometheus::MetricType::Counter) {
    sample.counter.value = value;
  } else {
    sample.gauge.value = value;
  }
  return sample;
}

// Register adds the family `name` to `registry`.
template <typename Builder>
auto& Register(Builder builder, const char* name, const char* help,
               prometheus::Registry& registry) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

// Scrape is what the port serves: the registry, then what is read at scrape
// time from components that know nothing of Prometheus (the pool).
class Metrics::Scrape : public prometheus::Collectable {
 public:
  explicit Scrape(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)) {}

  void SetPool(const db::Pool* pool) {
    absl::MutexLock lock(&mu_);
    pool_ = pool;
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    absl::MutexLock lock(&mu_);
    if (pool_ == nullptr) return families;
    using prometheus::MetricType;
    db::Pool::Stats s = pool_->stats();
    prometheus::MetricFamily connections =
        Family("accueil_db_pool_connections",
               "PostgreSQL connections of the pool, by state (in_use, idle).", MetricType::Gauge);
    connections.metric.push_back(Sample(s.size - s.idle, {{"state", "in_use"}}, MetricType::Gauge));
    connections.metric.push_back(Sample(s.idle, {{"state", "idle"}}, MetricType::Gauge));
    prometheus::MetricFamily size =
        Family("accueil_db_pool_size", "Connections the pool keeps (database_pool_size).",
               MetricType::Gauge);
    size.metric.push_back(Sample(s.size, {}, MetricType::Gauge));
    prometheus::MetricFamily waits = Family(
        "accueil_db_pool_waits_total",
        "Acquisitions of a connection that found none free and waited.", MetricType::Counter);
    waits.metric.push_back(Sample(static_cast<double>(s.waits), {}, MetricType::Counter));
    prometheus::MetricFamily timeouts = Family(
        "accueil_db_pool_acquire_timeouts_total",
        "Acquisitions that found no free connection in time (DATABASE_BUSY).", MetricType::Counter);
    timeouts.metric.push_back(Sample(static_cast<double>(s.timeouts), {}, MetricType::Counter));
    for (auto* family : {&connections, &size, &waits, &timeouts}) {
      families.push_back(std::move(*family));
    }
    return families;
  }

 private:
  const std::shared_ptr<prometheus::Registry> registry_;
  mutable absl::Mutex mu_;
  const db::Pool* pool_ ABSL_GUARDED_BY(mu_) = nullptr;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      calls_(&Register(prometheus::BuildCounter(), "accueil_rpc_calls_total",
                       "gRPC calls ended, by method (full proto name) and gRPC code.", *registry_)),
      durations_(&Register(prometheus::BuildHistogram(), "accueil_rpc_duration_seconds",
                           "Time from a call's arrival at the gate to its answer, by method.",
                           *registry_)),
      streams_(&Register(prometheus::BuildGauge(), "accueil_rpc_open_streams",
                         "Server streams open now, by method.", *registry_)),
      lag_events_(&Register(prometheus::BuildGauge(), "accueil_consumer_lag_events",
                            "Events of the log an event consumer has not applied yet.",
                            *registry_)),
      lag_seconds_(&Register(prometheus::BuildGauge(), "accueil_consumer_lag_seconds",
                             "Age of the oldest event a consumer has not applied yet (0: none).",
                             *registry_)),
      queues_(&Register(prometheus::BuildGauge(), "accueil_worker_queue_items",
                        "Items waiting for a background worker.", *registry_)),
      scrape_(std::make_shared<Scrape>(registry_)) {}

Metrics::~Metrics() {
  // The port stops first: no scrape reads a component being destroyed.
  exposer_.reset();
}

absl::Status Metrics::Serve(const std::string& listen) {
  if (exposer_ != nullptr) return absl::FailedPreconditionError("metrics: already serving");
  try {
    // Two threads: Prometheus scrapes each replica every few seconds.
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception&) {
    // civetweb's message says nothing more than "cannot bind".
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen, " (metrics_listen)"));
  }
  std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty()) {
    exposer_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen, " (metrics_listen)"));
  }
  port_ = ports.front();
  exposer_->RegisterCollectable(scrape_);
  return absl::OkStatus();
}

Metrics::MethodInstruments& Metrics::InstrumentsOf(std::string_view method, absl::StatusCode code) {
  size_t c = static_cast<size_t>(code);
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = methods_.find(absl::string_view(method.data(), method.size()));
    if (it != methods_.end() && it->second->calls[c] != nullptr) return *it->second;
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<MethodInstruments>& m = methods_[std::string(method)];
  if (m == nullptr) {
    m = std::make_unique<MethodInstruments>();
    m->duration = &durations_->Add({{"method", std::string(method)}}, kDurationBuckets);
  }
  if (m->calls[c] == nullptr) {
    m->calls[c] = &calls_->Add({{"method", std::string(method)}, {"code", CodeName(code)}});
  }
  return *m;
}

void Metrics::RecordCall(std::string_view method, absl::StatusCode code, absl::Duration duration) {
  if (static_cast<size_t>(code) >= MethodInstruments{}.calls.size()) {
    code = absl::StatusCode::kUnknown;
  }
  MethodInstruments& m = InstrumentsOf(method, code);
  m.calls[static_cast<size_t>(code)]->Increment();
  m.duration->Observe(absl::ToDoubleSeconds(duration));
}

Metrics::Stream::Stream(prometheus::Gauge* gauge) : gauge_(gauge) { gauge_->Increment(); }

Metrics::Stream& Metrics::Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (gauge_ != nullptr) gauge_->Decrement();
    gauge_ = std::exchange(other.gauge_, nullptr);
  }
  return *this;
}

Metrics::Stream::~Stream() {
  if (gauge_ != nullptr) gauge_->Decrement();
}

Metrics::Stream Metrics::OpenStream(std::string_view method) {
  return Stream(&streams_->Add({{"method", std::string(method)}}));
}

void Metrics::SetConsumerLag(std::string_view consumer, int64_t events, absl::Duration age) {
  prometheus::Labels labels = {{"consumer", std::string(consumer)}};
  lag_events_->Add(labels).Set(static_cast<double>(events));
  lag_seconds_->Add(labels).Set(absl::ToDoubleSeconds(age));
}

void Metrics::SetWorkerQueue(std::string_view worker, int64_t items) {
  queues_->Add({{"worker", std::string(worker)}}).Set(static_cast<double>(items));
}

void Metrics::WatchPool(const db::Pool* pool) { scrape_->SetPool(pool); }

}  // namespace accueil
