// The access module's audit consumer (`access.audit`): moves the records the
// modules wrote into events.audit_outbox (services/common/audit.h) into
// access.audit_log, and deletes them from the outbox, in one transaction per
// batch. Only the active instance inserts, so audit_log ids follow commit
// order (the live tail reads by id).
#pragma once

#include <functional>
#include <memory>

#include "services/common/clock.h"
#include "services/common/consumer.h"
#include "services/common/db.h"
#include "services/common/metrics.h"

namespace accueil::access {

// `after_commit` runs after each batch that moved records (the live tail's
// wake-up); may be null.
std::unique_ptr<events::Consumer> NewAuditConsumer(db::Pool* pool, const Clock* clock,
                                                   Metrics* metrics,
                                                   std::function<void()> after_commit);

}  // namespace accueil::access
