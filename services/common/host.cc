#include "services/common/host.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/migrate.h"
#include "services/common/status_macros.h"

namespace accueil {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "accueil-server: %s\n", std::string(status.message()).c_str());
  return 1;
}

Retention RetentionOf(const ServerConfig& config) {
  return {absl::Hours(24) * config.retention_days, absl::Hours(24) * config.history_retention_days};
}

RateLimitOptions LimitsOf(const ServerConfig& config) {
  RateLimitOptions limits;
  limits.read_per_second = config.rate_limit_read_per_second;
  limits.write_per_second = config.rate_limit_write_per_second;
  // Bursts let a person load a page of slots or retry a form at once.
  limits.read_burst = 12 * limits.read_per_second;
  limits.write_burst = 40 * limits.write_per_second;
  limits.bookings_per_hour = config.bookings_per_client_per_hour;
  limits.exempt = config.rate_limit_exempt;
  return limits;
}

ServerOptions TransportOf(const ServerConfig& config) {
  ServerOptions options;
  options.tls_cert_file = config.tls_cert_file;
  options.tls_key_file = config.tls_key_file;
  options.tls_client_ca_file = config.tls_client_ca_file;
  options.health_listen = config.health_listen;
  return options;
}

PersonDataRegistry RegistryOf(const std::vector<std::unique_ptr<Module>>& modules) {
  PersonDataRegistry registry;
  for (const auto& m : modules) {
    if (PersonDataHooks* hooks = m->person_data())
      registry.push_back({std::string(m->name()), hooks});
  }
  return registry;
}

// RunRekeyCommand is `accueil-server rekey`: every module's Rekey hook once.
int RunRekeyCommand(const std::string& database_url, const Secrets& secrets,
                    const PersonDataRegistry& modules) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(database_url, 1);
  if (!pool.ok()) return Fail(pool.status());
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

absl::StatusOr<std::unique_ptr<Host>> Host::Start(const ServerConfig& config,
                                                  std::vector<std::unique_ptr<Module>> modules,
                                                  Secrets secrets, HostOptions options) {
  std::unique_ptr<Host> host(new Host());
  host->modules_ = std::move(modules);
  host->secrets_.emplace(std::move(secrets));
  if (absl::Status s = host->Build(config, std::move(options)); !s.ok()) {
    host->Shutdown(absl::ZeroDuration());
    return s;
  }
  return host;
}

