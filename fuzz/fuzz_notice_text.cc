// A desk's own text of an agents' notice, typed by an administrator
// (services/notify/templates.h: CheckNoticeText, Templates::RenderText).
// Input: the first byte picks the channel (even: e-mail, odd: SMS), the
// rest is the text.
// Properties: a text accepted renders with the longest values and with
// none, and then an e-mail has a subject, one line without control
// characters, an SMS is GSM-7, at most two segments, and carries no name;
// a refusal is INVALID_ARGUMENT INVALID_TEMPLATE on the field given.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "services/common/errors.h"
#include "services/notify/sms_text.h"
#include "services/notify/templates.h"

using namespace accueil::notify;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string channel = data[0] % 2 == 0 ? "email" : "sms";
  const std::string text(accueil::fuzz::AsText(data + 1, size - 1));
  absl::Status checked = CheckNoticeText(channel, "fr", text, "notice_template.text");
  if (!checked.ok()) {
    FUZZ_CHECK(checked.code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(accueil::ErrorReason(checked) == "INVALID_TEMPLATE");
    FUZZ_CHECK(accueil::ErrorField(checked) == "notice_template.text");
    return 0;
  }
  for (const MessageFacts& facts : {MessageFacts(), LongestFacts()}) {
    absl::StatusOr<Rendered> r = Templates::RenderText(text, channel, "fr", facts);
    FUZZ_CHECK(r.ok());
    if (channel == "email") {
      FUZZ_CHECK(!r->subject.empty());
      for (char c : r->subject) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    } else {
      const SmsSize s = MeasureSms(r->body);
      FUZZ_CHECK(s.coding == SmsCoding::kGsm7 && s.segments <= 2);
      FUZZ_CHECK(facts.given_name.empty() || !absl::StrContains(r->body, facts.given_name));
      FUZZ_CHECK(facts.family_name.empty() || !absl::StrContains(r->body, facts.family_name));
    }
  }
  return 0;
}
