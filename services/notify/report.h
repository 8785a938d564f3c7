// Delivery reports (docs/notify.md#delivery-reports): the SMS provider calls
// back notify's report listener for each message it was given, on the URL
// notify put in the message (Kannel's dlr-url), which carries the message's
// id and a token only notify can make: HMAC("notify-report", id) under the
// key ring, so that nobody else can mark a message delivered or failed.
// A rotation keeps working: any key of the ring is accepted.
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

// ReportToken is the token of message `id` under the signing key.
std::string ReportToken(const Secrets& secrets, int64_t id);
// ReportTokenMatches compares in constant time, under every key of the ring.
bool ReportTokenMatches(const Secrets& secrets, int64_t id, absl::string_view token);

}  // namespace accueil::notify
