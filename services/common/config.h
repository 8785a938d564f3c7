// Server configuration: one file format for every module, with environment
// overrides, validated before anything starts.
//
// The file holds `key = value` lines; `#` starts a comment. Every key can be
// overridden by the environment variable ACCUEIL_<KEY> (upper case), which is
// how the Helm chart and the run script pass secrets and addresses. Unknown
// keys and malformed values are refused with a message naming the key, so a
// typo never silently falls back to a default.
//
// Keys are declared, not parsed by hand: the common keys below (ServerConfig)
// and each module's section (ConfigSection, keys named `<module>_<key>`)
// declare name, default, meaning and reader in one place; the table of
// docs/operations.md is generated from the declarations (ConfigTable) and a
// test keeps the two equal.
//
//   ConfigSection booking("booking");
//   booking.Int("reminder_hours", &options.reminder_hours, 1, 240, "hours before ...");
//   absl::StatusOr<ServerConfig> config =
//       LoadServerConfig("/etc/accueil/server.conf", ProcessEnv, {&booking});
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace accueil {

// The keys every process reads (the modules' own keys are in their sections).
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
  // A plaintext address serving Prometheus metrics (GET /metrics), for the
  // scraper: "0.0.0.0:9090". Empty: none. Labels carry no personal data.
  std::string metrics_listen;
  // libpq connection string of the PostgreSQL database.
  std::string database_url;
  // Connections kept open to PostgreSQL by this process.
  int database_pool_size = 8;
  // File holding the server's secret key ring. Required to serve; not
  // needed by `migrate`.
  std::string secret_key_file;
  // trace, debug, info, warn, error.
  std::string log_level = "info";
  // Apply pending migrations at start-up (single machine); Kubernetes runs
  // `accueil-server migrate` as a hook instead.
  bool migrate_on_start = true;
  // How long a shutdown waits for calls in flight before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Modules this process serves; empty: every module the binary links.
  std::vector<std::string> services;
  // Each module's `<module>_address` (ConfigSection), by module name.
  std::map<std::string, std::string> module_addresses;

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
  // Service identity (docs/security.md#service-identity): the PEM private
  // key this process signs its calls to other modules with, its key id, the
  // JWKS of every service key in use (reloaded when it changes), and the
  // subject it signs as (empty: "service:" and the served modules joined by
  // "+"). All three files or none: none makes an ephemeral key, refused
  // when modules are split across processes (ValidateServiceIdentity).
  std::string service_key_file;
  std::string service_key_id;
  std::string service_jwks_file;
  std::string service_subject;
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
  // Days after an appointment during which its person key still links it;
  // then it is replaced by one that links to nothing. At least
  // retention_days; unset: 365, or retention_days if longer.
  int history_retention_days = 365;
  // Days the event log is kept (docs/events.md#retention).
  int event_log_retention_days = 1095;
};

// ConfigSection is the set of keys one module declares (or, with an empty
// module name, the common keys). Each key binds a variable the module owns;
// declaring records the variable's current value as the documented default.
class ConfigSection {
 public:
  // Check refuses a value with the reason (the key is added by the caller).
  using Check = std::function<absl::Status(const std::string& value)>;

  struct Key {
    std::string name;      // as written in the file: "<module>_<key>" or "<key>"
    std::string fallback;  // documented default, markdown
    std::string meaning;   // markdown, one line
    std::function<absl::Status(const std::string& value)> set;
  };

  // Every module's section has the key `<module>_address`: where processes
  // that do not serve the module reach it ("host:port"; empty: only in the
  // process that serves it).
  explicit ConfigSection(std::string module);
  ConfigSection(ConfigSection&&) = default;

  const std::string& module() const { return module_; }
  const std::vector<Key>& keys() const { return keys_; }
  // The value of `<module>_address`.
  const std::string& address() const { return *address_; }

  void Text(absl::string_view key, std::string* value, absl::string_view meaning,
            Check check = nullptr);
  void Int(absl::string_view key, int* value, int min, int max, absl::string_view meaning);
  void Bool(absl::string_view key, bool* value, absl::string_view meaning);
  void Rate(absl::string_view key, double* value, absl::string_view meaning);
  // Comma-separated items, each checked.
  void List(absl::string_view key, std::vector<std::string>* value, absl::string_view meaning,
            Check check = nullptr);
  void Seconds(absl::string_view key, absl::Duration* value, int max_seconds,
               absl::string_view meaning);
  // Default sets the documented default of the last declared key ("required").
  void Default(absl::string_view text);
  // Validate adds a check run once every key is read: keys that go together.
  void Validate(std::function<absl::Status()> check) { checks_.push_back(std::move(check)); }

  // Set reads `value` into `key` (its full name); false if the section has no such key.
  std::optional<absl::Status> Set(const std::string& key, const std::string& value);
  // IsSet: `key` (its full name) was given, by the file or the environment.
  bool IsSet(absl::string_view key) const;
  // Finish runs the Validate checks.
  absl::Status Finish() const;

 private:
  void Add(absl::string_view key, std::string fallback, absl::string_view meaning,
           std::function<absl::Status(const std::string&)> set);
  std::string module_;
  std::vector<Key> keys_;
  std::vector<std::function<absl::Status()>> checks_;
  std::set<std::string> set_keys_;
  std::unique_ptr<std::string> address_ = std::make_unique<std::string>();
};

// IsLoopback is true for "127.x.x.x:port", "localhost:port", "[::1]:port".
bool IsLoopback(const std::string& host_port);

// ValidateTransport refuses a configuration that would serve beyond loopback
// without TLS, half a TLS key pair, or a client CA without TLS.
absl::Status ValidateTransport(const ServerConfig& config);

// ValidateServiceIdentity refuses a process that serves `served` of the
// modules it links (`linked`) or reaches one at `<module>_address` without
// a configured service key: across processes an ephemeral key cannot be
// trusted by the others.
absl::Status ValidateServiceIdentity(const ServerConfig& config,
                                     const std::set<std::string>& linked,
                                     const std::vector<std::string>& served);

// EnvLookup returns the value of an environment variable, if set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// ProcessEnv reads the process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

// ParseServerConfig reads `text` (the file's content, may be empty), applies
// environment overrides and validates the result. `modules` are the sections
// of the modules the binary links: their keys are accepted, and `services`
// may name them and nothing else.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text, const EnvLookup& env,
                                               const std::vector<ConfigSection*>& modules = {});

// LoadServerConfig reads `path` (empty: no file, defaults and environment
// only) and parses it as ParseServerConfig does.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path, const EnvLookup& env,
                                              const std::vector<ConfigSection*>& modules);

// ConfigTable is the markdown table of every key (common, then each
// module's), as docs/operations.md#configuration shows it.
std::string ConfigTable(const std::vector<ConfigSection*>& modules);

}  // namespace accueil
