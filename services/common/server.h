// The gRPC server a process serves its modules' services on, with health
// checking and reflection, and what a module's services are given
// (ServiceContext). The host (host.h) builds both.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/gate.h"
#include "services/common/person_data.h"
#include "services/common/secrets.h"

namespace accueil {

class Metrics;
class Peers;
namespace events {
class CommitSignal;
}

// Ports: what a module's workers listen on besides the gRPC server (the
// gateway's HTTP port), by configuration key ("gateway_listen"), once bound:
// port 0 in a test picks one, and the test asks here. Thread-safe.
class Ports {
 public:
  void Set(std::string key, int port) {
    absl::MutexLock lock(&mu_);
    ports_[std::move(key)] = port;
  }
  // Get: the bound port, 0 when nothing listens for `key`.
  int Get(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    auto it = ports_.find(key);
    return it == ports_.end() ? 0 : it->second;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> ports_ ABSL_GUARDED_BY(mu_);
};

// What the host gives a module's services. Outlives them.
struct ServiceContext {
  db::Pool* pool;
  const Clock* clock;
  const Secrets* secrets;
  // Every handler runs through the gate (access policy, audit, logs).
  Gate* gate;
  // Channels to other modules' services (peers.h).
  Peers* peers;
  // The personal-data hooks of every module the process links.
  const PersonDataRegistry* person_data;
  // Ring after committing events or audit records (commit_signal.h).
  events::CommitSignal* commit_signal;
  // The process's metrics (metrics.h): streams, consumers and workers
  // report there.
  Metrics* metrics;
  // Where workers record the ports they listen on.
  Ports* ports = nullptr;
  // Days personal data is kept after an appointment (`retention_days`):
  // what the pages tell people.
  int retention_days = 90;
  // The OpenID Connect issuer whose tokens the gate accepts from agents
  // (`oidc_issuer`, or the development issuer's address) and their audience
  // (`oidc_audience`): where the gateway signs agents in.
  std::string oidc_issuer;
  std::string oidc_audience;
};

// A hosted service: its gRPC implementation and its full proto name, used
// for the health status.
struct HostedService {
  std::unique_ptr<grpc::Service> service;
  std::string full_name;  // e.g. "accueil.booking.v1.BookingService"
};

using ServiceFactory = std::function<absl::StatusOr<HostedService>(const ServiceContext&)>;

class HealthMirror;

// Transport options of a Server (docs/security.md#transport).
struct ServerOptions {
  // TLS: PEM files of the certificate chain and its private key; both empty:
  // plaintext. They are checked at start, then re-read every
  // `tls_refresh` (a renewed certificate is served without a restart).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mutual TLS: clients must present a certificate chaining to these CAs.
  std::string tls_client_ca_file;
  absl::Duration tls_refresh = absl::Seconds(60);
  // A second, plaintext address serving only grpc.health.v1 with the same
  // statuses ("host:port", port 0 picks one); empty: none.
  std::string health_listen;
};

// ReadPem reads the PEM file at `path` (TLS, the service key);
// FAILED_PRECONDITION naming the configuration `key` when it cannot.
absl::StatusOr<std::string> ReadPem(const char* key, const std::string& path);

// Server runs gRPC services with health checking and reflection.
class Server {
 public:
  // Start listens on `address` ("host:port", port 0 picks a free one).
  static absl::StatusOr<std::unique_ptr<Server>> Start(const std::string& address,
                                                       std::vector<HostedService> services,
                                                       const ServerOptions& options = {});
  ~Server();

  // port is the port actually bound.
  int port() const { return port_; }
  // health_port is the health-only port bound, 0 without health_listen.
  int health_port() const { return health_port_; }

  // InProcessChannel reaches this server's services without a socket
  // (still through their gate).
  std::shared_ptr<grpc::Channel> InProcessChannel() const;

  // SetServing sets the health status of `service` on both ports.
  void SetServing(const std::string& service, bool serving);

  // Shutdown marks the services not serving, waits up to `grace` for calls in
  // flight, then cancels what remains.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;
  std::vector<HostedService> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HealthMirror> health_mirror_;
  std::unique_ptr<grpc::Server> health_server_;
  int port_ = 0;
  int health_port_ = 0;
};

}  // namespace accueil
