// Reception's part of generated past activity (services/common/history.h):
// the ticket prefixes for the generator, then each day's desk days (closed
// automatically), visits with their tickets and times, walk-ins, and the
// visit and walk-in events the RPCs would have written. No personal data:
// reception holds none.
#pragma once

#include "services/common/history.h"

namespace accueil::reception {

class HistoryHooks final : public history::HistoryHooks {
 public:
  absl::Status Describe(pqxx::transaction_base& tx, const history::Options& options,
                        history::Site& site) override;
  absl::Status Load(pqxx::transaction_base& tx, const history::Site& site, history::Day& day,
                    const history::LoadContext& context) override;
};

}  // namespace accueil::reception
