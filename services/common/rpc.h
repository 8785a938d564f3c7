// HandleRpc wraps every gRPC handler of every service: it gives the call a
// request id (the client's x-request-id when it is a short token, else a new
// one, echoed in the response metadata), runs the handler, maps its
// absl::Status to gRPC in the one place (grpc_status.h), turns an escaped
// exception into INTERNAL, and writes one JSON log line per call with the
// method, code, reason and duration - never the request's content.
//
//   grpc::Status Booking::GetAppointment(grpc::ServerContext* ctx,
//                                        const GetAppointmentRequest* req,
//                                        Appointment* resp) {
//     return HandleRpc(ctx, "GetAppointment", [&] { return impl_.Get(*req, resp); });
//   }
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <grpcpp/server_context.h>

#include "absl/status/status.h"

namespace accueil {

grpc::Status HandleRpc(grpc::ServerContext* context, std::string_view method,
                       const std::function<absl::Status()>& handler);

// NewRequestId returns a random identifier (hex, 128 bits).
std::string NewRequestId();

}  // namespace accueil
