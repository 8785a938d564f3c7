// RETURN_IF_ERROR and ASSIGN_OR_RETURN (status_macros.h): each evaluates its
// expression once, returns the error unchanged, and goes on when it is OK.
#include "services/common/status_macros.h"

#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "services/common/errors.h"

namespace accueil {
namespace {

absl::Status Refused() { return InvalidField("INVALID_SUBJECT", "subject", "no subject"); }

// Counts its calls, so that a test sees an expression evaluated twice.
struct Source {
  int calls = 0;
  absl::Status Check(bool ok) {
    ++calls;
    return ok ? absl::OkStatus() : Refused();
  }
  absl::StatusOr<int> Number(bool ok, int value) {
    ++calls;
    if (!ok) return Refused();
    return value;
  }
};

absl::Status BothChecks(Source& source, bool first, bool second, int* reached) {
  RETURN_IF_ERROR(source.Check(first));
  *reached = 1;
  RETURN_IF_ERROR(source.Check(second));
  *reached = 2;
  return absl::OkStatus();
}

// Two on consecutive lines, a declaration and an existing variable, in a
// function returning the StatusOr of another type.
absl::StatusOr<std::string> Sum(Source& source, bool first, bool second) {
  ASSIGN_OR_RETURN(int a, source.Number(first, 2));
  int b = 0;
  ASSIGN_OR_RETURN(b, source.Number(second, 3));
  return std::to_string(a + b);
}

void ExpectRefused(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "no subject");
  EXPECT_EQ(ErrorReason(s), "INVALID_SUBJECT");
  EXPECT_EQ(ErrorField(s), "subject");
}

TEST(StatusMacros, ReturnIfErrorGoesOnWhenOk) {
  Source source;
  int reached = 0;
  EXPECT_TRUE(BothChecks(source, true, true, &reached).ok());
  EXPECT_EQ(reached, 2);
  EXPECT_EQ(source.calls, 2);
}

TEST(StatusMacros, ReturnIfErrorReturnsTheFirstErrorUnchanged) {
  Source source;
  int reached = 0;
  ExpectRefused(BothChecks(source, true, false, &reached));
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(source.calls, 2);

  source.calls = 0;
  reached = 0;
  ExpectRefused(BothChecks(source, false, true, &reached));
  EXPECT_EQ(reached, 0);
  EXPECT_EQ(source.calls, 1);
}

TEST(StatusMacros, AssignOrReturnAssignsWhenOk) {
  Source source;
  absl::StatusOr<std::string> sum = Sum(source, true, true);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, "5");
  EXPECT_EQ(source.calls, 2);
}

TEST(StatusMacros, AssignOrReturnReturnsTheErrorUnchanged) {
  Source source;
  absl::StatusOr<std::string> sum = Sum(source, false, true);
  ExpectRefused(sum.status());
  EXPECT_EQ(source.calls, 1);

  source.calls = 0;
  sum = Sum(source, true, false);
  ExpectRefused(sum.status());
  EXPECT_EQ(source.calls, 2);
}

TEST(StatusMacros, AssignOrReturnMovesAndTakesCommasInsideALambda) {
  auto make = []() -> absl::StatusOr<std::unique_ptr<std::pair<int, int>>> {
    return std::make_unique<std::pair<int, int>>(4, 5);
  };
  int total = 0;
  auto use = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto p, make());  // move-only
    ASSIGN_OR_RETURN(auto q, absl::StatusOr<std::pair<int, int>>(std::pair<int, int>(6, 7)));
    RETURN_IF_ERROR(p->first == 4 ? absl::OkStatus() : Refused());
    total = p->first + p->second + q.first + q.second;
    return absl::OkStatus();
  };
  EXPECT_TRUE(use().ok());
  EXPECT_EQ(total, 22);
}

}  // namespace
}  // namespace accueil
