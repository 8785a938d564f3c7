// The gateway module: the HTTP server in front of the services (gateway.h,
// docs/web.md).
#pragma once

#include <memory>

#include "services/common/module.h"

namespace accueil::gateway {

std::unique_ptr<Module> NewModule();

}  // namespace accueil::gateway
