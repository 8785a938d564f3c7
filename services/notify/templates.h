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
  // RenderText: the same with `text` (a desk's own notice, checked by
  // CheckNoticeText when it was written) instead of the file.
  static absl::StatusOr<Rendered> RenderText(const std::string& text, absl::string_view channel,
                                             absl::string_view language, const MessageFacts& facts);
  // LanguageOf: the language Render uses for `language` (it, or French).
  std::string LanguageOf(absl::string_view name, absl::string_view channel,
                         absl::string_view language) const;
  // Text: the file's text of template `name` in exactly `language`.
  std::optional<std::string> Text(absl::string_view name, absl::string_view channel,
                                  absl::string_view language) const;
  // Languages: those with files, French first.
  std::vector<std::string> Languages() const;

  // Keys "fr/reminder.sms" of every template loaded.
  std::vector<std::string> Keys() const;

 private:
  // Parsed once at Load; each render works on a copy (a render may note
  // an error in the object, and sender threads render concurrently).
  std::map<std::string, kainjow::mustache::mustache> compiled_;
  std::map<std::string, std::string> texts_;
};

// CheckNoticeText: a desk's text for an agents' notice on `channel` in
// `language`, before it is kept: at most 4000 bytes, it parses, an e-mail
// starts with a "Subject: " line that says something, an SMS names nobody
// and, rendered with the longest values and with none, fits two GSM-7
// segments. INVALID_ARGUMENT INVALID_TEMPLATE (with
// what is wrong) on `field`.
absl::Status CheckNoticeText(absl::string_view channel, absl::string_view language,
                             const std::string& text, absl::string_view field);

// NoticeNames: the agents' notices (SendNotice), which a desk may word its
// own way (notice_templates.cc): convocation, documents_missing,
// permit_ready.
const std::vector<std::string>& NoticeNames();
bool IsNotice(absl::string_view name);

// LongestFacts: the longest values a message can be given (the SMS size
// checks: the test of the built-in templates, CheckNoticeText).
MessageFacts LongestFacts();

// The local date and time as the message's language writes them.
std::string LongDate(absl::Time t, absl::TimeZone zone, absl::string_view language);
std::string ShortDate(absl::Time t, absl::TimeZone zone);
std::string LocalTime(absl::Time t, absl::TimeZone zone, absl::string_view language);

}  // namespace accueil::notify
