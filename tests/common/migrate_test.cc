// The migration runner: once each, in order, safe when replicas start
// together, and refusing an edited migration.
#include <thread>

#include <gtest/gtest.h>

#include "services/common/migrate.h"
#include "tests/support/test_database.h"

namespace accueil::db {
namespace {

std::vector<Migration> Sample() {
  // Versions above the real ones: the test database is already migrated.
  return {{1001, "1001_a.sql", "CREATE TABLE t_a (x int)"},
          {1002, "1002_b.sql", "INSERT INTO t_a VALUES (1), (2)"}};
}

TEST(Migrate, EmbeddedMigrationsAreOrderedAndApplyOnce) {
  const std::vector<Migration>& all = EmbeddedMigrations();
  ASSERT_GE(all.size(), 2u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].version, all[i].version);
  auto db = testing::TestDatabase::Create();  // already migrated once
  absl::StatusOr<int> again = Migrate(db->url());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(db->Query("SELECT count(*) FROM accueil_meta.schema_migrations"),
            std::to_string(all.size()));
}

TEST(Migrate, ReplicasStartingTogetherApplyEachMigrationOnce) {
  auto db = testing::TestDatabase::Create();
  std::vector<int> applied(6, -1);
  std::vector<std::thread> replicas;
  for (int i = 0; i < 6; ++i) {
    replicas.emplace_back([&, i] {
      absl::StatusOr<int> n = Migrate(db->url(), Sample());
      applied[i] = n.ok() ? *n : -100;
    });
  }
  for (auto& t : replicas) t.join();
  int total = 0;
  for (int n : applied) {
    EXPECT_GE(n, 0);
    total += n;
  }
  EXPECT_EQ(total, 2);
  EXPECT_EQ(db->Query("SELECT count(*) FROM t_a"), "2");
}

TEST(Migrate, RefusesAMigrationEditedAfterItWasApplied) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(Migrate(db->url(), Sample()).ok());
  std::vector<Migration> edited = Sample();
  edited[1].sql = "INSERT INTO t_a VALUES (3)";
  absl::StatusOr<int> r = Migrate(db->url(), edited);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(db->Query("SELECT count(*) FROM t_a"), "2");
}

TEST(Migrate, AFailingMigrationLeavesNothingBehind) {
  auto db = testing::TestDatabase::Create();
  std::vector<Migration> bad = Sample();
  bad.push_back({1003, "1003_bad.sql", "CREATE TABLE t_c (x int); SELECT no_such_fn()"});
  EXPECT_FALSE(Migrate(db->url(), bad).ok());
  EXPECT_EQ(db->Query("SELECT to_regclass('t_c')::text"), "");
  EXPECT_EQ(db->Query("SELECT max(version) FROM accueil_meta.schema_migrations "
                      "WHERE version > 1000"),
            "1002");
}

}  // namespace
}  // namespace accueil::db
