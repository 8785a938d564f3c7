#include "services/common/server.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/auth/dev_issuer.h"
#include "services/common/log.h"
#include "services/common/migrate.h"
#include "services/common/person_key.h"
#include "services/common/retention.h"

namespace accueil {

// HealthMirror is grpc.health.v1.Health for the health-only port, holding
// the same statuses as the service port's default health service. A
// synchronous service of our own: gRPC's default one needs a polled
// completion queue on a server without synchronous services.
class HealthMirror final : public grpc::health::v1::Health::Service {
 public:
  using Response = grpc::health::v1::HealthCheckResponse;

  void Set(const std::string& service, bool serving) {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    statuses_[service] = serving ? Response::SERVING : Response::NOT_SERVING;
    changed_.SignalAll();
  }

  // Shutdown reports every service NOT_SERVING, for good.
  void Shutdown() {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    for (auto& [service, status] : statuses_) status = Response::NOT_SERVING;
    changed_.SignalAll();
  }

  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
                     Response* response) override {
    absl::MutexLock lock(&mu_);
    auto it = statuses_.find(request->service());
    if (it == statuses_.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    }
    response->set_status(it->second);
    return grpc::Status::OK;
  }

  // Watch sends the status, then each change, until the call ends.
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<Response>* writer) override {
    int last = -1;
    absl::MutexLock lock(&mu_);
    while (!context->IsCancelled()) {
      auto it = statuses_.find(request->service());
      Response::ServingStatus status =
          it == statuses_.end() ? Response::SERVICE_UNKNOWN : it->second;
      if (status != last) {
        Response response;
        response.set_status(status);
        mu_.Unlock();
        bool written = writer->Write(response);
        mu_.Lock();
        if (!written) break;
        last = status;
      }
      // Wakes up on a change, or each second to notice a cancelled call.
      changed_.WaitWithTimeout(&mu_, absl::Seconds(1));
    }
    return grpc::Status::OK;
  }

 private:
  absl::Mutex mu_;
  absl::CondVar changed_;
  bool shut_down_ = false;
  std::map<std::string, Response::ServingStatus> statuses_;
};

