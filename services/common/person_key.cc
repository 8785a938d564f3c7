#include "services/common/person_key.h"

#include <cstdio>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/log.h"

namespace accueil {

std::string PersonKey(const Secrets& secrets, std::string_view identity) {
  return secrets.Mac("person-key", identity);
}

std::vector<std::string> PersonKeys(const Secrets& secrets, std::string_view identity) {
  return secrets.Macs("person-key", identity);
}

std::string HexKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) {
    if (!out.empty()) out += ',';
    out += absl::BytesToHexString(key);
  }
  return out;
}

absl::StatusOr<RekeyCounts> RekeyOnce(db::Pool& pool, const Secrets& secrets) {
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
          "SELECT id, encode(person_key, 'hex'), coalesce(phone, email) "
          "FROM booking.rekey_candidates($1, $2)",
          after, kBatch);
      for (const pqxx::row& row : r) {
        batch_after = row[0].as<int64_t>();
        ++batch.examined;
        std::string stored = row[1].as<std::string>();
        std::string wanted = absl::BytesToHexString(PersonKey(secrets, row[2].as<std::string>()));
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

int RunRekeyCommand(const std::string& database_url, const Secrets& secrets) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(database_url, 1);
  absl::StatusOr<RekeyCounts> counts =
      pool.ok() ? RekeyOnce(**pool, secrets) : absl::StatusOr<RekeyCounts>(pool.status());
  if (!counts.ok()) {
    std::fprintf(stderr, "accueil-server: rekey: %s\n",
                 std::string(counts.status().message()).c_str());
    return 1;
  }
  std::printf("rekey: %d records with a contact, %d moved to the signing key %s, %d conflicts\n",
              counts->examined, counts->moved, secrets.KeyIds().front().c_str(), counts->conflicts);
  return 0;
}

}  // namespace accueil
