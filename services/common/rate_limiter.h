// RateLimiter: per-client limits on what the public may do, in memory (one
// limiter per process: with N replicas a client gets up to N times the
// rate; the ingress should spread clients by address).
//
// - Token buckets per client and kind (READ, WRITE), refilled continuously.
// - An hourly cap on bookings per client (BOOKING), against bots grabbing
//   slots as they are released.
// - Exempt clients (the digital access point's machines, partner
//   associations' addresses: mediators book for many people), by IP address
//   or CIDR block.
// - An IPv6 client is its /64 (one subscriber gets a whole /64: counting each
//   address apart would hand out 2^64 budgets).
// Refusals are RESOURCE_EXHAUSTED with reason RATE_LIMITED or
// BOOKING_CAP_REACHED and a RetryInfo delay.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accueil/access/v1/policy.pb.h"
#include "services/common/input/cidr.h"

namespace accueil {

struct RateLimitOptions {
  double read_per_second = 5;
  double read_burst = 60;
  double write_per_second = 0.5;
  double write_burst = 20;
  int bookings_per_hour = 10;
  // IP addresses or CIDR blocks ("192.0.2.0/24", "2001:db8::/32").
  std::vector<std::string> exempt;
};

// RateLimiter is thread-safe.
class RateLimiter {
 public:
  // Create fails on a malformed exemption.
  static absl::StatusOr<std::unique_ptr<RateLimiter>> Create(RateLimitOptions options);

  // Admit counts one call of `kind` by `client` at `now`.
  absl::Status Admit(const std::string& client, access::v1::RateLimit kind, absl::Time now);

  // Withdraw takes back the booking Admit counted for `client` at `now`: the
  // call was malformed (INVALID_ARGUMENT), so that typos in a form do not use
  // up a person's hourly cap. Only well-formed attempts count.
  void Withdraw(const std::string& client, access::v1::RateLimit kind, absl::Time now);

  bool IsExempt(const std::string& client) const;

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  explicit RateLimiter(RateLimitOptions options) : options_(std::move(options)) {}
  bool IsExempt(const std::optional<input::IpAddress>& address) const;
  absl::Status Take(absl::flat_hash_map<std::string, Bucket>& buckets, const std::string& client,
                    double rate, double burst, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Sweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimitOptions options_;
  std::vector<input::Cidr> exempt_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> reads_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Bucket> writes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::deque<absl::Time>> bookings_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace accueil
