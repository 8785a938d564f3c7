#include "services/common/server_commands.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "services/common/auth/signer.h"
#include "services/common/db.h"
#include "services/common/history_command.h"
#include "services/common/host.h"
#include "services/common/log.h"
#include "services/common/migrate.h"
#include "services/common/retention.h"
#include "services/common/server.h"
#include "services/common/status_macros.h"

namespace accueil {
namespace {

std::string Usage(const char* program, const std::vector<std::unique_ptr<Module>>& modules) {
  std::string usage = absl::StrCat(
      "usage: ", program, " [COMMAND] [--config FILE]\n",
      "  Without a command, serves the modules named by the configuration (key\n"
      "  `services`; default: every module of this binary).\n"
      "  migrate        applies pending database migrations and exits\n"
      "  purge          erases the personal data older than `retention_days` and unlinks\n"
      "                 the person keys older than `history_retention_days`, in every\n"
      "                 module, once, and exits (a CronJob; the server also purges hourly)\n"
      "  rekey          moves the person keys stored under older keys of the secret key\n"
      "                 ring to its signing key, once, and exits (docs/security.md#secrets)\n"
      "  config-table   prints the table of configuration keys (docs/operations.md)\n"
      "  demo-history --site sites/N [--months 6] [--appointments N] [--seed S] [--if-empty]\n"
      "                 [--no-rebuild]\n"
      "                 writes generated past activity for a site (bookings, no-shows,\n"
      "                 visits, walk-ins: demonstrations and benchmarks, never production),\n"
      "                 then rebuilds the indicators (docs/indicators.md#demo-history)\n"
      "  service-jwk KEY_FILE KEY_ID  prints the public key of a service key (PEM) as a\n"
      "                 JWKS under KEY_ID, to add to `service_jwks_file`; needs no\n"
      "                 configuration (docs/security.md#service-identity)\n");
  for (const auto& m : modules) {
    for (const ModuleCommand& c : m->commands()) absl::StrAppend(&usage, "  ", c.usage, "\n");
  }
  absl::StrAppend(&usage, "  Every key can be set by the environment: ACCUEIL_<KEY>.\n");
  return usage;
}

// RunRekeyCommand is `accueil-server rekey`: every module's Rekey hook once.
int RunRekeyCommand(const std::string& database_url, const Secrets& secrets,
                    const PersonDataRegistry& modules) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(database_url, 1);
  if (!pool.ok()) return ReportFailure(pool.status());
  RekeyCounts total;
  for (const PersonDataModule& m : modules) {
    absl::StatusOr<RekeyCounts> counts = m.hooks->Rekey(**pool, secrets);
    if (!counts.ok()) {
      std::fprintf(stderr, "accueil-server: rekey: %s: %s\n", m.module.c_str(),
                   std::string(counts.status().message()).c_str());
      return 1;
    }
    total.examined += counts->examined;
    total.moved += counts->moved;
    total.conflicts += counts->conflicts;
  }
  std::printf("rekey: %d records with a contact, %d moved to the signing key %s, %d conflicts\n",
              total.examined, total.moved, secrets.KeyIds().front().c_str(), total.conflicts);
  return 0;
}

}  // namespace

