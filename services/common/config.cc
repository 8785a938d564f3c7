#include "services/common/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/auth/service_subject.h"
#include "services/common/input/cidr.h"
#include "services/common/status_macros.h"

namespace accueil {
namespace {

absl::Status Invalid(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("configuration: ", key, ": ", why));
}

absl::Status Why(absl::string_view why) { return absl::InvalidArgumentError(why); }

std::vector<std::string> Items(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

std::string Code(absl::string_view text) { return absl::StrCat("`", text, "`"); }

absl::Status HostPort(const std::string& value) {
  return value.find(':') == std::string::npos ? Why("expected host:port") : absl::OkStatus();
}

absl::Status HostPortOrEmpty(const std::string& value) {
  return value.empty() ? absl::OkStatus() : HostPort(value);
}

// The common keys, in the order of the documentation table.
void DeclareCommon(ServerConfig* c, ConfigSection& s) {
  s.Text("listen", &c->listen,
         "gRPC address `host:port`; port 0 picks a free one (logged in the `server.started` "
         "line). In a container: `0.0.0.0:50051`, which needs TLS: beyond loopback without "
         "`tls_cert_file`, the server refuses to start",
         HostPort);
  s.Text("tls_cert_file", &c->tls_cert_file,
         "the server's certificate chain, PEM; with `tls_key_file`. Re-read every 60 s: renewal "
         "needs no restart ([security.md](security.md#transport))");
  s.Text("tls_key_file", &c->tls_key_file, "the private key of `tls_cert_file`, PEM");
  s.Text("tls_client_ca_file", &c->tls_client_ca_file,
         "mutual TLS: clients must present a certificate from these CAs (PEM); needs the two "
         "above");
  s.Text("health_listen", &c->health_listen,
         "plaintext address serving only `grpc.health.v1` with the service port's statuses, for "
         "probes: `0.0.0.0:8081`",
         HostPortOrEmpty);
  s.Text("metrics_listen", &c->metrics_listen,
         "plaintext address serving Prometheus metrics (`GET /metrics`, no personal data), for "
         "the scraper: `0.0.0.0:9090`; an IPv4 address or `localhost`, port 0 picks one "
         "([operations.md](operations.md#metrics))",
         HostPortOrEmpty);
  s.Text("database_url", &c->database_url, "libpq connection string or `postgresql://` URI");
  s.Default("required");
  s.Int("database_pool_size", &c->database_pool_size, 1, 256, "connections per process, 1-256");
  s.Text("secret_key_file", &c->secret_key_file,
         "the server's key ring: access codes, check-in tokens, device tokens and person keys "
         "are keyed hashes under it (see [Secrets](#secrets))");
  s.Default("required to serve");
  s.Text("log_level", &c->log_level,
         "`trace`, `debug`, `info`, `warn`, `error`; JSON lines on stderr",
         [](const std::string& value) {
           for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
             if (value == level) return absl::OkStatus();
           }
           return Why("expected trace, debug, info, warn or error");
         });
  s.Bool("migrate_on_start", &c->migrate_on_start,
         "apply pending migrations before serving (`accueil-server migrate` only migrates and "
         "exits); `false` on Kubernetes");
  s.Seconds("shutdown_grace_seconds", &c->shutdown_grace, 3600,
            "how long a stop (SIGTERM, SIGINT) waits for calls in flight, 0-3600");
  s.List("services", &c->services,
         "comma-separated modules this process serves (their gRPC services and workers); the "
         "modules are listed in [architecture.md](architecture.md#modules)");
  s.Default("every module of the binary");
  s.Text("oidc_issuer", &c->oidc_issuer,
         "the agents' OpenID Connect provider: the expected issuer "
         "([security.md](security.md#tokens)); needs `oidc_jwks_file`");
  s.Text("oidc_audience", &c->oidc_audience, "the audience agents' tokens must name",
         [](const std::string& value) {
           return value.empty() ? Why("must not be empty") : absl::OkStatus();
         });
  s.Text("oidc_jwks_file", &c->oidc_jwks_file,
         "the provider's JWKS saved in a file (reloaded when it changes)");
  s.Text("dev_issuer_listen", &c->dev_issuer_listen,
         "development only: `127.0.0.1:PORT` (port 0 picks one, logged in the "
         "`dev_issuer.started` line) starts the development OpenID Connect issuer, for "
         "`accueil login --dev`; refused unless the server listens on loopback",
         [](const std::string& value) {
           return value.empty() || IsLoopback(value)
                      ? absl::OkStatus()
                      : Why("the development issuer only listens on loopback");
         });
  s.Text("service_key_file", &c->service_key_file,
         "the PEM private key (P-256 or RSA) this process signs its calls to other modules "
         "with; with `service_key_id` and `service_jwks_file` "
         "([security.md](security.md#service-identity)); none of the three: an ephemeral key, "
         "for one process serving every module");
  s.Default("required when modules are split across processes");
  s.Text("service_key_id", &c->service_key_id,
         "the `kid` of `service_key_file` in `service_jwks_file`");
  s.Text("service_jwks_file", &c->service_jwks_file,
         "the public keys of every service key in use (JWKS), trusted for calls from other "
         "modules; reloaded when it changes (key rotation)");
  s.Text("service_subject", &c->service_subject,
         "the subject this process's calls carry, `service:NAME`; it needs a SERVICE role "
         "binding (`accueil-server grant-service`)",
         [](const std::string& value) {
           return value.empty() || auth::IsServiceSubject(value)
                      ? absl::OkStatus()
                      : Why("expected service: then lower-case letters, digits, . _ + -");
         });
  s.Default("`service:` and the served modules joined by `+`");
  s.List("trusted_proxies", &c->trusted_proxies,
         "comma-separated proxy addresses or CIDR blocks whose `x-forwarded-for` names the "
         "client; anything else is refused at start",
         [](const std::string& proxy) {
           return input::ParseCidr(proxy).ok()
                      ? absl::OkStatus()
                      : Why(absl::StrCat("\"", proxy, "\" is not an IP address or CIDR block"));
         });
  s.Rate("rate_limit_read_per_second", &c->rate_limit_read_per_second,
         "public reads per second and client address ([security.md](security.md#abuse))");
  s.Rate("rate_limit_write_per_second", &c->rate_limit_write_per_second,
         "public writes per second and client address");
  s.Int("bookings_per_client_per_hour", &c->bookings_per_client_per_hour, 1, 100000,
        "cap of public bookings per client address and hour (well-formed requests only)");
  s.List("rate_limit_exempt", &c->rate_limit_exempt,
         "comma-separated addresses or CIDR blocks exempt from the public limits (digital "
         "access point, partner associations)");
  s.Int("retention_days", &c->retention_days, 1, 3650,
        "days after an appointment ended (and was closed) before its personal data is erased, "
        "in every module, by the server every hour or by `accueil-server purge` (one pass, for "
        "a CronJob); 1-3650 ([security.md](security.md#personal-data))");
  s.Int("history_retention_days", &c->history_retention_days, 1, 3650,
        "days after it before person keys (which link a person's records) are unlinked, by "
        "the same passes; at least `retention_days`");
  s.Default("`365` (or `retention_days` if longer)");
  s.Int("event_log_retention_days", &c->event_log_retention_days, 365, 36500,
        "days the event log (no personal data) is kept, by the same passes: the figures of a "
        "month can be recomputed and restated that long; events a consumer has not read yet "
        "stay ([events.md](events.md#retention))");
  s.Validate([c, &s] {
    if (c->database_url.empty()) return Invalid("database_url", "is required");
    RETURN_IF_ERROR(ValidateTransport(*c));
    if (!c->dev_issuer_listen.empty() && !IsLoopback(c->listen)) {
      return Invalid("dev_issuer_listen",
                     "the development issuer is refused when the server listens beyond "
                     "loopback");
    }
    if (!c->oidc_issuer.empty() && c->oidc_jwks_file.empty() && c->dev_issuer_listen.empty()) {
      return Invalid("oidc_jwks_file", "is required with oidc_issuer");
    }
    // Without an expected issuer, a token without `iss` would pass the check.
    if (!c->oidc_jwks_file.empty() && c->oidc_issuer.empty() && c->dev_issuer_listen.empty()) {
      return Invalid("oidc_issuer", "is required with oidc_jwks_file");
    }
    if (c->oidc_issuer == auth::kServiceIssuer) {
      return Invalid("oidc_issuer", "is the service tokens' issuer: agents' tokens need another");
    }
    const bool key = !c->service_key_file.empty(), kid = !c->service_key_id.empty(),
               jwks = !c->service_jwks_file.empty();
    if (key != kid || key != jwks) {
      return Invalid(!key   ? "service_key_file"
                     : !kid ? "service_key_id"
                            : "service_jwks_file",
                     "service_key_file, service_key_id and service_jwks_file go together: set "
                     "all three or none");
    }
    if (c->history_retention_days < c->retention_days) {
      // history_retention_days follows a longer retention_days unless given.
      if (s.IsSet("history_retention_days")) {
        return Invalid("history_retention_days",
                       "must be at least retention_days: the person key outlives the personal "
                       "data, not the other way round");
      }
      c->history_retention_days = c->retention_days;
    }
    return absl::OkStatus();
  });
}

}  // namespace

