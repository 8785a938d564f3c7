#include "services/common/config.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/input/cidr.h"

namespace accueil {
namespace {

absl::Status Invalid(const std::string& key, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("configuration: ", key, ": ", why));
}

absl::Status SetInt(const std::string& key, const std::string& value, int min, int max, int* out) {
  if (!absl::SimpleAtoi(value, out) || *out < min || *out > max) {
    return Invalid(
        key, absl::StrCat("expected an integer in [", min, ", ", max, "], got \"", value, "\""));
  }
  return absl::OkStatus();
}

absl::Status SetBool(const std::string& key, const std::string& value, bool* out) {
  if (!absl::SimpleAtob(value, out)) {
    return Invalid(key, absl::StrCat("expected true or false, got \"", value, "\""));
  }
  return absl::OkStatus();
}

std::vector<std::string> List(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

absl::Status SetRate(const std::string& key, const std::string& value, double* out) {
  if (!absl::SimpleAtod(value, out) || !(*out > 0) || *out > 1e6) {
    return Invalid(key, absl::StrCat("expected a positive number, got \"", value, "\""));
  }
  return absl::OkStatus();
}

// Apply sets one key; the list of keys here is the documented configuration.
absl::Status Apply(const std::string& key, const std::string& value, ServerConfig* c) {
  if (key == "listen") {
    if (value.find(':') == std::string::npos) {
      return Invalid(key, "expected host:port");
    }
    c->listen = value;
  } else if (key == "tls_cert_file") {
    c->tls_cert_file = value;
  } else if (key == "tls_key_file") {
    c->tls_key_file = value;
  } else if (key == "tls_client_ca_file") {
    c->tls_client_ca_file = value;
  } else if (key == "health_listen") {
    if (!value.empty() && value.find(':') == std::string::npos) {
      return Invalid(key, "expected host:port (or empty: none)");
    }
    c->health_listen = value;
  } else if (key == "database_url") {
    c->database_url = value;
  } else if (key == "database_pool_size") {
    return SetInt(key, value, 1, 256, &c->database_pool_size);
  } else if (key == "secret_key_file") {
    c->secret_key_file = value;
  } else if (key == "log_level") {
    static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
    for (const char* level : kLevels) {
      if (value == level) {
        c->log_level = value;
        return absl::OkStatus();
      }
    }
    return Invalid(key, "expected trace, debug, info, warn or error");
  } else if (key == "migrate_on_start") {
    return SetBool(key, value, &c->migrate_on_start);
  } else if (key == "shutdown_grace_seconds") {
    int seconds = 0;
    if (absl::Status s = SetInt(key, value, 0, 3600, &seconds); !s.ok()) {
      return s;
    }
    c->shutdown_grace = absl::Seconds(seconds);
  } else if (key == "services") {
    c->services = List(value);
    for (const std::string& service : c->services) {
      if (service != "booking" && service != "access") {
        return Invalid(key,
                       absl::StrCat("unknown service \"", service, "\" (known: booking, access)"));
      }
    }
  } else if (key == "oidc_issuer") {
    c->oidc_issuer = value;
  } else if (key == "oidc_audience") {
    if (value.empty()) return Invalid(key, "must not be empty");
    c->oidc_audience = value;
  } else if (key == "oidc_jwks_file") {
    c->oidc_jwks_file = value;
  } else if (key == "dev_issuer_listen") {
    if (!value.empty() && !IsLoopback(value)) {
      return Invalid(key, "the development issuer only listens on loopback");
    }
    c->dev_issuer_listen = value;
  } else if (key == "trusted_proxies") {
    c->trusted_proxies = List(value);
    for (const std::string& proxy : c->trusted_proxies) {
      if (!input::ParseCidr(proxy).ok()) {
        return Invalid(key, absl::StrCat("\"", proxy, "\" is not an IP address or CIDR block"));
      }
    }
  } else if (key == "rate_limit_exempt") {
    c->rate_limit_exempt = List(value);
  } else if (key == "rate_limit_read_per_second") {
    return SetRate(key, value, &c->rate_limit_read_per_second);
  } else if (key == "rate_limit_write_per_second") {
    return SetRate(key, value, &c->rate_limit_write_per_second);
  } else if (key == "bookings_per_client_per_hour") {
    return SetInt(key, value, 1, 100000, &c->bookings_per_client_per_hour);
  } else if (key == "retention_days") {
    return SetInt(key, value, 1, 3650, &c->retention_days);
  } else if (key == "history_retention_days") {
    return SetInt(key, value, 1, 3650, &c->history_retention_days);
  } else {
    return Invalid(key, "unknown key");
  }
  return absl::OkStatus();
}

constexpr const char* kKeys[] = {"listen",
                                 "database_url",
                                 "database_pool_size",
                                 "secret_key_file",
                                 "log_level",
                                 "migrate_on_start",
                                 "shutdown_grace_seconds",
                                 "services",
                                 "oidc_issuer",
                                 "oidc_audience",
                                 "oidc_jwks_file",
                                 "dev_issuer_listen",
                                 "trusted_proxies",
                                 "rate_limit_exempt",
                                 "rate_limit_read_per_second",
                                 "rate_limit_write_per_second",
                                 "bookings_per_client_per_hour",
                                 "retention_days",
                                 "history_retention_days",
                                 "tls_cert_file",
                                 "tls_key_file",
                                 "tls_client_ca_file",
                                 "health_listen"};

}  // namespace

absl::Status ValidateTransport(const ServerConfig& config) {
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return Invalid(config.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file",
                   "tls_cert_file and tls_key_file go together: set both or neither");
  }
  if (!config.tls_client_ca_file.empty() && config.tls_cert_file.empty()) {
    return Invalid("tls_client_ca_file",
                   "mutual TLS needs the server's own tls_cert_file and tls_key_file");
  }
  if (config.tls_cert_file.empty() && !IsLoopback(config.listen)) {
    return Invalid("listen",
                   absl::StrCat("refusing to serve beyond loopback without TLS (", config.listen,
                                "): set tls_cert_file and tls_key_file, or "
                                "listen on 127.0.0.1"));
  }
  return absl::OkStatus();
}

