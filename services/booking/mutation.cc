#include "services/booking/mutation.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/change.h"
#include "services/common/status_macros.h"

namespace accueil::booking {

absl::StatusOr<int64_t> RunMutation(
    Call& call, db::Pool& pool, events::CommitSignal* signal, const Idempotency& idem,
    absl::Time now, const std::function<absl::StatusOr<int64_t>(pqxx::transaction_base&)>& change) {
  int64_t id = 0;
  RETURN_IF_ERROR(RunChange(
      call, pool, signal, Statements::kSeveral, [&](pqxx::transaction_base& tx) -> absl::Status {
        pqxx::row prev = tx.exec_prepared1("booking_claim_request", idem.request_id, idem.hash_hex,
                                           db::SqlTime(now));
        if (!prev["replayed_id"].is_null()) {
          id = prev["replayed_id"].as<int64_t>();  // replay: the first answer
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(id, change(tx));  // tx rolls back: nothing changed
        tx.exec_prepared("booking_finish_request", idem.request_id,
                         absl::StrCat("{\"id\":", id, "}"));
        return absl::OkStatus();
      }));
  return id;
}

void AppendEvent(pqxx::transaction_base& tx, const std::string& type, const std::string& subject,
                 int64_t site, absl::Time now, const std::string& payload_json) {
  tx.exec_prepared("booking_append_event", type, subject, site, db::SqlTime(now), payload_json);
}

}  // namespace accueil::booking
