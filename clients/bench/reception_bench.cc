// accueil-reception-bench: the reception day against a running accueil-server
// (issue 10; docs/benchmarks.md#reception-counters-and-the-waiting-room-display).
//
// Booking takes arrivals only on the appointment's local day, from 2 hours
// before its slot, on the server's real clock. So each part sets up, through
// the real RPCs, a site in the fixed-offset zone where it is now midday
// (Etc/GMT-N), a desk open all day (5-minute slots, 100 places), and books
// people as the public into the slots of the next 2 hours; a lodge agent
// checks them all in (CheckInVisitor). Then:
//
//   counters: --counters counters are created and opened, and as many
//     threads (a connection each) loop CallNextVisitor -> StartVisit ->
//     FinishVisit until the queue is empty. Prints visits/s, calls/s,
//     latency per RPC, errors by reason, and checks that nobody was called
//     twice or skipped.
//   display: --watchers WatchQueue streams on the site (callback API, spread
//     over --watch-channels connections) wait for their initial state; then
//     one counter calls --calls people one after another, every
//     --call-interval-ms, serving each (start, finish) before the next call.
//     For every (watcher, call) pair: the time from just before
//     CallNextVisitor is sent to the watcher's receipt of that visit's
//     "visit.called" change. Prints p50/p95/p99/max and the pairs missed.
//   screens: --screens waiting-room displays connected through the gateway
//     (--gateway HOST:PORT), each an HTTP connection reading the Server-Sent
//     Events of /ecran/flux with a device token of the site (made here with
//     CreateDeviceToken); then one counter calls --calls people as above.
//     For every (screen, call) pair: the time from just before
//     CallNextVisitor is sent to the screen's receipt of the board naming
//     that ticket as the new call. With --gateway-pid, the gateway's threads
//     and resident memory before the screens connect, once they are all
//     connected, and at the end (/proc/PID/status).
//
// Tokens (files): --admin-token-file (ADMINISTRATOR: sites, desks, counters),
// --lodge-token-file (LODGE_AGENT: check-ins, the watchers),
// --counter-token-file (COUNTER_AGENT: the counters), for every site
// (scripts/bench_reception.sh gets them from the development issuer).
// Each part prints "<part>: start" and "<part>: end" around its measured
// phase (the script samples CPU use there), then a machine-readable line:
//
//   RESULT part=counters counters=10 visits=900 visits_per_s=... calls_per_s=...
//   RESULT part=display watchers=500 calls=50 pairs=25000 missed=0 p50_ms=... p99_ms=...
//   RESULT part=screens screens=500 calls=50 pairs=25000 missed=0 p50_ms=... threads_before=...
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "clients/bench/bench_common.h"

