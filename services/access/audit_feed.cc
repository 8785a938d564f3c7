#include "services/access/audit_feed.h"

#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/input/resource.h"
#include "services/common/log.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace accueil::access {

const std::string kAuditEventColumns =
    absl::StrCat("id, ", db::Micros("time"),
                 " AS time_micros, subject, roles, method, resource, "
                 "coalesce(site_id, 0) AS site_id, reason, outcome, acting_for");

void AuditEventFromRow(const pqxx::row& row, v1::AuditEvent* out) {
  out->set_name(absl::StrCat("auditEvents/", row["id"].as<int64_t>()));
  *out->mutable_time() = ToProto(absl::FromUnixMicros(row["time_micros"].as<int64_t>()));
  out->set_subject(row["subject"].as<std::string>());
  out->set_roles(row["roles"].as<std::string>());
  out->set_method(row["method"].as<std::string>());
  out->set_resource(row["resource"].as<std::string>());
  if (int64_t site = row["site_id"].as<int64_t>(); site != 0) {
    out->set_site(absl::StrCat("sites/", site));
  }
  out->set_reason(row["reason"].as<std::string>());
  out->set_outcome(row["outcome"].as<std::string>());
  out->set_acting_for(row["acting_for"].as<std::string>());
}

AuditTail::AuditTail(Gate* gate, grpc::CallbackServerContext* context, AuditFeed* feed,
                     const v1::WatchAuditEventsRequest& request)
    : ServerStream(gate, context, "accueil.access.v1.AccessService.WatchAuditEvents"),
      feed_(feed),
      request_(request) {}

absl::Status AuditTail::Opened(Call& call) {
  // Scoped as ListAuditEvents: one site needs ADMINISTRATOR on it, every
  // site (events without a site included) on every site.
  if (!request_.site().empty()) {
    ASSIGN_OR_RETURN(site_, input::ParseResourceId(request_.site(), "sites", "site"));
  }
  if (request_.has_after_id() && request_.after_id() < 0) {
    return InvalidField("INVALID_AFTER_ID", "after_id",
                        "the id of an audit event (auditEvents/{id}), 0 or more");
  }
  RETURN_IF_ERROR(call.AuthorizeSite(site_));
  int64_t cursor = 0;
  if (request_.has_after_id()) {
    cursor = request_.after_id();
  } else {
    ASSIGN_OR_RETURN(cursor, feed_->LastId());
  }
  feed_->Add(this, cursor);
  return absl::OkStatus();
}

void AuditTail::Closed() { feed_->Remove(this); }

AuditFeed::AuditFeed(db::Pool* pool, absl::Duration poll) : pool_(pool), poll_(poll) {
  pool_->Prepare("access_audit_last_id", "SELECT coalesce(max(id), 0) AS id FROM access.audit_log");
  pool_->Prepare("access_audit_after",
                 absl::StrCat("SELECT ", kAuditEventColumns,
                              " FROM access.audit_log WHERE id > $1 ORDER BY id LIMIT $2"));
}

AuditFeed::~AuditFeed() { Stop(); }

void AuditFeed::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AuditFeed::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void AuditFeed::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

absl::StatusOr<int64_t> AuditFeed::LastId() {
  return pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
    pqxx::nontransaction tx(c);
    return tx.exec_prepared1("access_audit_last_id")["id"].as<int64_t>();
  });
}

void AuditFeed::Add(AuditTail* tail, int64_t cursor) {
  absl::MutexLock lock(&mu_);
  cursors_[tail] = cursor;
  woken_ = true;  // its backlog, if it resumes
}

void AuditFeed::Remove(AuditTail* tail) {
  absl::MutexLock lock(&mu_);
  cursors_.erase(tail);
}

void AuditFeed::Run() {
  absl::MutexLock lock(&mu_);
  for (;;) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), poll_);
    if (stopping_) return;
    woken_ = false;
    mu_.Unlock();
    bool more = Poll();
    mu_.Lock();
    woken_ = woken_ || more;
  }
}

bool AuditFeed::Poll() {
  int64_t from = std::numeric_limits<int64_t>::max();
  {
    absl::MutexLock lock(&mu_);
    for (auto& [tail, cursor] : cursors_) {
      if (tail->Queued() < kRoom) from = std::min(from, cursor);
    }
  }
  if (from == std::numeric_limits<int64_t>::max()) return false;
  struct Row {
    int64_t id;
    int64_t site_id;
    v1::AuditEvent event;
  };
  std::vector<Row> rows;
  absl::Status read = pool_->Run([&](pqxx::connection& c) -> absl::Status {
    rows.clear();
    pqxx::nontransaction tx(c);
    for (const pqxx::row& r : tx.exec_prepared("access_audit_after", from, kBatch)) {
      Row& row = rows.emplace_back();
      row.id = r["id"].as<int64_t>();
      row.site_id = r["site_id"].as<int64_t>();
      AuditEventFromRow(r, &row.event);
    }
    return absl::OkStatus();
  });
  healthy_ = read.ok();
  if (!read.ok()) {
    log::Warn("audit_feed.read_failed", {{"reason", ErrorReason(read)}});
    return false;
  }
  absl::MutexLock lock(&mu_);
  for (auto& [tail, cursor] : cursors_) {
    // A tail added during the read may need older rows: next time.
    if (cursor < from) continue;
    for (const Row& row : rows) {
      if (row.id <= cursor) continue;
      if (tail->Queued() >= kRoom) break;
      if (tail->site_ == 0 || tail->site_ == row.site_id) tail->Send(row.event);
      cursor = row.id;
    }
  }
  return static_cast<int>(rows.size()) == kBatch;
}

}  // namespace accueil::access
