#include "services/booking/proto_convert.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace accueil::booking {
namespace {

google::type::Date DateFromSql(const std::string& iso) {
  google::type::Date d;
  int y = 0, m = 0, day = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%d", &y, &m, &day) == 3) {
    d.set_year(y);
    d.set_month(m);
    d.set_day(day);
  }
  return d;
}

absl::Time MicrosAt(const pqxx::row& row, const char* column) {
  return absl::FromUnixMicros(row[column].as<int64_t>());
}

}  // namespace

std::string KindToSql(v1::DeskKind kind) {
  switch (kind) {
    case v1::RESIDENCE_PERMIT_FIRST_APPLICATION:
      return "first_application";
    case v1::RESIDENCE_PERMIT_RENEWAL:
      return "renewal";
    case v1::RESIDENCE_PERMIT_COLLECTION:
      return "collection";
    case v1::DIGITAL_ACCESS_POINT:
      return "digital_access_point";
    default:
      return "other";
  }
}

v1::DeskKind KindFromSql(const std::string& kind) {
  if (kind == "first_application") return v1::RESIDENCE_PERMIT_FIRST_APPLICATION;
  if (kind == "renewal") return v1::RESIDENCE_PERMIT_RENEWAL;
  if (kind == "collection") return v1::RESIDENCE_PERMIT_COLLECTION;
  if (kind == "digital_access_point") return v1::DIGITAL_ACCESS_POINT;
  return v1::OTHER;
}

std::string NeedToSql(v1::AccessibilityNeed need) {
  switch (need) {
    case v1::WHEELCHAIR:
      return "wheelchair";
    case v1::REDUCED_MOBILITY:
      return "reduced_mobility";
    case v1::VISUAL:
      return "visual";
    case v1::HEARING:
      return "hearing";
    case v1::COGNITIVE:
      return "cognitive";
    case v1::OTHER_NEED:
      return "other";
    default:
      return "none";
  }
}

v1::AccessibilityNeed NeedFromSql(const std::string& need) {
  if (need == "wheelchair") return v1::WHEELCHAIR;
  if (need == "reduced_mobility") return v1::REDUCED_MOBILITY;
  if (need == "visual") return v1::VISUAL;
  if (need == "hearing") return v1::HEARING;
  if (need == "cognitive") return v1::COGNITIVE;
  if (need == "other") return v1::OTHER_NEED;
  return v1::NONE;
}

std::string ChannelToSql(v1::Channel channel) {
  switch (channel) {
    case v1::AGENT:
      return "agent";
    case v1::CONVOCATION:
      return "convocation";
    default:
      return "online";
  }
}

v1::Channel ChannelFromSql(const std::string& channel) {
  if (channel == "agent") return v1::AGENT;
  if (channel == "convocation") return v1::CONVOCATION;
  return v1::ONLINE;
}

absl::StatusOr<absl::CivilDay> DayFromProto(const google::type::Date& date,
                                            std::string_view field) {
  absl::CivilDay day(date.year(), date.month(), date.day());
  if (date.year() < 2000 || date.year() > 2200 || day.year() != date.year() ||
      day.month() != date.month() || day.day() != date.day()) {
    return InvalidField("INVALID_DATE", field, "not a valid calendar date");
  }
  return day;
}

absl::StatusOr<int> ArrivalGraceFromProto(const v1::Desk& desk) {
  if (!desk.has_arrival_grace()) return 15 * 60;
  const google::protobuf::Duration& g = desk.arrival_grace();
  if (g.nanos() != 0 || g.seconds() < 0 || g.seconds() > 2 * 3600 || g.seconds() % 60 != 0) {
    return InvalidField("INVALID_GRACE_PERIOD", "desk.arrival_grace",
                        "whole minutes between 0 and 2 hours");
  }
  return static_cast<int>(g.seconds());
}

absl::StatusOr<absl::Duration> GracePeriodFromProto(const google::protobuf::Duration* grace,
                                                    std::string_view field) {
  if (grace == nullptr) return kDesksGrace;
  if (grace->nanos() != 0 || grace->seconds() < 0 || grace->seconds() > 24 * 3600) {
    return InvalidField("INVALID_GRACE_PERIOD", field, "whole seconds between 0 and 24 hours");
  }
  return absl::Seconds(grace->seconds());
}

v1::AppointmentStatus StatusFromSql(const std::string& status) {
  if (status == "booked") return v1::BOOKED;
  if (status == "arrived") return v1::ARRIVED;
  if (status == "in_service") return v1::IN_SERVICE;
  if (status == "fulfilled") return v1::FULFILLED;
  if (status == "cancelled") return v1::CANCELLED;
  if (status == "noshow") return v1::NOSHOW;
  if (status == "not_served") return v1::NOT_SERVED;
  return v1::APPOINTMENT_STATUS_UNSPECIFIED;
}

