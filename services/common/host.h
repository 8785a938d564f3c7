// The host: what runs a list of modules in one process, the same way for
// the all-in-one server, the per-service binaries and the tests.
//
// Every module the binary links declares its configuration and provides its
// foundations (the access module's directory and audit log) and its
// personal-data hooks; the modules named by `services` (default: all) also
// serve their gRPC services and run their workers. The host adds what no
// module owns: the gate, the service identity its modules call each other
// with, the hourly retention purge over every module's hooks, the
// development issuer when configured, health per module.
//
//   int main(int argc, char** argv) {
//     return accueil::ServerMain(argc, argv, accueil::AllModules());
//   }
#pragma once

#include <memory>
#include <thread>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/audit.h"
#include "services/common/auth/authenticator.h"
#include "services/common/auth/dev_issuer.h"
#include "services/common/auth/service_identity.h"
#include "services/common/clock.h"
#include "services/common/commit_signal.h"
#include "services/common/config.h"
#include "services/common/metrics.h"
#include "services/common/module.h"
#include "services/common/peers.h"
#include "services/common/rate_limiter.h"
#include "services/common/retention.h"
#include "services/common/secrets.h"
#include "services/common/server.h"

namespace accueil {

// Replacements of what the host otherwise builds from the configuration
// (tests: a manual clock, an in-memory identity provider, their limits).
struct HostOptions {
  const Clock* clock = nullptr;            // default: the system clock
  auth::KeyProvider* keys = nullptr;       // default: the JWKS file or the dev issuer
  std::optional<RateLimitOptions> limits;  // default: from the configuration
  std::optional<ServerOptions> transport;  // default: from the configuration
  std::optional<std::string> issuer;       // default: oidc_issuer (or the dev issuer)
  bool purge_every_hour = true;
  // How often open streams' credentials are checked again (gate.h).
  absl::Duration stream_recheck = absl::Seconds(30);
};

class Host {
 public:
  // Start connects to the database, builds the foundations, and serves the
  // modules `config.services` names (all when empty). `modules` have been
  // configured (Module::Configure) before `config` was parsed.
  static absl::StatusOr<std::unique_ptr<Host>> Start(const ServerConfig& config,
                                                     std::vector<std::unique_ptr<Module>> modules,
                                                     Secrets secrets, HostOptions options = {});
  ~Host();

  int port() const { return server_->port(); }
  int health_port() const { return server_->health_port(); }
  // metrics_port is the port serving /metrics, 0 without metrics_listen.
  int metrics_port() const { return metrics_->port(); }
  Metrics& metrics() { return *metrics_; }
  // ports: what the modules' workers listen on (the gateway's HTTP port).
  const Ports& ports() const { return ports_; }
  const std::vector<std::string>& served() const { return served_; }
  db::Pool& pool() { return *pool_; }
  const PersonDataRegistry& person_data() const { return person_data_; }
  // dev_issuer: the development issuer when `dev_issuer_listen` started
  // one (tests sign in through it), nullptr otherwise.
  auth::DevIssuer* dev_issuer() { return dev_issuer_.get(); }
  // service_tokens: this process's service identity (tests call as it).
  auth::ServiceTokens& service_tokens() { return *service_tokens_; }

  // Shutdown: workers stop, open streams end (UNAVAILABLE SHUTTING_DOWN),
  // then the server (waiting up to `grace` for calls in flight), then the
  // purge and the development issuer.
  void Shutdown(absl::Duration grace);

 private:
  Host() = default;
  absl::Status Build(const ServerConfig& config, HostOptions options);
  absl::Status StartServiceIdentity(const ServerConfig& config);
  void WatchHealth();

  std::vector<std::unique_ptr<Module>> modules_;
  std::vector<std::string> served_;
  std::optional<Secrets> secrets_;
  SystemClock system_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<db::Pool> pool_;
  // After the pool (its port reads the pool), before what reports to it.
  std::unique_ptr<Metrics> metrics_;
  Ports ports_;
  std::unique_ptr<events::CommitSignal> commit_signal_;
  std::unique_ptr<events::AuditOutbox> audit_;
  PersonDataRegistry person_data_;
  Providers providers_;
  std::unique_ptr<auth::JwksFileKeys> jwks_;
  std::unique_ptr<auth::DevIssuer> dev_issuer_;
  std::unique_ptr<auth::KeyProvider> service_keys_;
  std::unique_ptr<auth::ServiceTokens> service_tokens_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Gate> gate_;
  std::unique_ptr<Peers> peers_;
  std::vector<std::pair<std::string, std::unique_ptr<Worker>>> workers_;  // module, worker
  std::unique_ptr<Server> server_;
  std::unique_ptr<retention::Purger> purger_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread health_thread_;
  bool shut_down_ = false;
};

// What the host derives from the configuration and the modules; the
// commands (server_commands.h) use the same.
Retention RetentionOf(const ServerConfig& config);
PersonDataRegistry PersonDataRegistryOf(const std::vector<std::unique_ptr<Module>>& modules);

// ServerMain (server_main.cc) is the main() of every server binary: parses
// `--config FILE` and a command (`migrate`, `purge`, `rekey`, a module's
// command such as `grant-admin SUBJECT`: server_commands.h), loads the
// configuration, and either runs the command once or serves until SIGINT or
// SIGTERM. `modules` are the modules the binary links; without `services`
// in the configuration it serves `default_services` (empty: all of them).
int ServerMain(int argc, char** argv, const std::vector<ModuleFactory>& modules,
               const std::vector<std::string>& default_services = {});

}  // namespace accueil
