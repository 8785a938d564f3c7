// Message templates (docs/notify.md#templates): Mustache files, one per
// language, template and channel, `<language>/<template>.<channel>.mustache`
// (services/notify/templates/, built into the binary; notify_templates_dir
// replaces them). An e-mail template's first line is "Subject: ...".
// French is the fallback of every language without its own file.
//
// Rendered at send time from what booking says then (MessageFacts): nothing
// rendered is stored, since a body holds the access code. Values are
// inserted as they are (plain text, no HTML escaping); an SMS template is
// given no name, so no SMS can carry one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include <kainjow/mustache.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace accueil::notify {

struct TemplateFile {
  const char* path;  // "fr/reminder.sms.mustache"
  const char* text;
};
// The files of services/notify/templates (generated: embed_templates.cmake).
const std::vector<TemplateFile>& EmbeddedTemplates();

// What a message may say, as booking has it at send time.
struct MessageFacts {
  std::string given_name, family_name;  // e-mail only
  std::string site, address, desk;
  absl::Time start;
  absl::TimeZone zone;
  std::string reference, access_code;
  // The desk's documents to bring and instructions in the message's language.
  std::vector<std::string> documents;
  std::string instructions;
  std::string manage_url, book_url;
  // Where the person stops these messages (the messages they can stop).
  std::string preferences_url;
  // The survey's page (survey messages).
  std::string survey_url;
  // Attendance requests: where to confirm, and until when.
  std::string confirm_url;
  std::optional<absl::Time> respond_by;
};

struct Rendered {
  std::string language;  // the one used: the person's, or "fr"
  std::string subject;   // e-mail only, one line
  std::string body;
};

class Templates {
 public:
  // Load reads the built-in templates, or those of `dir` (same layout) when
  // it is not empty. Every file must parse, and French must have every
  // template the other languages have: INVALID_ARGUMENT naming the file.
  static absl::StatusOr<Templates> Load(const std::string& dir);

  // Render writes template `name` ("reminder") for `channel` ("email",
  // "sms") in `language` if it has the file, else in French.
  absl::StatusOr<Rendered> Render(absl::string_view name, absl::string_view channel,
                                  absl::string_view language, const MessageFacts& facts) const;

  // Keys "fr/reminder.sms" of every template loaded.
  std::vector<std::string> Keys() const;

 private:
  // Parsed once at Load; each render works on a copy (a render may note
  // an error in the object, and sender threads render concurrently).
  std::map<std::string, kainjow::mustache::mustache> compiled_;
};

// The local date and time as the message's language writes them.
std::string LongDate(absl::Time t, absl::TimeZone zone, absl::string_view language);
std::string ShortDate(absl::Time t, absl::TimeZone zone);
std::string LocalTime(absl::Time t, absl::TimeZone zone, absl::string_view language);

}  // namespace accueil::notify
