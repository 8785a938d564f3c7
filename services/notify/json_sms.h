// SMS through a generic JSON-over-HTTPS provider (docs/notify.md#providers),
// the shape most SMS gateways offer: one POST per message to `url`,
//
//   Authorization: Bearer <api key>
//   Idempotency-Key: notify-<message id>     (a retry is the same message)
//   {"to": "+33612345678", "from": "Prefecture", "text": "...",
//    "encoding": "gsm7" | "ucs2", "valid_until": "2026-06-09T07:00:00Z",
//    "reference": "<message id>", "callback_url": "<report listener>"}
//
// 2xx: accepted; 4xx but 408 and 429: refused for good; anything else, or no
// answer: tried again later. The provider POSTs each delivery report to
// `callback_url` (the message's id and token in its query, the status in a
// JSON body: report.h, ParseJsonReport). HTTPS only, but to a loopback
// address (tests, a local relay).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/notify/channel.h"

namespace accueil::notify {

struct JsonSmsOptions {
  std::string url;  // "https://sms.example/v1/messages"
  std::string api_key;
  std::string from = "Prefecture";
  absl::Duration timeout = absl::Seconds(10);
  // The callback URL for a message (its id): empty asks for no report.
  std::function<std::string(int64_t id)> report_url;
};

// CheckJsonSmsUrl: https://, or http:// to a loopback host.
absl::Status CheckJsonSmsUrl(const std::string& url);

std::unique_ptr<Transport> NewJsonSmsTransport(const JsonSmsOptions& options);

}  // namespace accueil::notify
