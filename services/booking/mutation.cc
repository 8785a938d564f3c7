#include "services/booking/mutation.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"

namespace accueil::booking {

absl::StatusOr<int64_t> RunMutation(
    db::Pool& pool, const Idempotency& idem, absl::Time now,
    const std::function<absl::StatusOr<int64_t>(pqxx::work&)>& change) {
  return pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
    pqxx::work tx(c);
    pqxx::row prev = tx.exec_prepared1("booking_claim_request", idem.request_id, idem.hash_hex,
                                       db::SqlTime(now));
    if (!prev["replayed_id"].is_null()) {
      return prev["replayed_id"].as<int64_t>();  // replay: the first answer
    }
    ASSIGN_OR_RETURN(int64_t id, change(tx));  // tx rolls back: nothing changed
    tx.exec_prepared("booking_finish_request", idem.request_id, absl::StrCat("{\"id\":", id, "}"));
    tx.commit();
    return id;
  });
}

void AppendEvent(pqxx::work& tx, const std::string& type, const std::string& subject, int64_t site,
                 absl::Time now, const std::string& payload_json) {
  tx.exec_prepared("booking_append_event", type, subject, site, db::SqlTime(now), payload_json);
}

}  // namespace accueil::booking
