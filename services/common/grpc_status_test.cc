#include "services/common/grpc_status.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/errors.h"

namespace accueil {
namespace {

TEST(GrpcStatus, CarriesReasonFieldAndRetryAsAip193Details) {
  absl::Status s = WithRetryDelay(
      InvalidField("INVALID_PHONE_NUMBER", "person.phone", "not a phone number"), absl::Seconds(3));
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(), "not a phone number");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(g.error_details()));
  ASSERT_EQ(details.details_size(), 3);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "INVALID_PHONE_NUMBER");
  EXPECT_EQ(info.domain(), "accueil");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(details.details(1).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "person.phone");
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(2).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 3);

  absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(back), "INVALID_PHONE_NUMBER");
  EXPECT_EQ(ErrorField(back), "person.phone");
  EXPECT_EQ(ErrorRetryDelay(back), absl::Seconds(3));
}

TEST(GrpcStatus, ErrorsWithoutReasonGetOneFromTheirCode) {
  grpc::Status g = ToGrpcStatus(absl::InternalError("boom"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(g)), "INTERNAL");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace accueil