ConfigSection::ConfigSection(std::string module) : module_(std::move(module)) {
  if (!module_.empty()) {
    Text("address", address_.get(),
         absl::StrCat("where processes that do not serve `", module_,
                      "` reach it, `host:port` (TLS beyond loopback); empty: only in the "
                      "process serving it"),
         HostPortOrEmpty);
  }
}

void ConfigSection::Add(absl::string_view key, std::string fallback, absl::string_view meaning,
                        std::function<absl::Status(const std::string&)> set) {
  std::string name = module_.empty() ? std::string(key) : absl::StrCat(module_, "_", key);
  keys_.push_back({name, std::move(fallback), std::string(meaning), std::move(set)});
}

void ConfigSection::Text(absl::string_view key, std::string* value, absl::string_view meaning,
                         Check check) {
  Add(key, value->empty() ? "(none)" : Code(*value), meaning, [value, check](const std::string& v) {
    if (check) {
      RETURN_IF_ERROR(check(v));
    }
    *value = v;
    return absl::OkStatus();
  });
}

void ConfigSection::Int(absl::string_view key, int* value, int min, int max,
                        absl::string_view meaning) {
  Add(key, Code(absl::StrCat(*value)), meaning, [value, min, max](const std::string& v) {
    int n = 0;
    if (!absl::SimpleAtoi(v, &n) || n < min || n > max) {
      return Why(absl::StrCat("expected an integer in [", min, ", ", max, "], got \"", v, "\""));
    }
    *value = n;
    return absl::OkStatus();
  });
}

