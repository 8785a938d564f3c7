// The public page of the published indicators, over real HTTP in front of
// booking and metrics on PostgreSQL: what the quality officer published,
// in the page's language, with the objectives, the values hidden under the
// anonymity threshold, and the restatements; nothing unpublished.
#include <gtest/gtest.h>

#include "tests/booking/booking_fixture.h"
#include "tests/metrics/quality_officer.h"
#include "tests/support/http_client.h"

namespace accueil::testing {
namespace {

class IndicatorPages : public ::testing::Test {
 protected:
  IndicatorPages() : open_(world_.OpenDesk(DeskOptions{})) {
    // 1 June 2026 at noon UTC: May is over everywhere, it can be published.
    world_.clock().Set(absl::FromCivil(absl::CivilHour(2026, 6, 1, 12), absl::UTCTimeZone()));
  }

  HttpReply Get(const std::string& path, std::vector<std::string> headers = {}) {
    HttpCall call;
    call.url = absl::StrCat("http://127.0.0.1:", world_.server().port_of("gateway_listen"), path);
    call.headers = std::move(headers);
    return Fetch(call);
  }
  // Row: the table row of `indicator` in a page ("" without one).
  static std::string Row(const std::string& html, const std::string& indicator) {
    const size_t at = html.find("<tr id=\"indicator-" + indicator + "\">");
    if (at == std::string::npos) return "";
    return html.substr(at, html.find("</tr>", at) - at);
  }

  BookingWorld world_;
  OpenedDesk open_;
};

TEST_F(IndicatorPages, WhatWasPublishedIsReadByAnyoneInTheirLanguage) {
  const std::string site = open_.site.name();
  const std::string page = absl::StrCat("/indicateurs/", IdOf(site), "?annee=2026");
  HttpReply list = Get("/indicateurs");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(absl::StrCat("href=\"/indicateurs/", IdOf(site), "\"")),
            std::string::npos)
      << list.body;

  // Nothing published yet: said, and no figure shown.
  QualityOfficer officer(world_.server(), site);
  ASSERT_TRUE(RpcOk(officer.Record("calls_answered_rate", "2026-05", 89.65)));
  HttpReply empty = Get(page);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_NE(empty.body.find("id=\"no-month\""), std::string::npos);
  EXPECT_EQ(empty.body.find("89,7"), std::string::npos);

  ASSERT_TRUE(RpcOk(officer.Aim("calls_answered_rate", 90, metrics::v1::AT_LEAST)));
  ASSERT_TRUE(RpcOk(officer.Publish("2026-05")));
  HttpReply french = Get(page);
  ASSERT_EQ(french.status, 200) << french.body;
  EXPECT_NE(french.body.find("<th scope=\"col\">mai 2026</th>"), std::string::npos) << french.body;
  const std::string calls = Row(french.body, "calls_answered_rate");
  EXPECT_NE(calls.find("Appels aboutis"), std::string::npos) << calls;
  EXPECT_NE(calls.find("≥ 90,0 %"), std::string::npos) << calls;
  EXPECT_NE(calls.find(">89,7 %<"), std::string::npos) << calls;
  EXPECT_NE(calls.find("Objectif non atteint"), std::string::npos) << calls;
  // No appointment was due in May: no figure, what stands for it said to
  // screen readers.
  const std::string noshow = Row(french.body, "noshow_rate");
  EXPECT_NE(noshow.find("Taux de rendez-vous non honorés"), std::string::npos) << noshow;
  EXPECT_TRUE(noshow.find("Aucune donnée") != std::string::npos ||
              noshow.find("Valeur masquée") != std::string::npos)
      << noshow;
  EXPECT_NE(french.body.find("moins de 5 observations"), std::string::npos);

  HttpReply english = Get(page, {"Accept-Language: en"});
  const std::string calls_en = Row(english.body, "calls_answered_rate");
  EXPECT_NE(english.body.find(">May 2026</th>"), std::string::npos);
  EXPECT_NE(calls_en.find(">89.7%<"), std::string::npos) << calls_en;
  EXPECT_NE(calls_en.find("Objective not met"), std::string::npos) << calls_en;

  // A correction published again is shown as a restatement, with its reason.
  ASSERT_TRUE(RpcOk(officer.Record("calls_answered_rate", "2026-05", 91)));
  ASSERT_TRUE(RpcOk(officer.Publish("2026-05", "chiffres du standard corrigés")));
  HttpReply restated = Get(page);
  EXPECT_NE(Row(restated.body, "calls_answered_rate").find(">91,0 %<"), std::string::npos);
  EXPECT_NE(Row(restated.body, "calls_answered_rate").find("Objectif atteint"), std::string::npos);
  const size_t table = restated.body.find("id=\"restatements\"");
  ASSERT_NE(table, std::string::npos) << restated.body;
  const std::string restatements = restated.body.substr(table);
  EXPECT_NE(restatements.find("<td dir=\"ltr\">89,7 %</td><td dir=\"ltr\">91,0 %</td>"),
            std::string::npos)
      << restatements;
  EXPECT_NE(restatements.find("chiffres du standard corrigés"), std::string::npos);

  // Another year has nothing; a year that is not one, or no such site, is
  // not found.
  EXPECT_NE(Get(absl::StrCat("/indicateurs/", IdOf(site), "?annee=2025")).body.find("no-month"),
            std::string::npos);
  EXPECT_EQ(Get(absl::StrCat("/indicateurs/", IdOf(site), "?annee=abc")).status, 404);
  EXPECT_EQ(Get("/indicateurs/999").status, 404);
}

}  // namespace
}  // namespace accueil::testing
