// Booking's part of generated past activity (services/common/history.h):
// the site's zone, desks and slots for the generator, then each day's slots,
// people (fictitious, e-mail only, under example.org), appointments in their
// final status, and the appointment events the RPCs would have written.
// Personal data older than the retention period is then erased by the
// regular purge, which the command runs after the load.
#pragma once

#include "services/common/history.h"

namespace accueil::booking {

class HistoryHooks final : public history::HistoryHooks {
 public:
  absl::Status Describe(pqxx::transaction_base& tx, const history::Options& options,
                        history::Site& site) override;
  absl::Status Load(pqxx::transaction_base& tx, const history::Site& site, history::Day& day,
                    const history::LoadContext& context) override;
};

// HistoryReference is the reference of history appointment `id`: a
// bijection of the id, so that history's references never collide with
// each other (a random reference still could, with odds of one in 10^12).
std::string HistoryReference(int64_t id);

}  // namespace accueil::booking
