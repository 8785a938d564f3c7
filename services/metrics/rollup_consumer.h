// The consumer `metrics.rollup`: applies each batch of the event log to
// metrics' facts set-based and moves the changed facts' observations in the
// day, month and site-month rollups by difference, in the batch's
// transaction (metrics.apply_events, db/migrations/0024_metrics_apply_batch.sql).
// One call per batch; exactly once through the consumer's cursor; one active
// instance across replicas. The backfill (backfill.h) rebuilds the same
// figures from the whole log and moves this consumer's cursor.
#pragma once

#include <functional>
#include <memory>

#include "services/common/consumer.h"

namespace accueil::metrics {

// The consumer's name: its cursor in events.cursors and its lock.
inline constexpr char kRollupConsumerName[] = "metrics.rollup";

// RollupConsumerOptions: batches of up to 2000 events.
events::ConsumerOptions RollupConsumerOptions();

// `options.metrics` is set to `metrics`.
std::unique_ptr<events::Consumer> NewRollupConsumer(
    db::Pool* pool, const Clock* clock, Metrics* metrics,
    events::ConsumerOptions options = RollupConsumerOptions());

}  // namespace accueil::metrics
