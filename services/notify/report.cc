#include "services/notify/report.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <nlohmann/json.hpp>

#include "services/common/errors.h"
#include "services/common/status_macros.h"
#include "services/notify/tokens.h"

namespace accueil::notify {
namespace {

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

absl::StatusOr<DeliveryReport> ParseJsonReport(absl::string_view query, absl::string_view body) {
  // The query is the one notify wrote: a Kannel-shaped one without `s`.
  ASSIGN_OR_RETURN(DeliveryReport out, ParseDeliveryReport(absl::StrCat(query, "&s=0")));
  if (body.size() > 4096) return Bad("body", "too long");
  const nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("body", "a JSON object");
  auto status = j.find("status");
  if (status == j.end() || !status->is_string()) return Bad("body", "a string \"status\"");
  const std::string& s = status->get_ref<const std::string&>();
  if (s == "delivered") {
    out.status = 1;
  } else if (s == "failed" || s == "undelivered" || s == "rejected" || s == "expired") {
    out.status = 2;
  } else {
    out.status = 0;
  }
  return out;
}

}  // namespace accueil::notify
