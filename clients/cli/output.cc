#include "clients/cli/output.h"

#include <algorithm>
#include <cstddef>

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace accueil::cli {
namespace {

namespace v1 = ::accueil::booking::v1;

// Replaces control characters: server text must not drive the terminal.
std::string Printable(std::string text) {
  for (char& c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return text;
}

// Width in code points: UTF-8 continuation bytes take no column.
size_t DisplayWidth(absl::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void PrintPadded(std::ostream& out, const std::string& cell, size_t width) {
  out << cell;
  for (size_t w = DisplayWidth(cell); w < width; ++w) out << ' ';
}

bool IsUnset(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() == 0 && timestamp.nanos() == 0;
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = Printable(std::move(cell));
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const std::string& header : headers_) widths.push_back(DisplayWidth(header));
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 == row.size()) {
        out << row[i];  // no trailing blanks
      } else {
        PrintPadded(out, row[i], widths[i]);
        out << "  ";
      }
    }
    out << '\n';
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

void PrintFields(std::ostream& out, const std::vector<Field>& fields) {
  size_t width = 0;
  for (const auto& [label, value] : fields) width = std::max(width, DisplayWidth(label));
  for (const auto& [label, value] : fields) {
    if (value.empty()) {
      out << label << ":\n";  // no trailing blanks
      continue;
    }
    PrintPadded(out, label + ":", width + 1);
    out << "  " << Printable(value) << '\n';
  }
}

bool PrintJson(std::ostream& out, const google::protobuf::Message& message, bool one_line) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.add_whitespace = !one_line;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    return false;
  }
  out << json;
  if (json.empty() || json.back() != '\n') out << '\n';
  return true;
}

absl::StatusOr<Zone> LoadZone(absl::string_view name) {
  Zone zone;
  zone.name = std::string(name);
  if (name.empty() || !absl::LoadTimeZone(zone.name, &zone.tz)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot load time zone \"", name, "\" (unknown zone name, or tzdata is not installed)"));
  }
  return zone;
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t seconds = absl::ToUnixSeconds(time);
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

google::type::Date ToDate(absl::CivilDay day) {
  google::type::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

std::string FormatTime(const google::protobuf::Timestamp& timestamp, const Zone& zone) {
  if (IsUnset(timestamp)) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M", ToTime(timestamp), zone.tz);
}

std::string FormatSpan(const google::protobuf::Timestamp& start,
                       const google::protobuf::Timestamp& end, const Zone& zone) {
  if (IsUnset(end)) return FormatTime(start, zone);
  if (IsUnset(start)) return absl::StrCat("- ", FormatTime(end, zone));
  const absl::CivilDay start_day = absl::ToCivilDay(ToTime(start), zone.tz);
  const absl::CivilDay end_day = absl::ToCivilDay(ToTime(end), zone.tz);
  // A slot ending exactly at midnight still reads as one day: "23:40-00:00".
  const bool same_day =
      start_day == end_day ||
      (end_day == start_day + 1 && absl::FormatTime("%H:%M", ToTime(end), zone.tz) == "00:00");
  if (same_day) {
    return absl::StrCat(FormatTime(start, zone), "-",
                        absl::FormatTime("%H:%M", ToTime(end), zone.tz));
  }
  return absl::StrCat(FormatTime(start, zone), " - ", FormatTime(end, zone));
}

std::string FormatDate(const google::type::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

std::string FormatMinute(int minute) {
  return absl::StrFormat("%02d:%02d", minute / 60, minute % 60);
}

const Vocabulary<v1::DeskKind>& DeskKindWords() {
  static const auto* const words = new Vocabulary<v1::DeskKind>{
      {"first-application", v1::RESIDENCE_PERMIT_FIRST_APPLICATION},
      {"renewal", v1::RESIDENCE_PERMIT_RENEWAL},
      {"collection", v1::RESIDENCE_PERMIT_COLLECTION},
      {"digital-access-point", v1::DIGITAL_ACCESS_POINT},
      {"other", v1::OTHER},
  };
  return *words;
}

const Vocabulary<v1::AccessibilityNeed>& AccessibilityWords() {
  static const auto* const words = new Vocabulary<v1::AccessibilityNeed>{
      {"none", v1::NONE},
      {"wheelchair", v1::WHEELCHAIR},
      {"reduced-mobility", v1::REDUCED_MOBILITY},
      {"visual", v1::VISUAL},
      {"hearing", v1::HEARING},
      {"cognitive", v1::COGNITIVE},
      {"other", v1::OTHER_NEED},
  };
  return *words;
}

const Vocabulary<v1::Channel>& ChannelWords() {
  static const auto* const words = new Vocabulary<v1::Channel>{
      {"online", v1::ONLINE},
      {"agent", v1::AGENT},
      {"convocation", v1::CONVOCATION},
  };
  return *words;
}

const Vocabulary<v1::AppointmentStatus>& StatusWords() {
  static const auto* const words = new Vocabulary<v1::AppointmentStatus>{
      {"booked", v1::BOOKED},         {"arrived", v1::ARRIVED},     {"in-service", v1::IN_SERVICE},
      {"fulfilled", v1::FULFILLED},   {"cancelled", v1::CANCELLED}, {"no-show", v1::NOSHOW},
      {"not-served", v1::NOT_SERVED},
  };
  return *words;
}

const Vocabulary<reception::v1::WalkInOutcome>& WalkInOutcomeWords() {
  static const auto* const words = new Vocabulary<reception::v1::WalkInOutcome>{
      {"informed", reception::v1::INFORMED},
      {"oriented", reception::v1::ORIENTED},
      {"booked", reception::v1::BOOKED_ON_THE_SPOT},
      {"served", reception::v1::SERVED_TODAY},
  };
  return *words;
}

const Vocabulary<reception::v1::VisitOutcome>& VisitOutcomeWords() {
  static const auto* const words = new Vocabulary<reception::v1::VisitOutcome>{
      {"served", reception::v1::SERVED},
      {"incomplete", reception::v1::FILE_INCOMPLETE},
      {"redirected", reception::v1::REDIRECTED},
  };
  return *words;
}

const Vocabulary<reception::v1::VisitStatus>& VisitStatusWords() {
  static const auto* const words = new Vocabulary<reception::v1::VisitStatus>{
      {"waiting", reception::v1::WAITING},       {"called", reception::v1::CALLED},
      {"in-service", reception::v1::IN_SERVICE}, {"done", reception::v1::DONE},
      {"missed", reception::v1::MISSED},         {"left", reception::v1::LEFT},
      {"sent-away", reception::v1::SENT_AWAY},
  };
  return *words;
}

const Vocabulary<access::v1::Role>& RoleWords() {
  static const auto* const words = new Vocabulary<access::v1::Role>{
      {"lodge", access::v1::LODGE_AGENT},       {"counter", access::v1::COUNTER_AGENT},
      {"quality", access::v1::QUALITY_OFFICER}, {"admin", access::v1::ADMINISTRATOR},
      {"service", access::v1::SERVICE},
  };
  return *words;
}

std::string RoleWord(access::v1::Role role) {
  switch (role) {
    case access::v1::DEVICE:
      return "device";
    case access::v1::PUBLIC:
      return "public";
    default:
      return ToWord(RoleWords(), role);
  }
}

std::string SiteWord(const std::string& site) { return site.empty() ? "every site" : site; }

}  // namespace accueil::cli
