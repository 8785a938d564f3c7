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
// See docs/benchmarks.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace {

namespace v1 = accueil::booking::v1;
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
};

constexpr char kUsage[] =
    "usage: accueil-bench [--server HOST:PORT] [--clients N] [--seconds N]\n"
    "                     [--warmup-seconds N] [--days N] [--capacity N]\n"
    "                     [--slot-minutes N] [--time-zone ZONE] [--token-file FILE]\n"
    "                     [--setup-only]\n"
    "  Books appointments on a running accueil-server with N concurrent clients\n"
    "  and prints calls/s, latency percentiles and errors by reason.\n"
    "  The setup (site, desk, hours, slots) needs an administrator's bearer token,\n"
    "  read from --token-file; bookings are made as the public, without a token.\n"
    "  --setup-only creates a desk with released slots and prints its slot ids.\n";

[[noreturn]] void Usage(int code) {
  std::fputs(kUsage, code == 0 ? stdout : stderr);
  std::exit(code);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "accueil-bench: %s\n", what.c_str());
  std::exit(1);
}

Options ParseFlags(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg != "--setup-only" && arg != "--help" && arg != "-h") {
      if (i + 1 >= argc) Usage(2);
      value = argv[++i];
    }
    auto number = [&](int min, int max) {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
        Die(absl::StrCat(arg, ": expected an integer in [", min, ", ", max, "], got \"", value,
                         "\""));
      }
      return n;
    };
    if (arg == "--server") {
      o.server = value;
    } else if (arg == "--clients") {
      o.clients = number(1, 1024);
    } else if (arg == "--seconds") {
      o.seconds = number(1, 3600);
    } else if (arg == "--warmup-seconds") {
      o.warmup_seconds = number(0, 3600);
    } else if (arg == "--days") {
      o.days = number(1, 366);
    } else if (arg == "--capacity") {
      o.capacity = number(1, 100);
    } else if (arg == "--slot-minutes") {
      o.slot_minutes = number(5, 480);
    } else if (arg == "--time-zone") {
      o.time_zone = value;
    } else if (arg == "--token-file") {
      o.token_file = value;
    } else if (arg == "--setup-only") {
      o.setup_only = true;
    } else if (arg == "--help" || arg == "-h") {
      Usage(0);
    } else {
      Usage(2);
    }
  }
  return o;
}

// Reason reads the AIP-193 ErrorInfo reason from a failed call's details.
std::string Reason(const grpc::Status& status) {
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) return info.reason();
    }
  }
  return "-";
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", static_cast<int>(status.error_code()), " ", Reason(status), ": ",
                      status.error_message());
}

// RandomHex returns 2*bytes hex digits from a per-thread generator (request
// ids only: not a secret).
std::string RandomHex(std::mt19937_64& rng, int bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  uint64_t word = 0;
  for (int i = 0; i < 2 * bytes; ++i) {
    if (i % 16 == 0) word = rng();
    out += kHex[word & 15];
    word >>= 4;
  }
  return out;
}

std::mt19937_64 SeededRng() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  return std::mt19937_64(seed);
}

int64_t SlotId(const std::string& name) {
  int64_t id = 0;
  if (name.rfind("slots/", 0) != 0 || !absl::SimpleAtoi(name.substr(6), &id)) {
    Die(absl::StrCat("unexpected slot name \"", name, "\""));
  }
  return id;
}

// ReadToken returns the bearer token in `path` without surrounding whitespace.
std::string ReadToken(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) Die(absl::StrCat("cannot read the token file ", path));
  std::string token;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) token.append(buffer, n);
  std::fclose(f);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) {
    token.erase(0, 1);
  }
  if (token.empty()) Die(absl::StrCat("the token file ", path, " is empty"));
  return token;
}

