// accueil-bench: steady booking load against a running accueil-server.
//
// Sets up through the real RPCs (CreateSite, CreateDesk, SetOpeningHours,
// ReleaseSlots, ListSlots), as an administrator (--token-file), a desk open
// day and night with many slots; then keeps --clients calls in flight that
// book CreateAppointment back to back as the public, each call for a new person
// (unique mobile number) on a slot spread evenly over the slot list, for
// --warmup-seconds then --seconds. Prints calls/s, latency percentiles and
// errors by reason; the last line is machine-readable:
//
//   RESULT booking_rps=1234.5 ok=18517 errors=0 mean_ms=6.4 p50_ms=5.9 p95_ms=11.2
//          p99_ms=16.0 client_cpu_s=4.210
//
// --setup-only creates a fresh desk and prints its slot id range instead
// (scripts/bench.sh gives that range to pgbench):
//
//   SETUP desk=desks/3 slots=5760 first_slot_id=11521 last_slot_id=17280 contiguous=1
//
// --http URL books through the web gateway's JSON API instead
// (POST URL/v1/appointments, one keep-alive connection per client, libcurl's
// multi interface on one thread as the gRPC lanes share one completion queue);
// the setup still goes over gRPC. scripts/bench_gateway.sh compares the two.
//
// See docs/benchmarks.md.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "clients/bench/bench_common.h"

namespace {

namespace v1 = accueil::booking::v1;
namespace bench = accueil::bench;
using bench::Die;
using bench::Percentile;
using bench::Phone;
using bench::RandomHex;
using bench::Reason;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string server = "127.0.0.1:50051";
  int clients = 8;
  int seconds = 15;
  int warmup_seconds = 3;
  int days = 20;
  int capacity = 100;
  int slot_minutes = 5;
  std::string time_zone = "Europe/Paris";
  std::string token_file;
  bool setup_only = false;
  // Each person gives an e-mail address too (notify's benchmark).
  bool email = false;
  // The gateway's base URL ("http://127.0.0.1:8080"): book over JSON.
  std::string http;
};

constexpr char kUsage[] =
    "usage: accueil-bench [--server HOST:PORT] [--clients N] [--seconds N]\n"
    "                     [--warmup-seconds N] [--days N] [--capacity N]\n"
    "                     [--slot-minutes N] [--time-zone ZONE] [--token-file FILE]\n"
    "                     [--setup-only] [--email] [--http URL]\n"
    "  Books appointments on a running accueil-server with N concurrent clients\n"
    "  and prints calls/s, latency percentiles and errors by reason.\n"
    "  The setup (site, desk, hours, slots) needs an administrator's bearer token,\n"
    "  read from --token-file; bookings are made as the public, without a token.\n"
    "  --setup-only creates a desk with released slots and prints its slot ids.\n"
    "  --email gives every person an e-mail address too (bench-N@example.org).\n"
    "  --http URL books through the web gateway at URL (JSON) instead of gRPC.\n";

Options ParseFlags(int argc, char** argv) {
  Options o;
  bench::Flags flags(argc, argv, {"--setup-only", "--email"}, kUsage);
  while (flags.Next()) {
    const std::string& arg = flags.name();
    const std::string& value = flags.value();
    if (arg == "--server") {
      o.server = value;
    } else if (arg == "--clients") {
      o.clients = flags.Number(1, 1024);
    } else if (arg == "--seconds") {
      o.seconds = flags.Number(1, 3600);
    } else if (arg == "--warmup-seconds") {
      o.warmup_seconds = flags.Number(0, 3600);
    } else if (arg == "--days") {
      o.days = flags.Number(1, 366);
    } else if (arg == "--capacity") {
      o.capacity = flags.Number(1, 100);
    } else if (arg == "--slot-minutes") {
      o.slot_minutes = flags.Number(5, 480);
    } else if (arg == "--time-zone") {
      o.time_zone = value;
    } else if (arg == "--token-file") {
      o.token_file = value;
    } else if (arg == "--setup-only") {
      o.setup_only = true;
    } else if (arg == "--email") {
      o.email = true;
    } else if (arg == "--http") {
      o.http = value;
    } else {
      flags.Usage(2);
    }
  }
  return o;
}

int64_t SlotId(const std::string& name) {
  int64_t id = 0;
  if (name.rfind("slots/", 0) != 0 || !absl::SimpleAtoi(name.substr(6), &id)) {
    Die(absl::StrCat("unexpected slot name \"", name, "\""));
  }
  return id;
}

struct Setup {
  std::string site;
  std::string desk;
  std::vector<std::string> slots;  // ordered by start time
  int64_t first_id = 0;
  int64_t last_id = 0;
  bool contiguous = false;
};

