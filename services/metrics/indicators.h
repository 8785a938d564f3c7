// The indicators: each one a definition over the measures of
// db/migrations/0017_metrics.sql (docs/indicators.md). Adding an indicator
// is adding one entry to Indicators(), over existing measures or a new one
// (a line of the fact's metrics.*_observations function, 0024, and a row of
// metrics.measures).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accueil/metrics/v1/metrics.pb.h"

namespace accueil::metrics {

namespace v1 = ::accueil::metrics::v1;

// A measure's rollup over a period (sums of day rows): observations,
// the sum of their values, and their histogram over the measure's bounds
// (histogram[i] counts values in [bounds[i-1], bounds[i]); the last bucket
// has no upper bound).
struct Rollup {
  int64_t count = 0;
  double sum = 0;
  std::vector<int64_t> histogram;
};

// The measures of a period, by name, and every measure's bounds.
struct Period {
  std::map<std::string, Rollup> measures;
  std::map<std::string, double> manual;  // indicator id -> the value entered
  const std::map<std::string, std::vector<double>>* bounds = nullptr;
};

struct IndicatorValue {
  std::optional<double> value;  // none: nothing observed
  int64_t count = 0;            // the observations behind it
};

struct IndicatorDef {
  enum class Kind {
    kRatio,       // 100 * count(numerator) / count(denominator)
    kMean,        // sum / count of the measure, times scale
    kPercentile,  // upper bound of the bucket holding rank ceil(n * permille / 1000), times scale
    kShareBelow,  // 100 * observations below `threshold` / all of them
    kCount,       // count(measures)
    kManual,      // entered by the quality officer (metrics.manual_values)
  };
  v1::Indicator indicator;
  Kind kind;
  std::vector<std::string> measures;     // the numerator, or the measure
  std::vector<std::string> denominator;  // kRatio
  double scale = 1;                      // seconds to minutes or days
  int64_t permille = 0;                  // kPercentile: 500 for the median
  double threshold = 0;                  // kShareBelow, in the measure's unit (a bound)
};

// Indicators: every definition, in the report's order.
const std::vector<IndicatorDef>& Indicators();

// Compute an indicator over a period.
IndicatorValue Compute(const IndicatorDef& def, const Period& period);

}  // namespace accueil::metrics
