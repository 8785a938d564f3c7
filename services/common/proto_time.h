// google.protobuf.Timestamp <-> absl::Time, for every service's API.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace accueil {

absl::Time FromProto(const google::protobuf::Timestamp& t);
// ToProto keeps microseconds, what PostgreSQL stores.
google::protobuf::Timestamp ToProto(absl::Time t);
// IsValidTimestamp: years 1-9999 and nanos in [0, 1e9), as protobuf defines
// (and PostgreSQL can store).
bool IsValidTimestamp(const google::protobuf::Timestamp& t);

}  // namespace accueil
