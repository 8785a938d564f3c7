// ParseServerConfig (`key = value` lines plus ACCUEIL_* environment
// overrides). Operator-supplied, but cheap to cover.
//
// Input layout: the file's text, then optionally a NUL byte and environment
// entries, one "NAME=value" a line (as in /proc/<pid>/environ with '\n').
// Properties: a refusal is INVALID_ARGUMENT and starts with "configuration:";
// an accepted configuration satisfies every documented rule.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "services/common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = accueil::fuzz::AsText(data, size);
  const size_t nul = input.find('\0');
  const std::string text(input.substr(0, nul));
  std::map<std::string, std::string> env;
  if (nul != std::string_view::npos) {
    std::string_view rest = input.substr(nul + 1);
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      const std::string_view entry = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      const size_t eq = entry.find('=');
      if (eq != std::string_view::npos) {
        env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
      }
    }
  }
  const accueil::EnvLookup lookup = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };

  // Two module sections, as the server binary declares them: their keys
  // (`booking_address`, ...) are accepted and `services` may name them.
  accueil::ConfigSection booking("booking");
  accueil::ConfigSection access("access");
  const absl::StatusOr<accueil::ServerConfig> config =
      accueil::ParseServerConfig(text, lookup, {&booking, &access});
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(config.status().message(), "configuration: "));
    return 0;
  }
  const accueil::ServerConfig& c = *config;
  FUZZ_CHECK(!c.database_url.empty());
  FUZZ_CHECK(c.listen.find(':') != std::string::npos);
  FUZZ_CHECK(c.database_pool_size >= 1 && c.database_pool_size <= 256);
  FUZZ_CHECK(c.log_level == "trace" || c.log_level == "debug" || c.log_level == "info" ||
             c.log_level == "warn" || c.log_level == "error");
  FUZZ_CHECK(c.shutdown_grace >= absl::ZeroDuration() && c.shutdown_grace <= absl::Hours(1));
  for (const std::string& service : c.services) {
    FUZZ_CHECK(service == "booking" || service == "access");
  }
  for (const accueil::ConfigSection* section : {&booking, &access}) {
    FUZZ_CHECK(section->address().empty() || section->address().find(':') != std::string::npos);
  }
  FUZZ_CHECK(!c.oidc_audience.empty());
  // Never plaintext beyond loopback, never half a key pair.
  FUZZ_CHECK(accueil::ValidateTransport(c).ok());
  FUZZ_CHECK(!c.tls_cert_file.empty() || accueil::IsLoopback(c.listen));
  if (!c.dev_issuer_listen.empty()) {
    FUZZ_CHECK(accueil::IsLoopback(c.dev_issuer_listen) && accueil::IsLoopback(c.listen));
  }
  if (!c.oidc_issuer.empty()) {
    FUZZ_CHECK(!c.oidc_jwks_file.empty() || !c.dev_issuer_listen.empty());
  }
  FUZZ_CHECK(c.rate_limit_read_per_second > 0 && c.rate_limit_read_per_second <= 1e6);
  FUZZ_CHECK(c.rate_limit_write_per_second > 0 && c.rate_limit_write_per_second <= 1e6);
  FUZZ_CHECK(c.bookings_per_client_per_hour >= 1 && c.bookings_per_client_per_hour <= 100000);
  return 0;
}