// Context for a setup call: a deadline and the administrator's token, if any.
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout, const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoSeconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
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
  std::mt19937_64 rng = SeededRng();
  Setup out;
  const absl::Duration kTimeout = absl::Seconds(60);
  const std::string token = o.token_file.empty() ? "" : ReadToken(o.token_file);
  std::string tag = absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone());

  v1::CreateSiteRequest site_req;
  site_req.mutable_site()->set_display_name(absl::StrCat("Préfecture bench ", tag));
  site_req.mutable_site()->set_address("1 place de la Préfecture");
  site_req.mutable_site()->set_time_zone(o.time_zone);
  site_req.set_request_id(RandomHex(rng, 16));
  v1::Site site;
  if (grpc::Status s = stub.CreateSite(Context(kTimeout, token).get(), site_req, &site); !s.ok()) {
    Die("CreateSite: " + Describe(s));
  }
  out.site = site.name();

  v1::CreateDeskRequest desk_req;
  desk_req.set_parent(site.name());
  desk_req.mutable_desk()->set_display_name(absl::StrCat("Guichet bench ", tag));
  desk_req.mutable_desk()->set_kind(v1::RESIDENCE_PERMIT_RENEWAL);
  desk_req.mutable_desk()->mutable_slot_duration()->set_seconds(o.slot_minutes * 60);
  desk_req.mutable_desk()->set_capacity_per_slot(o.capacity);
  desk_req.set_request_id(RandomHex(rng, 16));
  v1::Desk desk;
  if (grpc::Status s = stub.CreateDesk(Context(kTimeout, token).get(), desk_req, &desk); !s.ok()) {
    Die("CreateDesk: " + Describe(s));
  }
  out.desk = desk.name();

  v1::SetOpeningHoursRequest hours_req;
  hours_req.mutable_opening_hours()->set_desk(desk.name());
  for (int day = 1; day <= 7; ++day) {
    v1::WeeklyRange* range = hours_req.mutable_opening_hours()->add_weekly();
    range->set_iso_weekday(day);
    range->set_start_minute(0);
    range->set_end_minute(24 * 60);
  }
  hours_req.set_request_id(RandomHex(rng, 16));
  v1::OpeningHours hours;
  if (grpc::Status s = stub.SetOpeningHours(Context(kTimeout, token).get(), hours_req, &hours);
      !s.ok()) {
    Die("SetOpeningHours: " + Describe(s));
  }

  absl::TimeZone zone;
  if (!absl::LoadTimeZone(o.time_zone, &zone)) {
    Die(absl::StrCat("cannot load time zone ", o.time_zone, " (is tzdata installed?)"));
  }
  absl::CivilDay first = absl::ToCivilDay(absl::Now(), zone) + 1;
  absl::CivilDay last = first + (o.days - 1);
  v1::ReleaseSlotsRequest release_req;
  release_req.set_desk(desk.name());
  release_req.mutable_start_date()->set_year(static_cast<int>(first.year()));
  release_req.mutable_start_date()->set_month(first.month());
  release_req.mutable_start_date()->set_day(first.day());
  release_req.mutable_end_date()->set_year(static_cast<int>(last.year()));
  release_req.mutable_end_date()->set_month(last.month());
  release_req.mutable_end_date()->set_day(last.day());
  release_req.set_request_id(RandomHex(rng, 16));
  v1::ReleaseSlotsResponse released;
  if (grpc::Status s = stub.ReleaseSlots(Context(kTimeout, token).get(), release_req, &released);
      !s.ok()) {
    Die("ReleaseSlots: " + Describe(s));
  }

  v1::ListSlotsRequest list_req;
  list_req.set_desk(desk.name());
  list_req.mutable_start_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  list_req.mutable_end_time()->set_seconds(absl::ToUnixSeconds(absl::FromCivil(last + 2, zone)));
  list_req.set_page_size(500);
  for (;;) {
    v1::ListSlotsResponse page;
    if (grpc::Status s = stub.ListSlots(Context(kTimeout, token).get(), list_req, &page); !s.ok()) {
      Die("ListSlots: " + Describe(s));
    }
    for (const v1::Slot& slot : page.slots()) out.slots.push_back(slot.name());
    if (page.next_page_token().empty()) break;
    list_req.set_page_token(page.next_page_token());
  }
  if (out.slots.empty()) Die("the desk has no bookable slot after ReleaseSlots");
  if (static_cast<int>(out.slots.size()) != released.created_slot_count()) {
    Die(absl::StrCat("ReleaseSlots created ", released.created_slot_count(),
                     " slots but ListSlots returned ", out.slots.size()));
  }
  std::vector<int64_t> ids;
  for (const std::string& name : out.slots) ids.push_back(SlotId(name));
  std::sort(ids.begin(), ids.end());
  out.first_id = ids.front();
  out.last_id = ids.back();
  out.contiguous = out.last_id - out.first_id + 1 == static_cast<int64_t>(ids.size());
  return out;
}

// Phone returns a distinct valid French mobile number for each n < 8e7:
// +336 then a digit libphonenumber accepts after 6 (0-2, 4-8), then 7 digits.
std::string Phone(uint64_t n) {
  static const char kSecond[] = "01245678";
  return absl::StrFormat("+336%c%07d", kSecond[(n / 10000000) % 8], static_cast<int>(n % 10000000));
}

struct Stats {
  std::vector<uint32_t> micros;  // latency of each successful call in the window
  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;  // "CODE REASON" -> count
};

double Percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t Gcd(uint64_t a, uint64_t b) { return b == 0 ? a : Gcd(b, a % b); }

// LaneChannel is a connection of its own for one lane, as each pgbench client
// has its own PostgreSQL connection (and as people reach the service from many
// connections). No transparent retries: every call is made once, as pgbench's
// --max-tries=1; a failure is counted, not hidden.
std::shared_ptr<grpc::Channel> LaneChannel(const Options& o) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // Without it, channels to the same address share one connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(o.server, grpc::InsecureChannelCredentials(), args);
}

// The load: what every lane shares.
struct Load {
  grpc::CompletionQueue* cq;
  const std::vector<std::string>* slots;
  uint64_t stride;
  uint64_t max_calls;
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
      : load_(load), stub_(std::move(stub)), rng_(SeededRng()) {
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
  std::printf("accueil-bench: server %s, %d clients, %d s warm-up + %d s measured\n",
              o.server.c_str(), o.clients, o.warmup_seconds, o.seconds);
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

  grpc::CompletionQueue cq;
  Load load;
  load.cq = &cq;
  load.slots = &setup.slots;
  load.stride = stride;
  load.max_calls = max_calls;
  const Clock::time_point start = Clock::now();
  load.window_start = start + std::chrono::seconds(o.warmup_seconds);
  load.window_end = load.window_start + std::chrono::seconds(o.seconds);
  std::vector<std::unique_ptr<Lane>> lanes;
  int running = 0;
  for (int t = 0; t < o.clients; ++t) {
    lanes.push_back(std::make_unique<Lane>(&load, v1::BookingService::NewStub(LaneChannel(o))));
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
      cpu_start = ProcessCpuSeconds();
      std::printf("window: start\n");
      std::fflush(stdout);
      marks = 1;
    }
    if (marks == 1 && now >= load.window_end) {
      client_cpu = ProcessCpuSeconds() - cpu_start;
      std::printf("window: end\n");
      std::fflush(stdout);
      marks = 2;
    }
  };
  while (running > 0 || marks < 2) {
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
  for (const auto& lane : lanes) {
    const Stats& st = lane->stats();
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
    std::printf("errors by reason (grpc code, reason):\n");
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
  return all.ok > 0 ? 0 : 1;
}
