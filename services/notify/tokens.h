// Message tokens: what lets whoever holds a message (the person, its link;
// the SMS provider, its report URL) act on that message only. A token is
// HMAC(purpose, message id) under the key ring, shortened to 32 hexadecimal
// digits: derived, never stored, accepted under any key of the ring (a
// rotation keeps the links of messages already sent working).
//
// Purposes: kReportPurpose (delivery reports), kPreferencesPurpose (the
// opt-out link), kSurveyPurpose (the survey link), kAttendancePurpose (the
// attendance confirmation link).
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "services/common/secrets.h"

namespace accueil::notify {

inline constexpr char kReportPurpose[] = "notify-report";
inline constexpr char kPreferencesPurpose[] = "notify-preferences";
inline constexpr char kSurveyPurpose[] = "notify-survey";
inline constexpr char kAttendancePurpose[] = "notify-attendance";
inline constexpr size_t kTokenHex = 32;

// MessageToken is the token of message `id` for `purpose` under the
// signing key.
std::string MessageToken(const Secrets& secrets, absl::string_view purpose, int64_t id);
// MessageTokenMatches compares in constant time, under every key of the ring.
bool MessageTokenMatches(const Secrets& secrets, absl::string_view purpose, int64_t id,
                         absl::string_view token);

}  // namespace accueil::notify
