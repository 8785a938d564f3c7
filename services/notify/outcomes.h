// The events notify writes (proto/accueil/events/v1/events.proto), in the
// transaction of the change they tell, for the metrics module:
//   message.delivered  an SMS's delivery report said so, or the receiving
//                      mail server took an e-mail (the last point notify
//                      sees of it);
//   message.failed     refused, undelivered, or out of retries;
//   survey.answered    a survey's scores (survey.cc), nothing that names the
//                      person.
#pragma once

#include <cstdint>
#include <string>

#include <pqxx/pqxx>

#include "absl/time/time.h"

namespace accueil::notify {

struct MessageRef {
  int64_t id = 0, appointment = 0, site = 0, desk = 0;
  std::string templ, channel;
  // The site's zone when known (the indicators' local day), else empty.
  std::string time_zone;
};

// AppendOutcome writes message.delivered (`outcome` "delivered") or
// message.failed ("failed", with `reason`).
void AppendOutcome(pqxx::transaction_base& tx, const MessageRef& m, const std::string& outcome,
                   const std::string& reason, absl::Time now);

}  // namespace accueil::notify
