// What a message says is built from values booking hands over at send time
// (site, desk, documents, instructions: typed by administrators; names:
// typed by the public): notify's templates (services/notify/templates.h)
// render every built-in template with the input in every value, and the
// SMS sizer (sms_text.h) measures the input and every SMS.
// Properties: rendering never fails; a subject is one line without control
// characters; an SMS is one line, carries no name, is measured consistently
// (GSM-7 counts at most two septets a byte, UCS-2 one or two units per
// character of one to four bytes; segments follow from the units).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz_check.h"
#include "services/notify/sms_text.h"
#include "services/notify/templates.h"

using accueil::fuzz::AsText;
using namespace accueil::notify;

namespace {

void CheckSize(const SmsSize& s, size_t bytes) {
  FUZZ_CHECK(s.segments >= 1);
  FUZZ_CHECK(s.units >= 0);
  if (s.coding == SmsCoding::kGsm7) {
    FUZZ_CHECK(!s.invalid);
    FUZZ_CHECK(static_cast<size_t>(s.units) <= 2 * bytes);
    FUZZ_CHECK(s.segments == (s.units <= 160 ? 1 : (s.units + 152) / 153));
  } else {
    FUZZ_CHECK(static_cast<size_t>(s.units) <= bytes);
    if (!s.invalid) FUZZ_CHECK(bytes <= 4 * static_cast<size_t>(s.units));
    FUZZ_CHECK(s.segments == (s.units <= 70 ? 1 : (s.units + 66) / 67));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Templates* templates = [] {
    absl::StatusOr<Templates> t = Templates::Load("");
    FUZZ_CHECK(t.ok());
    return new Templates(std::move(*t));
  }();
  const std::string raw(AsText(data, size));
  CheckSize(MeasureSms(raw), raw.size());
  MessageFacts f;
  f.given_name = "Nom" + raw;
  f.family_name = raw;
  f.site = raw;
  f.address = raw;
  f.desk = raw;
  f.documents = {raw, raw};
  f.instructions = raw;
  f.reference = raw;
  f.access_code = raw;
  f.manage_url = raw;
  f.book_url = raw;
  f.zone = absl::UTCTimeZone();
  f.start = absl::FromUnixSeconds(static_cast<int64_t>(size) * 86400 * 13);
  for (const std::string& key : templates->Keys()) {
    std::vector<std::string> parts = absl::StrSplit(key, absl::ByAnyChar("/."));
    FUZZ_CHECK(parts.size() == 3);
    absl::StatusOr<Rendered> r = templates->Render(parts[1], parts[2], parts[0], f);
    FUZZ_CHECK(r.ok());
    for (char c : r->subject) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    if (parts[2] == "sms") {
      FUZZ_CHECK(r->subject.empty());
      for (char c : r->body) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
      FUZZ_CHECK(raw.empty() || !absl::StrContains(r->body, "Nom" + raw));
      CheckSize(MeasureSms(r->body), r->body.size());
    }
  }
  return 0;
}
