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
  std::string listen = "127.0.0.1:50051";
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
  // Services hosted by this process (all-in-one: every one).
  std::vector<std::string> services = {"booking"};
};

// EnvLookup returns the value of an environment variable, if set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// ProcessEnv reads the process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

// ParseServerConfig reads `text` (the file's content, may be empty), applies
// environment overrides and validates the result.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text,
                                               const EnvLookup& env);

// LoadServerConfig reads `path` (empty: no file, defaults and environment
// only) and parses it as ParseServerConfig does.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path,
                                              const EnvLookup& env);

}  // namespace accueil