absl::Status Host::Build(const ServerConfig& config, HostOptions options) {
  clock_ = options.clock != nullptr ? options.clock : &system_clock_;
  std::set<std::string> linked;
  for (const auto& m : modules_) linked.insert(std::string(m->name()));
  served_ = config.services;
  if (served_.empty()) served_.assign(linked.begin(), linked.end());
  for (const std::string& name : served_) {
    if (linked.count(name) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("configuration: services: this binary does not host \"", name, "\""));
    }
  }

  ASSIGN_OR_RETURN(pool_, db::Pool::Create(config.database_url, config.database_pool_size));

  // Foundations first: exactly one module provides each.
  Foundations foundations{pool_.get(), clock_, &*secrets_};
  for (const auto& m : modules_) {
    Providers offered;
    RETURN_IF_ERROR(m->Provide(foundations, offered));
    if ((offered.directory != nullptr && providers_.directory != nullptr) ||
        (offered.audit != nullptr && providers_.audit != nullptr)) {
      return absl::InternalError(absl::StrCat("module ", std::string(m->name()),
                                              " provides a foundation "
                                              "another module already provides"));
    }
    if (offered.directory != nullptr) providers_.directory = offered.directory;
    if (offered.audit != nullptr) providers_.audit = offered.audit;
  }
  if (providers_.directory == nullptr || providers_.audit == nullptr) {
    return absl::InternalError(
        "no module provides the role directory and the audit log "
        "(link the access module)");
  }
  person_data_ = RegistryOf(modules_);

  // Who signs agents' tokens: the test's keys, the development issuer, or
  // the provider's JWKS file.
  auth::KeyProvider* keys = options.keys;
  std::string issuer = options.issuer.value_or(config.oidc_issuer);
  if (keys == nullptr && !config.dev_issuer_listen.empty()) {
    ASSIGN_OR_RETURN(dev_issuer_,
                     auth::DevIssuer::Start(config.dev_issuer_listen, config.oidc_audience,
                                            providers_.directory, clock_));
    keys = dev_issuer_->keys();
    issuer = dev_issuer_->issuer();
    log::Warn(
        "dev_issuer.started",
        {{"address", issuer}, {"message", "development issuer enabled: never in production"}});
  } else if (keys == nullptr && !config.oidc_jwks_file.empty()) {
    ASSIGN_OR_RETURN(jwks_, auth::JwksFileKeys::Load(config.oidc_jwks_file));
    keys = jwks_.get();
  }
  authenticator_ = std::make_unique<auth::Authenticator>(
      providers_.directory, clock_, keys,
      auth::AuthenticatorOptions{{issuer, config.oidc_audience, absl::Seconds(60)},
                                 config.trusted_proxies});
  ASSIGN_OR_RETURN(limiter_, RateLimiter::Create(options.limits.value_or(LimitsOf(config))));
  gate_ = std::make_unique<Gate>(authenticator_.get(), limiter_.get(), providers_.audit, clock_);
  ServerOptions transport = options.transport.value_or(TransportOf(config));
  peers_ = std::make_unique<Peers>(
      config.module_addresses, std::set<std::string>(served_.begin(), served_.end()),
      PeerTls{transport.tls_client_ca_file, transport.tls_cert_file, transport.tls_key_file});

  // The served modules' services and workers.
  ServiceContext context{pool_.get(), clock_, &*secrets_, gate_.get(), peers_.get(), &person_data_};
  std::vector<HostedService> services;
  for (const auto& m : modules_) {
    if (std::find(served_.begin(), served_.end(), m->name()) == served_.end()) continue;
    ASSIGN_OR_RETURN(ModuleParts parts, m->Start(context));
    for (HostedService& s : parts.services) services.push_back(std::move(s));
    for (auto& w : parts.workers) workers_.emplace_back(std::string(m->name()), std::move(w));
  }
  ASSIGN_OR_RETURN(server_, Server::Start(config.listen, std::move(services), transport));
  peers_->SetLocal(server_.get());
  for (const std::string& name : served_) server_->SetServing(name, true);
  for (auto& [module, worker] : workers_) worker->Start();
  health_thread_ = std::thread([this] { WatchHealth(); });

  if (options.purge_every_hour) {
    // Personal data older than retention_days is erased every hour
    // (docs/security.md, "Personal data"); stopped before the pool goes.
    retention::PurgerOptions purge;
    purge.retention = RetentionOf(config);
    purger_ = std::make_unique<retention::Purger>(pool_.get(), clock_, purge, &person_data_);
    purger_->Start();
  }
  return absl::OkStatus();
}

// WatchHealth reports a module NOT_SERVING while one of its workers is
// unhealthy (health check service name: the module's name).
void Host::WatchHealth() {
  std::map<std::string, bool> last;
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    std::map<std::string, bool> healthy;
    for (const std::string& name : served_) healthy[name] = true;
    for (const auto& [module, worker] : workers_) {
      healthy[module] = healthy[module] && worker->Healthy();
    }
    for (const auto& [module, ok] : healthy) {
      if (last.count(module) == 0 || last[module] != ok) {
        server_->SetServing(module, ok);
        if (!ok) log::Warn("module.unhealthy", {{"module", module}});
      }
    }
    last = std::move(healthy);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
  }
}

std::string Host::dev_issuer() const { return dev_issuer_ ? dev_issuer_->issuer() : ""; }

void Host::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  for (auto& [module, worker] : workers_) worker->Stop();
  if (server_ != nullptr) server_->Shutdown(grace);
  if (purger_ != nullptr) purger_->Stop();
  if (dev_issuer_ != nullptr) dev_issuer_->Stop();
}

