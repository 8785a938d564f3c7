#include "services/common/server.h"

#include <algorithm>
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
#include "services/common/log.h"
#include "services/common/status_macros.h"

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

absl::StatusOr<std::string> ReadPem(const char* key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  if (!in || !(buffer << in.rdbuf())) {
    return absl::FailedPreconditionError(absl::StrCat(key, ": cannot read ", path));
  }
  return buffer.str();
}

namespace {

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
  ASSIGN_OR_RETURN(std::string cert_pem, ReadPem("tls_cert_file", o.tls_cert_file));
  ASSIGN_OR_RETURN(std::string key_pem, ReadPem("tls_key_file", o.tls_key_file));
  Bio cert_bio = MemoryBio(cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  Bio key_bio = MemoryBio(key_pem);
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
    ASSIGN_OR_RETURN(std::string ca_pem, ReadPem("tls_client_ca_file", o.tls_client_ca_file));
    Bio ca_bio = MemoryBio(ca_pem);
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
  RETURN_IF_ERROR(CheckTlsFiles(o));
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
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, Credentials(options));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<Server> server(new Server());
  server->services_ = std::move(services);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, &server->port_);
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

std::shared_ptr<grpc::Channel> Server::InProcessChannel() const {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void Server::SetServing(const std::string& service, bool serving) {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->SetServingStatus(service, serving);
  if (health_mirror_ != nullptr) health_mirror_->Set(service, serving);
}

}  // namespace accueil
