#include "services/common/rate_limiter.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace accueil {
namespace {

// Clients tracked before idle ones are forgotten (bounded memory under a
// flood of addresses), and how often at most the maps are swept then.
constexpr size_t kMaxTracked = 100000;
constexpr absl::Duration kSweepEvery = absl::Seconds(10);

// ClientKey: what the limits count by. An IPv6 address counts as its /64.
std::string ClientKey(const std::string& client, const std::optional<input::IpAddress>& address) {
  if (!address || address->length != 16) return client;
  std::string key = "v6/64:";
  for (int i = 0; i < 8; ++i) absl::StrAppend(&key, absl::Hex(address->bytes[i], absl::kZeroPad2));
  return key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::Create(RateLimitOptions options) {
  std::unique_ptr<RateLimiter> limiter(new RateLimiter(options));
  for (const std::string& entry : options.exempt) {
    absl::StatusOr<input::Cidr> block = input::ParseCidr(entry);
    if (!block.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("rate limits: ", block.status().message()));
    }
    limiter->exempt_.push_back(*block);
  }
  return limiter;
}

bool RateLimiter::IsExempt(const std::string& client) const {
  return IsExempt(input::ParseIpAddress(client));
}

bool RateLimiter::IsExempt(const std::optional<input::IpAddress>& address) const {
  if (!address) return false;
  for (const input::Cidr& block : exempt_) {
    if (input::Contains(block, *address)) return true;
  }
  return false;
}

absl::Status RateLimiter::Take(absl::flat_hash_map<std::string, Bucket>& buckets,
                               const std::string& client, double rate, double burst,
                               absl::Time now) {
  auto [it, fresh] = buckets.try_emplace(client, Bucket{burst, now});
  Bucket& b = it->second;
  if (!fresh) {
    double elapsed = absl::ToDoubleSeconds(now - b.updated);
    if (elapsed > 0) b.tokens = std::min(burst, b.tokens + elapsed * rate);
    b.updated = std::max(b.updated, now);
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return absl::OkStatus();
  }
  double wait = (1 - b.tokens) / rate;
  return WithRetryDelay(Error(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
                              "too many requests from this address; retry later"),
                        absl::Milliseconds(std::ceil(wait * 1000)));
}

void RateLimiter::Sweep(absl::Time now) {
  if (reads_.size() + writes_.size() + bookings_.size() < kMaxTracked || now < next_sweep_) {
    return;
  }
  next_sweep_ = now + kSweepEvery;
  // Only what the client would find again anyway: a bucket that has filled
  // up since, a booking window whose bookings have all left the hour. A
  // client that is still limited stays limited, however many others come.
  auto full = [&](const Bucket& b, double rate, double burst) {
    return b.tokens + absl::ToDoubleSeconds(now - b.updated) * rate >= burst;
  };
  absl::erase_if(reads_, [&](const auto& kv) {
    return full(kv.second, options_.read_per_second, options_.read_burst);
  });
  absl::erase_if(writes_, [&](const auto& kv) {
    return full(kv.second, options_.write_per_second, options_.write_burst);
  });
  absl::erase_if(bookings_, [&](const auto& kv) {
    return kv.second.empty() || now - kv.second.back() >= absl::Hours(1);
  });
}

absl::Status RateLimiter::Admit(const std::string& client, access::v1::RateLimit kind,
                                absl::Time now) {
  if (kind != access::v1::READ && kind != access::v1::WRITE && kind != access::v1::BOOKING) {
    return absl::OkStatus();
  }
  std::optional<input::IpAddress> address = input::ParseIpAddress(client);
  if (IsExempt(address)) return absl::OkStatus();
  const std::string key = ClientKey(client, address);
  absl::MutexLock lock(&mu_);
  Sweep(now);
  if (kind == access::v1::READ) {
    return Take(reads_, key, options_.read_per_second, options_.read_burst, now);
  }
  if (kind == access::v1::BOOKING) {
    std::deque<absl::Time>& times = bookings_[key];
    while (!times.empty() && now - times.front() >= absl::Hours(1)) times.pop_front();
    if (static_cast<int>(times.size()) >= options_.bookings_per_hour) {
      return WithRetryDelay(Error(absl::StatusCode::kResourceExhausted, "BOOKING_CAP_REACHED",
                                  "too many bookings from this address this hour"),
                            times.front() + absl::Hours(1) - now);
    }
    absl::Status s = Take(writes_, key, options_.write_per_second, options_.write_burst, now);
    if (s.ok()) times.push_back(now);
    return s;
  }
  return Take(writes_, key, options_.write_per_second, options_.write_burst, now);
}

void RateLimiter::Withdraw(const std::string& client, access::v1::RateLimit kind, absl::Time now) {
  if (kind != access::v1::BOOKING) return;
  std::optional<input::IpAddress> address = input::ParseIpAddress(client);
  if (IsExempt(address)) return;
  const std::string key = ClientKey(client, address);
  absl::MutexLock lock(&mu_);
  auto it = bookings_.find(key);
  if (it == bookings_.end()) return;
  std::deque<absl::Time>& times = it->second;
  for (auto t = times.rbegin(); t != times.rend(); ++t) {
    if (*t == now) {
      times.erase(std::next(t).base());
      return;
    }
  }
}

}  // namespace accueil
