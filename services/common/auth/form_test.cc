#include "services/common/auth/form.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace accueil::auth {
namespace {

TEST(PercentDecode, ReadsEscapesAndPlus) {
  EXPECT_EQ(PercentDecode("a%20b+c%2b%2F%c3%A9").value(), "a b c+/\xc3\xa9");
  EXPECT_EQ(PercentDecode("%00").value(), std::string(1, '\0'));
  EXPECT_EQ(PercentDecode("").value(), "");
}

TEST(PercentDecode, RefusesIncompleteEscapes) {
  for (const char* bad : {"%", "%4", "ab%4", "%zz", "%4g", "%%41"}) {
    EXPECT_FALSE(PercentDecode(bad).ok()) << bad;
  }
}

TEST(PercentEncode, KeepsUnreservedAndDecodesBack) {
  const std::string text = "a b/\xc3\xa9~-._+%&=\x01";
  const std::string encoded = PercentEncode(text);
  EXPECT_EQ(encoded, "a%20b%2F%C3%A9~-._%2B%25%26%3D%01");
  EXPECT_EQ(PercentDecode(encoded).value(), text);
}

TEST(ParseForm, ReadsPairsSkippingEmptyOnes) {
  absl::StatusOr<Form> form = ParseForm("a=1&b=x%20y&&c&=v&d=e=f");
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(*form, (Form{{"a", "1"}, {"b", "x y"}, {"c", ""}, {"", "v"}, {"d", "e=f"}}));
  EXPECT_TRUE(ParseForm("").value().empty());
  EXPECT_EQ(FormValue(*form, "b"), "x y");
  EXPECT_EQ(FormValue(*form, "absent"), "");
}

TEST(ParseForm, RefusesRepeatsBadEscapesAndTooManyFields) {
  EXPECT_FALSE(ParseForm("a=1&a=2").ok());
  EXPECT_FALSE(ParseForm("a=1&%61=2").ok());  // the same name once decoded
  EXPECT_TRUE(ParseForm("a=1&A=2").ok());     // names are case-sensitive
  EXPECT_FALSE(ParseForm("a=%zz").ok());
  EXPECT_FALSE(ParseForm("%=1").ok());
  std::string many;
  for (size_t i = 0; i < kMaxFormFields; ++i) absl::StrAppend(&many, "k", i, "=v&");
  EXPECT_TRUE(ParseForm(many).ok());
  EXPECT_FALSE(ParseForm(many + "one=more").ok());
}

TEST(LoopbackRedirect, AcceptsLoopbackHttpOnly) {
  for (const char* good : {"http://127.0.0.1/cb", "http://localhost:8080/cb?x=1",
                           "http://[::1]:65535", "http://LOCALHOST", "http://127.0.0.1:1?a"}) {
    EXPECT_TRUE(LoopbackRedirect(good)) << good;
  }
  for (const char* bad :
       {"https://127.0.0.1/", "http://127.0.0.1:0/", "http://127.0.0.1:65536/",
        "http://127.0.0.1:/", "http://127.0.0.1:080x/", "http://user@127.0.0.1/",
        "http://127.0.0.1/#f", "http://127.0.0.1.example.org/", "http://[::1]x/", "http://[::1",
        "http://127.0.0.1/a b", "http://example.org/", "HTTP://127.0.0.1/", ""}) {
    EXPECT_FALSE(LoopbackRedirect(bad)) << bad;
  }
  EXPECT_TRUE(LoopbackRedirect("http://127.0.0.1/" + std::string(1983, 'a')));
  EXPECT_FALSE(LoopbackRedirect("http://127.0.0.1/" + std::string(1984, 'a')));
}

TEST(PrintableAndPkceText, BoundsAndAlphabets) {
  EXPECT_TRUE(Printable("", 0, 1));
  EXPECT_TRUE(Printable("a b~", 1, 4));
  EXPECT_FALSE(Printable("a b~!", 1, 4));
  EXPECT_FALSE(Printable("a\tb", 0, 10));
  EXPECT_FALSE(Printable("\xc3\xa9", 0, 10));
  EXPECT_TRUE(PkceText(std::string(43, 'A'), 43, 128));
  EXPECT_FALSE(PkceText(std::string(42, 'A'), 43, 128));
  EXPECT_FALSE(PkceText(std::string(42, 'A') + "+", 43, 128));
}

Form ValidRequest() {
  return {{"response_type", "code"},
          {"client_id", "accueil-cli"},
          {"redirect_uri", "http://127.0.0.1:4711/callback"},
          {"state", "xyz"},
          {"nonce", "n-1"},
          {"code_challenge", std::string(43, 'c')},
          {"code_challenge_method", "S256"}};
}

TEST(ParseAuthRequest, KeepsTheValidatedFields) {
  absl::StatusOr<AuthRequest> r = ParseAuthRequest(ValidRequest());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->client_id, "accueil-cli");
  EXPECT_EQ(r->redirect_uri, "http://127.0.0.1:4711/callback");
  EXPECT_EQ(r->state, "xyz");
  EXPECT_EQ(r->nonce, "n-1");
  EXPECT_EQ(r->code_challenge, std::string(43, 'c'));
  Form without_pkce = ValidRequest();
  without_pkce.erase("code_challenge");
  without_pkce.erase("code_challenge_method");
  without_pkce.erase("nonce");
  EXPECT_TRUE(ParseAuthRequest(without_pkce).ok());
}

TEST(ParseAuthRequest, RefusesEachBadFieldNamingIt) {
  struct Case {
    const char* key;
    std::string value;  // "\x7f" removes the key
    const char* named;
  } cases[] = {
      {"redirect_uri", "http://example.org/cb", "redirect_uri"},
      {"response_type", "token", "response_type"},
      {"response_type", "\x7f", "response_type"},
      {"client_id", "", "client_id"},
      {"client_id", std::string(101, 'c'), "client_id"},
      {"state", "\x7f", "state"},
      {"state", "a\nb", "state"},
      {"nonce", std::string(501, 'n'), "nonce"},
      {"code_challenge_method", "plain", "code_challenge_method"},
      {"code_challenge_method", "\x7f", "code_challenge_method"},
      {"code_challenge", std::string(42, 'c'), "code_challenge"},
      {"code_challenge", std::string(43, '+'), "code_challenge"},
  };
  for (const Case& c : cases) {
    Form form = ValidRequest();
    if (c.value == "\x7f") {
      form.erase(c.key);
    } else {
      form[c.key] = c.value;
    }
    absl::StatusOr<AuthRequest> r = ParseAuthRequest(form);
    ASSERT_FALSE(r.ok()) << c.key << "=" << c.value;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.named), std::string::npos) << r.status();
  }
}

}  // namespace
}  // namespace accueil::auth
