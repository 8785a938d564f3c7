#include "services/common/rate_limiter.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace accueil {
namespace {

// Clients tracked before idle ones are forgotten (bounded memory under a
// flood of addresses).
constexpr size_t kMaxTracked = 100000;

bool ParseAddress(const std::string& text, unsigned char* bytes, int* length) {
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    *length = 4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    *length = 16;
    return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::Create(RateLimitOptions options) {
  std::unique_ptr<RateLimiter> limiter(new RateLimiter(options));
  for (const std::string& entry : options.exempt) {
    Block block{};
    std::string address = entry;
    int prefix = -1;
    if (size_t slash = entry.find('/'); slash != std::string::npos) {
      address = entry.substr(0, slash);
      if (!absl::SimpleAtoi(entry.substr(slash + 1), &prefix)) prefix = -2;
    }
    if (!ParseAddress(address, block.bytes, &block.length) || prefix < -1 ||
        prefix > block.length * 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("rate limits: \"", entry, "\" is not an address or CIDR block"));
    }
    block.prefix = prefix == -1 ? block.length * 8 : prefix;
    limiter->exempt_.push_back(block);
  }
  return limiter;
}

bool RateLimiter::IsExempt(const std::string& client) const {
  unsigned char bytes[16];
  int length = 0;
  if (!ParseAddress(client, bytes, &length)) return false;
  for (const Block& block : exempt_) {
    if (block.length != length) continue;
    int whole = block.prefix / 8, rest = block.prefix % 8;
    if (std::memcmp(block.bytes, bytes, static_cast<size_t>(whole)) != 0) continue;
    if (rest != 0) {
      unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
      if ((block.bytes[whole] & mask) != (bytes[whole] & mask)) continue;
    }
    return true;
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
  return WithRetryDelay(
      Error(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
            "too many requests from this address; retry later"),
      absl::Milliseconds(std::ceil(wait * 1000)));
}

void RateLimiter::Forget(absl::Time now) {
  if (reads_.size() + writes_.size() + bookings_.size() < kMaxTracked) return;
  // Forgetting a bucket only hands that client a fresh burst; the hourly
  // booking windows are kept unless expired.
  reads_.clear();
  writes_.clear();
  for (auto it = bookings_.begin(); it != bookings_.end();) {
    if (it->second.empty() || now - it->second.back() > absl::Hours(1)) {
      bookings_.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::Status RateLimiter::Admit(const std::string& client, access::v1::RateLimit kind,
                                absl::Time now) {
  if (kind != access::v1::READ && kind != access::v1::WRITE && kind != access::v1::BOOKING) {
    return absl::OkStatus();
  }
  if (IsExempt(client)) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  Forget(now);
  if (kind == access::v1::READ) {
    return Take(reads_, client, options_.read_per_second, options_.read_burst, now);
  }
  if (kind == access::v1::BOOKING) {
    std::deque<absl::Time>& times = bookings_[client];
    while (!times.empty() && now - times.front() >= absl::Hours(1)) times.pop_front();
    if (static_cast<int>(times.size()) >= options_.bookings_per_hour) {
      return WithRetryDelay(
          Error(absl::StatusCode::kResourceExhausted, "BOOKING_CAP_REACHED",
                "too many bookings from this address this hour"),
          times.front() + absl::Hours(1) - now);
    }
    absl::Status s = Take(writes_, client, options_.write_per_second, options_.write_burst, now);
    if (s.ok()) times.push_back(now);
    return s;
  }
  return Take(writes_, client, options_.write_per_second, options_.write_burst, now);
}

}  // namespace accueil
