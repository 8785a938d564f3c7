// RETURN_IF_ERROR and ASSIGN_OR_RETURN (services/common/status_macros.h).
#include "services/common/status_macros.h"

#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "services/common/errors.h"

namespace accueil {
namespace {

absl::Status Refused() { return InvalidField("INVALID_NAME", "person.given_name", "no name"); }

absl::StatusOr<int> Number(bool ok, int value, int* calls) {
  ++*calls;
  if (!ok) return Refused();
  return value;
}

absl::Status CheckBoth(bool first, bool second, int* reached) {
  RETURN_IF_ERROR(first ? absl::OkStatus() : Refused());
  *reached = 1;
  RETURN_IF_ERROR(second ? absl::OkStatus() : Refused());
  *reached = 2;
  return absl::OkStatus();
}

// Two on consecutive lines, one into an existing variable, in a function
// returning StatusOr of another type.
absl::StatusOr<std::string> Sum(bool first, bool second, int* calls) {
  ASSIGN_OR_RETURN(int a, Number(first, 2, calls));
  int b = 0;
  ASSIGN_OR_RETURN(b, Number(second, 3, calls));
  return std::to_string(a + b);
}

TEST(StatusMacros, ReturnIfErrorReturnsTheErrorUnchangedAndGoesOnWhenOk) {
  int reached = 0;
  EXPECT_TRUE(CheckBoth(true, true, &reached).ok());
  EXPECT_EQ(reached, 2);
  reached = 0;
  absl::Status s = CheckBoth(true, false, &reached);
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_NAME");
  EXPECT_EQ(ErrorField(s), "person.given_name");
  reached = 0;
  EXPECT_FALSE(CheckBoth(false, true, &reached).ok());
  EXPECT_EQ(reached, 0);
}

TEST(StatusMacros, AssignOrReturnAssignsOrReturnsTheErrorEvaluatingOnce) {
  int calls = 0;
  absl::StatusOr<std::string> sum = Sum(true, true, &calls);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, "5");
  EXPECT_EQ(calls, 2);

  calls = 0;
  sum = Sum(false, true, &calls);
  EXPECT_EQ(calls, 1);  // returned before the second
  EXPECT_EQ(ErrorReason(sum.status()), "INVALID_NAME");
  EXPECT_EQ(ErrorField(sum.status()), "person.given_name");

  calls = 0;
  sum = Sum(true, false, &calls);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(sum.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StatusMacros, AssignOrReturnMovesAndTakesCommasInTheExpression) {
  auto make = []() -> absl::StatusOr<std::unique_ptr<std::pair<int, int>>> {
    return std::make_unique<std::pair<int, int>>(4, 5);
  };
  auto use = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto p, make());  // a move-only value
    ASSIGN_OR_RETURN(auto q, absl::StatusOr<std::pair<int, int>>(std::pair<int, int>(6, 7)));
    return p->first + p->second + q.first + q.second == 22 ? absl::OkStatus() : Refused();
  };
  EXPECT_TRUE(use().ok());
}

}  // namespace
}  // namespace accueil