namespace {

absl::StatusOr<std::string> ReadPem(const char* key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  if (!in || !(buffer << in.rdbuf())) {
    return absl::FailedPreconditionError(absl::StrCat("tls: ", key, ": cannot read ", path));
  }
  return buffer.str();
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;
Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// CheckTlsFiles reads the PEM files once at start so that a wrong path or a
// key that does not match the certificate is refused with a clear message
// (gRPC's file watcher would only log it and fail every handshake).
absl::Status CheckTlsFiles(const ServerOptions& o) {
  absl::StatusOr<std::string> cert_pem = ReadPem("tls_cert_file", o.tls_cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ReadPem("tls_key_file", o.tls_key_file);
  if (!key_pem.ok()) return key_pem.status();
  Bio cert_bio = MemoryBio(*cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  Bio key_bio = MemoryBio(*key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  absl::Status status;
  if (cert == nullptr) {
    status = absl::FailedPreconditionError(
        absl::StrCat("tls: tls_cert_file: no PEM certificate in ", o.tls_cert_file));
  } else if (key == nullptr) {
    status = absl::FailedPreconditionError(
        absl::StrCat("tls: tls_key_file: no PEM private key in ", o.tls_key_file));
  } else if (X509_check_private_key(cert, key) != 1) {
    status = absl::FailedPreconditionError(absl::StrCat(
        "tls: the key ", o.tls_key_file, " does not match the certificate ", o.tls_cert_file));
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  if (status.ok() && !o.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca_pem = ReadPem("tls_client_ca_file", o.tls_client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    Bio ca_bio = MemoryBio(*ca_pem);
    X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr);
    if (ca == nullptr) {
      status = absl::FailedPreconditionError(
          absl::StrCat("tls: tls_client_ca_file: no PEM certificate in ", o.tls_client_ca_file));
    }
    X509_free(ca);
  }
  ERR_clear_error();
  return status;
}

// Credentials of the service port: plaintext, TLS, or mutual TLS. The
// certificate provider re-reads the files every tls_refresh.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls: tls_cert_file and tls_key_file go together: set both or neither");
  }
  if (o.tls_cert_file.empty()) {
    if (!o.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "tls: tls_client_ca_file needs tls_cert_file and tls_key_file");
    }
    return grpc::InsecureServerCredentials();
  }
  if (absl::Status s = CheckTlsFiles(o); !s.ok()) return s;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      o.tls_key_file, o.tls_cert_file, o.tls_client_ca_file,
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(o.tls_refresh))));
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (o.tls_client_ca_file.empty()) {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    tls.watch_root_certs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

// Leaves out the builder plugins (reflection): the health port serves
// grpc.health.v1 only.
class WithoutPlugins : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const std::string& address,
                                                      std::vector<HostedService> services,
                                                      const ServerOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<Server> server(new Server());
  server->services_ = std::move(services);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, *credentials, &server->port_);
  for (HostedService& s : server->services_) {
    builder.RegisterService(s.service.get());
  }
  // Handlers block on PostgreSQL. With gRPC's default of at most 2 pollers a
  // completion queue, the server starts and stops a thread for almost every
  // call (docs/benchmarks.md); keep enough threads polling instead.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 4);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  if (!options.health_listen.empty()) {
    server->health_mirror_ = std::make_unique<HealthMirror>();
    server->health_mirror_->Set("", true);
    grpc::ServerBuilder health_builder;
    // Neither reflection nor gRPC's default health service: our mirror only.
    health_builder.SetOption(std::make_unique<WithoutPlugins>());
    health_builder.SetOption(
        std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(nullptr));
    health_builder.RegisterService(server->health_mirror_.get());
    health_builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(),
                                    &server->health_port_);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      server->health_server_.reset();
      server->Shutdown(absl::ZeroDuration());
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options.health_listen, " (health_listen)"));
    }
  }
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  for (const HostedService& hosted : server->services_) {
    health->SetServingStatus(hosted.full_name, true);
    if (server->health_mirror_) server->health_mirror_->Set(hosted.full_name, true);
  }
  return server;
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  // Both ports report NOT_SERVING first, so that probes and balancers stop
  // sending calls while those in flight finish.
  server_->GetHealthCheckService()->Shutdown();
  if (health_mirror_ != nullptr) health_mirror_->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  server_.reset();
  if (health_server_ != nullptr) {
    health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
    health_server_->Wait();
    health_server_.reset();
  }
  health_mirror_.reset();
}

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "accueil-server: %s\n", std::string(status.message()).c_str());
  return 1;
}

retention::Retention RetentionOf(const ServerConfig& config) {
  return {absl::Hours(24) * config.retention_days, absl::Hours(24) * config.history_retention_days};
}

constexpr char kUsage[] =
    "usage: %s [migrate | purge | rekey | grant-admin SUBJECT] [--config FILE]\n"
    "  Runs the services named by the configuration (key `services`).\n"
    "  `migrate` applies pending database migrations and exits.\n"
    "  `purge` erases the personal data older than `retention_days` and unlinks\n"
    "  the person keys older than `history_retention_days`, once, and\n"
    "  exits (a CronJob; the server also purges every hour).\n"
    "  `rekey` moves the person keys stored under older keys of the secret key\n"
    "  ring to its signing key, once, and exits (docs/security.md#secrets).\n"
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

