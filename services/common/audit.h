// Writing audit records into events.audit_outbox (0013_audit_outbox.sql),
// from which the access module moves them into access.audit_log.
//
// A call that changes something writes its record in its own transaction
// (Call::AuditIn), so that the change and its record commit together; the
// gate writes the others (reads, refusals) after the call.
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "accueil/events/v1/audit.pb.h"
#include "services/common/auth/directory.h"
#include "services/common/commit_signal.h"
#include "services/common/db.h"

namespace accueil::events {

// AppendAudit writes `record` in `tx`.
void AppendAudit(pqxx::transaction_base& tx, const auth::AuditRecord& record);

// ParseAudit reads back a payload AppendAudit wrote. Fields it does not know
// are ignored: a newer writer during a rolling upgrade must not stall the
// reader.
absl::StatusOr<auth::AuditRecord> ParseAudit(const std::string& payload_json);

// AuditOutbox is the gate's audit log: it appends a record in a transaction
// of its own (for calls that changed nothing in the database: reads,
// refusals) and rings `signal` (may be null). Thread-safe.
class AuditOutbox final : public auth::AuditLog {
 public:
  AuditOutbox(db::Pool* pool, CommitSignal* signal) : pool_(pool), signal_(signal) {}
  absl::Status Record(const auth::AuditRecord& record) override;

 private:
  db::Pool* pool_;
  CommitSignal* signal_;
};

}  // namespace accueil::events