bool IsLoopback(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return false;
  std::string_view host = std::string_view(host_port).substr(0, colon);
  if (host == "localhost") return true;
  // An address, not a name that merely starts like one ("127.example.org").
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::optional<input::IpAddress> address = input::ParseIpAddress(host);
  if (!address) return false;
  static const input::Cidr kV4 = *input::ParseCidr("127.0.0.0/8");
  static const input::Cidr kV6 = *input::ParseCidr("::1/128");
  return input::Contains(kV4, *address) || input::Contains(kV6, *address);
}

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text, const EnvLookup& env) {
  ServerConfig config;
  // history_retention_days follows a longer retention_days unless given.
  bool history_set = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("configuration: line ", line_number, ": expected key = value"));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (absl::Status s = Apply(key, value, &config); !s.ok()) return s;
    history_set |= key == "history_retention_days";
  }
  for (const char* key : kKeys) {
    std::string var = absl::StrCat("ACCUEIL_", absl::AsciiStrToUpper(key));
    if (std::optional<std::string> value = env(var)) {
      if (absl::Status s = Apply(key, *value, &config); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(s.message(), " (from ", var, ")"));
      }
      history_set |= std::string_view(key) == "history_retention_days";
    }
  }
  if (config.database_url.empty()) {
    return Invalid("database_url", "is required");
  }
  if (absl::Status s = ValidateTransport(config); !s.ok()) return s;
  if (!config.dev_issuer_listen.empty() && !IsLoopback(config.listen)) {
    return Invalid("dev_issuer_listen",
                   "the development issuer is refused when the server listens "
                   "beyond loopback");
  }
  if (!config.oidc_issuer.empty() && config.oidc_jwks_file.empty() &&
      config.dev_issuer_listen.empty()) {
    return Invalid("oidc_jwks_file", "is required with oidc_issuer");
  }
  // Without an expected issuer, a token without `iss` would pass the check.
  if (!config.oidc_jwks_file.empty() && config.oidc_issuer.empty() &&
      config.dev_issuer_listen.empty()) {
    return Invalid("oidc_issuer", "is required with oidc_jwks_file");
  }
  if (config.history_retention_days < config.retention_days) {
    if (history_set) {
      return Invalid("history_retention_days",
                     "must be at least retention_days: the person key outlives the "
                     "personal data, not the other way round");
    }
    config.history_retention_days = config.retention_days;
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path, const EnvLookup& env) {
  std::string text;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      return absl::NotFoundError(absl::StrCat("configuration: cannot read ", path));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  return ParseServerConfig(text, env);
}

}  // namespace accueil