Host::~Host() { Shutdown(absl::ZeroDuration()); }

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
      "  config-table   prints the table of configuration keys (docs/operations.md)\n");
  for (const auto& m : modules) {
    for (const ModuleCommand& c : m->commands()) absl::StrAppend(&usage, "  ", c.usage, "\n");
  }
  absl::StrAppend(&usage, "  Every key can be set by the environment: ACCUEIL_<KEY>.\n");
  return usage;
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

  std::string config_path;
  std::string command;
  std::vector<std::string> args;
  const ModuleCommand* module_command = nullptr;
  std::vector<ModuleCommand> module_commands;
  for (const auto& m : modules) {
    for (ModuleCommand& c : m->commands()) module_commands.push_back(std::move(c));
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool known = false;
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
      continue;
    }
    if (i == 1) {
      known = arg == "migrate" || arg == "purge" || arg == "rekey" || arg == "config-table";
      for (const ModuleCommand& c : module_commands) {
        if (arg == c.name && i + c.arguments < argc) {
          module_command = &c;
          known = true;
          for (int k = 0; k < c.arguments; ++k) args.push_back(argv[++i]);
        }
      }
      if (known) command = arg;
    }
    if (!known) {
      std::fputs(Usage(argv[0], modules).c_str(), stderr);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (command == "config-table") {
    std::fputs(ConfigTable(section_ptrs).c_str(), stdout);
    return 0;
  }
  // Abseil as Debian builds it checks every mutex acquisition for lock-order
  // cycles (a debugging aid, a global graph under a global lock): the tests
  // keep it, a serving process does not pay for it on every call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<ServerConfig> config = LoadServerConfig(config_path, ProcessEnv, section_ptrs);
  if (!config.ok()) return Fail(config.status());
  if (config->services.empty()) config->services = default_services;
  log::Init(config->log_level);
  // Without tzdata Abseil silently means UTC: refuse instead.
  absl::TimeZone paris;
  if (!absl::LoadTimeZone("Europe/Paris", &paris)) {
    return Fail(
        absl::FailedPreconditionError("time zone data is missing (install the tzdata package)"));
  }

  if (config->migrate_on_start || command == "migrate" || module_command != nullptr) {
    absl::StatusOr<int> applied = db::Migrate(config->database_url);
    if (!applied.ok()) return Fail(applied.status());
    log::Info("migrations.done", {{"applied", absl::StrCat(*applied)}});
    if (command == "migrate") return 0;
  }
  if (module_command != nullptr) return module_command->run(*config, args);
  const PersonDataRegistry registry = RegistryOf(modules);
  if (command == "purge") {
    return retention::RunPurgeCommand(config->database_url, RetentionOf(*config), registry);
  }
  if (config->secret_key_file.empty()) {
    return Fail(absl::InvalidArgumentError("configuration: secret_key_file: is required to serve"));
  }
  absl::StatusOr<Secrets> secrets = Secrets::Load(config->secret_key_file);
  if (!secrets.ok()) return Fail(secrets.status());
  if (command == "rekey") return RunRekeyCommand(config->database_url, *secrets, registry);

  // Block the signals before any thread starts, so that only sigwait below
  // receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::string> key_ids = secrets->KeyIds();
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Start(*config, std::move(modules), std::move(*secrets));
  if (!host.ok()) return Fail(host.status());
  std::string host_name = config->listen.substr(0, config->listen.rfind(':'));
  std::string health_address = "none";
  if (!config->health_listen.empty()) {
    health_address = absl::StrCat(config->health_listen.substr(0, config->health_listen.rfind(':')),
                                  ":", (*host)->health_port());
  }
  log::Info("server.started", {{"address", absl::StrCat(host_name, ":", (*host)->port())},
                               {"transport", config->tls_cert_file.empty() ? "plaintext (loopback)"
                                             : config->tls_client_ca_file.empty() ? "tls"
                                                                                  : "mutual tls"},
                               {"health_address", health_address},
                               {"secret_keys", absl::StrJoin(key_ids, ",")},
                               {"services", absl::StrJoin((*host)->served(), ",")}});

  int signal = 0;
  sigwait(&signals, &signal);
  log::Info("server.stopping", {{"signal", absl::StrCat(signal)}});
  (*host)->Shutdown(config->shutdown_grace);
  log::Info("server.stopped");
  return 0;
}

}  // namespace accueil
