// The pages' words in each language (French, English, Arabic), the choice
// of language, and dates and times written in it.
//
// A page's language: `?lang=` when the person just chose one (then kept in
// a cookie), else the cookie, else the browser's Accept-Language, else
// French. Arabic pages are right to left.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace accueil::gateway {

// The languages the pages are written in, French first.
const std::vector<std::string>& PageLanguages();

// ChooseLanguage: see above; always one of PageLanguages().
std::string ChooseLanguage(std::string_view query_lang, std::string_view cookie_lang,
                           std::string_view accept_language);

// Words: key -> text in `language` (French for a key a language lacks).
const std::map<std::string, std::string>& Words(const std::string& language);

// LanguageName: "Français", "English", "العربية" (each in itself).
std::string LanguageName(const std::string& language);

// Right to left.
bool RightToLeft(const std::string& language);

// LongDate: "mardi 2 juin 2026", "Tuesday 2 June 2026", "الثلاثاء 2 يونيو 2026".
std::string LongDate(const std::string& language, absl::CivilDay day);

// MonthYear: "juin 2026", "June 2026", "يونيو 2026".
std::string MonthYear(const std::string& language, absl::CivilMonth month);

// Decimal: `value` with `decimals` digits after the separator of `language`
// ("89,7" in French, "89.7" otherwise).
std::string Decimal(const std::string& language, double value, int decimals);

// IndicatorValue: a quality indicator's value in its unit ("percent",
// "minutes", "days", "people", "score..."), in `language` ("89,7 %").
std::string IndicatorValue(const std::string& language, const std::string& unit, double value);

// IndicatorTitle: an indicator's name in `language` (`fallback`, the
// service's English title, for one the pages do not know yet).
std::string IndicatorTitle(const std::string& language, const std::string& id,
                           const std::string& fallback);

// TimeOfDay: "09:30" (24-hour, every language).
std::string TimeOfDay(absl::Time time, absl::TimeZone zone);

}  // namespace accueil::gateway
