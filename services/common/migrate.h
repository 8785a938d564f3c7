// The one migration runner.
//
// Migrations are the numbered SQL files of db/migrations/ (NNNN_name.sql),
// compiled into the binary so a deployed server needs no source tree. Each is
// applied once, in order, in its own transaction, and recorded with its
// checksum in accueil_meta.schema_migrations. A session advisory lock makes
// replicas that start together wait for each other instead of racing. An
// applied migration whose file changed is refused: migrations are forward-only.
//
//   absl::StatusOr<int> applied = accueil::db::Migrate(url);
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace accueil::db {

struct Migration {
  int version;
  std::string name;  // file name, e.g. "0002_booking.sql"
  std::string sql;
};

// EmbeddedMigrations returns db/migrations/*.sql in version order
// (generated at build time).
const std::vector<Migration>& EmbeddedMigrations();

// Migrate applies the pending `migrations` to the database at `url` and
// returns how many it applied.
absl::StatusOr<int> Migrate(const std::string& url,
                            const std::vector<Migration>& migrations = EmbeddedMigrations());

}  // namespace accueil::db
