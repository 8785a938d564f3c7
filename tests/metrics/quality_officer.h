// QualityOfficer: the quality officer of a site as the tests act for them,
// through the metrics module's RPCs with a QUALITY_OFFICER token: manual
// values, objectives and publication (docs/indicators.md).
#pragma once

#include <memory>
#include <string>

#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {

class QualityOfficer {
 public:
  // For `site` ("sites/1") of `server`.
  QualityOfficer(TestServer& server, const std::string& site)
      : site_(site),
        stub_(metrics::v1::MetricsService::NewStub(server.Channel(
            server.Token("quality-1", {{access::v1::QUALITY_OFFICER, IdOf(site)}})))) {}

  // Record: the manual value of `indicator` for `month` ("2026-05").
  grpc::Status Record(const std::string& indicator, const std::string& month, double value) {
    metrics::v1::RecordManualValueRequest req;
    req.mutable_value()->set_site(site_);
    req.mutable_value()->set_indicator(indicator);
    req.mutable_value()->set_month(month);
    req.mutable_value()->set_value(value);
    metrics::v1::ManualValue out;
    return CallOn(*stub_, &metrics::v1::MetricsService::Stub::RecordManualValue, req, &out);
  }

  // Aim: the objective of `indicator`.
  grpc::Status Aim(const std::string& indicator, double value, metrics::v1::Direction direction) {
    metrics::v1::SetObjectiveRequest req;
    req.mutable_objective()->set_site(site_);
    req.mutable_objective()->set_indicator(indicator);
    req.mutable_objective()->set_value(value);
    req.mutable_objective()->set_direction(direction);
    metrics::v1::Objective out;
    return CallOn(*stub_, &metrics::v1::MetricsService::Stub::SetObjective, req, &out);
  }

  // Publish: `month` of the site (again: with the reason of the restatement).
  grpc::Status Publish(const std::string& month, const std::string& reason = "") {
    metrics::v1::PublishReportRequest req;
    req.set_site(site_);
    req.set_month(month);
    req.set_reason(reason);
    metrics::v1::PublishedMonth out;
    return CallOn(*stub_, &metrics::v1::MetricsService::Stub::PublishReport, req, &out);
  }

 private:
  std::string site_;
  std::unique_ptr<metrics::v1::MetricsService::Stub> stub_;
};

}  // namespace accueil::testing
