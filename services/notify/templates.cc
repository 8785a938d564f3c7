#include "services/notify/templates.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"

namespace accueil::notify {
namespace {

namespace mustache = kainjow::mustache;

constexpr char kFallback[] = "fr";
constexpr char kSuffix[] = ".mustache";

absl::Status Bad(const std::string& file, absl::string_view what) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_TEMPLATE",
               absl::StrCat("template ", file, ": ", what));
}

mustache::mustache Compile(const std::string& text) {
  mustache::mustache t(text);
  // Plain text: values go in as they are.
  t.set_custom_escape([](const std::string& s) { return s; });
  return t;
}

// One line: control characters (a line break would start a header) become
// spaces.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return std::string(absl::StripAsciiWhitespace(s));
}

}  // namespace

std::string LongDate(absl::Time t, absl::TimeZone zone, absl::string_view language) {
  static constexpr const char* kFrDays[] = {"lundi",    "mardi",  "mercredi", "jeudi",
                                            "vendredi", "samedi", "dimanche"};
  static constexpr const char* kFrMonths[] = {"janvier",   "février", "mars",     "avril",
                                              "mai",       "juin",    "juillet",  "août",
                                              "septembre", "octobre", "novembre", "décembre"};
  static constexpr const char* kEnDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};
  static constexpr const char* kEnMonths[] = {"January",   "February", "March",    "April",
                                              "May",       "June",     "July",     "August",
                                              "September", "October",  "November", "December"};
  const absl::CivilDay day = absl::ToCivilDay(t, zone);
  const int weekday = static_cast<int>(absl::GetWeekday(day));  // Monday = 0
  if (language == "en") {
    return absl::StrFormat("%s %d %s %d", kEnDays[weekday], day.day(), kEnMonths[day.month() - 1],
                           day.year());
  }
  return absl::StrFormat("%s %d %s %d", kFrDays[weekday], day.day(), kFrMonths[day.month() - 1],
                         day.year());
}

std::string ShortDate(absl::Time t, absl::TimeZone zone) {
  const absl::CivilDay day = absl::ToCivilDay(t, zone);
  return absl::StrFormat("%02d/%02d/%04d", day.day(), day.month(), day.year());
}

std::string LocalTime(absl::Time t, absl::TimeZone zone, absl::string_view language) {
  const absl::CivilMinute m = absl::ToCivilMinute(t, zone);
  if (language == "en") return absl::StrFormat("%02d:%02d", m.hour(), m.minute());
  return absl::StrFormat("%dh%02d", m.hour(), m.minute());
}

absl::StatusOr<Templates> Templates::Load(const std::string& dir) {
  Templates out;
  auto add = [&](const std::string& path, std::string text) -> absl::Status {
    if (!absl::EndsWith(path, kSuffix)) return absl::OkStatus();
    std::string key(absl::StripSuffix(path, kSuffix));
    mustache::mustache t = Compile(text);
    if (!t.is_valid()) return Bad(path, t.error_message());
    if (absl::EndsWith(key, ".email") && !absl::StartsWith(text, "Subject: ")) {
      return Bad(path, "an e-mail template starts with \"Subject: \"");
    }
    out.compiled_.emplace(std::move(key), std::move(t));
    return absl::OkStatus();
  };
  if (dir.empty()) {
    for (const TemplateFile& f : EmbeddedTemplates()) {
      if (absl::Status s = add(f.path, f.text); !s.ok()) return s;
    }
  } else {
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      std::string path = std::filesystem::relative(entry.path(), dir).string();
      if (absl::Status s = add(path, text.str()); !s.ok()) return s;
    }
    if (ec) return Bad(dir, ec.message());
  }
  for (const auto& [key, compiled] : out.compiled_) {
    const std::string name = key.substr(key.find('/') + 1);
    if (out.compiled_.count(absl::StrCat(kFallback, "/", name)) == 0) {
      return Bad(key, absl::StrCat("French (", kFallback, "/", name, ") is missing"));
    }
  }
  if (out.compiled_.empty()) return Bad(dir, "no template found");
  return out;
}

absl::StatusOr<Rendered> Templates::Render(absl::string_view name, absl::string_view channel,
                                           absl::string_view language,
                                           const MessageFacts& facts) const {
  Rendered out;
  const std::string file = absl::StrCat(name, ".", channel);
  auto it = compiled_.find(absl::StrCat(language, "/", file));
  out.language = std::string(language);
  if (it == compiled_.end()) {
    it = compiled_.find(absl::StrCat(kFallback, "/", file));
    out.language = kFallback;
  }
  if (it == compiled_.end()) {
    return Error(absl::StatusCode::kFailedPrecondition, "TEMPLATE_MISSING",
                 absl::StrCat("no template ", kFallback, "/", file));
  }
  mustache::data data;
  data.set("site", facts.site);
  data.set("address", facts.address);
  data.set("desk", facts.desk);
  data.set("date", LongDate(facts.start, facts.zone, out.language));
  data.set("date_short", ShortDate(facts.start, facts.zone));
  data.set("time", LocalTime(facts.start, facts.zone, out.language));
  data.set("reference", facts.reference);
  data.set("access_code", facts.access_code);
  data.set("manage_url", facts.manage_url);
  data.set("book_url", facts.book_url);
  data.set("preferences_url", facts.preferences_url);
  data.set("survey_url", facts.survey_url);
  data.set("confirm_url", facts.confirm_url);
  if (facts.respond_by.has_value()) {
    data.set("respond_date", LongDate(*facts.respond_by, facts.zone, out.language));
    data.set("respond_date_short", ShortDate(*facts.respond_by, facts.zone));
    data.set("respond_time", LocalTime(*facts.respond_by, facts.zone, out.language));
  }
  if (channel == "email") {
    // No name in an SMS: the phone may be shared, or read over a shoulder.
    data.set("given_name", facts.given_name);
    data.set("family_name", facts.family_name);
    mustache::data documents{mustache::data::type::list};
    for (const std::string& d : facts.documents) documents.push_back(mustache::data(d));
    data.set("documents", documents);
    data.set("has_documents", facts.documents.empty() ? mustache::data::type::bool_false
                                                      : mustache::data::type::bool_true);
    if (!facts.instructions.empty()) data.set("instructions", facts.instructions);
  }
  mustache::mustache t = it->second;
  std::string text = t.render(data);
  if (!t.is_valid()) {
    return Error(absl::StatusCode::kInternal, "TEMPLATE_FAILED",
                 absl::StrCat("template ", it->first, ": ", t.error_message()));
  }
  if (channel == "email") {
    const size_t eol = text.find('\n');
    out.subject = OneLine(text.substr(9, eol == std::string::npos ? std::string::npos : eol - 9));
    out.body = eol == std::string::npos ? "" : text.substr(eol + 1);
  } else {
    out.body = OneLine(text);
  }
  return out;
}

std::vector<std::string> Templates::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, compiled] : compiled_) keys.push_back(key);
  return keys;
}

}  // namespace accueil::notify
