// ServerMain (declared in host.h): every server binary's main. It reads the
// command line and the configuration, then runs a command
// (server_commands.h) or serves the modules through a Host.
#include <csignal>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/host.h"
#include "services/common/log.h"
#include "services/common/server_commands.h"

namespace accueil {
namespace {

// Serve runs the modules until SIGINT or SIGTERM.
int Serve(const ServerConfig& config, std::vector<std::unique_ptr<Module>> modules) {
  if (config.migrate_on_start) {
    if (absl::Status s = MigrateDatabase(config); !s.ok()) return ReportFailure(s);
  }
  absl::StatusOr<Secrets> secrets = LoadServerSecrets(config);
  if (!secrets.ok()) return ReportFailure(secrets.status());

  // Block the signals before any thread starts, so that only sigwait below
  // receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::string> key_ids = secrets->KeyIds();
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Start(config, std::move(modules), std::move(*secrets));
  if (!host.ok()) return ReportFailure(host.status());
  // The address bound from a configured "host:port" (port 0: the one picked).
  auto bound = [](const std::string& listen, int port) -> std::string {
    if (listen.empty()) return "none";
    return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  };
  log::Info("server.started",
            {{"address", bound(config.listen, (*host)->port())},
             {"transport", config.tls_cert_file.empty()        ? "plaintext (loopback)"
                           : config.tls_client_ca_file.empty() ? "tls"
                                                               : "mutual tls"},
             {"health_address", bound(config.health_listen, (*host)->health_port())},
             {"metrics_address", bound(config.metrics_listen, (*host)->metrics_port())},
             {"secret_keys", absl::StrJoin(key_ids, ",")},
             {"services", absl::StrJoin((*host)->served(), ",")}});

  int signal = 0;
  sigwait(&signals, &signal);
  log::Info("server.stopping", {{"signal", absl::StrCat(signal)}});
  (*host)->Shutdown(config.shutdown_grace);
  log::Info("server.stopped");
  return 0;
}

}  // namespace

int ServerMain(int argc, char** argv, const std::vector<ModuleFactory>& factories,
               const std::vector<std::string>& default_services) {
  std::vector<std::unique_ptr<Module>> modules;
  for (const ModuleFactory& make : factories) modules.push_back(make());
  std::vector<ConfigSection> sections;
  sections.reserve(modules.size());
  for (const auto& m : modules) {
    sections.emplace_back(std::string(m->name()));
    m->Configure(sections.back());
  }
  std::vector<ConfigSection*> section_ptrs;
  for (ConfigSection& s : sections) section_ptrs.push_back(&s);

  ServerCommandLine line;
  if (std::optional<int> exit_code = ParseServerCommandLine(argc, argv, modules, &line)) {
    return *exit_code;
  }
  if (line.command == "config-table") return RunConfigTableCommand(section_ptrs);
  if (line.command == "service-jwk") {
    return RunServiceJwkCommand(line.arguments.at(0), line.arguments.at(1));
  }

  // Abseil as Debian builds it checks every mutex acquisition for lock-order
  // cycles (a debugging aid, a global graph under a global lock): the tests
  // keep it, a serving process does not pay for it on every call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<ServerConfig> config =
      LoadServerConfig(line.config_path, ProcessEnv, section_ptrs);
  if (!config.ok()) return ReportFailure(config.status());
  if (config->services.empty()) config->services = default_services;
  log::Init(config->log_level);
  // Without tzdata Abseil silently means UTC: refuse instead.
  absl::TimeZone paris;
  if (!absl::LoadTimeZone("Europe/Paris", &paris)) {
    return ReportFailure(
        absl::FailedPreconditionError("time zone data is missing (install the tzdata package)"));
  }

  if (!line.command.empty()) return RunServerCommand(line, *config, modules);
  return Serve(*config, std::move(modules));
}

}  // namespace accueil
