#include "services/common/server.h"

#include <csignal>
#include <cstdio>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/auth/dev_issuer.h"
#include "services/common/log.h"
#include "services/common/migrate.h"

namespace accueil {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const std::string& address, std::vector<HostedService> services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<Server> server(new Server());
  server->services_ = std::move(services);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &server->port_);
  for (HostedService& s : server->services_) {
    builder.RegisterService(s.service.get());
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address));
  }
  grpc::HealthCheckServiceInterface* health =
      server->server_->GetHealthCheckService();
  for (const HostedService& s : server->services_) {
    health->SetServingStatus(s.full_name, true);
  }
  return server;
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  server_.reset();
}

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "accueil-server: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

constexpr char kUsage[] =
    "usage: %s [migrate | grant-admin SUBJECT] [--config FILE]\n"
    "  Runs the services named by the configuration (key `services`).\n"
    "  `migrate` applies pending database migrations and exits.\n"
    "  `grant-admin SUBJECT` makes the OpenID subject an administrator of every\n"
    "  site (the first administrator; later ones are granted through the API).\n"
    "  Every key can be set by the environment: ACCUEIL_<KEY>.\n";

// GrantAdmin bootstraps the first administrator, straight in the database,
// with an audit row.
int GrantAdmin(const std::string& url, const std::string& subject) {
  if (subject.empty() || subject.size() > 200) {
    return Fail(absl::InvalidArgumentError("grant-admin: subject of 1 to 200 characters"));
  }
  try {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO access.role_bindings (subject, role, site_id, granted_by, grant_time) "
        "VALUES ($1, 'ADMINISTRATOR', NULL, 'grant-admin', now()) ON CONFLICT DO NOTHING",
        subject);
    tx.exec_params(
        "INSERT INTO access.audit_log (time, subject, roles, method, resource, reason, "
        "outcome) VALUES (now(), 'grant-admin', '', 'accueil-server grant-admin', $1, "
        "'bootstrap', 'OK')",
        subject);
    tx.commit();
  } catch (const std::exception& e) {
    return Fail(db::FromException(e));
  }
  log::Info("grant_admin.done");
  return 0;
}

}  // namespace

int ServerMain(int argc, char** argv,
               const std::map<std::string, ServiceFactory>& factories) {
  std::string config_path;
  bool migrate_only = false;
  std::string admin_subject;
  bool grant_admin = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "migrate" && i == 1) {
      migrate_only = true;
    } else if (arg == "grant-admin" && i == 1 && i + 1 < argc) {
      grant_admin = true;
      admin_subject = argv[++i];
    } else {
      std::fprintf(stderr, kUsage, argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  absl::StatusOr<ServerConfig> config = LoadServerConfig(config_path, ProcessEnv);
  if (!config.ok()) return Fail(config.status());
  log::Init(config->log_level);
  // Without tzdata Abseil silently means UTC: refuse instead.
  absl::TimeZone paris;
  if (!absl::LoadTimeZone("Europe/Paris", &paris)) {
    return Fail(absl::FailedPreconditionError(
        "time zone data is missing (install the tzdata package)"));
  }
  if (config->services.empty()) {
    for (const auto& [name, factory] : factories) config->services.push_back(name);
  }
  for (const std::string& name : config->services) {
    if (factories.count(name) == 0) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "configuration: services: this binary does not host \"", name, "\"")));
    }
  }

  if (config->migrate_on_start || migrate_only || grant_admin) {
    absl::StatusOr<int> applied = db::Migrate(config->database_url);
    if (!applied.ok()) return Fail(applied.status());
    log::Info("migrations.done", {{"applied", absl::StrCat(*applied)}});
    if (migrate_only) return 0;
  }
  if (grant_admin) return GrantAdmin(config->database_url, admin_subject);
  if (config->secret_key_file.empty()) {
    return Fail(absl::InvalidArgumentError(
        "configuration: secret_key_file: is required to serve"));
  }
  absl::StatusOr<Secrets> secrets = Secrets::Load(config->secret_key_file);
  if (!secrets.ok()) return Fail(secrets.status());

  // Block the signals before any thread starts, so that only sigwait below
  // receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<db::Pool>> pool =
      db::Pool::Create(config->database_url, config->database_pool_size);
  if (!pool.ok()) return Fail(pool.status());
  SystemClock clock;

  std::unique_ptr<auth::KeyProvider> keys;
  // Development issuer (loopback only, see config.h): replaces oidc_issuer
  // and oidc_jwks_file.
  std::unique_ptr<auth::DevIssuer> dev_issuer;
  std::string oidc_issuer = config->oidc_issuer;
  if (!config->dev_issuer_listen.empty()) {
    absl::StatusOr<std::unique_ptr<auth::DevIssuer>> issuer = auth::DevIssuer::Start(
        config->dev_issuer_listen, config->oidc_audience, pool->get(), &clock);
    if (!issuer.ok()) return Fail(issuer.status());
    dev_issuer = std::move(*issuer);
    oidc_issuer = dev_issuer->issuer();
    log::Warn("dev_issuer.started",
              {{"address", oidc_issuer},
               {"message", "development issuer enabled: never in production"}});
  } else if (!config->oidc_jwks_file.empty()) {
    absl::StatusOr<std::unique_ptr<auth::JwksFileKeys>> file =
        auth::JwksFileKeys::Load(config->oidc_jwks_file);
    if (!file.ok()) return Fail(file.status());
    keys = std::move(*file);
  }
  auth::Authenticator authenticator(
      pool->get(), &*secrets, &clock, dev_issuer ? dev_issuer->keys() : keys.get(),
      {{oidc_issuer, config->oidc_audience, absl::Seconds(60)},
       config->trusted_proxies});
  RateLimitOptions limits;
  limits.read_per_second = config->rate_limit_read_per_second;
  limits.write_per_second = config->rate_limit_write_per_second;
  // Bursts let a person load a page of slots or retry a form at once.
  limits.read_burst = 12 * limits.read_per_second;
  limits.write_burst = 40 * limits.write_per_second;
  limits.bookings_per_hour = config->bookings_per_client_per_hour;
  limits.exempt = config->rate_limit_exempt;
  absl::StatusOr<std::unique_ptr<RateLimiter>> limiter = RateLimiter::Create(limits);
  if (!limiter.ok()) return Fail(limiter.status());
  Gate gate(&authenticator, limiter->get(), pool->get(), &clock);
  ServiceContext context{pool->get(), &clock, &*secrets, &gate, &authenticator};
  std::vector<HostedService> hosted;
  for (const std::string& name : config->services) {
    absl::StatusOr<HostedService> service = factories.at(name)(context);
    if (!service.ok()) return Fail(service.status());
    hosted.push_back(std::move(*service));
  }
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(config->listen, std::move(hosted));
  if (!server.ok()) return Fail(server.status());
  std::string host = config->listen.substr(0, config->listen.rfind(':'));
  log::Info("server.started",
            {{"address", absl::StrCat(host, ":", (*server)->port())},
             {"services", absl::StrJoin(config->services, ",")}});

  int signal = 0;
  sigwait(&signals, &signal);
  log::Info("server.stopping", {{"signal", absl::StrCat(signal)}});
  (*server)->Shutdown(config->shutdown_grace);
  if (dev_issuer) dev_issuer->Stop();
  log::Info("server.stopped");
  return 0;
}

}  // namespace accueil
