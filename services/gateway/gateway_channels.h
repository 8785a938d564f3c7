// ChannelFor: how the gateway reaches a module's services (Peers::Channel in
// the module; a test's channel in tests).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"

namespace accueil::gateway {

using ChannelFor =
    std::function<absl::StatusOr<std::shared_ptr<grpc::Channel>>(std::string_view module)>;

}  // namespace accueil::gateway