std::optional<int> ParseServerCommandLine(int argc, char** argv,
                                          const std::vector<std::unique_ptr<Module>>& modules,
                                          ServerCommandLine* line) {
  std::vector<ModuleCommand> module_commands;
  for (const auto& m : modules) {
    for (ModuleCommand& c : m->commands()) module_commands.push_back(std::move(c));
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool known = false;
    if (arg == "--config" && i + 1 < argc) {
      line->config_path = argv[++i];
      continue;
    }
    // The command comes first; a module's is followed by its arguments.
    if (i == 1) {
      known = arg == "migrate" || arg == "purge" || arg == "rekey" || arg == "config-table";
      if (arg == "demo-history") {
        // Its options, up to the end or --config.
        known = true;
        while (i + 1 < argc && std::string(argv[i + 1]) != "--config") {
          line->arguments.push_back(argv[++i]);
        }
      }
      if (arg == "service-jwk" && i + 2 < argc) {
        known = true;
        line->arguments = {argv[i + 1], argv[i + 2]};
        i += 2;
      }
      for (const ModuleCommand& c : module_commands) {
        if (arg == c.name && i + c.arguments < argc) {
          line->module_command = c;
          known = true;
          for (int k = 0; k < c.arguments; ++k) line->arguments.push_back(argv[++i]);
        }
      }
      if (known) line->command = arg;
    }
    if (!known) {
      std::fputs(Usage(argv[0], modules).c_str(), stderr);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  return std::nullopt;
}

int RunServiceJwkCommand(const std::string& key_file, const std::string& key_id) {
  if (key_id.empty()) {
    return ReportFailure(absl::InvalidArgumentError("service-jwk: KEY_ID must not be empty"));
  }
  absl::StatusOr<std::string> pem = ReadPem("service-jwk", key_file);
  if (!pem.ok()) return ReportFailure(pem.status());
  absl::StatusOr<auth::JwtSigner> signer = auth::JwtSigner::FromPem(*pem, key_id);
  if (!signer.ok()) {
    return ReportFailure(absl::InvalidArgumentError(
        absl::StrCat("service-jwk: ", key_file, ": ", signer.status().message())));
  }
  std::printf("%s\n", auth::JwksDocument({&*signer}).c_str());
  return 0;
}

int RunConfigTableCommand(const std::vector<ConfigSection*>& sections) {
  std::fputs(ConfigTable(sections).c_str(), stdout);
  return 0;
}

int RunServerCommand(const ServerCommandLine& line, const ServerConfig& config,
                     const std::vector<std::unique_ptr<Module>>& modules) {
  if (config.migrate_on_start || line.command == "migrate" || line.module_command ||
      line.command == "demo-history") {
    if (absl::Status s = MigrateDatabase(config); !s.ok()) return ReportFailure(s);
    if (line.command == "migrate") return 0;
  }
  if (line.module_command) return line.module_command->run(config, line.arguments);
  if (line.command == "purge") {
    return retention::RunPurgeCommand(config.database_url, RetentionOf(config),
                                      PersonDataRegistryOf(modules));
  }
  if (line.command == "demo-history") {
    absl::StatusOr<history::Request> request = history::ParseArguments(line.arguments);
    if (!request.ok()) return ReportFailure(request.status());
    absl::StatusOr<Secrets> secrets = LoadServerSecrets(config);
    if (!secrets.ok()) return ReportFailure(secrets.status());
    return history::RunCommand(config, *secrets, *request, modules);
  }
  if (line.command == "rekey") {
    absl::StatusOr<Secrets> secrets = LoadServerSecrets(config);
    if (!secrets.ok()) return ReportFailure(secrets.status());
    return RunRekeyCommand(config.database_url, *secrets, PersonDataRegistryOf(modules));
  }
  // ParseServerCommandLine accepts no other command.
  return ReportFailure(absl::InvalidArgumentError(absl::StrCat("no command ", line.command)));
}

absl::Status MigrateDatabase(const ServerConfig& config) {
  ASSIGN_OR_RETURN(int applied, db::Migrate(config.database_url));
  log::Info("migrations.done", {{"applied", absl::StrCat(applied)}});
  return absl::OkStatus();
}

absl::StatusOr<Secrets> LoadServerSecrets(const ServerConfig& config) {
  if (config.secret_key_file.empty()) {
    return absl::InvalidArgumentError("configuration: secret_key_file: is required to serve");
  }
  return Secrets::Load(config.secret_key_file);
}

int ReportFailure(const absl::Status& status) {
  std::fprintf(stderr, "accueil-server: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace accueil
