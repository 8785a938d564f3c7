#include "services/common/log.h"

#include <cstdio>
#include <memory>

#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace accueil::log {
namespace {

spdlog::logger& Logger() {
  static spdlog::logger* logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto* l = new spdlog::logger("accueil", sink);
    l->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                   spdlog::pattern_time_type::utc);
    l->flush_on(spdlog::level::info);
    return l;
  }();
  return *logger;
}

void Write(spdlog::level::level_enum level, std::string_view event,
           std::initializer_list<Field> fields) {
  spdlog::logger& logger = Logger();
  if (!logger.should_log(level)) return;
  std::string line = "\"event\":\"" + JsonEscape(event) + "\"";
  for (const Field& f : fields) {
    line += ",\"" + JsonEscape(f.key) + "\":\"" + JsonEscape(f.value) + "\"";
  }
  logger.log(level, "{}", line);
}

}  // namespace

void Init(std::string_view level) {
  Logger().set_level(spdlog::level::from_str(std::string(level)));
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void Debug(std::string_view e, std::initializer_list<Field> f) {
  Write(spdlog::level::debug, e, f);
}
void Info(std::string_view e, std::initializer_list<Field> f) { Write(spdlog::level::info, e, f); }
void Warn(std::string_view e, std::initializer_list<Field> f) { Write(spdlog::level::warn, e, f); }
void Error(std::string_view e, std::initializer_list<Field> f) { Write(spdlog::level::err, e, f); }

}  // namespace accueil::log
