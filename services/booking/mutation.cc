#include "services/booking/mutation.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/mutation.h"
#include "services/common/status_macros.h"

namespace accueil::booking {

absl::StatusOr<int64_t> RunMutation(
    Call& call, db::Pool& pool, events::CommitSignal* signal, const Idempotency& idem,
    absl::Time now, const std::function<absl::StatusOr<int64_t>(pqxx::transaction_base&)>& change) {
  return accueil::RunMutation(call, pool, signal, "booking", idem, now, change);
}

void AppendEvent(pqxx::transaction_base& tx, const std::string& type, const std::string& subject,
                 int64_t site, absl::Time now, const std::string& payload_json) {
  tx.exec_prepared("booking_append_event", type, subject, site, db::SqlTime(now), payload_json);
}

}  // namespace accueil::booking
