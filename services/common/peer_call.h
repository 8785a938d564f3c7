// CallPeer: one unary RPC of another module's service, made for `call`
// (Call::Downstream: this process's service identity, the agent it acts
// for, a request id derived from the caller's and `step`), with a
// 10-second deadline. The peer's error comes back as it is (code, reason,
// field), so a caller can pass "ARRIVAL_LATE" on as the peer said it.
//
//   ASSIGN_OR_RETURN(auto site, (CallPeer<bv1::GetSiteRequest, bv1::Site>(
//       *stub, call, "GetSite", &bv1::BookingService::Stub::GetSite, request)));
#pragma once

#include <chrono>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "services/common/gate.h"
#include "services/common/grpc_status.h"

namespace accueil {

template <typename Request, typename Response, typename Stub, typename Method>
absl::StatusOr<Response> CallPeer(Stub& stub, const Call& call, std::string_view step,
                                  Method method, const Request& request) {
  grpc::ClientContext context;
  call.Downstream(&context, step);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  Response response;
  grpc::Status s = (stub.*method)(&context, request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  return response;
}

}  // namespace accueil
