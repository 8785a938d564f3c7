#include "services/notify/report.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"

namespace accueil::notify {
namespace {

constexpr char kPurpose[] = "notify-report";
constexpr size_t kTokenHex = 32;

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return InvalidField("INVALID_REPORT", std::string(field), std::string(why));
}

bool Digits(absl::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<DeliveryReport> ParseDeliveryReport(absl::string_view query) {
  if (query.size() > 256) return Bad("query", "too long");
  DeliveryReport out;
  bool seen_m = false, seen_t = false, seen_s = false;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) return Bad("query", "a key without a value");
    const absl::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (key == "m") {
      if (seen_m || !Digits(value, 18) || !absl::SimpleAtoi(value, &out.message) ||
          out.message <= 0) {
        return Bad("m", "a message id");
      }
      seen_m = true;
    } else if (key == "t") {
      if (seen_t || value.size() != kTokenHex) return Bad("t", "a token");
      for (char c : value) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return Bad("t", "a token");
      }
      out.token = std::string(value);
      seen_t = true;
    } else if (key == "s") {
      if (seen_s || !Digits(value, 3) || !absl::SimpleAtoi(value, &out.status)) {
        return Bad("s", "a report type");
      }
      seen_s = true;
    } else {
      return Bad("query", "an unknown key");
    }
  }
  if (!seen_m) return Bad("m", "missing");
  if (!seen_t) return Bad("t", "missing");
  if (!seen_s) return Bad("s", "missing");
  return out;
}

std::string ReportToken(const Secrets& secrets, int64_t id) {
  return absl::BytesToHexString(secrets.Mac(kPurpose, absl::StrCat(id))).substr(0, kTokenHex);
}

bool ReportTokenMatches(const Secrets& secrets, int64_t id, absl::string_view token) {
  if (token.size() != kTokenHex) return false;
  bool match = false;
  for (const std::string& mac : secrets.Macs(kPurpose, absl::StrCat(id))) {
    const std::string hex = absl::BytesToHexString(mac).substr(0, kTokenHex);
    match |= CRYPTO_memcmp(hex.data(), token.data(), kTokenHex) == 0;
  }
  return match;
}

}  // namespace accueil::notify
