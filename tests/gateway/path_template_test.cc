// The gateway's route table and URL parsers, without a server: the path
// templates of the protos' http rules, matching, and URL decoding.
#include "services/gateway/path_template.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "services/common/errors.h"
#include "services/gateway/gateway.h"
#include "services/gateway/json_routes.h"

namespace accueil::gateway {
namespace {

Bindings B(std::vector<std::pair<std::string, std::string>> pairs) { return pairs; }

TEST(PathTemplate, ParsesTheGrammar) {
  absl::StatusOr<PathTemplate> t = ParsePathTemplate("/v1/{desk.name=desks/*}/slots:release");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->segments.size(), 4u);
  EXPECT_EQ(t->segments[0].literal, "v1");
  EXPECT_EQ(t->segments[2].kind, PathTemplate::Kind::kStar);
  EXPECT_EQ(t->verb, "release");
  ASSERT_EQ(t->variables.size(), 1u);
  EXPECT_EQ(t->variables[0].field_path, "desk.name");
  EXPECT_EQ(t->variables[0].begin, 1u);
  EXPECT_EQ(t->variables[0].end, 3u);
}

TEST(PathTemplate, RefusesWhatTheGrammarDoesNotAllow) {
  for (const char* bad : {"", "v1/sites", "/v1//sites", "/v1/{name", "/v1/{=sites/*}", "/v1/{a.}/x",
                          "/v1/{a}/{a}", "/v1/**/x", "/v1/{a={b}}", "/v1/x:", "/v1/x y", "/v1/"}) {
    absl::StatusOr<PathTemplate> t = ParsePathTemplate(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(ErrorReason(t.status()), "INVALID_PATH_TEMPLATE") << bad;
    }
  }
}

TEST(PathTemplate, MatchesAndBindsDecodedValues) {
  PathTemplate t = *ParsePathTemplate("/v1/{name=sites/*}/desks");
  EXPECT_EQ(MatchPath(t, "/v1/sites/12/desks"), B({{"name", "sites/12"}}));
  EXPECT_EQ(MatchPath(t, "/v1/sites/a%20b/desks"), B({{"name", "sites/a b"}}));
  EXPECT_FALSE(MatchPath(t, "/v1/sites/12/desks/"));
  EXPECT_FALSE(MatchPath(t, "/v1/sites//desks"));
  EXPECT_FALSE(MatchPath(t, "/v1/sites/1%2F2/desks")) << "an encoded / is not a separator";
  EXPECT_FALSE(MatchPath(t, "/v1/sites/%ZZ/desks"));
  EXPECT_FALSE(MatchPath(t, "/v1/places/12/desks"));

  PathTemplate verb = *ParsePathTemplate("/v1/appointments:cancel");
  EXPECT_EQ(MatchPath(verb, "/v1/appointments:cancel"), B({}));
  EXPECT_FALSE(MatchPath(verb, "/v1/appointments"));
  EXPECT_FALSE(MatchPath(verb, "/v1/appointments:lookup"));

  PathTemplate rest = *ParsePathTemplate("/files/{path=**}");
  EXPECT_EQ(MatchPath(rest, "/files/a/b/c"), B({{"path", "a/b/c"}}));
  EXPECT_FALSE(MatchPath(rest, "/files"));
}

TEST(UrlEncoded, DecodesFormsAndQueries) {
  EXPECT_EQ(ParseUrlEncoded("a=1&b=x+y&c=%C3%A9&&d"),
            B({{"a", "1"}, {"b", "x y"}, {"c", "é"}, {"d", ""}}));
  EXPECT_FALSE(ParseUrlEncoded("a=%2"));
  EXPECT_FALSE(ParseUrlEncoded("a=%00"));
  EXPECT_FALSE(ParseUrlEncoded(std::string(100, 'a'), 50));
  EXPECT_FALSE(ParseUrlEncoded("a=1&b=2&c=3", 1024, 2));
  EXPECT_EQ(PercentDecode(PercentEncode("Réf 1/2?&="), false), "Réf 1/2?&=");
}

TEST(MessageLink, ReadsTheFragmentOrTheWholeLinkAsPasted) {
  const std::string token = "0123456789abcdef0123456789abcdef";
  const MessageLink link{"42", token};
  EXPECT_EQ(ParseMessageLink("42-" + token), link);
  EXPECT_EQ(ParseMessageLink("  https://rdv.pref.test/enquete#42-" + token + "\n"), link);
  EXPECT_EQ(ParseMessageLink("42-0123456789ABCDEF0123456789ABCDEF"), link);
  EXPECT_FALSE(ParseMessageLink(""));
  EXPECT_FALSE(ParseMessageLink("42"));
  EXPECT_FALSE(ParseMessageLink("-" + token));
  EXPECT_FALSE(ParseMessageLink("4x-" + token));
  EXPECT_FALSE(ParseMessageLink("42-" + token.substr(1)));
  EXPECT_FALSE(ParseMessageLink("42-" + token + "0"));
  EXPECT_FALSE(ParseMessageLink("42-0123456789abcdef0123456789abcdeg"));
  EXPECT_FALSE(ParseMessageLink(std::string(19, '1') + "-" + token));
}

TEST(RouteTable, EveryAnnotatedMethodOfTheExposedServicesIsARoute) {
  absl::StatusOr<RouteTable> table = RouteTable::FromServices(ExposedServices());
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_GE(table->routes().size(), 30u);

  absl::StatusOr<RouteTable::Match> m = table->Find("GET", "/v1/sites/7");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->route->grpc_path, "/accueil.booking.v1.BookingService/GetSite");
  EXPECT_EQ(m->route->module, "booking");
  EXPECT_EQ(m->bindings, B({{"name", "sites/7"}}));

  m = table->Find("POST", "/v1/access:resend");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->route->grpc_path, "/accueil.notify.v1.NotifyService/ResendAccess");
  EXPECT_EQ(m->route->module, "notify");

  m = table->Find("DELETE", "/v1/sites/7");
  EXPECT_EQ(ErrorReason(m.status()), "METHOD_NOT_ALLOWED");
  m = table->Find("GET", "/v1/nothing");
  EXPECT_EQ(ErrorReason(m.status()), "ROUTE_NOT_FOUND");
}

// docs/api.md lists every route, as `METHOD /path`.
TEST(RouteTable, TheApiDocumentListsEveryRoute) {
  std::ifstream file(ACCUEIL_SOURCE_DIR "/docs/api.md");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<RouteTable> table = RouteTable::FromServices(ExposedServices());
  ASSERT_TRUE(table.ok()) << table.status();
  for (const Route& route : table->routes()) {
    const std::string entry = "`" + route.http_method + " " + route.path_text + "`";
    EXPECT_NE(text.str().find(entry), std::string::npos) << entry << " is missing from docs/api.md";
  }
}

}  // namespace
}  // namespace accueil::gateway
