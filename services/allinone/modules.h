// Every module of Accueil, in the order they start. accueil-server serves
// them all (or those the `services` key names); the tests host the same list.
// A new module is one line here and one in CMakeLists.txt.
#pragma once

#include <vector>

#include "services/access/module.h"
#include "services/booking/module.h"
#include "services/gateway/module.h"
#include "services/metrics/module.h"
#include "services/notify/module.h"
#include "services/reception/module.h"
#include "services/common/module.h"

namespace accueil {

inline std::vector<ModuleFactory> AllModules() {
  return {access::NewModule,  booking::NewModule, reception::NewModule,
          metrics::NewModule, notify::NewModule,  gateway::NewModule};
}

}  // namespace accueil
