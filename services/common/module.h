// Module: the unit a service is built as. Booking, access and every later
// service (reception, metrics, notify, the gateway) are each a folder
// `services/<name>/` holding one library whose Module declares:
//   - its name: the `services` entry, the configuration prefix, its schema;
//   - its configuration section (Configure: keys `<name>_<key>`);
//   - its gRPC services and background workers (Start), only in a process
//     that serves it;
//   - the foundations it provides to the whole process (Provide: the access
//     module provides the role directory the gate uses);
//   - its personal-data hooks (person_data: purge, rekey, export, erase), so
//     that retention and a person's rights cover every module without common
//     code naming a table;
//   - its part of generated past activity (history: the rows and events of
//     a demonstration's months, history.h);
//   - its administrative commands (`accueil-server grant-admin`).
// The host (host.h) does the rest the same way for every module, and the
// binaries only list modules (services/allinone/modules.h).
//
// A module reads another module's data through that module's RPCs
// (ServiceContext::peers: an in-process channel when both are served by one
// process, through the gate either way) or its events, never its schema.
// docs/architecture.md#adding-a-service walks through a new module.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/auth/directory.h"
#include "services/common/commit_signal.h"
#include "services/common/config.h"
#include "services/common/history.h"
#include "services/common/person_data.h"
#include "services/common/server.h"

namespace accueil {

// Worker is a module's background loop (a consumer, a timer). The host
// starts it after the gRPC services, stops it before them, and reports it
// in the module's health.
class Worker {
 public:
  virtual ~Worker() = default;
  virtual std::string_view name() const = 0;
  virtual void Start() = 0;
  // Stop returns once the worker has stopped; idempotent, and harmless on a
  // worker that never started (a failed start stops everything it built).
  virtual void Stop() = 0;
  // Healthy: false makes the module's health NOT_SERVING until it recovers.
  virtual bool Healthy() const = 0;
};

// What every module may use before the gate exists (Provide).
struct Foundations {
  db::Pool* pool;
  const Clock* clock;
  const Secrets* secrets;
  // Ring after committing events or audit records (commit_signal.h).
  events::CommitSignal* commit_signal;
};

// What modules provide to the process: exactly one module provides each.
struct Providers {
  auth::Directory* directory = nullptr;
};

// What a serving module runs.
struct ModuleParts {
  std::vector<HostedService> services;
  std::vector<std::unique_ptr<Worker>> workers;
};

// A module's administrative command: `accueil-server NAME ARG...`, run on
// the database once and exits. Returns the process exit code.
struct ModuleCommand {
  std::string name;
  std::string usage;  // one line for --help: "grant-admin SUBJECT  makes ..."
  int arguments;      // how many arguments follow the name
  std::function<int(const ServerConfig& config, const std::vector<std::string>& args)> run;
};

class Module {
 public:
  virtual ~Module() = default;

  // name is lower-case letters: "booking".
  virtual std::string_view name() const = 0;

  // Configure declares the module's keys on its section, bound to the
  // module's own options; they are read before any other call below.
  virtual void Configure(ConfigSection& section) { (void)section; }

  // Provide installs what this module offers every process that links it,
  // served or not (called before Start, with the gate not yet built).
  virtual absl::Status Provide(const Foundations& foundations, Providers& providers) {
    (void)foundations;
    (void)providers;
    return absl::OkStatus();
  }

  // Start builds the module's services and workers, in a process serving it.
  virtual absl::StatusOr<ModuleParts> Start(const ServiceContext& context) = 0;

  // person_data: the hooks of a module that stores personal data; null if none.
  virtual PersonDataHooks* person_data() { return nullptr; }

  // history: the hooks of a module that records activity; null if none.
  virtual history::HistoryHooks* history() { return nullptr; }

  virtual std::vector<ModuleCommand> commands() { return {}; }
};

using ModuleFactory = std::function<std::unique_ptr<Module>()>;

}  // namespace accueil
