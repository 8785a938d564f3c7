// A private database for one test binary, on the throwaway cluster that
// scripts/test.sh starts (ACCUEIL_PG_ADMIN_URL). Created fresh, migrated
// with the real migrations, dropped at the end.
//
//   TestDatabase db = TestDatabase::Create();   // fails the test if no PG
//   pqxx::connection c(db.url());
#pragma once

#include <climits>
#include <memory>
#include <string>

#include <pqxx/pqxx>

namespace accueil::testing {

class TestDatabase {
 public:
  // Create makes `accueil_test_<pid>_<n>`, applies the migrations (those up
  // to version `last_version` only, to test an upgrade from that schema),
  // and returns it. Aborts with a clear message when ACCUEIL_PG_ADMIN_URL is
  // unset (run the tests through scripts/test.sh).
  static std::unique_ptr<TestDatabase> Create(int last_version = INT_MAX);
  ~TestDatabase();

  const std::string& url() const { return url_; }

  // Query runs one SQL statement on a new connection and returns the first
  // column of the first row as text ("" when no row or NULL). For asserting
  // what the database holds.
  std::string Query(const std::string& sql) const;

 private:
  TestDatabase(std::string admin_url, std::string name, std::string url)
      : admin_url_(std::move(admin_url)), name_(std::move(name)), url_(std::move(url)) {}
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

}  // namespace accueil::testing
