#include "services/metrics/backfill.h"

#include <memory>

#include "absl/time/clock.h"
#include "services/common/consumer.h"
#include "services/common/errors.h"
#include "services/common/status_macros.h"
#include "services/metrics/rollup_consumer.h"

namespace accueil::metrics {

absl::StatusOr<BackfillResult> Backfill(db::Pool& pool, const Clock& clock) {
  const absl::Time start = absl::Now();
  BackfillResult result;
  // Held until this function returns (the connection closes).
  ASSIGN_OR_RETURN(std::unique_ptr<pqxx::connection> lock, pool.OpenDedicated());
  try {
    result.consumer_active = !events::TryLockConsumer(*lock, kRollupConsumerName);
  } catch (const std::exception& e) {
    return db::FromException(e);
  }
  RETURN_IF_ERROR(pool.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    // First, before anything else is locked: a consumer batch holding these
    // commits before; a later one waits until this transaction ends.
    tx.exec(
        "LOCK TABLE metrics.appointments, metrics.visits, metrics.walk_ins, "
        "metrics.message_outcomes, metrics.survey_answers IN ACCESS EXCLUSIVE MODE");
    // The facts again from the log, then every rollup from the facts
    // (db/migrations/0024_metrics_apply_batch.sql).
    result.from = events::LoadCursor(tx, kRollupConsumerName);
    result.to = events::LastSafeEvent(tx).value_or(events::Cursor{});
    pqxx::row facts = tx.exec_params1("SELECT * FROM metrics.rebuild_facts($1::xid8, $2)",
                                      result.to.txid, result.to.position);
    result.events_read = facts["events_read"].as<int64_t>();
    result.appointments = facts["appointment_facts"].as<int64_t>();
    result.visits = facts["visit_facts"].as<int64_t>();
    result.walk_ins = facts["walk_in_facts"].as<int64_t>();
    pqxx::row notify = tx.exec_params1("SELECT * FROM metrics.rebuild_notify_facts($1::xid8, $2)",
                                       result.to.txid, result.to.position);
    result.messages = notify["message_facts"].as<int64_t>();
    result.surveys = notify["survey_facts"].as<int64_t>();
    pqxx::row rollups = tx.exec1("SELECT * FROM metrics.rebuild_rollups()");
    result.day_rows = rollups["day_rows"].as<int64_t>();
    result.month_rows = rollups["month_rows"].as<int64_t>();
    // No batch of the consumer can move the cursor while the facts are
    // locked; should anything else have, nothing is written.
    if (!events::AdvanceCursor(tx, kRollupConsumerName, result.from, result.to, clock.Now())) {
      return Error(absl::StatusCode::kAborted, "CURSOR_MOVED",
                   "the consumer's cursor moved during the backfill");
    }
    tx.commit();
    return absl::OkStatus();
  }));
  result.duration = absl::Now() - start;
  return result;
}

}  // namespace accueil::metrics
