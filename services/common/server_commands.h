// The commands of every server binary besides serving: `migrate`, `purge`,
// `rekey`, `config-table`, `service-jwk` and the modules' own (`grant-admin
// SUBJECT`, `grant-service SUBJECT`). Each
// runs once and returns the process's exit code. ServerMain (host.h,
// server_main.cc) parses the command line here and dispatches:
//
//   ServerCommandLine line;
//   if (std::optional<int> exit_code = ParseServerCommandLine(argc, argv, modules, &line)) {
//     return *exit_code;  // usage printed
//   }
//   ... load the configuration ...
//   if (!line.command.empty()) return RunServerCommand(line, config, modules);
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/config.h"
#include "services/common/module.h"
#include "services/common/secrets.h"

namespace accueil {

// `accueil-server [COMMAND [ARGUMENTS]] [--config FILE]`.
struct ServerCommandLine {
  std::string config_path;
  std::string command;                          // "" serves until SIGINT or SIGTERM
  std::optional<ModuleCommand> module_command;  // when `command` is a module's
  std::vector<std::string> arguments;           // the module command's, service-jwk's
};

// ParseServerCommandLine fills `line` from argv, knowing the commands of
// `modules`. On anything else, or --help, it prints the usage on stderr and
// returns the exit code: 0 for --help or -h, 2 otherwise.
std::optional<int> ParseServerCommandLine(int argc, char** argv,
                                          const std::vector<std::unique_ptr<Module>>& modules,
                                          ServerCommandLine* line);

// RunConfigTableCommand is `config-table`: prints the table of configuration
// keys (docs/operations.md); needs no configuration.
int RunConfigTableCommand(const std::vector<ConfigSection*>& sections);

// RunServiceJwkCommand is `service-jwk KEY_FILE KEY_ID`: prints {"keys":
// [the public key of the PEM private key KEY_FILE under KEY_ID]}; needs no
// configuration.
int RunServiceJwkCommand(const std::string& key_file, const std::string& key_id);

// RunServerCommand runs `line.command` (migrate, purge, rekey or a
// module's) with the loaded configuration; migrations are applied first when
// the command needs them or `migrate_on_start` says so.
int RunServerCommand(const ServerCommandLine& line, const ServerConfig& config,
                     const std::vector<std::unique_ptr<Module>>& modules);

// What serving shares with the commands.
//
// MigrateDatabase applies the pending migrations and logs how many.
absl::Status MigrateDatabase(const ServerConfig& config);
// LoadServerSecrets reads the key ring of `secret_key_file` (required).
absl::StatusOr<Secrets> LoadServerSecrets(const ServerConfig& config);
// ReportFailure prints "accueil-server: MESSAGE" on stderr; returns 1, the
// exit code.
int ReportFailure(const absl::Status& status);

}  // namespace accueil
