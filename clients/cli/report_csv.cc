#include "clients/cli/report_csv.h"

#include <charconv>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace accueil::cli {
namespace {

namespace mv1 = ::accueil::metrics::v1;

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string Rows(const google::protobuf::RepeatedPtrField<std::string>& months,
                 const google::protobuf::RepeatedPtrField<mv1::IndicatorRow>& rows) {
  std::vector<std::string> header = {"indicator",   "title",     "unit",
                                     "periodicity", "objective", "direction"};
  for (const std::string& month : months) {
    header.push_back(month);
    header.push_back(absl::StrCat(month, " attainment"));
  }
  std::string out = CsvRecord(header);
  for (const mv1::IndicatorRow& row : rows) {
    const mv1::Indicator& indicator = row.indicator();
    std::vector<std::string> fields = {indicator.id(), indicator.title(), indicator.unit(),
                                       indicator.periodicity()};
    if (row.has_objective()) {
      fields.push_back(CsvNumber(row.objective().value()));
      fields.push_back(mv1::Direction_Name(row.objective().direction()));
    } else {
      fields.insert(fields.end(), {"", ""});
    }
    for (const std::string& month : months) {
      const mv1::MonthValue* found = nullptr;
      for (const mv1::MonthValue& cell : row.months()) {
        if (cell.month() == month) found = &cell;
      }
      if (found == nullptr) {  // not in the answer: nothing to say
        fields.insert(fields.end(), {"", ""});
        continue;
      }
      const mv1::MonthValue& cell = *found;
      fields.push_back(cell.has_value() && !cell.suppressed() ? CsvNumber(cell.value()) : "");
      fields.push_back(cell.suppressed() ? "SUPPRESSED" : mv1::Attainment_Name(cell.attainment()));
    }
    absl::StrAppend(&out, CsvRecord(fields));
  }
  return out;
}

}  // namespace

std::string CsvRecord(const std::vector<std::string>& fields) {
  return absl::StrCat(
      absl::StrJoin(fields, ",",
                    [](std::string* out, const std::string& f) { out->append(CsvField(f)); }),
      "\r\n");
}

std::string CsvNumber(double value) {
  char buffer[32];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (result.ec != std::errc()) return "";
  return std::string(buffer, result.ptr);
}

std::string ReportCsv(const mv1::IndicatorReport& report) {
  return Rows(report.months(), report.rows());
}

std::string ReportCsv(const mv1::PublishedReport& report) {
  return Rows(report.months(), report.rows());
}

}  // namespace accueil::cli
