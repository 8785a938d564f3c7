// ParseReference and ParseAccessCode (same normalisation, different reasons).
// Properties: both accept the same inputs with the same result; a result is
// 8 characters of the unambiguous alphabet and parses back to itself, in
// lower case and in the "ABCD-EFGH" form people type.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "fuzz_check.h"
#include "services/common/input/input.h"

using accueil::fuzz::AsText;
using accueil::fuzz::CheckRefusal;
using accueil::input::kReferenceAlphabet;
using accueil::input::kReferenceLength;
using accueil::input::ParseAccessCode;
using accueil::input::ParseReference;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = AsText(data, size);
  const absl::StatusOr<std::string> reference = ParseReference(raw, "reference");
  const absl::StatusOr<std::string> code = ParseAccessCode(raw, "access_code");
  FUZZ_CHECK(reference.ok() == code.ok());
  if (!reference.ok()) {
    CheckRefusal(reference.status(), absl::StatusCode::kInvalidArgument, {"INVALID_REFERENCE"},
                 "reference");
    CheckRefusal(code.status(), absl::StatusCode::kInvalidArgument, {"INVALID_ACCESS_CODE"},
                 "access_code");
    return 0;
  }
  FUZZ_CHECK(*reference == *code);
  FUZZ_CHECK(reference->size() == static_cast<size_t>(kReferenceLength));
  for (char c : *reference) FUZZ_CHECK(kReferenceAlphabet.find(c) != std::string_view::npos);

  const absl::StatusOr<std::string> same = ParseReference(*reference, "reference");
  FUZZ_CHECK(same.ok() && *same == *reference);
  std::string lower(*reference);
  absl::AsciiStrToLower(&lower);
  const absl::StatusOr<std::string> from_lower = ParseReference(lower, "reference");
  FUZZ_CHECK(from_lower.ok() && *from_lower == *reference);
  const std::string typed = reference->substr(0, 4) + "-" + reference->substr(4);
  const absl::StatusOr<std::string> from_typed = ParseAccessCode(typed, "access_code");
  FUZZ_CHECK(from_typed.ok() && *from_typed == *reference);
  return 0;
}
