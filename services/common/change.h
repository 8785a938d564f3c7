// RunChange: how a handler writes. Every change a call makes goes through it,
// so that
//   - an audited caller's action (an agent, an administrator, a device) and
//     its audit record commit in one transaction (Call::AuditIn): a crash
//     cannot keep the one without the other;
//   - a change made of one statement (a SQL function: the booking hot path)
//     by an unaudited caller (the public, a service) runs without a
//     BEGIN/COMMIT round trip: one statement is atomic by itself;
//   - the event consumers of every replica are told once it has committed
//     (commit_signal.h).
//
//   return RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
//                    [&](pqxx::transaction_base& tx) -> absl::Status {
//                      FillAppointment(tx.exec_prepared1("booking_transition", ...), out);
//                      return absl::OkStatus();
//                    });
#pragma once

#include <functional>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "services/common/commit_signal.h"
#include "services/common/db.h"
#include "services/common/gate.h"

namespace accueil {

// How many statements `change` runs: kOne allows running it outside a
// transaction.
enum class Statements { kOne, kSeveral };

// `change` must not commit; it names the call's resource (SetResource)
// before it returns. `signal` may be null (nothing to wake).
inline absl::Status RunChange(Call& call, db::Pool& pool, events::CommitSignal* signal,
                              Statements statements,
                              const std::function<absl::Status(pqxx::transaction_base&)>& change) {
  absl::Status status = pool.Run([&](pqxx::connection& c) -> absl::Status {
    if (statements == Statements::kOne && !call.Audited()) {
      pqxx::nontransaction tx(c);
      return change(tx);
    }
    pqxx::work tx(c);
    absl::Status s = change(tx);
    if (!s.ok()) return s;
    call.AuditIn(tx);
    tx.commit();
    return absl::OkStatus();
  });
  if (status.ok() && signal != nullptr) {
    signal->Ring(events::Log::kEvents);
    if (call.Audited()) signal->Ring(events::Log::kAuditOutbox);
  }
  return status;
}

}  // namespace accueil
