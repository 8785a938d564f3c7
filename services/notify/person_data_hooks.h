// Notify's personal-data hooks (services/common/person_data.h). A message
// names its appointment, never its recipient; what a provider answered
// (notify.attempts.detail) may quote the address, so:
// Contacts' flags (notify.contacts: opt-out, bounce) are keyed hashes of a
// phone or an e-mail; lost-access requests hold what was typed until worked.
//   - purge: the messages of appointments that ended more than the
//     personal-data retention ago go, with their attempts; lost-access
//     requests after a day; a contact's flags unused for the history horizon;
//   - export: the person's messages and attempts (found through the
//     appointments booking found for them) and their contacts' flags (found
//     through PersonQuery::contact_keys);
//   - erase: the providers' answers about them are emptied (the rest names
//     no one), their contacts' flags deleted (at every site: a flag is the
//     contact's, not a site's);
//   - rekey: nothing to do here: a flag is found under any key of the ring
//     and rewritten under the signing key when next used (contacts.h);
//     notify holds no contact to recompute a key from.
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