void ConfigSection::Bool(absl::string_view key, bool* value, absl::string_view meaning) {
  Add(key, Code(*value ? "true" : "false"), meaning, [value](const std::string& v) {
    if (!absl::SimpleAtob(v, value)) {
      return Why(absl::StrCat("expected true or false, got \"", v, "\""));
    }
    return absl::OkStatus();
  });
}

void ConfigSection::Rate(absl::string_view key, double* value, absl::string_view meaning) {
  Add(key, Code(absl::StrCat(*value)), meaning, [value](const std::string& v) {
    double d = 0;
    if (!absl::SimpleAtod(v, &d) || !(d > 0) || d > 1e6) {
      return Why(absl::StrCat("expected a positive number, got \"", v, "\""));
    }
    *value = d;
    return absl::OkStatus();
  });
}

void ConfigSection::List(absl::string_view key, std::vector<std::string>* value,
                         absl::string_view meaning, Check check) {
  Add(key, value->empty() ? "(none)" : Code(absl::StrJoin(*value, ",")), meaning,
      [value, check](const std::string& v) {
        std::vector<std::string> items = Items(v);
        for (const std::string& item : items) {
          if (!check) break;
          RETURN_IF_ERROR(check(item));
        }
        *value = std::move(items);
        return absl::OkStatus();
      });
}

void ConfigSection::Seconds(absl::string_view key, absl::Duration* value, int max_seconds,
                            absl::string_view meaning) {
  Add(key, Code(absl::StrCat(absl::ToInt64Seconds(*value))), meaning,
      [value, max_seconds](const std::string& v) {
        int n = 0;
        if (!absl::SimpleAtoi(v, &n) || n < 0 || n > max_seconds) {
          return Why(
              absl::StrCat("expected an integer in [0, ", max_seconds, "], got \"", v, "\""));
        }
        *value = absl::Seconds(n);
        return absl::OkStatus();
      });
}