namespace {

namespace bv1 = ::accueil::booking::v1;
namespace rv1 = ::accueil::reception::v1;
namespace bench = ::accueil::bench;
using bench::Die;
using bench::Percentile;
using Clock = std::chrono::steady_clock;

const absl::Duration kCallTimeout = absl::Seconds(30);
// A desk's tickets are numbered 1-999 a day (db/migrations/0015_reception.sql).
constexpr int kMaxTicketsPerDesk = 999;

struct Options {
  std::string server = "127.0.0.1:50051";
  std::string admin_token_file;
  std::string lodge_token_file;
  std::string counter_token_file;
  std::string part = "both";
  int visitors = 900;
  int counters = 10;
  int setup_clients = 8;
  int watchers = 500;
  int watch_channels = 10;
  int calls = 50;
  int call_interval_ms = 150;
  std::string gateway = "127.0.0.1:8080";
  int screens = 500;
  int gateway_pid = 0;
};

constexpr char kUsage[] =
    "usage: accueil-reception-bench --admin-token-file FILE --lodge-token-file FILE\n"
    "           --counter-token-file FILE [--server HOST:PORT]\n"
    "           [--part counters|display|both|screens] [--visitors N] [--counters N]\n"
    "           [--setup-clients N] [--watchers N] [--watch-channels N] [--calls N]\n"
    "           [--call-interval-ms N] [--gateway HOST:PORT] [--screens N] [--gateway-pid PID]\n"
    "  counters: N counters serve --visitors checked-in people until the queue is\n"
    "  empty (CallNextVisitor, StartVisit, FinishVisit); prints visits/s, calls/s,\n"
    "  latency per RPC and errors by reason.\n"
    "  display: --watchers WatchQueue streams; one counter calls --calls people,\n"
    "  one every --call-interval-ms; prints the call-to-display latency.\n"
    "  screens: --screens displays on the gateway's event stream (/ecran/flux);\n"
    "  the same calls; prints the call-to-screen latency, the gateway's threads\n"
    "  and memory.\n";

Options ParseFlags(int argc, char** argv) {
  Options o;
  bench::Flags flags(argc, argv, {}, kUsage);
  while (flags.Next()) {
    const std::string& arg = flags.name();
    const std::string& value = flags.value();
    if (arg == "--server") {
      o.server = value;
    } else if (arg == "--admin-token-file") {
      o.admin_token_file = value;
    } else if (arg == "--lodge-token-file") {
      o.lodge_token_file = value;
    } else if (arg == "--counter-token-file") {
      o.counter_token_file = value;
    } else if (arg == "--part") {
      if (value != "counters" && value != "display" && value != "both" && value != "screens") {
        flags.Usage(2);
      }
      o.part = value;
    } else if (arg == "--visitors") {
      o.visitors = flags.Number(1, kMaxTicketsPerDesk);
    } else if (arg == "--counters") {
      o.counters = flags.Number(1, 100);
    } else if (arg == "--setup-clients") {
      o.setup_clients = flags.Number(1, 64);
    } else if (arg == "--watchers") {
      o.watchers = flags.Number(1, 10000);
    } else if (arg == "--watch-channels") {
      o.watch_channels = flags.Number(1, 1000);
    } else if (arg == "--calls") {
      o.calls = flags.Number(1, kMaxTicketsPerDesk);
    } else if (arg == "--call-interval-ms") {
      o.call_interval_ms = flags.Number(0, 60000);
    } else if (arg == "--gateway") {
      o.gateway = value;
    } else if (arg == "--screens") {
      o.screens = flags.Number(1, 20000);
    } else if (arg == "--gateway-pid") {
      o.gateway_pid = flags.Number(1, 1 << 30);
    } else {
      flags.Usage(2);
    }
  }
  if (o.admin_token_file.empty() || o.lodge_token_file.empty() || o.counter_token_file.empty()) {
    flags.Usage(2);
  }
  return o;
}

// Errors counts failed calls by "RPC CODE REASON". Thread-safe.
class Errors {
 public:
  void Add(const std::string& rpc, const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[absl::StrCat(rpc, " ", bench::CodeAndReason(status))];
  }
  uint64_t Total() {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t total = 0;
    for (const auto& [key, count] : counts_) total += count;
    return total;
  }
  void Print() {
    std::lock_guard<std::mutex> lock(mu_);
    if (counts_.empty()) {
      std::printf("errors by reason: none\n");
      return;
    }
    std::printf("errors by reason (rpc, grpc code, reason):\n");
    for (const auto& [key, count] : counts_)
      std::printf("  %-60s %" PRIu64 "\n", key.c_str(), count);
  }

 private:
  std::mutex mu_;
  std::map<std::string, uint64_t> counts_;
};

void PrintLatency(const char* what, std::vector<uint32_t> micros) {
  std::sort(micros.begin(), micros.end());
  std::printf("  %-18s %6zu calls  p50 %7.2f  p95 %7.2f  p99 %7.2f  max %7.2f ms\n", what,
              micros.size(), Percentile(micros, 0.50), Percentile(micros, 0.95),
              Percentile(micros, 0.99), micros.empty() ? 0.0 : micros.back() / 1000.0);
}

// RunParallel runs fn(thread, i) for i in [0, n) on `threads` threads.
void RunParallel(int threads, int n, const std::function<void(int, int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i; (i = next++) < n;) fn(t, i);
    });
  }
  for (std::thread& thread : pool) thread.join();
}

// The fixed-offset zone where it is now between 12:00 and 12:59: the whole
// arrival window of the next 2 hours lies in the same local day, far from
// midnight and from the desks' default closing time (18:00).
std::string MiddayZone() {
  const int utc_hour = static_cast<int>(absl::ToCivilHour(absl::Now(), absl::UTCTimeZone()).hour());
  const int east = 12 - utc_hour;  // -11 to +12 hours: all in tzdata
  if (east == 0) return "Etc/GMT";
  // POSIX sign: Etc/GMT-2 is two hours east of UTC.
  return east > 0 ? absl::StrCat("Etc/GMT-", east) : absl::StrCat("Etc/GMT+", -east);
}

struct Tokens {
  std::string admin;
  std::string lodge;
  std::string counter;
};

// Day is a site with a desk whose checked-in people wait in the queue.
struct Day {
  bench::Desk desk;
  std::vector<std::string> visits;  // "visits/{id}", checked in
};

