#include "services/common/rpc.h"

#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/errors.h"
#include "services/common/grpc_status.h"
#include "services/common/log.h"

namespace accueil {
namespace {

// A client-chosen id is echoed in logs, so it must be a harmless token.
bool IsSafeRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string NewRequestId() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

grpc::Status HandleRpc(grpc::ServerContext* context, std::string_view method,
                       const std::function<absl::Status()>& handler) {
  absl::Time start = absl::Now();
  std::string request_id;
  auto it = context->client_metadata().find("x-request-id");
  if (it != context->client_metadata().end() &&
      IsSafeRequestId(std::string_view(it->second.data(), it->second.size()))) {
    request_id.assign(it->second.data(), it->second.size());
  } else {
    request_id = NewRequestId();
  }
  context->AddInitialMetadata("x-request-id", request_id);

  absl::Status status;
  try {
    status = handler();
  } catch (const std::exception& e) {
    log::Error("rpc.exception", {{"request_id", request_id},
                                 {"method", method},
                                 {"what", e.what()}});
    status = Error(absl::StatusCode::kInternal, "INTERNAL", "internal error");
  }
  std::string millis = absl::StrCat(
      absl::ToDoubleMilliseconds(absl::Now() - start));
  std::string code = absl::StatusCodeToString(status.code());
  std::string reason = ErrorReason(status);
  // One access line per call: method, outcome, duration; never the content.
  if (status.code() != absl::StatusCode::kInternal) {
    log::Info("rpc", {{"request_id", request_id}, {"method", method},
                       {"code", code}, {"reason", reason}, {"ms", millis}});
  } else {
    log::Error("rpc", {{"request_id", request_id}, {"method", method},
                       {"code", code}, {"reason", reason}, {"ms", millis}});
  }
  return ToGrpcStatus(status);
}

}  // namespace accueil
