#include "services/common/mutation.h"

#include "absl/strings/str_cat.h"
#include "services/common/change.h"
#include "services/common/status_macros.h"

namespace accueil {

absl::StatusOr<int64_t> RunMutation(
    Call& call, db::Pool& pool, events::CommitSignal* signal, std::string_view module,
    const Idempotency& idem, absl::Time now,
    const std::function<absl::StatusOr<int64_t>(pqxx::transaction_base&)>& change) {
  int64_t id = 0;
  const std::string name(module);
  RETURN_IF_ERROR(RunChange(
      call, pool, signal, Statements::kSeveral, [&](pqxx::transaction_base& tx) -> absl::Status {
        pqxx::row prev = tx.exec_params1(
            "SELECT (shared.claim_request($1, $2, decode($3, 'hex'), $4::timestamptz) ->> 'id')"
            "::bigint AS replayed_id",
            name, idem.request_id, idem.hash_hex, db::SqlTime(now));
        if (!prev["replayed_id"].is_null()) {
          id = prev["replayed_id"].as<int64_t>();  // replay: the first answer
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(id, change(tx));  // tx rolls back: nothing changed
        tx.exec_params("SELECT shared.finish_request($1, $2, $3::jsonb)", name, idem.request_id,
                       absl::StrCat("{\"id\":", id, "}"));
        return absl::OkStatus();
      }));
  return id;
}

}  // namespace accueil
