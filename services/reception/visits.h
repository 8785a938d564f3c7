// Reading reception's rows: a visit as the API returns it, and a site's
// queue (the state GetQueue returns and WatchQueue starts with).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "accueil/reception/v1/reception.pb.h"
#include "services/common/db.h"

namespace accueil::reception {

namespace v1 = ::accueil::reception::v1;

// "visits/12".
std::string Name(absl::string_view collection, int64_t id);
// The id of "desks/12" (0 when not a name).
int64_t IdOf(const std::string& name);
std::string SqlDate(absl::CivilDay day);
// SqlArray: ids as a `$n::bigint[]` parameter ("{1,2}").
std::string SqlArray(const std::vector<int64_t>& ids);
// SetTime sets `out` from a column of microseconds since the epoch, unless
// it is NULL.
void SetTime(const pqxx::field& f, google::protobuf::Timestamp* out);

// The columns of reception.visit_details FillVisit reads.
extern const char kVisitColumns[];
void FillVisit(const pqxx::row& row, v1::Visit* out);

// PrepareQueueStatements prepares what LoadQueueState and LoadDeskLoads run.
void PrepareQueueStatements(db::Pool& pool);

// LoadQueueState reads the site's queue on `day` in one snapshot: its
// waiting and called visits, the load of each desk, and the sequence number
// of the last change (reception.queue_changed), which the state includes.
absl::Status LoadQueueState(db::Pool& pool, int64_t site, absl::CivilDay day, v1::QueueState* out);

// LoadDeskLoads reads the waiting count and estimated wait of each desk of
// the site on `day` (docs/reception.md#estimated-wait).
void LoadDeskLoads(pqxx::transaction_base& tx, int64_t site, absl::CivilDay day,
                   google::protobuf::RepeatedPtrField<v1::DeskQueue>* out);

}  // namespace accueil::reception
