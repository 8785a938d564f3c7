// Notify's personal-data hooks (services/common/person_data.h). A message
// names its appointment, never its recipient; what a provider answered
// (notify.attempts.detail) may quote the address, so:
//   - purge: the messages of appointments that ended more than the
//     personal-data retention ago go, with their attempts;
//   - export: the person's messages and attempts (found through the
//     appointments booking found for them);
//   - erase: the providers' answers about them are emptied (the rest names
//     no one);
//   - rekey: nothing (no person key is kept).
#pragma once

#include "services/common/person_data.h"

namespace accueil::notify {

class MessagePersonData final : public PersonDataHooks {
 public:
  absl::StatusOr<PurgeCounts> Purge(db::Pool& pool, absl::Time now,
                                    const Retention& retention) override;
  absl::StatusOr<RekeyCounts> Rekey(db::Pool&, const Secrets&) override { return RekeyCounts{}; }
  absl::StatusOr<std::vector<std::string>> Export(db::Pool& pool,
                                                  const PersonQuery& person) override;
  absl::StatusOr<int> Erase(db::Pool& pool, const PersonQuery& person) override;
};

}  // namespace accueil::notify
