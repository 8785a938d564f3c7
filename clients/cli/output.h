// Output of the `accueil` command-line client: tables, fields, JSON, and the
// words the command line uses for the API's enums.
//
// Human output is plain text for a terminal: aligned columns, times in a named
// zone ("2026-12-01 09:20"). `--json` prints the response message itself.
//
//   Table table({"SITE", "NAME", "TIME ZONE"});
//   table.AddRow({"sites/1", "Préfecture de Lyon", "Europe/Paris"});
//   table.Print(std::cout);
//
//   PrintFields(std::cout, {{"reference", "K7QX2MPA"}, {"status", "booked"}});
//
// Text that came from the server has its control characters replaced, so a
// display name cannot rewrite the terminal.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "accueil/access/v1/access.pb.h"
#include "accueil/booking/v1/booking.pb.h"
#include "accueil/reception/v1/reception.pb.h"
#include "google/type/date.pb.h"

namespace accueil::cli {

// Table prints rows under headers, columns padded to their widest cell and
// separated by two spaces. Widths count UTF-8 code points, so accented names
// line up.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // AddRow appends a row; missing cells print empty, extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  bool empty() const { return rows_.empty(); }

  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Field is one "label: value" line of a record.
using Field = std::pair<std::string, std::string>;

// PrintFields prints one record as aligned "label  value" lines.
void PrintFields(std::ostream& out, const std::vector<Field>& fields);

// PrintJson prints `message` as JSON, primitive fields included even when
// zero. Returns false (having printed nothing) if the message cannot be
// converted.
// `one_line`: compact, on one line (JSON Lines, for streams).
bool PrintJson(std::ostream& out, const google::protobuf::Message& message, bool one_line = false);

// Zone is a loaded time zone and the name it was loaded from.
struct Zone {
  std::string name;
  absl::TimeZone tz;
};

// LoadZone loads an IANA zone. Fails (instead of silently meaning UTC, as
// absl::LoadTimeZone does) when the name is unknown or tzdata is missing.
absl::StatusOr<Zone> LoadZone(absl::string_view name);

// Conversions between the API's time types and Abseil's.
absl::Time ToTime(const google::protobuf::Timestamp& timestamp);
google::protobuf::Timestamp ToTimestamp(absl::Time time);
google::type::Date ToDate(absl::CivilDay day);

// FormatTime returns "2026-12-01 09:20" in `zone`; "-" when unset (epoch).
std::string FormatTime(const google::protobuf::Timestamp& timestamp, const Zone& zone);

// FormatSpan returns "2026-12-01 09:20-09:40", or both full times when the
// span crosses midnight.
std::string FormatSpan(const google::protobuf::Timestamp& start,
                       const google::protobuf::Timestamp& end, const Zone& zone);

// FormatDate returns "2026-12-25".
std::string FormatDate(const google::type::Date& date);

// FormatMinute returns "09:30" for 570 minutes after midnight ("24:00" for
// 1440).
std::string FormatMinute(int minute);

// Words of the command line for each enum value, in the order shown in help.
// The *_UNSPECIFIED values have no word.
template <typename Enum>
using Vocabulary = std::vector<std::pair<std::string, Enum>>;
const Vocabulary<booking::v1::DeskKind>& DeskKindWords();
const Vocabulary<booking::v1::AccessibilityNeed>& AccessibilityWords();
const Vocabulary<booking::v1::Channel>& ChannelWords();
const Vocabulary<booking::v1::AppointmentStatus>& StatusWords();
// Reception: what became of a walk-in, of a visit at the counter, and a
// visit's status.
const Vocabulary<reception::v1::WalkInOutcome>& WalkInOutcomeWords();
const Vocabulary<reception::v1::VisitOutcome>& VisitOutcomeWords();
const Vocabulary<reception::v1::VisitStatus>& VisitStatusWords();
// The roles that can be granted (and asked of the development issuer).
const Vocabulary<access::v1::Role>& RoleWords();

// RoleWord names any role for display: a word of RoleWords(), "device" or
// "public".
std::string RoleWord(access::v1::Role role);

// SiteWord shows a grant's site: "sites/1", or "every site" for "".
std::string SiteWord(const std::string& site);

// Words lists the words of a vocabulary, for help and validation.
template <typename Enum>
std::vector<std::string> Words(const Vocabulary<Enum>& vocabulary) {
  std::vector<std::string> words;
  for (const auto& entry : vocabulary) words.push_back(entry.first);
  return words;
}

// FromWord returns the value for `word`; the zero (unspecified) value if none.
template <typename Enum>
Enum FromWord(const Vocabulary<Enum>& vocabulary, absl::string_view word) {
  for (const auto& [w, value] : vocabulary) {
    if (w == word) return value;
  }
  return Enum{};
}

// ToWord returns the word for `value`, or "unspecified".
template <typename Enum>
std::string ToWord(const Vocabulary<Enum>& vocabulary, Enum value) {
  for (const auto& [word, v] : vocabulary) {
    if (v == value) return word;
  }
  return "unspecified";
}

}  // namespace accueil::cli
