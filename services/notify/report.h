// Delivery reports (docs/notify.md#delivery-reports): the SMS provider calls
// back notify's report listener for each message it was given, on the URL
// notify put in the message (Kannel's dlr-url), which carries the message's
// id and its token (tokens.h, kReportPurpose), so that nobody else can mark
// a message delivered or failed.
//
// The parser is pure (fuzzed: fuzz/fuzz_delivery_report.cc).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/secrets.h"

namespace accueil::notify {

struct DeliveryReport {
  int64_t message = 0;
  std::string token;  // 32 lower-case hexadecimal digits
  // Kannel's DLR type: 1 delivered, 2 delivery failed, 4 buffered, 8 SMSC
  // accepted, 16 SMSC rejected.
  int status = 0;
};

// ParseDeliveryReport reads the query string of a report
// ("m=12&t=<token>&s=1"): each key once, nothing else. INVALID_ARGUMENT
// INVALID_REPORT (field: the key) otherwise.
absl::StatusOr<DeliveryReport> ParseDeliveryReport(absl::string_view query);

// ParseJsonReport reads the callback of the generic JSON provider
// (json_sms.h): the query string of the callback URL notify gave
// ("m=12&t=<token>", each once, nothing else) and its JSON body, an object
// with a string "status" (other members ignored; at most 4 KiB):
// "delivered" is status 1; "failed", "undelivered", "rejected", "expired"
// are 2; anything else ("queued", "sent", ...) is 0, changing nothing.
// INVALID_ARGUMENT INVALID_REPORT (field: the key, or "body") otherwise.
absl::StatusOr<DeliveryReport> ParseJsonReport(absl::string_view query, absl::string_view body);

}  // namespace accueil::notify
