// SMS through Kannel's smsbox (`/cgi-bin/sendsms`): GSM-7 text as it is,
// any other text as UCS-2 (coding=2), a validity period so that the SMSC
// drops a reminder it could only deliver after the start, and a dlr-url
// that brings the delivery report back to notify's callback listener
// (callbacks.h) with the message's id and its token.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/notify/channel.h"

namespace accueil::notify {

struct KannelOptions {
  // "http://host:13013/cgi-bin/sendsms".
  std::string url;
  std::string user, password;
  // The sender shown on the phone (alphanumeric, up to 11 characters).
  std::string from = "Prefecture";
  absl::Duration timeout = absl::Seconds(10);
  // The dlr-url for a message (its id): empty asks no delivery report.
  std::function<std::string(int64_t id)> report_url;
};

std::unique_ptr<Transport> NewKannelTransport(const KannelOptions& options);

}  // namespace accueil::notify
