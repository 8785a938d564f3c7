// What the benchmarks in clients/bench share: failing loudly, reading errors'
// reasons, tokens, request ids, latency percentiles, and setting up a site
// and a desk through the real RPCs as an administrator.
//
//   std::string token = bench::ReadToken("admin.token");
//   bench::Desk desk = bench::CreateOpenDesk(booking_stub, token, "Europe/Paris", 5, 100);
//   std::vector<v1::Slot> slots = bench::ReleaseSlots(booking_stub, token, desk, first, last);
//
// A benchmark is a client run by hand or by a script: a setup failure ends the
// process with a message (Die), which is all such a run can do with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "accueil/booking/v1/booking.grpc.pb.h"

namespace accueil::bench {

// Die prints "PROGRAM: what" on stderr and exits with status 1.
[[noreturn]] void Die(const std::string& what);

// Flags walks a benchmark's argv: "--name value", "--name=value", and the
// switches named in `switches` (no value). "--help" and "-h" print `usage`
// and exit 0; a flag missing its value prints it and exits 2 (Usage).
//
//   bench::Flags flags(argc, argv, {"--setup-only"}, kUsage);
//   while (flags.Next()) {
//     if (flags.name() == "--clients") o.clients = flags.Number(1, 1024);
//     ...
//   }
class Flags {
 public:
  Flags(int argc, char** argv, std::vector<std::string> switches, const char* usage);
  // Next moves to the next flag; false after the last.
  bool Next();
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // Number is the value as an integer in [min, max]; dies otherwise.
  int Number(int min, int max) const;
  // Usage prints the usage (on stdout for code 0, else stderr) and exits.
  [[noreturn]] void Usage(int code) const;

 private:
  const int argc_;
  char** const argv_;
  const std::vector<std::string> switches_;
  const char* const usage_;
  int next_ = 1;
  std::string name_;
  std::string value_;
};

// Reason is the AIP-193 ErrorInfo reason in a failed call's details, or "-".
std::string Reason(const grpc::Status& status);
// Describe is "code N REASON: message", for a message.
std::string Describe(const grpc::Status& status);
// CodeAndReason is "N REASON", the key errors are counted by.
std::string CodeAndReason(const grpc::Status& status);

// SeededRng is a generator seeded from the system (request ids: not secrets).
std::mt19937_64 SeededRng();
// RandomHex is 2*bytes hex digits from `rng`.
std::string RandomHex(std::mt19937_64& rng, int bytes);

// ReadToken is the bearer token in `path` without surrounding whitespace;
// dies if the file is missing or empty.
std::string ReadToken(const std::string& path);

// Context is a call context with a deadline and, unless `token` is empty,
// the bearer token.
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout, const std::string& token);

// OwnChannel is a channel with a connection of its own (channels to the same
// address otherwise share one) and no transparent retries: every call is
// made once, and a failure is counted, not hidden.
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& server);

// Phone is a distinct valid French mobile number for each n < 8e7.
std::string Phone(uint64_t n);

// Percentile is the p-quantile (0-1) of ascending `sorted` microseconds, in
// milliseconds; 0 when empty.
double Percentile(const std::vector<uint32_t>& sorted, double p);

// ProcessCpuSeconds is the CPU time this process used so far.
double ProcessCpuSeconds();

// MicrosSince is the time from `start` to now in microseconds.
uint32_t MicrosSince(std::chrono::steady_clock::time_point start);

// Desk is a desk made by CreateOpenDesk.
struct Desk {
  std::string site;  // "sites/{id}"
  std::string desk;  // "desks/{id}"
  absl::TimeZone zone;
};

// CreateOpenDesk creates a site in `time_zone` and a desk of `slot_minutes`
// slots for `capacity` people, open every day 00:00-24:00 (CreateSite,
// CreateDesk, SetOpeningHours) as the administrator `token`.
Desk CreateOpenDesk(accueil::booking::v1::BookingService::Stub& stub, const std::string& token,
                    const std::string& time_zone, int slot_minutes, int capacity);

// AddOpenDesk adds another such desk to `site` (its zone `zone`).
Desk AddOpenDesk(accueil::booking::v1::BookingService::Stub& stub, const std::string& token,
                 const std::string& site, absl::TimeZone zone, int slot_minutes, int capacity);

// Released is what ReleaseSlots made and listed.
struct Released {
  int created = 0;                                // ReleaseSlotsResponse.created_slot_count
  std::vector<accueil::booking::v1::Slot> slots;  // those after `from`, by start time
};

// ReleaseSlots releases the desk's slots from `first` to `last` (local days)
// and lists those that start after `from`.
Released ReleaseSlots(accueil::booking::v1::BookingService::Stub& stub, const std::string& token,
                      const Desk& desk, absl::CivilDay first, absl::CivilDay last, absl::Time from);

}  // namespace accueil::bench
