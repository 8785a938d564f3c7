// The Qual-e-Pref report as CSV (RFC 4180): what `accueil report --csv` and
// `accueil report published --csv` print, kept free of the command line so
// that another client (a web gateway) can serve the same file.
//
//   metrics::v1::IndicatorReport report = ...;  // GetIndicatorReport
//   std::cout << ReportCsv(report);
//
// One record per indicator, in the report's order, after a header:
//
//   indicator,title,unit,periodicity,objective,direction,2026-05,2026-05 attainment,...
//   noshow_rate,No-show rate,percent,monthly,30,AT_MOST,12.5,MET,...
//
// Values are unformatted: the shortest decimal text that reads back as the
// same double, with '.' whatever the locale; an absent value (NO_DATA, or
// hidden) is an empty field. `objective` and `direction` are empty without
// an objective. Attainment is the enum's name (MET, NOT_MET, NO_OBJECTIVE,
// NO_DATA), or SUPPRESSED for a value the public report hides. Records end
// with CRLF; a field holding a comma, a quote or a line break is quoted.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "accueil/metrics/v1/metrics.pb.h"

namespace accueil::cli {

// CsvRecord returns one record: the fields, quoted when they need it,
// separated by commas, ended by CRLF.
std::string CsvRecord(const std::vector<std::string>& fields);

// CsvNumber returns the shortest text of `value` that parses back to it
// ("12.5", "6", "33.333333333333336"), locale-independent.
std::string CsvNumber(double value);

// ReportCsv returns the whole file, header first.
std::string ReportCsv(const metrics::v1::IndicatorReport& report);
std::string ReportCsv(const metrics::v1::PublishedReport& report);

}  // namespace accueil::cli
