// The backfill of metrics (docs/indicators.md#backfill): the facts and the
// daily and monthly rollups rebuilt set-based from the whole event log
// (metrics.rebuild_facts, then metrics.rebuild_rollups:
// db/migrations/0024_metrics_apply_batch.sql), exactly what the consumer
// `metrics.rollup` (rollup_consumer.h) makes applying the same events batch
// after batch, in far less time (a few passes over the log).
//
// It coordinates with the consumer as a batch of the consumer would, in one
// transaction:
//   1. on a dedicated connection, the consumer's lock (TryLockConsumer):
//      when no server runs the consumer, none becomes active until the
//      backfill ends; when one does, it keeps the lock and the steps below
//      keep it right;
//   2. metrics' facts locked (ACCESS EXCLUSIVE): a consumer batch in flight
//      that has written them commits first; one that has not waits;
//   3. the newest event safe to read (events::LastSafeEvent, the rule of
//      ReadEvents): the backfill reads up to it, and every event after it
//      comes later to the consumer;
//   4. the facts rebuilt up to that event, and the rollups from them;
//   5. the consumer's cursor moved there (events::AdvanceCursor, from where
//      it was read under the lock), commit.
// A consumer batch that waited at step 2 applies its events on the new facts,
// then finds its cursor moved and rolls back (CURSOR_MOVED); the consumer
// then reads the cursor again and goes on with the event after the
// backfill's last: none is applied twice, none is missed.
//
// The transaction holds the log's horizon while it runs: other consumers'
// new events wait for it (they are not lost). Run it at a quiet hour.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/events.h"

namespace accueil::metrics {

struct BackfillResult {
  events::Cursor from;      // the consumer's cursor before
  events::Cursor to;        // the last event read: the consumer's cursor now
  int64_t events_read = 0;  // events of the log up to `to`
  int64_t appointments = 0;
  int64_t visits = 0;
  int64_t walk_ins = 0;
  int64_t messages = 0;  // notify's messages with an outcome
  int64_t surveys = 0;   // surveys answered
  int64_t day_rows = 0;
  int64_t month_rows = 0;
  // A running server's consumer held the lock (it went on afterwards from
  // `to`).
  bool consumer_active = false;
  absl::Duration duration;
};

// Backfill rebuilds metrics' facts and rollups from the event log and moves
// the consumer's cursor to the last event read, in one transaction on
// `pool`; `clock` dates the cursor's update.
absl::StatusOr<BackfillResult> Backfill(db::Pool& pool, const Clock& clock);

}  // namespace accueil::metrics
