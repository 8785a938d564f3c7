// Administrative mutations: one explicit transaction that claims the
// request id, makes the change, appends its event and records the answer,
// so a retry returns the first answer and nothing is half-done. (The hot
// paths - booking, cancel, move - are single SQL functions instead.)
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/commit_signal.h"
#include "services/common/db.h"
#include "services/common/gate.h"
#include "services/common/idempotency.h"

namespace accueil::booking {

// RunMutation is the common RunMutation (services/common/mutation.h) for
// booking's request ids.
absl::StatusOr<int64_t> RunMutation(
    Call& call, db::Pool& pool, events::CommitSignal* signal, const Idempotency& idem,
    absl::Time now, const std::function<absl::StatusOr<int64_t>(pqxx::transaction_base&)>& change);

// AppendEvent writes one event in `tx` (events.log, docs/events.md).
void AppendEvent(pqxx::transaction_base& tx, const std::string& type, const std::string& subject,
                 int64_t site, absl::Time now, const std::string& payload_json);

}  // namespace accueil::booking