// PrepareDay sets up a site and a desk open all day, books `people` people
// as the public in the slots starting in the next 2 hours, and checks them
// all in as the lodge agent; prints the rates of both steps. `phone_base`
// keeps each part's people distinct.
Day PrepareDay(const Options& o, const Tokens& tokens, const std::string& label, int people,
               uint64_t phone_base) {
  std::shared_ptr<grpc::Channel> channel = bench::OwnChannel(o.server);
  auto booking = bv1::BookingService::NewStub(channel);
  Day day;
  day.desk = bench::CreateOpenDesk(*booking, tokens.admin, MiddayZone(), /*slot_minutes=*/5,
                                   /*capacity=*/100);
  const absl::Time now = absl::Now();
  const absl::CivilDay today = absl::ToCivilDay(now, day.desk.zone);
  // From 3 minutes on (not late when checked in), starting within 1 h 50
  // (check-in opens 2 h before the slot; the setup takes a while).
  bench::Released released =
      bench::ReleaseSlots(*booking, tokens.admin, day.desk, today, today, now + absl::Minutes(3));
  std::vector<std::string> slots;
  for (const bv1::Slot& slot : released.slots) {
    if (slot.start_time().seconds() < absl::ToUnixSeconds(now + absl::Minutes(110))) {
      slots.push_back(slot.name());
    }
  }
  if (slots.empty() || static_cast<int>(slots.size()) * 100 < people) {
    Die(absl::StrCat(label, ": ", slots.size(), " slots in the next 2 hours, too few for ", people,
                     " people"));
  }
  std::printf("%s: %s (%s), %s, %zu slots of 5 min in the next 2 h, %d people\n", label.c_str(),
              day.desk.site.c_str(), day.desk.zone.name().c_str(), day.desk.desk.c_str(),
              slots.size(), people);

  const int threads = std::min(o.setup_clients, people);
  std::vector<std::unique_ptr<bv1::BookingService::Stub>> public_stubs;
  std::vector<std::unique_ptr<rv1::ReceptionService::Stub>> lodge_stubs;
  std::vector<std::mt19937_64> rngs;
  for (int t = 0; t < threads; ++t) {
    std::shared_ptr<grpc::Channel> own = bench::OwnChannel(o.server);
    public_stubs.push_back(bv1::BookingService::NewStub(own));
    lodge_stubs.push_back(rv1::ReceptionService::NewStub(own));
    rngs.push_back(bench::SeededRng());
  }

  // Booking, as the public: person i in slot i mod N, a phone number each.
  std::vector<std::string> references(people);
  Clock::time_point start = Clock::now();
  RunParallel(threads, people, [&](int t, int i) {
    bv1::CreateAppointmentRequest req;
    req.set_slot(slots[i % slots.size()]);
    req.mutable_person()->set_given_name("Camille");
    req.mutable_person()->set_family_name("Martin");
    req.mutable_person()->set_preferred_language("fr");
    req.mutable_person()->set_phone(bench::Phone(phone_base + i));
    req.mutable_accessibility()->set_need(bv1::NONE);
    req.set_channel(bv1::ONLINE);
    req.set_request_id(bench::RandomHex(rngs[t], 16));
    bv1::Appointment appointment;
    grpc::Status s = public_stubs[t]->CreateAppointment(bench::Context(kCallTimeout, "").get(), req,
                                                        &appointment);
    if (!s.ok()) Die(absl::StrCat(label, ": CreateAppointment: ", bench::Describe(s)));
    references[i] = appointment.reference();
  });
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%s: booked %d in %.1f s (%.0f/s, %d clients)\n", label.c_str(), people, seconds,
              people / seconds, threads);

  // Check-in, as the lodge agent.
  day.visits.resize(people);
  std::vector<std::vector<uint32_t>> micros(threads);
  start = Clock::now();
  RunParallel(threads, people, [&](int t, int i) {
    rv1::CheckInVisitorRequest req;
    req.set_site(day.desk.site);
    req.set_reference(references[i]);
    req.set_request_id(bench::RandomHex(rngs[t], 16));
    rv1::Visit visit;
    Clock::time_point begin = Clock::now();
    grpc::Status s = lodge_stubs[t]->CheckInVisitor(
        bench::Context(kCallTimeout, tokens.lodge).get(), req, &visit);
    if (!s.ok()) Die(absl::StrCat(label, ": CheckInVisitor: ", bench::Describe(s)));
    micros[t].push_back(bench::MicrosSince(begin));
    day.visits[i] = visit.name();
  });
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<uint32_t> all;
  for (const auto& m : micros) all.insert(all.end(), m.begin(), m.end());
  std::printf("%s: checked in %d in %.1f s (%.0f/s, %d clients)\n", label.c_str(), people, seconds,
              people / seconds, threads);
  PrintLatency("CheckInVisitor", std::move(all));
  std::fflush(stdout);
  return day;
}

