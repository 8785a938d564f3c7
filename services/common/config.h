// Server configuration: one file format for every service, with environment
// overrides, validated before anything starts.
//
// The file holds `key = value` lines; `#` starts a comment. Every key can be
// overridden by the environment variable ACCUEIL_<KEY> (upper case), which is
// how the Helm chart and the run script pass secrets and addresses. Unknown
// keys and malformed values are refused with a message naming the key, so a
// typo never silently falls back to a default.
//
//   absl::StatusOr<accueil::ServerConfig> config =
//       accueil::LoadServerConfig("/etc/accueil/server.conf", accueil::ProcessEnv);
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace accueil {

struct ServerConfig {
  // Address the gRPC services listen on ("127.0.0.1:50051"; port 0 picks one).
  // Beyond loopback, TLS is required (ValidateTransport).
  std::string listen = "127.0.0.1:50051";
  // TLS of the gRPC port (docs/security.md#transport): the server's
  // certificate chain and private key, PEM; both or neither. The files are
  // re-read while serving, so a renewed certificate needs no restart.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mutual TLS: CA certificates (PEM) that clients' certificates must chain
  // to. Set: every client must present a valid certificate. Needs
  // tls_cert_file.
  std::string tls_client_ca_file;
  // A second, plaintext address serving only grpc.health.v1 (the same
  // statuses as `listen`), for Kubernetes probes, which cannot do TLS:
  // "0.0.0.0:8081". Empty: none.
  std::string health_listen;
  // libpq connection string of the PostgreSQL database.
  std::string database_url;
  // Connections kept open to PostgreSQL by this process.
  int database_pool_size = 8;
  // File holding the server's secret key (at least 32 bytes): access codes
  // and check-in tokens are keyed hashes under it. Required to serve; not
  // needed by `migrate`.
  std::string secret_key_file;
  // trace, debug, info, warn, error.
  std::string log_level = "info";
  // Apply pending migrations at start-up (single machine); Kubernetes runs
  // `accueil-server migrate` as a hook instead.
  bool migrate_on_start = true;
  // How long a shutdown waits for calls in flight before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Services this process runs; empty: every service the binary hosts.
  std::vector<std::string> services;

  // Agents' identity provider (OpenID Connect): tokens must come from
  // `oidc_issuer`, name `oidc_audience`, and be signed by a key of the JWKS
  // file (reloaded when it changes). Unset issuer: agents cannot sign in.
  std::string oidc_issuer;
  std::string oidc_audience = "accueil";
  std::string oidc_jwks_file;
  // Development issuer (docs/security.md): "host:port" on loopback. Refused
  // unless `listen` is on loopback too, so a deployed configuration cannot
  // enable it. It replaces oidc_*.
  std::string dev_issuer_listen;
  // Proxies whose x-forwarded-for names the client (IP addresses).
  std::vector<std::string> trusted_proxies;
  // Public rate limits per client address (docs/security.md).
  double rate_limit_read_per_second = 5;
  double rate_limit_write_per_second = 0.5;
  int bookings_per_client_per_hour = 10;
  // Addresses or CIDR blocks exempt from the public limits (digital access
  // point, partner associations).
  std::vector<std::string> rate_limit_exempt;
  // Personal data is erased this many days after the appointment ended
  // (docs/security.md, "Personal data"); statistics keep the rest.
  int retention_days = 90;
  // Days after an appointment during which its person key (the keyed hash
  // that links a person's appointments: one active per desk, histories such
  // as no-shows) still links it; then it is replaced by one that links to
  // nothing. At least retention_days; unset: 365, or retention_days if
  // longer.
  int history_retention_days = 365;
};

// IsLoopback is true for "127.x.x.x:port", "localhost:port", "[::1]:port".
bool IsLoopback(const std::string& host_port);

// ValidateTransport refuses a configuration that would serve beyond loopback
// without TLS, half a TLS key pair, or a client CA without TLS.
absl::Status ValidateTransport(const ServerConfig& config);

// EnvLookup returns the value of an environment variable, if set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// ProcessEnv reads the process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

// ParseServerConfig reads `text` (the file's content, may be empty), applies
// environment overrides and validates the result.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text, const EnvLookup& env);

// LoadServerConfig reads `path` (empty: no file, defaults and environment
// only) and parses it as ParseServerConfig does.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path, const EnvLookup& env);

}  // namespace accueil
