// Booking's personal-data hooks (services/common/person_data.h): the
// retention purge of booking.persons and the person keys of
// booking.appointments, and their rekeying after a key rotation. A person's
// export and erasure are booking's own RPCs (person_data.cc).
#pragma once

#include "services/common/person_data.h"

namespace accueil::booking {

class PersonDataHooks final : public accueil::PersonDataHooks {
 public:
  absl::StatusOr<PurgeCounts> Purge(db::Pool& pool, absl::Time now,
                                    const Retention& retention) override;
  absl::StatusOr<RekeyCounts> Rekey(db::Pool& pool, const Secrets& secrets) override;
};

}  // namespace accueil::booking
