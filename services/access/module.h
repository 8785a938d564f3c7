// The access module (services/common/module.h): role bindings, device
// tokens and the audit log; schema `access`. Every process links it: it
// provides the gate's Directory and AuditLog (directory.h).
#pragma once

#include <memory>

#include "services/common/module.h"

namespace accueil::access {

std::unique_ptr<Module> NewModule();

}  // namespace accueil::access
