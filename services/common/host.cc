#include "services/common/host.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil {
namespace {

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

}  // namespace

Retention RetentionOf(const ServerConfig& config) {
  return {absl::Hours(24) * config.retention_days, absl::Hours(24) * config.history_retention_days,
          absl::Hours(24) * config.event_log_retention_days};
}

PersonDataRegistry PersonDataRegistryOf(const std::vector<std::unique_ptr<Module>>& modules) {
  PersonDataRegistry registry;
  for (const auto& m : modules) {
    if (PersonDataHooks* hooks = m->person_data()) {
      registry.push_back({std::string(m->name()), hooks});
    }
  }
  return registry;
}

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
  RETURN_IF_ERROR(ValidateServiceIdentity(config, linked, served_));

  ASSIGN_OR_RETURN(pool_, db::Pool::Create(config.database_url, config.database_pool_size));
  metrics_ = std::make_unique<Metrics>();
  metrics_->WatchPool(pool_.get());
  if (!config.metrics_listen.empty()) RETURN_IF_ERROR(metrics_->Serve(config.metrics_listen));
  commit_signal_ = std::make_unique<events::CommitSignal>(pool_.get());
  audit_ = std::make_unique<events::AuditOutbox>(pool_.get(), commit_signal_.get());

  // Foundations first: exactly one module provides each.
  Foundations foundations{pool_.get(), clock_, &*secrets_, commit_signal_.get()};
  for (const auto& m : modules_) {
    Providers offered;
    RETURN_IF_ERROR(m->Provide(foundations, offered));
    if (offered.directory != nullptr && providers_.directory != nullptr) {
      return absl::InternalError(absl::StrCat("module ", std::string(m->name()),
                                              " provides a foundation "
                                              "another module already provides"));
    }
    if (offered.directory != nullptr) providers_.directory = offered.directory;
  }
  if (providers_.directory == nullptr) {
    return absl::InternalError("no module provides the role directory (link the access module)");
  }
  person_data_ = PersonDataRegistryOf(modules_);

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
  RETURN_IF_ERROR(StartServiceIdentity(config));
  authenticator_ = std::make_unique<auth::Authenticator>(
      providers_.directory, clock_, keys,
      auth::AuthenticatorOptions{{issuer, config.oidc_audience, absl::Seconds(60)},
                                 config.trusted_proxies,
                                 service_keys_.get()});
  ASSIGN_OR_RETURN(limiter_, RateLimiter::Create(options.limits.value_or(LimitsOf(config))));
  GateOptions gate;
  gate.stream_recheck = options.stream_recheck;
  gate_ = std::make_unique<Gate>(authenticator_.get(), limiter_.get(), audit_.get(), clock_,
                                 metrics_.get(), service_tokens_.get(), gate);
  ServerOptions transport = options.transport.value_or(TransportOf(config));
  peers_ = std::make_unique<Peers>(
      config.module_addresses, std::set<std::string>(served_.begin(), served_.end()),
      PeerTls{transport.tls_client_ca_file, transport.tls_cert_file, transport.tls_key_file});

  // The served modules' services and workers.
  ServiceContext context{pool_.get(),           clock_,         &*secrets_,
                         gate_.get(),           peers_.get(),   &person_data_,
                         commit_signal_.get(),  metrics_.get(), &ports_,
                         config.retention_days, issuer,         config.oidc_audience};
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

// StartServiceIdentity loads the service key and JWKS, or makes an
// ephemeral key when none is configured (refused when modules are split
// across processes). With an ephemeral key nothing outside this process can
// sign as its subject, so the host binds that subject's SERVICE role itself,
// as the development issuer binds the roles it hands out; a configured
// subject is bound by an operator (`accueil-server grant-service`).
absl::Status Host::StartServiceIdentity(const ServerConfig& config) {
  std::string subject = config.service_subject;
  if (subject.empty()) {
    std::vector<std::string> served = served_;
    std::sort(served.begin(), served.end());
    subject = absl::StrCat(auth::kServiceSubjectPrefix, absl::StrJoin(served, "+"));
  }
  ASSIGN_OR_RETURN(auth::ServiceIdentity identity,
                   auth::LoadServiceIdentity(config.service_key_file, config.service_key_id,
                                             config.service_jwks_file, subject));
  if (identity.ephemeral) {
    RETURN_IF_ERROR(
        providers_.directory->Bind(subject, access::v1::SERVICE, 0, "host", clock_->Now()));
  }
  log::Info("service_identity.loaded", {{"subject", subject},
                                        {"key_id", identity.signer->kid()},
                                        {"ephemeral", identity.ephemeral ? "true" : "false"}});
  service_keys_ = std::move(identity.keys);
  service_tokens_ =
      std::make_unique<auth::ServiceTokens>(*identity.signer, std::move(subject), clock_);
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

void Host::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  for (auto& [module, worker] : workers_) worker->Stop();
  // gRPC's shutdown waits for open streams: end them first.
  if (gate_ != nullptr) gate_->CloseStreams();
  if (server_ != nullptr) server_->Shutdown(grace);
  if (purger_ != nullptr) purger_->Stop();
  if (dev_issuer_ != nullptr) dev_issuer_->Stop();
  commit_signal_.reset();  // sends what is pending
}

Host::~Host() { Shutdown(absl::ZeroDuration()); }

}  // namespace accueil
