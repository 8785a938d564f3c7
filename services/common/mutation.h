// RunMutation: how a module makes an administrative or multi-statement
// change exactly once per request id. One explicit transaction claims the
// module's request id (shared.claim_request, db/migrations/0010_shared.sql),
// makes the change with its events, records the answer (the id of what it
// made or changed) and, for an audited caller, the audit record (change.h).
// A retry with the same id returns the first id without acting again; the
// same id with another request is INVALID_ARGUMENT REQUEST_ID_REUSED.
//
//   ASSIGN_OR_RETURN(int64_t id, RunMutation(call, *ctx_.pool, ctx_.commit_signal, "reception",
//                                            idem, now, [&](pqxx::transaction_base& tx)
//                                            -> absl::StatusOr<int64_t> { ...; return id; }));
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/commit_signal.h"
#include "services/common/db.h"
#include "services/common/gate.h"
#include "services/common/idempotency.h"

namespace accueil {

// `change` must not commit; an error rolls everything back, the claim too.
absl::StatusOr<int64_t> RunMutation(
    Call& call, db::Pool& pool, events::CommitSignal* signal, std::string_view module,
    const Idempotency& idem, absl::Time now,
    const std::function<absl::StatusOr<int64_t>(pqxx::transaction_base&)>& change);

}  // namespace accueil
