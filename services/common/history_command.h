// `accueil-server demo-history`: generated past activity for a site
// (history.h), loaded by every module's hooks in one transaction, then the
// retention purge (personal data of long-past appointments is erased as it
// would have been) and the modules' Finish (metrics rebuilds its figures).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/db.h"
#include "services/common/history.h"
#include "services/common/module.h"
#include "services/common/person_data.h"
#include "services/common/secrets.h"

namespace accueil::history {

struct Request {
  int64_t site = 0;
  Options options;
  // Do nothing when the site already has history (the run command calls it
  // at every start).
  bool if_empty = false;
  // Leave the events to the running consumers instead of the modules'
  // Finish (metrics' backfill): what the benchmark measures the consumer with.
  bool no_rebuild = false;
};

// ParseArguments reads `--site sites/N [--months M] [--appointments N]
// [--seed S] [--if-empty] [--no-rebuild]`; INVALID_ARGUMENT naming the
// option otherwise.
absl::StatusOr<Request> ParseArguments(const std::vector<std::string>& args);

struct Summary {
  bool skipped = false;  // if_empty, and there was history already
  Range range;
  int days = 0;
  int64_t slots = 0;
  int64_t appointments = 0;
  int64_t cancelled = 0;
  int64_t noshows = 0;
  int64_t served = 0;
  int64_t left = 0;
  int64_t walk_ins = 0;
  int capacity_factor = 1;
  absl::Duration load_time;
  std::vector<std::string> finished;  // the Finish hooks' lines
};

// Load generates and writes the history of `request` through the hooks of
// `modules` (in their order), then purges and finishes; `request.options.now`
// is taken from `clock` when unset.
absl::StatusOr<Summary> Load(db::Pool& pool, const Clock& clock, const Secrets& secrets,
                             const Retention& retention, Request request,
                             const std::vector<std::unique_ptr<Module>>& modules);

// RunCommand is the command: Load, then the summary on stdout; returns the
// process exit code.
int RunCommand(const ServerConfig& config, const Secrets& secrets, const Request& request,
               const std::vector<std::unique_ptr<Module>>& modules);

}  // namespace accueil::history
