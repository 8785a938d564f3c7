#include "services/common/proto_time.h"

namespace accueil {

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp out;
  int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(rest * 1000));
  return out;
}

bool IsValidTimestamp(const google::protobuf::Timestamp& t) {
  constexpr int64_t kMin = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  return t.seconds() >= kMin && t.seconds() <= kMax && t.nanos() >= 0 && t.nanos() < 1000000000;
}

}  // namespace accueil
