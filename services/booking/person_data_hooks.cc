#include "services/booking/person_data_hooks.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/log.h"
#include "services/common/person_key.h"

namespace accueil::booking {
namespace {

// Runs one purge function of the schema: (p_now timestamptz, p_horizon
// interval) -> the number of records it changed.
absl::StatusOr<int> RunPurge(db::Pool& pool, const char* function, absl::Time now,
                             absl::Duration horizon) {
  std::string interval = absl::StrCat(absl::ToInt64Seconds(horizon), " seconds");
  return pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
    pqxx::work tx(c);
    pqxx::row r = tx.exec_params1(
        absl::StrCat("SELECT ", function, "($1::timestamptz, $2::interval) AS records"),
        db::SqlTime(now), interval);
    int n = r["records"].as<int>();
    tx.commit();
    return n;
  });
}

}  // namespace

absl::StatusOr<PurgeCounts> PersonDataHooks::Purge(db::Pool& pool, absl::Time now,
                                                   const Retention& retention) {
  PurgeCounts counts;
  absl::StatusOr<int> erased =
      RunPurge(pool, "booking.purge_personal_data", now, retention.personal_data);
  if (!erased.ok()) return erased.status();
  counts.erased = *erased;
  absl::StatusOr<int> unlinked =
      RunPurge(pool, "booking.unlink_person_keys", now, retention.history);
  if (!unlinked.ok()) return unlinked.status();
  counts.unlinked = *unlinked;
  return counts;
}

absl::StatusOr<RekeyCounts> PersonDataHooks::Rekey(db::Pool& pool, const Secrets& secrets) {
  constexpr int kBatch = 1000;
  RekeyCounts counts;
  int64_t after = 0;
  for (;;) {
    // Counted per batch and added once it is done: Run may retry the lambda.
    RekeyCounts batch;
    int64_t batch_after = after;
    absl::StatusOr<int> rows = pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
      batch = RekeyCounts();
      batch_after = after;
      pqxx::nontransaction tx(c);
      pqxx::result r = tx.exec_params(
          "SELECT id, encode(person_key, 'hex') AS stored, coalesce(phone, email) AS identity "
          "FROM booking.rekey_candidates($1, $2)",
          after, kBatch);
      for (const pqxx::row& row : r) {
        batch_after = row["id"].as<int64_t>();
        ++batch.examined;
        std::string stored = row["stored"].as<std::string>();
        std::string wanted =
            absl::BytesToHexString(PersonKey(secrets, row["identity"].as<std::string>()));
        if (stored == wanted) continue;
        // Only if unchanged since read; each update commits on its own, so a
        // conflict leaves the others done.
        try {
          pqxx::result u = tx.exec_params(
              "UPDATE booking.appointments SET person_key = decode($2, 'hex') "
              "WHERE id = $1 AND person_key = decode($3, 'hex')",
              batch_after, wanted, stored);
          batch.moved += static_cast<int>(u.affected_rows());
        } catch (const pqxx::unique_violation&) {
          ++batch.conflicts;
        }
      }
      return static_cast<int>(r.size());
    });
    if (!rows.ok()) return rows.status();
    after = batch_after;
    counts.examined += batch.examined;
    counts.moved += batch.moved;
    counts.conflicts += batch.conflicts;
    if (*rows < kBatch) break;
  }
  log::Info("rekey.pass", {{"examined", absl::StrCat(counts.examined)},
                           {"moved", absl::StrCat(counts.moved)},
                           {"conflicts", absl::StrCat(counts.conflicts)},
                           {"keys", absl::StrJoin(secrets.KeyIds(), ",")}});
  return counts;
}

}  // namespace accueil::booking
