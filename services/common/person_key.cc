#include "services/common/person_key.h"

#include <cstdio>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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
    absl::StatusOr<int> rows = pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
      pqxx::nontransaction tx(c);
      pqxx::result r = tx.exec_params(
          "SELECT id, encode(person_key, 'hex'), coalesce(phone, email) "
          "FROM booking.rekey_candidates($1, $2)",
          after, kBatch);
      for (const pqxx::row& row : r) {
        after = row[0].as<int64_t>();
        ++counts.examined;
        std::string stored = row[1].as<std::string>();
        std::string wanted = absl::BytesToHexString(PersonKey(secrets, row[2].as<std::string>()));
        if (stored == wanted) continue;
        // Only if unchanged since read; each update commits on its own, so a
        // conflict leaves the others done.
        try {
          pqxx::result u = tx.exec_params(
              "UPDATE booking.appointments SET person_key = decode($2, 'hex') "
              "WHERE id = $1 AND person_key = decode($3, 'hex')",
              after, wanted, stored);
          counts.moved += static_cast<int>(u.affected_rows());
        } catch (const pqxx::unique_violation&) {
          ++counts.conflicts;
        }
      }
      return static_cast<int>(r.size());
    });
    if (!rows.ok()) return rows.status();
    if (*rows < kBatch) break;
  }
  log::Info("rekey.pass", {{"examined", absl::StrCat(counts.examined)},
                           {"moved", absl::StrCat(counts.moved)},
                           {"conflicts", absl::StrCat(counts.conflicts)},
                           {"keys", absl::StrCat(secrets.key_count())}});
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
  std::printf("rekey: %d records with a contact, %d moved to the signing key, %d conflicts\n",
              counts->examined, counts->moved, counts->conflicts);
  return 0;
}

}  // namespace accueil