// OpenCounters creates `n` counters serving the desk and opens them.
std::vector<std::string> OpenCounters(const Options& o, const Tokens& tokens, const Day& day,
                                      int n) {
  auto stub = rv1::ReceptionService::NewStub(bench::OwnChannel(o.server));
  std::mt19937_64 rng = bench::SeededRng();
  std::vector<std::string> names;
  for (int c = 0; c < n; ++c) {
    rv1::CreateCounterRequest create;
    create.mutable_counter()->set_site(day.desk.site);
    create.mutable_counter()->set_display_name(absl::StrCat("Guichet ", c + 1));
    create.mutable_counter()->add_desks(day.desk.desk);
    create.set_request_id(bench::RandomHex(rng, 16));
    rv1::Counter counter;
    if (grpc::Status s =
            stub->CreateCounter(bench::Context(kCallTimeout, tokens.admin).get(), create, &counter);
        !s.ok()) {
      Die("CreateCounter: " + bench::Describe(s));
    }
    rv1::OpenCounterRequest open;
    open.set_counter(counter.name());
    open.set_request_id(bench::RandomHex(rng, 16));
    if (grpc::Status s =
            stub->OpenCounter(bench::Context(kCallTimeout, tokens.counter).get(), open, &counter);
        !s.ok()) {
      Die("OpenCounter: " + bench::Describe(s));
    }
    names.push_back(counter.name());
  }
  return names;
}

// ServeOne calls the next person at `counter`, starts and finishes their
// visit. Returns the visit's name, "" when the queue is empty, or an error
// (counted in `errors`) as the status.
struct Served {
  grpc::Status status;
  std::string visit;
  std::string ticket;
  uint32_t call_us = 0, start_us = 0, finish_us = 0;
};
Served ServeOne(rv1::ReceptionService::Stub& stub, const std::string& token,
                const std::string& counter, std::mt19937_64& rng, Errors& errors) {
  Served out;
  rv1::CounterRequest call;
  call.set_counter(counter);
  call.set_request_id(bench::RandomHex(rng, 16));
  rv1::Visit visit;
  Clock::time_point begin = Clock::now();
  out.status = stub.CallNextVisitor(bench::Context(kCallTimeout, token).get(), call, &visit);
  out.call_us = bench::MicrosSince(begin);
  if (!out.status.ok()) {
    if (bench::Reason(out.status) == "QUEUE_EMPTY")
      out.status = grpc::Status::OK;
    else
      errors.Add("CallNextVisitor", out.status);
    return out;
  }
  out.visit = visit.name();
  out.ticket = visit.ticket();
  rv1::VisitRequest start;
  start.set_visit(visit.name());
  start.set_request_id(bench::RandomHex(rng, 16));
  begin = Clock::now();
  out.status = stub.StartVisit(bench::Context(kCallTimeout, token).get(), start, &visit);
  out.start_us = bench::MicrosSince(begin);
  if (!out.status.ok()) {
    errors.Add("StartVisit", out.status);
    return out;
  }
  rv1::FinishVisitRequest finish;
  finish.set_visit(visit.name());
  finish.set_outcome(rv1::SERVED);
  finish.set_request_id(bench::RandomHex(rng, 16));
  rv1::FinishVisitResponse finished;
  begin = Clock::now();
  out.status = stub.FinishVisit(bench::Context(kCallTimeout, token).get(), finish, &finished);
  out.finish_us = bench::MicrosSince(begin);
  if (!out.status.ok()) errors.Add("FinishVisit", out.status);
  return out;
}

// --- Part 1: counters --------------------------------------------------------