// SetUp creates a site and a desk open every day 00:00-24:00, releases
// `days` days of slots from tomorrow (site time), and lists them.
Setup SetUp(v1::BookingService::Stub& stub, const Options& o) {
  const std::string token = o.token_file.empty() ? "" : bench::ReadToken(o.token_file);
  bench::Desk desk = bench::CreateOpenDesk(stub, token, o.time_zone, o.slot_minutes, o.capacity);
  Setup out;
  out.site = desk.site;
  out.desk = desk.desk;
  absl::CivilDay first = absl::ToCivilDay(absl::Now(), desk.zone) + 1;
  bench::Released released =
      bench::ReleaseSlots(stub, token, desk, first, first + (o.days - 1), absl::Now());
  for (const v1::Slot& slot : released.slots) out.slots.push_back(slot.name());
  if (out.slots.empty()) Die("the desk has no bookable slot after ReleaseSlots");
  if (static_cast<int>(out.slots.size()) != released.created) {
    Die(absl::StrCat("ReleaseSlots created ", released.created, " slots but ListSlots returned ",
                     out.slots.size()));
  }
  std::vector<int64_t> ids;
  for (const std::string& name : out.slots) ids.push_back(SlotId(name));
  std::sort(ids.begin(), ids.end());
  out.first_id = ids.front();
  out.last_id = ids.back();
  out.contiguous = out.last_id - out.first_id + 1 == static_cast<int64_t>(ids.size());
  return out;
}

struct Stats {
  std::vector<uint32_t> micros;  // latency of each successful call in the window
  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;  // "CODE REASON" -> count
};

uint64_t Gcd(uint64_t a, uint64_t b) { return b == 0 ? a : Gcd(b, a % b); }

// The load: what every lane shares.
struct Load {
  grpc::CompletionQueue* cq;
  const std::vector<std::string>* slots;
  uint64_t stride;
  uint64_t max_calls;
  bool email = false;
  Clock::time_point window_start;
  Clock::time_point window_end;
  uint64_t counter = 0;
};

// Lane keeps one CreateAppointment in flight at a time, back to back, like
// one pgbench client. Every lane's calls complete on one completion queue
// that the main thread drains: one thread, no hand-offs, so that the load
// client takes as little CPU as it can from the machine it shares with the
// server and PostgreSQL.
class Lane {
 public:
  Lane(Load* load, std::unique_ptr<v1::BookingService::Stub> stub)
      : load_(load), stub_(std::move(stub)), rng_(bench::SeededRng()) {
    stats_.micros.reserve(1 << 16);
    req_.mutable_person()->set_given_name("Camille");
    req_.mutable_person()->set_family_name("Martin");
    req_.mutable_person()->set_preferred_language("fr");
    req_.mutable_accessibility()->set_need(v1::NONE);
    req_.set_channel(v1::ONLINE);
  }

  const Stats& stats() const { return stats_; }

  // Start starts the lane's next call; false once the run is over.
  bool Start() {
    begin_ = Clock::now();
    uint64_t n = load_->counter++;
    if (begin_ >= load_->window_end || n >= load_->max_calls) return false;
    req_.set_slot((*load_->slots)[(n * load_->stride) % load_->slots->size()]);
    req_.mutable_person()->set_phone(Phone(n));
    if (load_->email) req_.mutable_person()->set_email(absl::StrCat("bench-", n, "@example.org"));
    req_.set_request_id(RandomHex(rng_, 16));
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    call_ = stub_->AsyncCreateAppointment(ctx_.get(), req_, load_->cq);
    call_->Finish(&resp_, &status_, this);
    return true;
  }

  // Finished records the call whose completion the queue returned.
  void Finished() {
    Clock::time_point end = Clock::now();
    if (end < load_->window_start || end >= load_->window_end) return;
    if (status_.ok()) {
      ++stats_.ok;
      stats_.micros.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(end - begin_).count()));
    } else {
      ++stats_.errors[absl::StrCat(static_cast<int>(status_.error_code()), " ", Reason(status_))];
    }
  }

 private:
  Load* load_;
  std::unique_ptr<v1::BookingService::Stub> stub_;
  std::mt19937_64 rng_;
  Stats stats_;
  v1::CreateAppointmentRequest req_;
  v1::Appointment resp_;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Appointment>> call_;
  Clock::time_point begin_;
};