int ServerMain(int argc, char** argv, const std::map<std::string, ServiceFactory>& factories) {
  std::string config_path;
  bool migrate_only = false;
  bool purge_only = false;
  bool rekey_only = false;
  std::string admin_subject;
  bool grant_admin = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "migrate" && i == 1) {
      migrate_only = true;
    } else if (arg == "purge" && i == 1) {
      purge_only = true;
    } else if (arg == "rekey" && i == 1) {
      rekey_only = true;
    } else if (arg == "grant-admin" && i == 1 && i + 1 < argc) {
      grant_admin = true;
      admin_subject = argv[++i];
    } else {
      std::fprintf(stderr, kUsage, argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  // Abseil as Debian builds it checks every mutex acquisition for lock-order
  // cycles (a debugging aid, a global graph under a global lock): the tests
  // keep it, a serving process does not pay for it on every call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<ServerConfig> config = LoadServerConfig(config_path, ProcessEnv);
  if (!config.ok()) return Fail(config.status());
  log::Init(config->log_level);
  // Without tzdata Abseil silently means UTC: refuse instead.
  absl::TimeZone paris;
  if (!absl::LoadTimeZone("Europe/Paris", &paris)) {
    return Fail(
        absl::FailedPreconditionError("time zone data is missing (install the tzdata package)"));
  }
  if (config->services.empty()) {
    for (const auto& [name, factory] : factories) config->services.push_back(name);
  }
  for (const std::string& name : config->services) {
    if (factories.count(name) == 0) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("configuration: services: this binary does not host \"", name, "\"")));
    }
  }

  if (config->migrate_on_start || migrate_only || grant_admin) {
    absl::StatusOr<int> applied = db::Migrate(config->database_url);
    if (!applied.ok()) return Fail(applied.status());
    log::Info("migrations.done", {{"applied", absl::StrCat(*applied)}});
    if (migrate_only) return 0;
  }
  if (grant_admin) return GrantAdmin(config->database_url, admin_subject);
  if (purge_only) {
    return retention::RunPurgeCommand(config->database_url, RetentionOf(*config));
  }
  if (config->secret_key_file.empty()) {
    return Fail(absl::InvalidArgumentError("configuration: secret_key_file: is required to serve"));
  }
  absl::StatusOr<Secrets> secrets = Secrets::Load(config->secret_key_file);
  if (!secrets.ok()) return Fail(secrets.status());
  if (rekey_only) return RunRekeyCommand(config->database_url, *secrets);

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
  // Personal data older than retention_days is erased every hour
  // (docs/security.md, "Personal data"); stopped before the pool goes.
  retention::PurgerOptions purge_options;
  purge_options.retention = RetentionOf(*config);
  retention::Purger purger(pool->get(), &clock, purge_options);
  purger.Start();

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
    log::Warn(
        "dev_issuer.started",
        {{"address", oidc_issuer}, {"message", "development issuer enabled: never in production"}});
  } else if (!config->oidc_jwks_file.empty()) {
    absl::StatusOr<std::unique_ptr<auth::JwksFileKeys>> file =
        auth::JwksFileKeys::Load(config->oidc_jwks_file);
    if (!file.ok()) return Fail(file.status());
    keys = std::move(*file);
  }
  auth::Authenticator authenticator(
      pool->get(), &*secrets, &clock, dev_issuer ? dev_issuer->keys() : keys.get(),
      {{oidc_issuer, config->oidc_audience, absl::Seconds(60)}, config->trusted_proxies});
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
  ServerOptions server_options;
  server_options.tls_cert_file = config->tls_cert_file;
  server_options.tls_key_file = config->tls_key_file;
  server_options.tls_client_ca_file = config->tls_client_ca_file;
  server_options.health_listen = config->health_listen;
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(config->listen, std::move(hosted), server_options);
  if (!server.ok()) return Fail(server.status());
  std::string host = config->listen.substr(0, config->listen.rfind(':'));
  std::string health_address = "none";
  if (!config->health_listen.empty()) {
    health_address = absl::StrCat(config->health_listen.substr(0, config->health_listen.rfind(':')),
                                  ":", (*server)->health_port());
  }
  log::Info("server.started", {{"address", absl::StrCat(host, ":", (*server)->port())},
                               {"transport", config->tls_cert_file.empty() ? "plaintext (loopback)"
                                             : config->tls_client_ca_file.empty() ? "tls"
                                                                                  : "mutual tls"},
                               {"health_address", health_address},
                               {"secret_keys", absl::StrJoin(secrets->KeyIds(), ",")},
                               {"services", absl::StrJoin(config->services, ",")}});

  int signal = 0;
  sigwait(&signals, &signal);
  log::Info("server.stopping", {{"signal", absl::StrCat(signal)}});
  (*server)->Shutdown(config->shutdown_grace);
  if (dev_issuer) dev_issuer->Stop();
  purger.Stop();
  log::Info("server.stopped");
  return 0;
}

}  // namespace accueil