// Columns: id, display_name, address, time_zone, create_micros.
void SiteFromRow(const pqxx::row& row, v1::Site* out) {
  out->set_name(absl::StrCat("sites/", row["id"].as<int64_t>()));
  out->set_display_name(row["display_name"].as<std::string>());
  out->set_address(row["address"].as<std::string>());
  out->set_time_zone(row["time_zone"].as<std::string>());
  *out->mutable_create_time() = ToProto(MicrosAt(row, "create_micros"));
}

// Columns: id, site_id, display_name, kind, slot_minutes, capacity_per_slot,
// instructions (json text).
absl::Status DeskFromRow(const pqxx::row& row, v1::Desk* out) {
  out->set_name(absl::StrCat("desks/", row["id"].as<int64_t>()));
  out->set_site(absl::StrCat("sites/", row["site_id"].as<int64_t>()));
  out->set_display_name(row["display_name"].as<std::string>());
  out->set_kind(KindFromSql(row["kind"].as<std::string>()));
  out->mutable_slot_duration()->set_seconds(int64_t{row["slot_minutes"].as<int>()} * 60);
  out->set_capacity_per_slot(row["capacity_per_slot"].as<int>());
  out->mutable_arrival_grace()->set_seconds(row["arrival_grace_seconds"].as<int64_t>());
  nlohmann::json list =
      nlohmann::json::parse(row["instructions"].as<std::string>(), nullptr, false);
  if (!list.is_array()) {
    return Error(absl::StatusCode::kInternal, "CORRUPT_DESK", "desk instructions unreadable");
  }
  for (const auto& item : list) {
    v1::DeskInstructions* i = out->add_instructions();
    i->set_language(item.value("language", ""));
    for (const auto& doc : item.value("documents", nlohmann::json::array())) {
      if (doc.is_string()) i->add_documents(doc.get<std::string>());
    }
    i->set_instructions(item.value("instructions", ""));
  }
  return absl::OkStatus();
}

// Columns: id, desk_id, start_micros, end_micros, local_date (text),
// capacity, remaining.
void SlotFromRow(const pqxx::row& row, v1::Slot* out) {
  out->set_name(absl::StrCat("slots/", row["id"].as<int64_t>()));
  out->set_desk(absl::StrCat("desks/", row["desk_id"].as<int64_t>()));
  *out->mutable_start_time() = ToProto(MicrosAt(row, "start_micros"));
  *out->mutable_end_time() = ToProto(MicrosAt(row, "end_micros"));
  *out->mutable_local_date() = DateFromSql(row["local_date"].as<std::string>());
  out->set_capacity(row["capacity"].as<int>());
  out->set_remaining_capacity(row["remaining"].as<int>());
}

// Columns: those of booking.appointment_details (db/migrations/0002_booking.sql).
int AppointmentFromRow(const pqxx::row& row, v1::Appointment* out) {
  out->set_name(absl::StrCat("appointments/", row["id"].as<int64_t>()));
  out->set_reference(row["reference"].as<std::string>());
  out->set_status(StatusFromSql(row["status"].as<std::string>()));
  out->set_slot(absl::StrCat("slots/", row["slot_id"].as<int64_t>()));
  out->set_desk(absl::StrCat("desks/", row["desk_id"].as<int64_t>()));
  out->set_site(absl::StrCat("sites/", row["site_id"].as<int64_t>()));
  *out->mutable_start_time() = ToProto(MicrosAt(row, "start_micros"));
  *out->mutable_end_time() = ToProto(MicrosAt(row, "end_micros"));
  v1::Person* p = out->mutable_person();
  p->set_given_name(row["given_name"].as<std::string>(""));
  p->set_family_name(row["family_name"].as<std::string>(""));
  p->set_email(row["email"].as<std::string>(""));
  p->set_phone(row["phone"].as<std::string>(""));
  p->set_preferred_language(row["preferred_language"].as<std::string>());
  out->mutable_accessibility()->set_need(NeedFromSql(row["accessibility_need"].as<std::string>()));
  out->mutable_accessibility()->set_note(row["accessibility_note"].as<std::string>());
  out->set_companions(row["companions"].as<int>());
  out->set_channel(ChannelFromSql(row["channel"].as<std::string>()));
  *out->mutable_create_time() = ToProto(MicrosAt(row, "create_micros"));
  *out->mutable_update_time() = ToProto(MicrosAt(row, "update_micros"));
  out->set_cancel_reason(row["cancel_reason"].as<std::string>(""));
  return row["code_version"].as<int>();
}

}  // namespace accueil::booking
