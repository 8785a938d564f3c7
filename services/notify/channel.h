// Channels (docs/notify.md#providers): how a rendered message reaches its
// provider. One interface, two kinds: e-mail over SMTP (smtp.h) and SMS over
// an HTTP provider (kannel.h). A sender thread owns its own transport (a
// libcurl handle keeps its connection open from one message to the next).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

#include "absl/time/time.h"

namespace accueil::notify {

struct Outgoing {
  int64_t id = 0;  // notify.messages.id
  std::string to;  // e-mail address, or E.164 mobile number
  std::string subject;
  std::string body;
  // E-mail: an iCalendar attachment (may be empty) and its method
  // ("PUBLISH", "CANCEL").
  std::string ics;
  std::string ics_method;
  // SMS: the provider drops the message if it cannot deliver it by then.
  absl::Time expires = absl::InfiniteFuture();
  absl::Time now;
};

struct Outcome {
  enum Kind {
    kAccepted,  // the provider took it
    kRetry,     // temporary: try again later (provider down, 4xx SMTP reply)
    kFailed,    // permanent: the provider refused it (bad address, 5xx)
  };
  Kind kind = kRetry;
  // What the provider answered, one line, shortened; may quote the address.
  std::string detail;
  // Machine-readable, for a failure: "RECIPIENT_REFUSED", "PROVIDER_REFUSED".
  std::string reason;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Outcome Send(const Outgoing& message) = 0;
};

// Shorten: one line of at most 300 bytes, for an attempt's detail.
std::string Shorten(absl::string_view text);

}  // namespace accueil::notify