void RunCounters(const Options& o, const Tokens& tokens) {
  Day day = PrepareDay(o, tokens, "counters", o.visitors, 0);
  std::vector<std::string> counters = OpenCounters(o, tokens, day, o.counters);

  struct Lane {
    std::vector<uint32_t> call, start, finish;
    std::vector<std::string> visits;
    bool stopped = false;  // an error left the counter busy
  };
  std::vector<Lane> lanes(counters.size());
  Errors errors;
  std::printf("counters: start\n");
  std::fflush(stdout);
  const double cpu_start = bench::ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (size_t c = 0; c < counters.size(); ++c) {
    threads.emplace_back([&, c] {
      auto stub = rv1::ReceptionService::NewStub(bench::OwnChannel(o.server));
      std::mt19937_64 rng = bench::SeededRng();
      Lane& lane = lanes[c];
      int failed_calls = 0;
      for (;;) {
        Served s = ServeOne(*stub, tokens.counter, counters[c], rng, errors);
        if (s.visit.empty()) {
          if (s.status.ok()) return;  // the queue is empty
          // A failed call is counted and made again, unless it keeps failing.
          if (++failed_calls > 100) {
            lane.stopped = true;
            return;
          }
          continue;
        }
        lane.call.push_back(s.call_us);
        lane.visits.push_back(s.visit);
        if (!s.status.ok()) {  // the counter is left calling or serving
          lane.stopped = true;
          return;
        }
        lane.start.push_back(s.start_us);
        lane.finish.push_back(s.finish_us);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double client_cpu = bench::ProcessCpuSeconds() - cpu_start;
  std::printf("counters: end\n");

  std::vector<uint32_t> call, start_us, finish;
  std::vector<std::string> called;
  int stopped = 0;
  for (const Lane& lane : lanes) {
    call.insert(call.end(), lane.call.begin(), lane.call.end());
    start_us.insert(start_us.end(), lane.start.begin(), lane.start.end());
    finish.insert(finish.end(), lane.finish.begin(), lane.finish.end());
    called.insert(called.end(), lane.visits.begin(), lane.visits.end());
    stopped += lane.stopped ? 1 : 0;
  }
  const std::set<std::string> distinct(called.begin(), called.end());
  const std::set<std::string> checked_in(day.visits.begin(), day.visits.end());
  size_t skipped = 0;
  for (const std::string& v : checked_in) skipped += distinct.count(v) == 0 ? 1 : 0;
  const size_t twice = called.size() - distinct.size();
  const size_t visits = finish.size();
  const uint64_t rpcs = call.size() + start_us.size() + finish.size();
  const uint64_t error_count = errors.Total();
  std::printf(
      "counters: %zu counters served %zu visits in %.2f s: %.1f visits/s, %.1f calls/s"
      " (3 RPCs a visit)\n",
      counters.size(), visits, seconds, visits / seconds, rpcs / seconds);
  std::printf("latency ms, per RPC:\n");
  PrintLatency("CallNextVisitor", call);
  PrintLatency("StartVisit", start_us);
  PrintLatency("FinishVisit", finish);
  errors.Print();
  std::printf(
      "called %zu, distinct %zu (called twice: %zu), checked in %zu, never called: %zu,"
      " counters stopped by an error: %d\n",
      called.size(), distinct.size(), twice, checked_in.size(), skipped, stopped);
  std::printf("client CPU: %.2f s\n", client_cpu);
  std::sort(call.begin(), call.end());
  std::sort(start_us.begin(), start_us.end());
  std::sort(finish.begin(), finish.end());
  std::printf(
      "RESULT part=counters counters=%zu visits=%zu seconds=%.2f visits_per_s=%.1f"
      " calls_per_s=%.1f call_p50_ms=%.2f call_p99_ms=%.2f start_p50_ms=%.2f"
      " start_p99_ms=%.2f finish_p50_ms=%.2f finish_p99_ms=%.2f errors=%" PRIu64
      " called_twice=%zu never_called=%zu client_cpu_s=%.3f\n",
      counters.size(), visits, seconds, visits / seconds, rpcs / seconds, Percentile(call, 0.5),
      Percentile(call, 0.99), Percentile(start_us, 0.5), Percentile(start_us, 0.99),
      Percentile(finish, 0.5), Percentile(finish, 0.99), error_count, twice, skipped, client_cpu);
  std::fflush(stdout);
}

// --- Part 2: the waiting-room display -----------------------------------------

// Watchers is what every watcher shares: counts of watchers that got their
// state and that ended. Thread-safe.
class Watchers {
 public:
  void StateReceived() {
    std::lock_guard<std::mutex> lock(mu_);
    ++with_state_;
    cv_.notify_all();
  }
  void CallReceived() { ++calls_received_; }
  uint64_t calls_received() const { return calls_received_; }
  int with_state() {
    std::lock_guard<std::mutex> lock(mu_);
    return with_state_;
  }
  void Ended() {
    std::lock_guard<std::mutex> lock(mu_);
    ++ended_;
    cv_.notify_all();
  }
  // WaitFor waits until `done()` (under the lock) or the deadline.
  bool WaitFor(Clock::time_point deadline, const std::function<bool(int, int)>& done) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return done(with_state_, ended_); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int with_state_ = 0;
  int ended_ = 0;
  std::atomic<uint64_t> calls_received_{0};
};

// Watcher is one WatchQueue stream, read on gRPC's callback threads: it
// notes when each "visit.called" change arrived. Its records are read once
// it ended (Watchers::Ended orders them).
class Watcher final : public grpc::ClientReadReactor<rv1::QueueUpdate> {
 public:
  Watcher(Watchers* group, const std::string& token, const std::string& site) : group_(group) {
    ctx_.AddMetadata("authorization", "Bearer " + token);
    req_.set_site(site);
  }

  void Start(rv1::ReceptionService::Stub& stub) {
    stub.async()->WatchQueue(&ctx_, &req_, this);
    StartRead(&update_);
    StartCall();
  }
  void Cancel() { ctx_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    if (update_.has_state()) {
      if (got_state_) ++states_again_;
      if (!got_state_) {
        got_state_ = true;
        group_->StateReceived();
      }
    } else if (update_.has_change() && update_.change().kind() == "visit.called") {
      called_.push_back(Receipt{update_.change().visit(), Clock::now()});
      group_->CallReceived();
    }
    StartRead(&update_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    group_->Ended();
  }

  // Receipt is one "visit.called" change and when it arrived.
  struct Receipt {
    std::string visit;
    Clock::time_point time;
  };
  const std::vector<Receipt>& called() const { return called_; }
  const grpc::Status& status() const { return status_; }
  bool got_state() const { return got_state_; }
  int states_again() const { return states_again_; }

 private:
  Watchers* const group_;
  grpc::ClientContext ctx_;
  rv1::WatchQueueRequest req_;
  rv1::QueueUpdate update_;
  bool got_state_ = false;
  int states_again_ = 0;
  std::vector<Receipt> called_;
  grpc::Status status_;
};

void RunDisplay(const Options& o, const Tokens& tokens) {
  Day day = PrepareDay(o, tokens, "display", o.calls, 1000000);
  const std::string counter = OpenCounters(o, tokens, day, 1).front();

  // The watchers, spread over their connections.
  std::vector<std::unique_ptr<rv1::ReceptionService::Stub>> stubs;
  for (int c = 0; c < o.watch_channels; ++c) {
    stubs.push_back(rv1::ReceptionService::NewStub(bench::OwnChannel(o.server)));
  }
  Watchers group;
  std::vector<std::unique_ptr<Watcher>> watchers;
  Clock::time_point begin = Clock::now();
  for (int w = 0; w < o.watchers; ++w) {
    watchers.push_back(std::make_unique<Watcher>(&group, tokens.lodge, day.desk.site));
    watchers.back()->Start(*stubs[w % stubs.size()]);
  }
  const int n = o.watchers;
  const bool all_ready = group.WaitFor(
      Clock::now() + std::chrono::seconds(60),
      [n](int with_state, int ended) { return with_state == n || with_state + ended >= n; });
  const int ready = group.with_state();
  std::printf("display: %d of %d watchers got their initial state in %.2f s (%d connections)%s\n",
              ready, n, std::chrono::duration<double>(Clock::now() - begin).count(),
              o.watch_channels, all_ready ? "" : " (timed out)");

  // One counter calls, serves and calls again, one call every interval.
  auto stub = rv1::ReceptionService::NewStub(bench::OwnChannel(o.server));
  std::mt19937_64 rng = bench::SeededRng();
  Errors errors;
  std::unordered_map<std::string, Clock::time_point> sent;  // visit -> before its call
  std::vector<uint32_t> call_us;
  std::printf("display: start\n");
  std::fflush(stdout);
  const double cpu_start = bench::ProcessCpuSeconds();
  for (int i = 0; i < o.calls; ++i) {
    const Clock::time_point t0 = Clock::now();
    Served s = ServeOne(*stub, tokens.counter, counter, rng, errors);
    if (!s.visit.empty()) {
      sent[s.visit] = t0;
      call_us.push_back(s.call_us);
    }
    if (!s.status.ok() && !s.visit.empty()) break;  // the counter is left busy
    std::this_thread::sleep_until(t0 + std::chrono::milliseconds(o.call_interval_ms));
  }
  // Until every watcher saw every call, or 10 s more.
  const uint64_t expected = static_cast<uint64_t>(ready) * sent.size();
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (group.calls_received() < expected && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double client_cpu = bench::ProcessCpuSeconds() - cpu_start;
  std::printf("display: end\n");
  for (auto& w : watchers) w->Cancel();
  // A watcher is read, and freed, only once it ended.
  if (!group.WaitFor(Clock::now() + std::chrono::seconds(30),
                     [n](int, int ended) { return ended == n; })) {
    Die("display: some watchers did not end 30 s after being cancelled");
  }

  // (watcher, call) pairs.
  std::vector<uint32_t> latency;
  uint64_t missed = 0;
  int failed_streams = 0, states_again = 0;
  for (const auto& w : watchers) {
    if (!w->got_state() ||
        (!w->status().ok() && w->status().error_code() != grpc::StatusCode::CANCELLED)) {
      ++failed_streams;
      if (failed_streams <= 3) {
        std::printf("display: a watcher ended: %s\n", bench::Describe(w->status()).c_str());
      }
    }
    states_again += w->states_again();
    std::unordered_map<std::string, Clock::time_point> got;
    for (const Watcher::Receipt& r : w->called()) got.emplace(r.visit, r.time);  // the first call
    for (const auto& [visit, t0] : sent) {
      auto it = got.find(visit);
      if (it == got.end()) {
        ++missed;
      } else {
        latency.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(it->second - t0).count()));
      }
    }
  }
  std::sort(latency.begin(), latency.end());
  std::sort(call_us.begin(), call_us.end());
  const uint64_t pairs = static_cast<uint64_t>(watchers.size()) * sent.size();
  const double p99 = Percentile(latency, 0.99);
  std::printf("display: %zu calls, one every %d ms, to %zu watchers: %" PRIu64
              " pairs, %zu received, %" PRIu64 " missed\n",
              sent.size(), o.call_interval_ms, watchers.size(), pairs, latency.size(), missed);
  std::printf(
      "call to display ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f (target p99 < 1000: %s)\n",
      Percentile(latency, 0.5), Percentile(latency, 0.95), p99,
      latency.empty() ? 0.0 : latency.back() / 1000.0,
      p99 < 1000 && missed == 0 ? "met" : "NOT met");
  std::printf("latency ms, per RPC:\n");
  PrintLatency("CallNextVisitor", call_us);
  errors.Print();
  std::printf("watchers that failed or never got a state: %d; states sent again: %d\n",
              failed_streams, states_again);
  std::printf("client CPU: %.2f s\n", client_cpu);
  std::printf("RESULT part=display watchers=%zu calls=%zu pairs=%" PRIu64 " missed=%" PRIu64
              " p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f call_p50_ms=%.2f"
              " call_p99_ms=%.2f errors=%" PRIu64
              " failed_watchers=%d target_met=%d"
              " client_cpu_s=%.3f\n",
              watchers.size(), sent.size(), pairs, missed, Percentile(latency, 0.5),
              Percentile(latency, 0.95), p99, latency.empty() ? 0.0 : latency.back() / 1000.0,
              Percentile(call_us, 0.5), Percentile(call_us, 0.99), errors.Total(), failed_streams,
              p99 < 1000 && missed == 0 ? 1 : 0, client_cpu);
  std::fflush(stdout);
}

// --- Part 3: the displays through the gateway -------------------------------

// ProcessFigures: a process's threads and resident memory (/proc/PID/status).
struct ProcessFigures {
  int threads = 0;
  int64_t rss_kib = 0;
};
ProcessFigures Figures(int pid) {
  ProcessFigures f;
  if (pid <= 0) return f;
  std::FILE* file = std::fopen(absl::StrCat("/proc/", pid, "/status").c_str(), "r");
  if (file == nullptr) return f;
  char line[256];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    std::sscanf(line, "Threads: %d", &f.threads);
    std::sscanf(line, "VmRSS: %" SCNd64, &f.rss_kib);
  }
  std::fclose(file);
  return f;
}

// Screen is one display's HTTP connection to /ecran/flux.
struct Screen {
  int fd = -1;
  std::string buffer;                                        // what arrived, not yet a whole event
  bool board = false;                                        // the first board arrived
  std::unordered_map<std::string, Clock::time_point> calls;  // ticket -> first receipt
};

int Connect(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    Die("--gateway must be HOST:PORT");
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    Die("--gateway must be an IPv4 address and a port");
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Die(absl::StrCat("cannot connect to the gateway ", host_port));
  }
  return fd;
}

// ReadScreens reads every screen's events until `stop`, on one thread.
void ReadScreens(std::vector<Screen>& screens, std::atomic<bool>& stop,
                 std::atomic<int>& with_board, std::atomic<uint64_t>& calls_received) {
  std::vector<pollfd> fds;
  for (const Screen& s : screens) fds.push_back(pollfd{s.fd, POLLIN, 0});
  char chunk[8192];
  while (!stop) {
    if (poll(fds.data(), fds.size(), 100) <= 0) continue;
    const Clock::time_point now = Clock::now();
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = recv(fds[i].fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        fds[i].fd = -1;  // closed: poll ignores it from now on
        continue;
      }
      Screen& screen = screens[i];
      screen.buffer.append(chunk, n);
      for (size_t end; (end = screen.buffer.find("\n\n")) != std::string::npos;) {
        const std::string event = screen.buffer.substr(0, end);
        screen.buffer.erase(0, end + 2);
        if (event.find("event: board") == std::string::npos) continue;
        if (!screen.board) {
          screen.board = true;
          ++with_board;
        }
        const size_t at = event.find("\"call\":\"");
        if (at == std::string::npos) continue;
        const size_t from = at + 8;
        if (screen.calls.emplace(event.substr(from, event.find('"', from) - from), now).second) {
          ++calls_received;
        }
      }
    }
  }
}

void RunScreens(const Options& o, const Tokens& tokens) {
  Day day = PrepareDay(o, tokens, "screens", o.calls, 2000000);
  const std::string counter = OpenCounters(o, tokens, day, 1).front();
  // The displays' device token, as an administrator makes it.
  auto access = accueil::access::v1::AccessService::NewStub(bench::OwnChannel(o.server));
  accueil::access::v1::CreateDeviceTokenRequest create;
  create.set_site(day.desk.site);
  create.set_display_name("Écrans du banc d'essai");
  accueil::access::v1::DeviceToken device;
  if (grpc::Status st = access->CreateDeviceToken(bench::Context(kCallTimeout, tokens.admin).get(),
                                                  create, &device);
      !st.ok()) {
    Die("CreateDeviceToken: " + bench::Describe(st));
  }

  const ProcessFigures idle = Figures(o.gateway_pid);
  std::vector<Screen> screens(o.screens);
  const Clock::time_point begin = Clock::now();
  const std::string request = absl::StrCat(
      "GET /ecran/flux HTTP/1.1\r\nHost: ", o.gateway,
      "\r\nAccept: text/event-stream\r\nCookie: accueil_device=", device.token(), "\r\n\r\n");
  for (Screen& screen : screens) {
    screen.fd = Connect(o.gateway);
    if (send(screen.fd, request.data(), request.size(), 0) !=
        static_cast<ssize_t>(request.size())) {
      Die("cannot send to the gateway");
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> with_board{0};
  std::atomic<uint64_t> calls_received{0};
  std::thread reader([&] { ReadScreens(screens, stop, with_board, calls_received); });
  const Clock::time_point ready_by = Clock::now() + std::chrono::seconds(60);
  while (with_board < o.screens && Clock::now() < ready_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int ready = with_board;
  const ProcessFigures connected = Figures(o.gateway_pid);
  std::printf("screens: %d of %d screens got the board in %.2f s (one connection each)%s\n", ready,
              o.screens, std::chrono::duration<double>(Clock::now() - begin).count(),
              ready == o.screens ? "" : " (timed out)");

  auto stub = rv1::ReceptionService::NewStub(bench::OwnChannel(o.server));
  std::mt19937_64 rng = bench::SeededRng();
  Errors errors;
  std::unordered_map<std::string, Clock::time_point> sent;  // ticket -> before its call
  std::printf("screens: start\n");
  std::fflush(stdout);
  const double cpu_start = bench::ProcessCpuSeconds();
  for (int i = 0; i < o.calls; ++i) {
    const Clock::time_point t0 = Clock::now();
    Served served = ServeOne(*stub, tokens.counter, counter, rng, errors);
    if (!served.ticket.empty()) sent[served.ticket] = t0;
    if (!served.status.ok() && !served.visit.empty()) break;
    std::this_thread::sleep_until(t0 + std::chrono::milliseconds(o.call_interval_ms));
  }
  // Until every screen saw every call, or 10 s more.
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (calls_received < static_cast<uint64_t>(ready) * sent.size() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const ProcessFigures end = Figures(o.gateway_pid);
  const double client_cpu = bench::ProcessCpuSeconds() - cpu_start;
  std::printf("screens: end\n");
  stop = true;
  reader.join();
  for (Screen& screen : screens) close(screen.fd);

  std::vector<uint32_t> latency;
  uint64_t missed = 0;
  for (const Screen& screen : screens) {
    for (const auto& [ticket, t0] : sent) {
      auto it = screen.calls.find(ticket);
      if (it == screen.calls.end()) {
        ++missed;
      } else {
        latency.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(it->second - t0).count()));
      }
    }
  }
  std::sort(latency.begin(), latency.end());
  const uint64_t pairs = static_cast<uint64_t>(screens.size()) * sent.size();
  const double p99 = Percentile(latency, 0.99);
  std::printf("screens: %zu calls, one every %d ms, to %zu screens: %" PRIu64
              " pairs, %zu received, %" PRIu64 " missed\n",
              sent.size(), o.call_interval_ms, screens.size(), pairs, latency.size(), missed);
  std::printf("call to screen ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f (target p99 < 1000: %s)\n",
              Percentile(latency, 0.5), Percentile(latency, 0.95), p99,
              latency.empty() ? 0.0 : latency.back() / 1000.0,
              p99 < 1000 && missed == 0 ? "met" : "NOT met");
  if (o.gateway_pid > 0) {
    std::printf(
        "gateway process: threads %d before, %d with the screens, %d at the end; resident "
        "memory %.1f MiB before, %.1f MiB with the screens (%.1f KiB a screen)\n",
        idle.threads, connected.threads, end.threads, idle.rss_kib / 1024.0,
        connected.rss_kib / 1024.0,
        static_cast<double>(connected.rss_kib - idle.rss_kib) / std::max(1, o.screens));
  }
  errors.Print();
  std::printf("client CPU: %.2f s\n", client_cpu);
  std::printf("RESULT part=screens screens=%zu calls=%zu pairs=%" PRIu64 " missed=%" PRIu64
              " p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%" PRIu64
              " threads_before=%d threads_connected=%d rss_before_kib=%" PRId64
              " rss_connected_kib=%" PRId64 " target_met=%d client_cpu_s=%.3f\n",
              screens.size(), sent.size(), pairs, missed, Percentile(latency, 0.5),
              Percentile(latency, 0.95), p99, latency.empty() ? 0.0 : latency.back() / 1000.0,
              errors.Total(), idle.threads, connected.threads, idle.rss_kib, connected.rss_kib,
              p99 < 1000 && missed == 0 ? 1 : 0, client_cpu);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseFlags(argc, argv);
  Tokens tokens{bench::ReadToken(o.admin_token_file), bench::ReadToken(o.lodge_token_file),
                bench::ReadToken(o.counter_token_file)};
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    Die(absl::StrCat("cannot connect to ", o.server));
  }
  std::printf("accueil-reception-bench: server %s, part %s\n", o.server.c_str(), o.part.c_str());
  if (o.part == "screens") {
    RunScreens(o, tokens);
    return 0;
  }
  if (o.part != "display") RunCounters(o, tokens);
  if (o.part != "counters") RunDisplay(o, tokens);
  return 0;
}
