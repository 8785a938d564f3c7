// What a message says and when it goes, without a server: the reminder
// schedule across both daylight-saving changes, the quiet hours, SMS sizes
// of every template, French as the fallback, the e-mail's MIME text.
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "services/notify/mime.h"
#include "services/notify/schedule.h"
#include "services/notify/sms_text.h"
#include "services/notify/templates.h"

namespace accueil::notify {
namespace {

absl::TimeZone Paris() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Paris", &zone));
  return zone;
}

absl::Time Local(int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), Paris());
}

std::string Utc(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M", t, absl::UTCTimeZone()); }

TEST(Schedule, DefaultsOnAnOrdinaryWeek) {
  // Thursday 4 June 2026, 09:30 (CEST, UTC+2), booked on 1 June.
  Reminders r = ReminderTimes(Local(2026, 6, 1, 12), Local(2026, 6, 4, 9, 30), Paris(), {});
  ASSERT_TRUE(r.email && r.sms);
  EXPECT_EQ(Utc(*r.email), "2026-06-02 07:30");  // 09:30 two days before
  EXPECT_EQ(Utc(*r.sms), "2026-06-03 08:00");    // 10:00 the day before
}

TEST(Schedule, AcrossTheMarchChange) {
  // Monday 30 March 2026 09:00 CEST; clocks went forward on Sunday 29 at 02:00.
  Reminders r = ReminderTimes(Local(2026, 3, 20, 12), Local(2026, 3, 30, 9), Paris(), {});
  ASSERT_TRUE(r.email && r.sms);
  EXPECT_EQ(Utc(*r.email), "2026-03-28 08:00");  // Saturday 09:00 CET (UTC+1)
  EXPECT_EQ(Utc(*r.sms), "2026-03-29 08:00");    // Sunday 10:00 CEST (UTC+2)
  EXPECT_EQ(absl::ToCivilHour(*r.sms, Paris()).hour(), 10);
}

TEST(Schedule, AcrossTheOctoberChange) {
  // Monday 26 October 2026 09:00 CET; clocks went back on Sunday 25 at 03:00.
  Reminders r = ReminderTimes(Local(2026, 10, 20, 12), Local(2026, 10, 26, 9), Paris(), {});
  ASSERT_TRUE(r.email && r.sms);
  EXPECT_EQ(Utc(*r.email), "2026-10-24 07:00");  // Saturday 09:00 CEST (UTC+2)
  EXPECT_EQ(Utc(*r.sms), "2026-10-25 09:00");    // Sunday 10:00 CET (UTC+1)
}

TEST(Schedule, NoReminderWhoseTimeHasPassed) {
  // Booked the day before at 15:00: the confirmation serves as reminder.
  Reminders r = ReminderTimes(Local(2026, 6, 3, 15), Local(2026, 6, 4, 9, 30), Paris(), {});
  EXPECT_FALSE(r.email.has_value());
  EXPECT_FALSE(r.sms.has_value());
}

TEST(Schedule, QuietHoursMoveToEightOrBefore) {
  ReminderSettings early;
  early.email_before = absl::Hours(2);  // 07:30 for a 09:30 appointment: quiet
  early.sms_days_before.reset();
  Reminders r = ReminderTimes(Local(2026, 6, 1, 12), Local(2026, 6, 4, 9, 30), Paris(), early);
  ASSERT_TRUE(r.email.has_value());
  EXPECT_EQ(absl::FormatCivilTime(absl::ToCivilMinute(*r.email, Paris())), "2026-06-04T08:00");
  // An appointment at 08:15: 08:00 is still before it.
  r = ReminderTimes(Local(2026, 6, 1, 12), Local(2026, 6, 4, 8, 15), Paris(), early);
  ASSERT_TRUE(r.email.has_value());
  EXPECT_EQ(absl::FormatCivilTime(absl::ToCivilMinute(*r.email, Paris())), "2026-06-04T08:00");
  // 08:00 is before 08:15: allowed. At 08:00 itself, the evening before.
  r = ReminderTimes(Local(2026, 6, 1, 12), Local(2026, 6, 4, 8, 0), Paris(), early);
  ASSERT_TRUE(r.email.has_value());
  EXPECT_EQ(absl::FormatCivilTime(absl::ToCivilMinute(*r.email, Paris())), "2026-06-03T19:59");
  EXPECT_FALSE(InQuietHours(*r.email, Paris()));
}

TEST(Schedule, QuietHoursAreLocal) {
  EXPECT_TRUE(InQuietHours(Local(2026, 3, 29, 7, 59), Paris()));
  EXPECT_FALSE(InQuietHours(Local(2026, 3, 29, 8, 0), Paris()));
  EXPECT_FALSE(InQuietHours(Local(2026, 10, 25, 19, 59), Paris()));
  EXPECT_TRUE(InQuietHours(Local(2026, 10, 25, 20, 0), Paris()));
  // Nothing fits between now and a start inside the same night.
  EXPECT_FALSE(OutOfQuietHours(Local(2026, 6, 3, 23), Local(2026, 6, 3, 23),
                               Local(2026, 6, 4, 7, 30), Paris())
                   .has_value());
}

TEST(SmsText, Gsm7AndUcs2) {
  EXPECT_EQ(MeasureSms("Bonjour").coding, SmsCoding::kGsm7);
  EXPECT_EQ(MeasureSms("Préfecture à 9h00").coding, SmsCoding::kGsm7);  // é, à are GSM-7
  SmsSize ucs = MeasureSms("Votre titre est prêt");                     // ê is not
  EXPECT_EQ(ucs.coding, SmsCoding::kUcs2);
  EXPECT_EQ(ucs.units, 20);
  EXPECT_EQ(MeasureSms("10 €").units, 5);  // € is an extension: two septets
  EXPECT_EQ(MeasureSms(std::string(160, 'a')).segments, 1);
  EXPECT_EQ(MeasureSms(std::string(161, 'a')).segments, 2);
  EXPECT_EQ(MeasureSms(std::string(306, 'a')).segments, 2);
  EXPECT_EQ(MeasureSms(std::string(307, 'a')).segments, 3);
  std::string u70, u71;
  for (int i = 0; i < 70; ++i) u70 += "ê";
  u71 = u70 + "ê";
  EXPECT_EQ(MeasureSms(u70).segments, 1);
  EXPECT_EQ(MeasureSms(u71).segments, 2);
  EXPECT_EQ(MeasureSms("😀").units, 2);  // a surrogate pair
  EXPECT_TRUE(MeasureSms("\xC3").invalid);
  EXPECT_TRUE(MeasureSms("\xC0\x80").invalid);  // overlong
}

// The longest values a message can carry (templates.h): the longest base
// URL the configuration accepts (60), the longest weekday and time.
MessageFacts Worst() { return LongestFacts(); }

TEST(Templates, EverySmsFitsInTwoSegmentsAndNamesNobody) {
  absl::StatusOr<Templates> t = Templates::Load("");
  ASSERT_TRUE(t.ok()) << t.status();
  int sms = 0;
  for (const std::string& key : t->Keys()) {
    if (!absl::EndsWith(key, ".sms")) continue;
    ++sms;
    std::vector<std::string> parts = absl::StrSplit(key, absl::ByAnyChar("/."));
    ASSERT_EQ(parts.size(), 3u) << key;
    absl::StatusOr<Rendered> r = t->Render(parts[1], "sms", parts[0], Worst());
    ASSERT_TRUE(r.ok()) << key << ": " << r.status();
    EXPECT_EQ(r->language, parts[0]);
    const SmsSize size = MeasureSms(r->body);
    EXPECT_LE(size.segments, 2) << key << " (" << size.units << " units): " << r->body;
    EXPECT_EQ(size.coding, SmsCoding::kGsm7) << key << ": " << r->body;
    EXPECT_FALSE(absl::StrContains(r->body, "Éloïse")) << key;
    EXPECT_FALSE(absl::StrContains(r->body, "Dupré")) << key;
    EXPECT_FALSE(absl::StrContains(r->body, "{{")) << key;
  }
  EXPECT_EQ(sms, 22);  // 11 templates (the survey has no SMS), French and English
}

TEST(Templates, EmailsSaySubjectDateAndDocuments) {
  absl::StatusOr<Templates> t = Templates::Load("");
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<Rendered> fr = t->Render("confirmation", "email", "fr", Worst());
  ASSERT_TRUE(fr.ok()) << fr.status();
  EXPECT_EQ(fr->subject, "Votre rendez-vous du mercredi 30 septembre 2026 à 16h45 est confirmé");
  EXPECT_TRUE(absl::StrContains(fr->body, "Bonjour Éloïse-Marie Dupré de la Fontaine"));
  EXPECT_TRUE(absl::StrContains(fr->body, "  - Justificatif de domicile de moins de 3 mois\n"));
  EXPECT_TRUE(absl::StrContains(fr->body, "code d'accès ABCDEFGH"));
  absl::StatusOr<Rendered> en = t->Render("reminder", "email", "en", Worst());
  ASSERT_TRUE(en.ok());
  EXPECT_EQ(en->subject, "Reminder: your appointment on Wednesday 30 September 2026 at 16:45");
  // Arabic has no templates yet: French.
  absl::StatusOr<Rendered> ar = t->Render("reminder", "email", "ar", Worst());
  ASSERT_TRUE(ar.ok());
  EXPECT_EQ(ar->language, "fr");
  EXPECT_TRUE(absl::StartsWith(ar->subject, "Rappel"));
}

TEST(Templates, ValuesCannotBreakTheSubjectLine) {
  // A value holding a line break (not possible through booking's
  // validation, but templates may be replaced) cannot add a header.
  absl::StatusOr<Templates> t = Templates::Load("");
  ASSERT_TRUE(t.ok());
  MessageFacts f = Worst();
  f.desk = "Desk\r\nBcc: someone@example.org";
  absl::StatusOr<Rendered> r = t->Render("cancellation", "email", "fr", f);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(absl::StrContains(r->subject, "\n"));
}

TEST(Templates, ABadDirectoryIsRefused) {
  absl::StatusOr<Templates> t = Templates::Load("/nonexistent-accueil-templates");
  EXPECT_FALSE(t.ok());
}

TEST(Mime, Base64PartsAndStableMessageId) {
  Outgoing m;
  m.id = 42;
  m.to = "eloise@example.org";
  m.subject = "Votre rendez-vous est confirmé";
  m.body = "Bonjour,\nà bientôt.\n";
  m.ics = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
  m.ics_method = "PUBLISH";
  m.now = absl::FromUnixSeconds(1780300800);
  const std::string text = ComposeEmail(m, "ne-pas-repondre@pref.test", "pref.test");
  EXPECT_TRUE(absl::StrContains(text, "Message-ID: <notify-42@pref.test>\r\n"));
  EXPECT_TRUE(
      absl::StrContains(text, "Subject: =?UTF-8?B?" + absl::Base64Escape(m.subject) + "?=\r\n"));
  EXPECT_TRUE(absl::StrContains(text, absl::Base64Escape(m.body)));
  EXPECT_TRUE(absl::StrContains(text, "text/calendar; charset=UTF-8; method=PUBLISH"));
  for (absl::string_view line : absl::StrSplit(text, "\r\n")) {
    EXPECT_LE(line.size(), 998u);
    EXPECT_FALSE(absl::StrContains(line, "\n"));
  }
}

}  // namespace
}  // namespace accueil::notify
