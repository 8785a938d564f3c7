#include "services/notify/templates.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"
#include "services/notify/sms_text.h"

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
    out.compiled_.emplace(key, std::move(t));
    out.texts_.emplace(std::move(key), std::move(text));
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

namespace {

// RenderCompiled: `t` (a copy: a render may note an error in it) with the
// facts; `what` names it in an error.
absl::StatusOr<Rendered> RenderCompiled(mustache::mustache t, const std::string& what,
                                        absl::string_view channel, absl::string_view language,
                                        const MessageFacts& facts) {
  Rendered out;
  out.language = std::string(language);
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
  std::string text = t.render(data);
  if (!t.is_valid()) {
    return Error(absl::StatusCode::kInternal, "TEMPLATE_FAILED",
                 absl::StrCat("template ", what, ": ", t.error_message()));
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

}  // namespace

absl::StatusOr<Rendered> Templates::Render(absl::string_view name, absl::string_view channel,
                                           absl::string_view language,
                                           const MessageFacts& facts) const {
  const std::string used = LanguageOf(name, channel, language);
  auto it = compiled_.find(absl::StrCat(used, "/", name, ".", channel));
  if (it == compiled_.end()) {
    return Error(absl::StatusCode::kFailedPrecondition, "TEMPLATE_MISSING",
                 absl::StrCat("no template ", used, "/", name, ".", channel));
  }
  return RenderCompiled(it->second, it->first, channel, used, facts);
}

absl::StatusOr<Rendered> Templates::RenderText(const std::string& text, absl::string_view channel,
                                               absl::string_view language,
                                               const MessageFacts& facts) {
  mustache::mustache t = Compile(text);
  if (!t.is_valid()) {
    return Error(absl::StatusCode::kInternal, "TEMPLATE_FAILED",
                 absl::StrCat("the desk's text: ", t.error_message()));
  }
  if (channel == "email" && !absl::StartsWith(text, "Subject: ")) {
    return Error(absl::StatusCode::kInternal, "TEMPLATE_FAILED", "the desk's text: no subject");
  }
  return RenderCompiled(std::move(t), "of the desk", channel, language, facts);
}

std::string Templates::LanguageOf(absl::string_view name, absl::string_view channel,
                                  absl::string_view language) const {
  return compiled_.count(absl::StrCat(language, "/", name, ".", channel)) > 0
             ? std::string(language)
             : std::string(kFallback);
}

std::optional<std::string> Templates::Text(absl::string_view name, absl::string_view channel,
                                           absl::string_view language) const {
  auto it = texts_.find(absl::StrCat(language, "/", name, ".", channel));
  if (it == texts_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Templates::Languages() const {
  std::vector<std::string> out = {kFallback};
  for (const auto& [key, compiled] : compiled_) {
    const std::string language = key.substr(0, key.find('/'));
    if (std::find(out.begin(), out.end(), language) == out.end()) out.push_back(language);
  }
  return out;
}

const std::vector<std::string>& NoticeNames() {
  static const std::vector<std::string> k = {"convocation", "documents_missing", "permit_ready"};
  return k;
}

bool IsNotice(absl::string_view name) {
  for (const std::string& n : NoticeNames()) {
    if (n == name) return true;
  }
  return false;
}

MessageFacts LongestFacts() {
  MessageFacts f;
  f.given_name = "Éloïse-Marie";
  f.family_name = "Dupré de la Fontaine";
  f.site = "Préfecture de la Seine-Saint-Denis";
  f.address = "1 esplanade Jean Moulin, 93000 Bobigny";
  f.desk = "Titres de séjour : première demande";
  // A Wednesday in September: the longest French day and month names.
  static const absl::TimeZone paris = [] {
    absl::TimeZone z;
    absl::LoadTimeZone("Europe/Paris", &z);
    return z;
  }();
  f.start = absl::FromCivil(absl::CivilMinute(2026, 9, 30, 16, 45), paris);
  f.zone = paris;
  f.reference = "ABCDEFGH";
  f.access_code = "ABCDEFGH";
  f.documents = {"Passeport", "Justificatif de domicile de moins de 3 mois"};
  f.instructions = "Présentez-vous 10 minutes avant.";
  // notify_public_base_url is at most 60 characters.
  const std::string base = "https://" + std::string(60 - 8, 'x');
  f.manage_url = base + "/rdv#ABCDEFGH-ABCDEFGH";
  f.book_url = base + "/";
  // Message ids up to 10^12, tokens of 32 digits.
  const std::string link = "#999999999999-" + std::string(32, 'f');
  f.preferences_url = base + "/preferences" + link;
  f.survey_url = base + "/enquete" + link;
  f.confirm_url = base + "/confirmer" + link;
  f.respond_by = f.start - absl::Hours(48);
  return f;
}

absl::Status CheckNoticeText(absl::string_view channel, absl::string_view language,
                             const std::string& text, absl::string_view field) {
  auto bad = [&](absl::string_view what) {
    return InvalidField("INVALID_TEMPLATE", std::string(field), std::string(what));
  };
  if (text.size() > 4000) return bad("at most 4000 bytes");
  if (channel == "email") {
    const size_t eol = text.find('\n');
    if (!absl::StartsWith(text, "Subject: ") || eol == std::string::npos ||
        absl::StripAsciiWhitespace(text.substr(9, eol - 9)).empty()) {
      return bad("an e-mail starts with a \"Subject: ...\" line, then its text");
    }
  } else if (absl::StrContains(text, "given_name") || absl::StrContains(text, "family_name")) {
    return bad("an SMS names nobody");
  }
  mustache::mustache t = Compile(text);
  if (!t.is_valid()) return bad(t.error_message());
  // Said, and within its size, with the longest values and with none (a
  // desk without instructions, a notice without a deadline, a value the
  // text names that does not exist), in the text's language.
  for (const MessageFacts& facts : {MessageFacts(), LongestFacts()}) {
    absl::StatusOr<Rendered> r = RenderCompiled(t, "", channel, language, facts);
    if (!r.ok()) return bad(r.status().message());
    if (channel == "email" && r->subject.empty()) return bad("an e-mail's subject says something");
    if (absl::StripAsciiWhitespace(r->body).empty()) {
      return bad(channel == "sms" ? "an SMS says something"
                                  : "an e-mail says something after its subject");
    }
    if (channel != "sms") continue;
    const SmsSize size = MeasureSms(r->body);
    if (size.coding != SmsCoding::kGsm7) {
      return bad("an SMS keeps to the GSM-7 alphabet (a ê, ô or ç halves its length)");
    }
    if (size.segments > 2) {
      return bad(absl::StrCat("an SMS fits two segments with the longest values (", size.units,
                              " characters; 306 at most)"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> Templates::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, compiled] : compiled_) keys.push_back(key);
  return keys;
}

}  // namespace accueil::notify
