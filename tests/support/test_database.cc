#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "services/common/migrate.h"

namespace accueil::testing {

std::unique_ptr<TestDatabase> TestDatabase::Create(int last_version) {
  const char* admin = std::getenv("ACCUEIL_PG_ADMIN_URL");
  if (admin == nullptr || *admin == '\0') {
    std::fprintf(stderr,
                 "ACCUEIL_PG_ADMIN_URL is not set: run the tests through "
                 "scripts/test.sh, which starts a throwaway PostgreSQL\n");
    std::abort();
  }
  static std::atomic<int> counter{0};
  std::string name = absl::StrCat("accueil_test_", getpid(), "_", counter++);
  {
    pqxx::connection c(admin);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + name);
    tx.exec("CREATE DATABASE " + name);
  }
  std::string url = absl::StrCat(admin, " dbname=", name);
  std::vector<db::Migration> migrations;
  for (const db::Migration& m : db::EmbeddedMigrations()) {
    if (m.version <= last_version) migrations.push_back(m);
  }
  absl::StatusOr<int> applied = db::Migrate(url, migrations);
  if (!applied.ok()) {
    std::fprintf(stderr, "migrations failed: %s\n",
                 std::string(applied.status().message()).c_str());
    std::abort();
  }
  return std::unique_ptr<TestDatabase>(new TestDatabase(admin, name, url));
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection c(admin_url_);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The cluster is thrown away after the run anyway.
  }
}

std::string TestDatabase::Query(const std::string& sql) const {
  pqxx::connection c(url_);
  pqxx::nontransaction tx(c);
  pqxx::result r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

}  // namespace accueil::testing
