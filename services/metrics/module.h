// The metrics module (services/common/module.h): the Qual-e-Pref indicators
// from the event log; schema `metrics` (docs/indicators.md). It reads no
// other module's tables: the log's events, and booking's RPCs.
#pragma once

#include <memory>

#include "services/common/module.h"

namespace accueil::metrics {

std::unique_ptr<Module> NewModule();

}  // namespace accueil::metrics
