// The reception module (services/common/module.h): the lodge, the queue,
// the counters, the waiting-room display; schema `reception`
// (docs/reception.md). It moves appointments only through booking's RPCs.
#pragma once

#include <memory>

#include "services/common/module.h"

namespace accueil::reception {

std::unique_ptr<Module> NewModule();

}  // namespace accueil::reception
