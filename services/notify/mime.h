// The RFC 5322 / MIME text of an e-mail: UTF-8 subject (RFC 2047), a plain
// text part and an optional iCalendar attachment, both base64, CRLF line
// ends. Pure (tests read it back).
#pragma once

#include <string>

#include "absl/time/time.h"
#include "services/notify/channel.h"

namespace accueil::notify {

// MessageIdHeader: "<notify-ID@domain>", the same for every attempt.
std::string MessageIdHeader(int64_t id, const std::string& domain);

std::string ComposeEmail(const Outgoing& message, const std::string& from,
                         const std::string& domain);

}  // namespace accueil::notify
