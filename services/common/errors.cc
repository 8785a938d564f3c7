#include "services/common/errors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace accueil {
namespace {

// Payload keys: type URLs private to this process; grpc_status.cc reads them.
constexpr char kReasonKey[] = "accueil/reason";
constexpr char kFieldKey[] = "accueil/field";
constexpr char kRetryKey[] = "accueil/retry_ms";

// Debian's Abseil has its own string_view and optional, not std's.
absl::string_view View(std::string_view s) { return {s.data(), s.size()}; }

std::string Payload(const absl::Status& status, const char* key) {
  absl::optional<absl::Cord> value = status.GetPayload(key);
  return value ? std::string(*value) : std::string();
}

}  // namespace

absl::Status Error(absl::StatusCode code, std::string_view reason, std::string_view message) {
  return WithReason(absl::Status(code, View(message)), reason);
}

absl::Status WithReason(absl::Status status, std::string_view reason) {
  if (!status.ok()) status.SetPayload(kReasonKey, absl::Cord(View(reason)));
  return status;
}

absl::Status InvalidField(std::string_view reason, std::string_view field,
                          std::string_view message) {
  return WithField(Error(absl::StatusCode::kInvalidArgument, reason, message), field);
}

absl::Status WithField(absl::Status status, std::string_view field) {
  if (!status.ok()) status.SetPayload(kFieldKey, absl::Cord(View(field)));
  return status;
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (!status.ok()) {
    status.SetPayload(kRetryKey, absl::Cord(std::to_string(absl::ToInt64Milliseconds(delay))));
  }
  return status;
}

std::string ErrorReason(const absl::Status& status) { return Payload(status, kReasonKey); }

std::string ErrorField(const absl::Status& status) { return Payload(status, kFieldKey); }

std::optional<absl::Duration> ErrorRetryDelay(const absl::Status& status) {
  int64_t ms = 0;
  std::string text = Payload(status, kRetryKey);
  if (text.empty() || !absl::SimpleAtoi(text, &ms)) return std::nullopt;
  return absl::Milliseconds(ms);
}

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  for (char& c : name) c = c == ' ' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  return name;
}

}  // namespace accueil
