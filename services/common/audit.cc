#include "services/common/audit.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_split.h"
#include "services/common/db.h"
#include "services/common/errors.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::events {
namespace {

// The module that served the call: "booking" in
// "accueil.booking.v1.BookingService.CancelAppointment".
std::string SourceOf(const std::string& method) {
  std::vector<std::string> parts = absl::StrSplit(method, '.');
  return parts.size() > 2 ? parts[1] : method;
}

}  // namespace

void AppendAudit(pqxx::transaction_base& tx, const auth::AuditRecord& r) {
  v1::AuditRecorded m;
  *m.mutable_time() = ToProto(r.time);
  m.set_subject(r.subject);
  m.set_roles(r.roles);
  m.set_method(r.method);
  m.set_resource(r.resource);
  m.set_site(r.site_id);
  m.set_reason(r.reason);
  m.set_outcome(r.outcome);
  m.set_acting_for(r.acting_for);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(m, &json, options);
  tx.exec_params(
      "INSERT INTO events.audit_outbox (type, source, subject, site_id, occurred_time, payload) "
      "VALUES ('audit.recorded', $1, $2, NULLIF($3, 0), $4::timestamptz, $5::jsonb)",
      SourceOf(r.method), r.resource, r.site_id, db::SqlTime(r.time), json);
}

absl::StatusOr<auth::AuditRecord> ParseAudit(const std::string& payload_json) {
  v1::AuditRecorded m;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(payload_json, &m, options).ok()) {
    return Error(absl::StatusCode::kDataLoss, "AUDIT_PAYLOAD_INVALID",
                 "an audit record in the outbox cannot be read");
  }
  return auth::AuditRecord{FromProto(m.time()), m.subject(),  m.roles(),
                           m.method(),          m.resource(), m.site(),
                           m.reason(),          m.outcome(),  m.acting_for()};
}

absl::Status AuditOutbox::Record(const auth::AuditRecord& record) {
  RETURN_IF_ERROR(pool_->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    AppendAudit(tx, record);
    return absl::OkStatus();
  }));
  if (signal_ != nullptr) signal_->Ring(Log::kAuditOutbox);
  return absl::OkStatus();
}

}  // namespace accueil::events