// HttpLane is a Lane over the gateway's JSON API: one easy handle (one
// keep-alive connection) with one POST in flight at a time, on the multi
// handle the main thread drives.
class HttpLane {
 public:
  HttpLane(Load* load, CURLM* multi, const std::string& base_url)
      : load_(load), multi_(multi), rng_(bench::SeededRng()), url_(base_url + "/v1/appointments") {
    stats_.micros.reserve(1 << 16);
    easy_ = curl_easy_init();
    headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, "Expect:");
    curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &HttpLane::OnBody);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &response_);
    curl_easy_setopt(easy_, CURLOPT_PRIVATE, this);
  }
  ~HttpLane() {
    curl_easy_cleanup(easy_);
    curl_slist_free_all(headers_);
  }

  const Stats& stats() const { return stats_; }

  bool Start() {
    begin_ = Clock::now();
    uint64_t n = load_->counter++;
    if (begin_ >= load_->window_end || n >= load_->max_calls) return false;
    const std::string& slot = (*load_->slots)[(n * load_->stride) % load_->slots->size()];
    body_ = absl::StrCat(
        R"({"slot":")", slot,
        R"(","person":{"givenName":"Camille","familyName":"Martin","preferredLanguage":"fr",)",
        R"("phone":")", Phone(n), "\"",
        load_->email ? absl::StrCat(R"(,"email":"bench-)", n, R"(@example.org")") : "",
        R"(},"accessibility":{"need":"NONE"},"channel":"ONLINE","requestId":")",
        RandomHex(rng_, 16), "\"}");
    response_.clear();
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body_.c_str());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body_.size()));
    curl_multi_add_handle(multi_, easy_);
    return true;
  }

  void Finished(CURLcode result) {
    curl_multi_remove_handle(multi_, easy_);
    Clock::time_point end = Clock::now();
    if (end < load_->window_start || end >= load_->window_end) return;
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    if (result == CURLE_OK && status == 200) {
      ++stats_.ok;
      stats_.micros.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(end - begin_).count()));
      return;
    }
    // The error's reason, from {"error": {..., "reason": "X", ...}}.
    std::string reason = result == CURLE_OK ? "" : curl_easy_strerror(result);
    const size_t at = response_.find("\"reason\":\"");
    if (at != std::string::npos) {
      const size_t start = at + 10;
      reason = response_.substr(start, response_.find('"', start) - start);
    }
    ++stats_.errors[absl::StrCat("HTTP ", status, " ", reason)];
  }

 private:
  static size_t OnBody(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  }

  Load* load_;
  CURLM* multi_;
  std::mt19937_64 rng_;
  std::string url_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string body_;
  std::string response_;
  Stats stats_;
  Clock::time_point begin_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseFlags(argc, argv);
  // The setup's channel; each lane of the load has its own (LaneChannel).
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    Die(absl::StrCat("cannot connect to ", o.server));
  }
  std::unique_ptr<v1::BookingService::Stub> stub = v1::BookingService::NewStub(channel);

  Setup setup = SetUp(*stub, o);
  if (o.setup_only) {
    std::printf("SETUP site=%s desk=%s slots=%zu first_slot_id=%" PRId64 " last_slot_id=%" PRId64
                " contiguous=%d\n",
                setup.site.c_str(), setup.desk.c_str(), setup.slots.size(), setup.first_id,
                setup.last_id, setup.contiguous ? 1 : 0);
    return 0;
  }
  std::printf("accueil-bench: server %s%s%s, %d clients, %d s warm-up + %d s measured\n",
              o.server.c_str(), o.http.empty() ? "" : ", bookings through the gateway ",
              o.http.c_str(), o.clients, o.warmup_seconds, o.seconds);
  std::printf("setup: %s %s, %zu slots (%d days x %d min, capacity %d)\n", setup.site.c_str(),
              setup.desk.c_str(), setup.slots.size(), o.days, o.slot_minutes, o.capacity);
  std::fflush(stdout);

  // Call n books slot (n * stride) mod N: a stride coprime with N visits every
  // slot once per N calls, so the load spreads evenly over the whole list and
  // no slot fills before N * capacity calls.
  const uint64_t n_slots = setup.slots.size();
  uint64_t stride = 7919;
  while (Gcd(stride, n_slots) != 1) stride += 2;
  const uint64_t max_calls = n_slots * static_cast<uint64_t>(o.capacity);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  grpc::CompletionQueue cq;
  Load load;
  load.cq = &cq;
  load.slots = &setup.slots;
  load.stride = stride;
  load.max_calls = max_calls;
  load.email = o.email;
  const Clock::time_point start = Clock::now();
  load.window_start = start + std::chrono::seconds(o.warmup_seconds);
  load.window_end = load.window_start + std::chrono::seconds(o.seconds);
  std::vector<std::unique_ptr<Lane>> lanes;
  std::vector<std::unique_ptr<HttpLane>> http_lanes;
  CURLM* multi = curl_multi_init();
  int running = 0;
  for (int t = 0; t < o.clients; ++t) {
    if (!o.http.empty()) {
      http_lanes.push_back(std::make_unique<HttpLane>(&load, multi, o.http));
      if (http_lanes.back()->Start()) ++running;
      continue;
    }
    lanes.push_back(
        std::make_unique<Lane>(&load, v1::BookingService::NewStub(bench::OwnChannel(o.server))));
    if (lanes.back()->Start()) ++running;
  }
  // Window markers for scripts/bench.sh, which samples the server's and
  // PostgreSQL's CPU use over the window; the client measures its own, so that
  // the script can tell how the machine's cores were shared.
  double cpu_start = 0;
  double client_cpu = 0;
  int marks = 0;  // 1 after "window: start", 2 after "window: end"
  auto mark = [&] {
    Clock::time_point now = Clock::now();
    if (marks == 0 && now >= load.window_start) {
      cpu_start = bench::ProcessCpuSeconds();
      std::printf("window: start\n");
      std::fflush(stdout);
      marks = 1;
    }
    if (marks == 1 && now >= load.window_end) {
      client_cpu = bench::ProcessCpuSeconds() - cpu_start;
      std::printf("window: end\n");
      std::fflush(stdout);
      marks = 2;
    }
  };
  while (!o.http.empty() && (running > 0 || marks < 2)) {
    int active = 0;
    curl_multi_perform(multi, &active);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      HttpLane* lane = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &lane);
      lane->Finished(msg->data.result);
      if (!lane->Start()) --running;
    }
    mark();
    if (running == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } else {
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
  }
  while (o.http.empty() && (running > 0 || marks < 2)) {
    Clock::time_point wake = marks == 0 ? load.window_start : load.window_end;
    if (marks == 2) wake = Clock::now() + std::chrono::seconds(1);
    void* tag = nullptr;
    bool ok = false;
    grpc::CompletionQueue::NextStatus next = cq.AsyncNext(
        &tag, &ok,
        std::chrono::system_clock::now() +
            std::chrono::duration_cast<std::chrono::system_clock::duration>(wake - Clock::now()));
    if (next == grpc::CompletionQueue::GOT_EVENT) {
      Lane* lane = static_cast<Lane*>(tag);
      lane->Finished();
      if (!lane->Start()) --running;
    }
    mark();
  }
  cq.Shutdown();
  {
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
    }
  }
  if (load.counter >= max_calls) {
    std::fprintf(stderr,
                 "accueil-bench: warning: every place of every slot was used; "
                 "use more --days\n");
  }

  Stats all;
  std::vector<const Stats*> lane_stats;
  for (const auto& lane : lanes) lane_stats.push_back(&lane->stats());
  for (const auto& lane : http_lanes) lane_stats.push_back(&lane->stats());
  for (const Stats* stats : lane_stats) {
    const Stats& st = *stats;
    all.ok += st.ok;
    all.micros.insert(all.micros.end(), st.micros.begin(), st.micros.end());
    for (const auto& [reason, count] : st.errors) all.errors[reason] += count;
  }
  std::sort(all.micros.begin(), all.micros.end());
  uint64_t errors = 0;
  for (const auto& [reason, count] : all.errors) errors += count;
  double rps = static_cast<double>(all.ok) / o.seconds;
  double mean = all.micros.empty() ? 0
                                   : std::accumulate(all.micros.begin(), all.micros.end(), 0.0) /
                                         static_cast<double>(all.micros.size()) / 1000.0;
  std::printf("calls: %" PRIu64 " ok, %" PRIu64 " errors in %d s\n", all.ok, errors, o.seconds);
  std::printf("throughput: %.1f calls/s\n", rps);
  std::printf("latency ms: mean %.2f  p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n", mean,
              Percentile(all.micros, 0.50), Percentile(all.micros, 0.95),
              Percentile(all.micros, 0.99), all.micros.empty() ? 0.0 : all.micros.back() / 1000.0);
  if (all.errors.empty()) {
    std::printf("errors by reason: none\n");
  } else {
    std::printf("errors by reason (grpc code or HTTP status, reason):\n");
    for (const auto& [reason, count] : all.errors) {
      std::printf("  %-40s %" PRIu64 "\n", reason.c_str(), count);
    }
  }
  std::printf("client CPU: %.2f s in the window (%.0f us per call)\n", client_cpu,
              all.ok > 0 ? client_cpu * 1e6 / static_cast<double>(all.ok) : 0.0);
  std::printf("RESULT booking_rps=%.1f ok=%" PRIu64 " errors=%" PRIu64
              " mean_ms=%.2f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f client_cpu_s=%.3f\n",
              rps, all.ok, errors, mean, Percentile(all.micros, 0.50), Percentile(all.micros, 0.95),
              Percentile(all.micros, 0.99), client_cpu);
  http_lanes.clear();
  curl_multi_cleanup(multi);
  return all.ok > 0 ? 0 : 1;
}
