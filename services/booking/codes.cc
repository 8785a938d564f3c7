#include "services/booking/codes.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/input/input.h"

namespace accueil::booking {
namespace {

// Base32 over the reference alphabet: 5 bits a character.
std::string Encode(std::string_view bytes, int chars) {
  std::string out;
  uint64_t acc = 0;
  int bits = 0;
  size_t i = 0;
  while (static_cast<int>(out.size()) < chars) {
    if (bits < 5) {
      acc = (acc << 8) | static_cast<unsigned char>(bytes[i++]);
      bits += 8;
    }
    out += input::kReferenceAlphabet[(acc >> (bits - 5)) & 31];
    bits -= 5;
  }
  return out;
}

// The check-in token around the first 16 bytes of its MAC.
std::string FormatCheckIn(int64_t appointment_id, int version, const std::string& mac) {
  return absl::StrCat("c1.", appointment_id, ".", version, ".",
                      absl::WebSafeBase64Escape(mac.substr(0, 16)));
}

}  // namespace

std::string NewReference() {
  // The alphabet has exactly 32 characters: 5 random bits pick one
  // uniformly. One draw for the whole reference (each libsodium draw is a
  // getrandom system call, on the booking path).
  static_assert(input::kReferenceAlphabet.size() == 32);
  unsigned char bytes[input::kReferenceLength];
  randombytes_buf(bytes, sizeof bytes);
  std::string out;
  for (unsigned char b : bytes) out += input::kReferenceAlphabet[b & 31];
  return out;
}

std::string AccessCode(const Secrets& secrets, int64_t appointment_id, int version) {
  return Encode(secrets.Mac("access-code", absl::StrCat(appointment_id, ":", version)),
                input::kReferenceLength);
}

bool AccessCodeMatches(const Secrets& secrets, int64_t appointment_id, int version,
                       std::string_view code) {
  // Every key of the ring: a code given before a rotation still opens.
  bool match = false;
  for (const std::string& mac :
       secrets.Macs("access-code", absl::StrCat(appointment_id, ":", version))) {
    match |= Secrets::Equal(Encode(mac, input::kReferenceLength), code);
  }
  return match;
}

std::string CheckInToken(const Secrets& secrets, int64_t appointment_id, int version) {
  return FormatCheckIn(appointment_id, version,
                       secrets.Mac("check-in", absl::StrCat(appointment_id, ":", version)));
}

absl::StatusOr<CheckIn> VerifyCheckInToken(const Secrets& secrets, std::string_view token) {
  absl::Status bad =
      InvalidField("INVALID_CHECK_IN_TOKEN", "check_in_token", "the check-in code is not valid");
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  CheckIn out{0, 0};
  if (token.size() > 80 || parts.size() != 4 || parts[0] != "c1" ||
      !absl::SimpleAtoi(parts[1], &out.appointment_id) || out.appointment_id <= 0 ||
      !absl::SimpleAtoi(parts[2], &out.version) || out.version <= 0) {
    return bad;
  }
  bool match = false;
  for (const std::string& mac :
       secrets.Macs("check-in", absl::StrCat(out.appointment_id, ":", out.version))) {
    match |= Secrets::Equal(FormatCheckIn(out.appointment_id, out.version, mac), token);
  }
  if (!match) return bad;
  return out;
}

}  // namespace accueil::booking
