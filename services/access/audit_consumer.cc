#include "services/access/audit_consumer.h"

#include "services/common/audit.h"
#include "services/common/status_macros.h"

namespace accueil::access {

std::unique_ptr<events::Consumer> NewAuditConsumer(db::Pool* pool, const Clock* clock,
                                                   Metrics* metrics,
                                                   std::function<void()> after_commit) {
  pool->Prepare("access_audit_insert",
                "INSERT INTO access.audit_log (time, subject, roles, method, resource, "
                "site_id, reason, outcome, acting_for) VALUES ($1::timestamptz, $2, $3, $4, "
                "$5, NULLIF($6, 0), $7, $8, $9)");
  pool->Prepare("access_audit_moved",
                "DELETE FROM events.audit_outbox WHERE txid = $1::xid8 AND position = $2");
  events::ConsumerOptions options;
  options.log = events::Log::kAuditOutbox;
  options.metrics = metrics;
  return std::make_unique<events::Consumer>(
      "access.audit", pool, clock,
      [](pqxx::work& tx, const events::Event& e) -> absl::Status {
        ASSIGN_OR_RETURN(auth::AuditRecord r, events::ParseAudit(e.payload_json));
        tx.exec_prepared("access_audit_insert", db::SqlTime(r.time), r.subject, r.roles, r.method,
                         r.resource, r.site_id, r.reason, r.outcome, r.acting_for);
        tx.exec_prepared("access_audit_moved", e.txid, e.position);
        return absl::OkStatus();
      },
      options, std::move(after_commit));
}

}  // namespace accueil::access
