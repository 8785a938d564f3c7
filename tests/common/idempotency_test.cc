// DerivedRequestId: the request id a module gives a call it makes downstream
// on behalf of its own request. No database.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "accueil/booking/v1/booking.pb.h"
#include "services/common/idempotency.h"

namespace accueil {
namespace {

// ForRequest accepts `id` as a client's request_id, unchanged.
bool IsValidRequestId(const std::string& id) {
  booking::v1::CancelAppointmentRequest req;
  req.set_request_id(id);
  absl::StatusOr<Idempotency> idem = ForRequest("CancelAppointment", req);
  return idem.ok() && idem->request_id == id;
}

TEST(DerivedRequestId, IsTheSameForTheSameParentAndStep) {
  EXPECT_EQ(DerivedRequestId("book-0001", "arrive"), DerivedRequestId("book-0001", "arrive"));
  // Pinned: a retry that reaches a pod of the next release must derive the
  // same id, or it would act twice instead of replaying.
  EXPECT_EQ(DerivedRequestId("book-0001", "arrive"),
            "d-c1e8d433f4aa4731cfc00360b1c623cc64ed3a47e7edd4dc93ec6a2c8dcf3877");
}

TEST(DerivedRequestId, DiffersPerStepAndPerParent) {
  std::set<std::string> ids = {
      DerivedRequestId("book-0001", "arrive"), DerivedRequestId("book-0001", "notify"),
      DerivedRequestId("book-0002", "arrive"), DerivedRequestId("book-0001", ""),
      DerivedRequestId("", "book-0001"),
      // Concatenations that spell the same characters.
      DerivedRequestId("a:b", "c"), DerivedRequestId("a", ":bc"), DerivedRequestId("a:", "bc"),
      DerivedRequestId("ab", "c"), DerivedRequestId("a", "bc")};
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_NE(DerivedRequestId("book-0001", "arrive"), "book-0001");
}

TEST(DerivedRequestId, IsAValidRequestIdWhateverItsInputs) {
  const std::string longest(100, 'x');
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"book-0001", "arrive"},
      {longest, longest},
      {"", ""},
      {"espace et accent", "étape\n2"},
      {std::string("nul\0byte", 8), "\x7f"}};
  for (const auto& [parent, step] : inputs) {
    std::string id = DerivedRequestId(parent, step);
    EXPECT_LE(id.size(), 100u) << id;
    EXPECT_TRUE(IsValidRequestId(id)) << id;
    // Derived again, by a module further down.
    EXPECT_TRUE(IsValidRequestId(DerivedRequestId(id, "next"))) << id;
  }
  EXPECT_FALSE(IsValidRequestId("espace et accent"));  // the check itself can fail
}

}  // namespace
}  // namespace accueil
