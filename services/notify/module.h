// The notify module (services/common/module.h): the e-mails and SMS sent to
// people about their appointments; schema `notify` (docs/notify.md). It
// reads no other module's tables: the event log's events, and booking's
// RPCs at send time.
#pragma once

#include <memory>

#include "services/common/module.h"

namespace accueil::notify {

std::unique_ptr<Module> NewModule();

}  // namespace accueil::notify
