// Rows of the booking schema to API messages, and enum/time conversions.
// Rows are read by column name, never by position: the SELECT lists
// (PrepareStatements in booking_service.cc; appointments from the view
// booking.appointment_details) name each column a reader below lists, with an alias
// where it is computed (times as epoch microseconds: `..._micros`).
#pragma once

#include <string>
#include <string_view>

#include <pqxx/pqxx>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "accueil/booking/v1/booking.pb.h"
#include "services/common/proto_time.h"

namespace accueil::booking {

namespace v1 = ::accueil::booking::v1;

std::string KindToSql(v1::DeskKind kind);
v1::DeskKind KindFromSql(const std::string& kind);
std::string NeedToSql(v1::AccessibilityNeed need);
v1::AccessibilityNeed NeedFromSql(const std::string& need);
std::string ChannelToSql(v1::Channel channel);
v1::Channel ChannelFromSql(const std::string& channel);
v1::AppointmentStatus StatusFromSql(const std::string& status);

// DayFromProto: a real calendar day in years 2000-2200, else INVALID_ARGUMENT
// INVALID_DATE on `field`.
absl::StatusOr<absl::CivilDay> DayFromProto(const google::type::Date& date, std::string_view field);

// kDesksGrace: "the desk's own grace period" (Desk.arrival_grace), which
// the SQL statements read when they are given this negative value.
inline constexpr absl::Duration kDesksGrace = absl::Seconds(-1);

// GracePeriodFromProto: a grace period after a slot (null: unset, the
// desk's: kDesksGrace), whole seconds from 0 to 24 hours; else
// INVALID_ARGUMENT INVALID_GRACE_PERIOD on `field`.
absl::StatusOr<absl::Duration> GracePeriodFromProto(const google::protobuf::Duration* grace,
                                                    std::string_view field);

// ArrivalGraceFromProto: a desk's grace period (Desk.arrival_grace): unset
// is 15 minutes; whole minutes from 0 to 2 hours; else INVALID_ARGUMENT
// INVALID_GRACE_PERIOD on desk.arrival_grace. Returns seconds.
absl::StatusOr<int> ArrivalGraceFromProto(const v1::Desk& desk);

void SiteFromRow(const pqxx::row& row, v1::Site* out);
absl::Status DeskFromRow(const pqxx::row& row, v1::Desk* out);
void SlotFromRow(const pqxx::row& row, v1::Slot* out);
// AppointmentFromRow fills everything but access_code and check_in_token
// (derived by the service) and returns the code version.
int AppointmentFromRow(const pqxx::row& row, v1::Appointment* out);

}  // namespace accueil::booking
