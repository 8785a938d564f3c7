// The callback of the generic JSON SMS provider, as anyone on the network
// can send it to notify's report listener: notify::ParseJsonReport (the
// query string, then the JSON body; services/notify/report.h). The input
// is split at its first newline: query before, body after.
// Properties: a refusal is INVALID_ARGUMENT INVALID_REPORT naming m, t, s,
// query or body; an accepted report has a positive id, a 32-digit
// lower-case hexadecimal token and a status of 0, 1 or 2, and parses the
// same again from a query and a body printed back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "services/notify/report.h"

using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;
using accueil::notify::DeliveryReport;
using accueil::notify::ParseJsonReport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string raw(AsText(data, size));
  const size_t newline = raw.find('\n');
  const std::string query = raw.substr(0, newline);
  const std::string body = newline == std::string::npos ? "" : raw.substr(newline + 1);
  const absl::StatusOr<DeliveryReport> r = ParseJsonReport(query, body);
  if (!r.ok()) {
    CheckRefusal(r.status(), absl::StatusCode::kInvalidArgument, {"INVALID_REPORT"}, "");
    return 0;
  }
  FUZZ_CHECK(r->message > 0);
  FUZZ_CHECK(r->token.size() == 32);
  FUZZ_CHECK(r->status == 0 || r->status == 1 || r->status == 2);
  const char* status = r->status == 1 ? "delivered" : r->status == 2 ? "failed" : "queued";
  const absl::StatusOr<DeliveryReport> again =
      ParseJsonReport(absl::StrCat("m=", r->message, "&t=", r->token),
                      absl::StrCat("{\"status\": \"", status, "\"}"));
  FUZZ_CHECK(again.ok() && again->message == r->message && again->token == r->token &&
             again->status == r->status);
  return 0;
}
