// MetricsService: the indicators, the monthly report and the objectives
// (proto/accueil/metrics/v1/metrics.proto; definitions in
// docs/indicators.md). Reads metrics' rollups only; the consumer
// (rollup_consumer.h) keeps them.
#pragma once

#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "services/common/consumer.h"
#include "services/common/server.h"

namespace accueil::metrics {

namespace v1 = ::accueil::metrics::v1;

struct MetricsOptions {
  // Published values over fewer observations are hidden (GetPublishedReport).
  int anonymity_threshold = 5;
};

class MetricsService final : public v1::MetricsService::Service {
 public:
  // `rollup` reports the figures' lag.
  MetricsService(const ServiceContext& context, MetricsOptions options,
                 const events::Consumer* rollup);

  grpc::Status ListIndicators(grpc::ServerContext*, const v1::ListIndicatorsRequest*,
                              v1::ListIndicatorsResponse*) override;
  grpc::Status GetIndicatorReport(grpc::ServerContext*, const v1::GetIndicatorReportRequest*,
                                  v1::IndicatorReport*) override;
  grpc::Status SetObjective(grpc::ServerContext*, const v1::SetObjectiveRequest*,
                            v1::Objective*) override;
  grpc::Status ListObjectives(grpc::ServerContext*, const v1::ListObjectivesRequest*,
                              v1::ListObjectivesResponse*) override;
  grpc::Status RecordManualValue(grpc::ServerContext*, const v1::RecordManualValueRequest*,
                                 v1::ManualValue*) override;
  grpc::Status PublishReport(grpc::ServerContext*, const v1::PublishReportRequest*,
                             v1::PublishedMonth*) override;
  grpc::Status GetPublishedReport(grpc::ServerContext*, const v1::GetPublishedReportRequest*,
                                  v1::PublishedReport*) override;
  grpc::Status GetReceptionShape(grpc::ServerContext*, const v1::GetReceptionShapeRequest*,
                                 v1::ReceptionShape*) override;

 private:
  absl::Status LoadObjectives(int64_t site, v1::ListObjectivesResponse* out);

  const ServiceContext ctx_;
  const MetricsOptions options_;
  const events::Consumer* rollup_;
};

}  // namespace accueil::metrics
