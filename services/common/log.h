// Structured JSON logs, one object per line on stderr.
//
// Log lines carry ids and facts, never personal data: no names, phones,
// e-mails, access codes or tokens. Pass those through no field here.
//
//   accueil::log::Info("appointment.created",
//                      {{"request_id", rid}, {"appointment", "appointments/7"}});
//   -> {"time":"2026-11-23T15:00:00.123456Z","level":"info",
//       "event":"appointment.created","request_id":"...","appointment":"..."}
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace accueil::log {

struct Field {
  std::string_view key;
  std::string_view value;
};

// Init sets the level ("trace" ... "error"); call once at start-up.
void Init(std::string_view level);

void Debug(std::string_view event, std::initializer_list<Field> fields = {});
void Info(std::string_view event, std::initializer_list<Field> fields = {});
void Warn(std::string_view event, std::initializer_list<Field> fields = {});
void Error(std::string_view event, std::initializer_list<Field> fields = {});

// JsonEscape quotes `text` as a JSON string body (without the quotes).
std::string JsonEscape(std::string_view text);

}  // namespace accueil::log
