#include "services/common/grpc_status.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace accueil {
namespace {

// Both enums share the canonical numbering.
grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  return static_cast<grpc::StatusCode>(static_cast<int>(code));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string reason = ErrorReason(status);
  if (reason.empty()) reason = CodeName(status.code());
  std::string field = ErrorField(status);

  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain(kErrorDomain);
  if (!field.empty()) (*info.mutable_metadata())["field"] = field;
  details.add_details()->PackFrom(info);
  if (!field.empty()) {
    google::rpc::BadRequest bad;
    auto* violation = bad.add_field_violations();
    violation->set_field(field);
    violation->set_description(std::string(status.message()));
    details.add_details()->PackFrom(bad);
  }
  if (std::optional<absl::Duration> delay = ErrorRetryDelay(status)) {
    google::rpc::RetryInfo retry;
    int64_t ms = absl::ToInt64Milliseconds(*delay);
    retry.mutable_retry_delay()->set_seconds(ms / 1000);
    retry.mutable_retry_delay()->set_nanos(static_cast<int>(ms % 1000) * 1000000);
    details.add_details()->PackFrom(retry);
  }
  return grpc::Status(ToGrpcCode(status.code()), std::string(status.message()),
                      details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(static_cast<int>(status.error_code()));
  absl::Status out(code, status.error_message());
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::BadRequest bad;
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&info)) {
      out = WithReason(out, info.reason());
    } else if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) {
      out = WithField(out, bad.field_violations(0).field());
    } else if (any.UnpackTo(&retry)) {
      out = WithRetryDelay(out, absl::Seconds(retry.retry_delay().seconds()) +
                                    absl::Nanoseconds(retry.retry_delay().nanos()));
    }
  }
  return out;
}

}  // namespace accueil
