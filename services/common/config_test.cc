#include "services/common/config.h"

#include <map>

#include <gtest/gtest.h>

namespace accueil {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Config, ReadsKeysCommentsAndEnvironmentOverrides) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      "# a comment\nlisten = 0.0.0.0:9000\ndatabase_url = host=/x\n"
      "secret_key_file = /k  # trailing\ndatabase_pool_size = 4\n",
      Env({{"ACCUEIL_LISTEN", "127.0.0.1:0"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:0");
  EXPECT_EQ(c->database_url, "host=/x");
  EXPECT_EQ(c->secret_key_file, "/k");
  EXPECT_EQ(c->database_pool_size, 4);
}

TEST(Config, RefusesUnknownKeysAndBadValuesNamingTheKey) {
  auto env = Env({{"ACCUEIL_DATABASE_URL", "x"}, {"ACCUEIL_SECRET_KEY_FILE", "k"}});
  absl::StatusOr<ServerConfig> c = ParseServerConfig("lisen = x:1\n", env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("lisen"), absl::string_view::npos);
  c = ParseServerConfig("database_pool_size = lots\n", env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("database_pool_size"), absl::string_view::npos);
  c = ParseServerConfig("just words\n", env);
  EXPECT_FALSE(c.ok());
  c = ParseServerConfig("", Env({{"ACCUEIL_DATABASE_URL", "x"},
                                 {"ACCUEIL_SECRET_KEY_FILE", "k"},
                                 {"ACCUEIL_MIGRATE_ON_START", "perhaps"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("ACCUEIL_MIGRATE_ON_START"), absl::string_view::npos);
}

TEST(Config, RequiresTheDatabase) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig("", Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("database_url"), absl::string_view::npos);
  EXPECT_TRUE(ParseServerConfig("database_url = x\n", Env({})).ok());
}

TEST(Config, RetentionDaysDefaultsTo90AndIsOverridable) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig("database_url = x\n", Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->retention_days, 90);
  c = ParseServerConfig("database_url = x\nretention_days = 30\n",
                        Env({{"ACCUEIL_RETENTION_DAYS", "45"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->retention_days, 45);
  c = ParseServerConfig("database_url = x\nretention_days = 0\n", Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("retention_days"), absl::string_view::npos);
}

TEST(Config, TokensNeedAnIssuerAndItsKeys) {
  EXPECT_TRUE(ParseServerConfig("database_url = x\noidc_issuer = https://idp\n"
                                "oidc_jwks_file = /k\n",
                                Env({}))
                  .ok());
  absl::StatusOr<ServerConfig> c =
      ParseServerConfig("database_url = x\noidc_jwks_file = /k\n", Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("oidc_issuer"), absl::string_view::npos) << c.status();
  c = ParseServerConfig("database_url = x\noidc_issuer = https://idp\n", Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("oidc_jwks_file"), absl::string_view::npos) << c.status();
}

TEST(Config, TrustedProxiesAreAddressesOrBlocks) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      "database_url = x\ntrusted_proxies = 10.0.0.1, 10.1.0.0/16, 2001:db8::/32\n", Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->trusted_proxies.size(), 3u);
  c = ParseServerConfig("database_url = x\ntrusted_proxies = proxy.example\n", Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("trusted_proxies"), absl::string_view::npos) << c.status();
}

TEST(Config, LoopbackIsAnAddressNotAPrefix) {
  for (const char* yes : {"127.0.0.1:50051", "127.8.9.10:0", "localhost:1", "[::1]:50051"}) {
    EXPECT_TRUE(IsLoopback(yes)) << yes;
  }
  for (const char* no : {"127.example.org:50051", "0.0.0.0:50051", "[::]:1", "10.0.0.1:1",
                         "127.0.0.1", "localhost.example:1"}) {
    EXPECT_FALSE(IsLoopback(no)) << no;
  }
}

TEST(Config, HistoryRetentionOutlivesThePersonalData) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig("database_url = x\n", Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->history_retention_days, 365);
  c = ParseServerConfig("database_url = x\nhistory_retention_days = 730\n", Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->history_retention_days, 730);
  c = ParseServerConfig("database_url = x\nretention_days = 120\n",
                        Env({{"ACCUEIL_HISTORY_RETENTION_DAYS", "100"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("history_retention_days"), absl::string_view::npos)
      << c.status();
  // Unset, it follows a retention_days longer than its default.
  c = ParseServerConfig("database_url = x\nretention_days = 400\n", Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->history_retention_days, 400);
}

}  // namespace
}  // namespace accueil
