// The booking module (services/common/module.h): sites, desks, opening
// hours, slots and appointments; schema `booking`.
#pragma once

#include <memory>

#include "services/common/module.h"

namespace accueil::booking {

std::unique_ptr<Module> NewModule();

}  // namespace accueil::booking
