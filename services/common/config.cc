#include "services/common/config.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace accueil {
namespace {

absl::Status Invalid(const std::string& key, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("configuration: ", key, ": ", why));
}

absl::Status SetInt(const std::string& key, const std::string& value, int min,
                    int max, int* out) {
  if (!absl::SimpleAtoi(value, out) || *out < min || *out > max) {
    return Invalid(key, absl::StrCat("expected an integer in [", min, ", ",
                                     max, "], got \"", value, "\""));
  }
  return absl::OkStatus();
}

absl::Status SetBool(const std::string& key, const std::string& value,
                     bool* out) {
  if (!absl::SimpleAtob(value, out)) {
    return Invalid(key, absl::StrCat("expected true or false, got \"", value,
                                     "\""));
  }
  return absl::OkStatus();
}

// Apply sets one key; the list of keys here is the documented configuration.
absl::Status Apply(const std::string& key, const std::string& value,
                   ServerConfig* c) {
  if (key == "listen") {
    if (value.find(':') == std::string::npos) {
      return Invalid(key, "expected host:port");
    }
    c->listen = value;
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
    c->services.clear();
    for (absl::string_view name :
         absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      std::string service(absl::StripAsciiWhitespace(name));
      if (service != "booking") {
        return Invalid(key, absl::StrCat("unknown service \"", service,
                                         "\" (known: booking)"));
      }
      c->services.push_back(service);
    }
    if (c->services.empty()) return Invalid(key, "names no service");
  } else {
    return Invalid(key, "unknown key");
  }
  return absl::OkStatus();
}

constexpr const char* kKeys[] = {
    "listen",           "database_url",           "database_pool_size",
    "secret_key_file",  "log_level",              "migrate_on_start",
    "shutdown_grace_seconds", "services"};

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text,
                                               const EnvLookup& env) {
  ServerConfig config;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "configuration: line ", line_number, ": expected key = value"));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (absl::Status s = Apply(key, value, &config); !s.ok()) return s;
  }
  for (const char* key : kKeys) {
    std::string var = absl::StrCat("ACCUEIL_", absl::AsciiStrToUpper(key));
    if (std::optional<std::string> value = env(var)) {
      if (absl::Status s = Apply(key, *value, &config); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(s.message(), " (from ", var, ")"));
      }
    }
  }
  if (config.database_url.empty()) {
    return Invalid("database_url", "is required");
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path,
                                              const EnvLookup& env) {
  std::string text;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("configuration: cannot read ", path));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  return ParseServerConfig(text, env);
}

}  // namespace accueil
