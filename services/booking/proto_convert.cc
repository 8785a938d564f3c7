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

absl::Time MicrosAt(const pqxx::row& row, int i) {
  return absl::FromUnixMicros(row[i].as<int64_t>());
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

v1::AppointmentStatus StatusFromSql(const std::string& status) {
  if (status == "booked") return v1::BOOKED;
  if (status == "arrived") return v1::ARRIVED;
  if (status == "in_service") return v1::IN_SERVICE;
  if (status == "fulfilled") return v1::FULFILLED;
  if (status == "cancelled") return v1::CANCELLED;
  if (status == "noshow") return v1::NOSHOW;
  return v1::APPOINTMENT_STATUS_UNSPECIFIED;
}

// Columns: id, display_name, address, time_zone, create_time (micros).
void SiteFromRow(const pqxx::row& row, v1::Site* out) {
  out->set_name(absl::StrCat("sites/", row[0].as<int64_t>()));
  out->set_display_name(row[1].as<std::string>());
  out->set_address(row[2].as<std::string>());
  out->set_time_zone(row[3].as<std::string>());
  *out->mutable_create_time() = ToProto(MicrosAt(row, 4));
}

// Columns: id, site_id, display_name, kind, slot_minutes, capacity_per_slot,
// instructions (json text).
absl::Status DeskFromRow(const pqxx::row& row, v1::Desk* out) {
  out->set_name(absl::StrCat("desks/", row[0].as<int64_t>()));
  out->set_site(absl::StrCat("sites/", row[1].as<int64_t>()));
  out->set_display_name(row[2].as<std::string>());
  out->set_kind(KindFromSql(row[3].as<std::string>()));
  out->mutable_slot_duration()->set_seconds(int64_t{row[4].as<int>()} * 60);
  out->set_capacity_per_slot(row[5].as<int>());
  nlohmann::json list = nlohmann::json::parse(row[6].as<std::string>(), nullptr, false);
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

// Columns: id, desk_id, start (micros), end (micros), local_date (text),
// capacity, remaining.
void SlotFromRow(const pqxx::row& row, v1::Slot* out) {
  out->set_name(absl::StrCat("slots/", row[0].as<int64_t>()));
  out->set_desk(absl::StrCat("desks/", row[1].as<int64_t>()));
  *out->mutable_start_time() = ToProto(MicrosAt(row, 2));
  *out->mutable_end_time() = ToProto(MicrosAt(row, 3));
  *out->mutable_local_date() = DateFromSql(row[4].as<std::string>());
  out->set_capacity(row[5].as<int>());
  out->set_remaining_capacity(row[6].as<int>());
}

// Columns: booking.appointment_details (db/migrations/0002_booking.sql).
int AppointmentFromRow(const pqxx::row& row, v1::Appointment* out) {
  out->set_name(absl::StrCat("appointments/", row[0].as<int64_t>()));
  out->set_reference(row[1].as<std::string>());
  out->set_status(StatusFromSql(row[3].as<std::string>()));
  out->set_slot(absl::StrCat("slots/", row[4].as<int64_t>()));
  out->set_desk(absl::StrCat("desks/", row[5].as<int64_t>()));
  out->set_site(absl::StrCat("sites/", row[6].as<int64_t>()));
  *out->mutable_start_time() = ToProto(MicrosAt(row, 7));
  *out->mutable_end_time() = ToProto(MicrosAt(row, 8));
  v1::Person* p = out->mutable_person();
  p->set_given_name(row[9].as<std::string>(""));
  p->set_family_name(row[10].as<std::string>(""));
  p->set_email(row[11].as<std::string>(""));
  p->set_phone(row[12].as<std::string>(""));
  p->set_preferred_language(row[13].as<std::string>());
  out->mutable_accessibility()->set_need(NeedFromSql(row[14].as<std::string>()));
  out->mutable_accessibility()->set_note(row[15].as<std::string>());
  out->set_companions(row[16].as<int>());
  out->set_channel(ChannelFromSql(row[17].as<std::string>()));
  *out->mutable_create_time() = ToProto(MicrosAt(row, 18));
  *out->mutable_update_time() = ToProto(MicrosAt(row, 19));
  out->set_cancel_reason(row[20].as<std::string>(""));
  return row[2].as<int>();
}

}  // namespace accueil::booking
