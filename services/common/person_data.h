// Personal-data hooks: what a module that stores personal data implements so
// that retention and a person's rights cover it without common code naming
// its tables (docs/security.md#personal-data).
//
// Two horizons:
//   - personal data (names, contacts, free text): `personal_data` after the
//     appointment (retention_days, default 90);
//   - histories keyed by the person's keyed hash (person_key.h): `history`
//     after it (history_retention_days, default 365); then the key is
//     replaced by one that links to nothing.
// Every hook is idempotent: replicas may run them concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/db.h"
#include "services/common/secrets.h"

namespace accueil {

struct Retention {
  absl::Duration personal_data = absl::Hours(24 * 90);
  absl::Duration history = absl::Hours(24 * 365);
  // The event log (no personal data) is kept this long: the figures of a
  // month can be recomputed, and restated, for that long.
  absl::Duration event_log = absl::Hours(24 * 1095);
};

struct PurgeCounts {
  int erased = 0;             // records whose personal data was erased
  int unlinked = 0;           // records whose person key now links to nothing
  int64_t events_pruned = 0;  // events older than the log's retention, read by every consumer
};

struct RekeyCounts {
  int examined = 0;   // records whose contact is still held
  int moved = 0;      // stored under an older key, now under the signing key
  int conflicts = 0;  // left as they were: moving would break a uniqueness rule
};

// A person at a site, as the person-rights requests name them: their keys
// under every key of the ring (PersonKeys), signing key first.
struct PersonQuery {
  int64_t site_id = 0;
  std::vector<std::string> person_keys;
  absl::Time now;
  // The person's appointments at the site, as booking found them (ids): how
  // a module that keeps no person key (notify) finds the person's records.
  std::vector<int64_t> appointments;
  // The keys (PersonKeys, every key of the ring) of every phone and e-mail
  // those appointments hold and of the contact asked for: how a module that
  // flags contacts (notify's opt-outs) finds the person's flags.
  std::vector<std::string> contact_keys;
};

class PersonDataHooks {
 public:
  virtual ~PersonDataHooks() = default;

  // Purge erases the personal data of what ended more than
  // `retention.personal_data` before `now`, and unlinks the person keys of
  // what ended more than `retention.history` before it.
  virtual absl::StatusOr<PurgeCounts> Purge(db::Pool& pool, absl::Time now,
                                            const Retention& retention) = 0;

  // Rekey moves the person keys stored under older keys of the ring to its
  // signing key (after a rotation).
  virtual absl::StatusOr<RekeyCounts> Rekey(db::Pool& pool, const Secrets& secrets) = 0;

  // Export: the person's records the module holds, one JSON object each,
  // without secrets. The person-rights RPCs (booking's ExportPersonData and
  // ErasePersonData, which check who asks) answer for booking's own
  // records and call these two hooks of every other module.
  virtual absl::StatusOr<std::vector<std::string>> Export(db::Pool& pool,
                                                          const PersonQuery& person) {
    (void)pool;
    (void)person;
    return std::vector<std::string>();
  }
  // Erase erases the person's personal data; returns how many records.
  virtual absl::StatusOr<int> Erase(db::Pool& pool, const PersonQuery& person) {
    (void)pool;
    (void)person;
    return 0;
  }
};

// The hooks of every module a process links, by module name.
struct PersonDataModule {
  std::string module;
  PersonDataHooks* hooks;
};
using PersonDataRegistry = std::vector<PersonDataModule>;

}  // namespace accueil
