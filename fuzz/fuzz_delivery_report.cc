// The query string of an SMS delivery report, as anyone on the network can
// send it to notify's report listener: notify::ParseDeliveryReport, then the
// token check (services/notify/report.h).
// Properties: a refusal is INVALID_ARGUMENT INVALID_REPORT naming m, t, s or
// query; an accepted report has a positive id, a 32-digit lower-case
// hexadecimal token and a type of at most three digits, and prints back to
// a query the parser accepts the same way; only the token made for the id
// matches.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "services/common/secrets.h"
#include "services/notify/report.h"
#include "services/notify/tokens.h"

using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;
using accueil::notify::DeliveryReport;
using accueil::notify::ParseDeliveryReport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const accueil::Secrets* secrets =
      new accueil::Secrets(*accueil::Secrets::FromKey("fuzz master key: 32 bytes or more, fixed"));
  const std::string raw(AsText(data, size));
  const absl::StatusOr<DeliveryReport> r = ParseDeliveryReport(raw);
  if (!r.ok()) {
    CheckRefusal(r.status(), absl::StatusCode::kInvalidArgument, {"INVALID_REPORT"}, "");
    return 0;
  }
  FUZZ_CHECK(r->message > 0);
  FUZZ_CHECK(r->token.size() == 32);
  FUZZ_CHECK(r->status >= 0 && r->status <= 999);
  const absl::StatusOr<DeliveryReport> again =
      ParseDeliveryReport(absl::StrCat("m=", r->message, "&t=", r->token, "&s=", r->status));
  FUZZ_CHECK(again.ok() && again->message == r->message && again->token == r->token &&
             again->status == r->status);
  const std::string made =
      accueil::notify::MessageToken(*secrets, accueil::notify::kReportPurpose, r->message);
  FUZZ_CHECK(accueil::notify::MessageTokenMatches(*secrets, accueil::notify::kReportPurpose,
                                                  r->message, made));
  FUZZ_CHECK(accueil::notify::MessageTokenMatches(*secrets, accueil::notify::kReportPurpose,
                                                  r->message, r->token) == (r->token == made));
  return 0;
}
