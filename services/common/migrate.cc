#include "services/common/migrate.h"

#include <map>

#include <pqxx/pqxx>
#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/db.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil::db {
namespace {

// Any constant works, as long as every version of the runner uses it.
constexpr int64_t kMigrationLockKey = 0x4163637565696c;  // "Accueil"

std::string Checksum(const std::string& sql) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(sql.data()), sql.size());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash), sizeof hash));
}

}  // namespace

absl::StatusOr<int> Migrate(const std::string& url, const std::vector<Migration>& migrations) {
  try {
    pqxx::connection conn(url);
    {
      pqxx::nontransaction tx(conn);
      tx.exec("SET TimeZone = 'UTC'");
      tx.exec(absl::StrCat("SELECT pg_advisory_lock(", kMigrationLockKey, ")"));
      tx.exec(
          "CREATE SCHEMA IF NOT EXISTS accueil_meta;"
          "CREATE TABLE IF NOT EXISTS accueil_meta.schema_migrations ("
          "  version integer PRIMARY KEY,"
          "  name text NOT NULL,"
          "  checksum text NOT NULL,"
          "  applied_time timestamptz NOT NULL DEFAULT now())");
    }
    std::map<int, std::pair<std::string, std::string>> applied;
    {
      pqxx::nontransaction tx(conn);
      for (const auto& row :
           tx.exec("SELECT version, name, checksum FROM accueil_meta.schema_migrations")) {
        applied[row["version"].as<int>()] = {row["name"].as<std::string>(),
                                             row["checksum"].as<std::string>()};
      }
    }
    int count = 0;
    absl::Status status;
    for (const Migration& m : migrations) {
      std::string sum = Checksum(m.sql);
      if (auto it = applied.find(m.version); it != applied.end()) {
        if (it->second.second != sum) {
          status = absl::FailedPreconditionError(
              absl::StrCat("migration ", m.name,
                           " was changed after it was applied; add a new migration instead"));
          break;
        }
        continue;
      }
      pqxx::work tx(conn);
      tx.exec(m.sql);
      tx.exec_params(
          "INSERT INTO accueil_meta.schema_migrations (version, name, checksum)"
          " VALUES ($1, $2, $3)",
          m.version, m.name, sum);
      tx.commit();
      log::Info("migration.applied", {{"name", m.name}});
      ++count;
    }
    pqxx::nontransaction tx(conn);
    tx.exec(absl::StrCat("SELECT pg_advisory_unlock(", kMigrationLockKey, ")"));
    RETURN_IF_ERROR(status);
    return count;
  } catch (const std::exception& e) {
    absl::Status s = FromException(e);
    return absl::Status(s.code(), absl::StrCat("migration failed: ", e.what()));
  }
}

}  // namespace accueil::db