void ConfigSection::Default(absl::string_view text) { keys_.back().fallback = std::string(text); }

std::optional<absl::Status> ConfigSection::Set(const std::string& key, const std::string& value) {
  for (const Key& k : keys_) {
    if (k.name != key) continue;
    absl::Status s = k.set(value);
    if (!s.ok()) return Invalid(key, s.message());
    set_keys_.insert(key);
    return absl::OkStatus();
  }
  return std::nullopt;
}

bool ConfigSection::IsSet(absl::string_view key) const {
  return set_keys_.count(std::string(key)) > 0;
}

absl::Status ConfigSection::Finish() const {
  for (const auto& check : checks_) {
    RETURN_IF_ERROR(check());
  }
  return absl::OkStatus();
}

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

absl::Status ValidateServiceIdentity(const ServerConfig& config,
                                     const std::set<std::string>& linked,
                                     const std::vector<std::string>& served) {
  if (!config.service_key_file.empty()) return absl::OkStatus();
  std::set<std::string> serving(served.begin(), served.end());
  for (const auto& [module, address] : config.module_addresses) {
    if (!address.empty() && serving.count(module) == 0) {
      return Invalid("service_key_file",
                     absl::StrCat("is required when modules are split across processes (", module,
                                  "_address is set): set service_key_file, "
                                  "service_key_id and service_jwks_file"));
    }
  }
  for (const std::string& module : linked) {
    if (serving.count(module) == 0) {
      return Invalid("service_key_file",
                     absl::StrCat("is required when modules are split across processes (", module,
                                  " is not served here): set service_key_file, "
                                  "service_key_id and service_jwks_file"));
    }
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

absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text, const EnvLookup& env,
                                               const std::vector<ConfigSection*>& modules) {
  ServerConfig config;
  ConfigSection common("");
  DeclareCommon(&config, common);
  std::vector<ConfigSection*> sections = {&common};
  sections.insert(sections.end(), modules.begin(), modules.end());
  auto apply = [&](const std::string& key, const std::string& value) -> absl::Status {
    for (ConfigSection* section : sections) {
      if (std::optional<absl::Status> s = section->Set(key, value)) return *s;
    }
    return Invalid(key, "unknown key");
  };
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
    RETURN_IF_ERROR(apply(key, value));
  }
  for (ConfigSection* section : sections) {
    for (const ConfigSection::Key& key : section->keys()) {
      std::string var = absl::StrCat("ACCUEIL_", absl::AsciiStrToUpper(key.name));
      if (std::optional<std::string> value = env(var)) {
        if (absl::Status s = *section->Set(key.name, *value); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(s.message(), " (from ", var, ")"));
        }
      }
    }
  }
  for (const std::string& service : config.services) {
    bool known = false;
    for (const ConfigSection* module : modules) known = known || module->module() == service;
    if (!known) {
      std::vector<std::string> names;
      for (const ConfigSection* module : modules) names.push_back(module->module());
      return Invalid("services", absl::StrCat("unknown service \"", service,
                                              "\" (known: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  for (ConfigSection* section : sections) {
    RETURN_IF_ERROR(section->Finish());
  }
  for (const ConfigSection* module : modules) {
    config.module_addresses[module->module()] = module->address();
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path, const EnvLookup& env,
                                              const std::vector<ConfigSection*>& modules) {
  std::string text;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat("configuration: cannot read ", path));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  return ParseServerConfig(text, env, modules);
}

std::string ConfigTable(const std::vector<ConfigSection*>& modules) {
  ServerConfig defaults;
  ConfigSection common("");
  DeclareCommon(&defaults, common);
  std::vector<const ConfigSection*> sections = {&common};
  sections.insert(sections.end(), modules.begin(), modules.end());
  std::string table = "| Key | Default | Meaning |\n|---|---|---|\n";
  for (const ConfigSection* section : sections) {
    for (const ConfigSection::Key& key : section->keys()) {
      absl::StrAppend(&table, "| `", key.name, "` | ", key.fallback, " | ", key.meaning, " |\n");
    }
  }
  return table;
}

}  // namespace accueil
