// Parsers for untrusted input: phone numbers, e-mail addresses, person names,
// free text, languages, references and access codes.
//
// Every function takes what a client sent and either returns the normalised
// value or an absl::Status built with accueil::InvalidField() (errors.h), so
// the caller can return it as is: INVALID_ARGUMENT, a machine-readable reason
// and the offending field. None of them logs its input (personal data).
//
// Kept in a small library without <ranges> so that clang-14 can build it for
// the libFuzzer targets (TOOLS.md).
//
//   absl::StatusOr<std::string> phone = accueil::input::ParseMobilePhone(
//       "06 12 34 56 78", "person.phone");   // -> "+33612345678"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace accueil::input {

// ParseMobilePhone reads a phone number in any country's format; numbers
// without a country prefix are read as French. Returns E.164 ("+33612345678").
// Reasons: INVALID_PHONE_NUMBER (unparseable or not a valid number),
// PHONE_NOT_MOBILE (valid but cannot receive SMS).
absl::StatusOr<std::string> ParseMobilePhone(std::string_view raw, std::string_view field);

// ParseEmail checks the syntax of an address (ASCII local part and domain,
// at most 254 characters, a dot in the domain) and lower-cases it.
// Reason: INVALID_EMAIL.
absl::StatusOr<std::string> ParseEmail(std::string_view raw, std::string_view field);

// ParseName accepts a given or family name: valid UTF-8, any script, 1 to 100
// characters after trimming surrounding spaces, no control characters.
// Reason: INVALID_NAME.
absl::StatusOr<std::string> ParseName(std::string_view raw, std::string_view field);

// ParseFreeText accepts optional single-line text (may be empty): surrounding
// spaces trimmed, valid UTF-8, at most `max_chars` characters, no control
// characters and no line breaks. Reason: INVALID_TEXT.
absl::StatusOr<std::string> ParseFreeText(std::string_view raw, std::string_view field,
                                          int max_chars);

// ParseLanguage accepts a supported language code, case-insensitive; empty
// means "fr". Reason: UNSUPPORTED_LANGUAGE.
absl::StatusOr<std::string> ParseLanguage(std::string_view raw, std::string_view field);

// SupportedLanguages lists the codes ParseLanguage accepts.
const std::vector<std::string>& SupportedLanguages();

// kReferenceAlphabet has no 0/O/1/I so that a reference read aloud or typed
// from paper is unambiguous.
inline constexpr std::string_view kReferenceAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
inline constexpr int kReferenceLength = 8;

// ParseReference normalises a reference typed by a person: spaces and dashes
// dropped, lower case raised, then exactly 8 characters of the alphabet.
// Reason: INVALID_REFERENCE.
absl::StatusOr<std::string> ParseReference(std::string_view raw, std::string_view field);

// ParseAccessCode does the same for an access code (8 characters of the same
// alphabet). Reason: INVALID_ACCESS_CODE.
absl::StatusOr<std::string> ParseAccessCode(std::string_view raw, std::string_view field);

// ParseTimeOfDay reads a local time "HH:MM" (00:00 to 23:59, two digits
// each) and returns the minutes since midnight. Reason: INVALID_TIME_OF_DAY.
absl::StatusOr<int> ParseTimeOfDay(std::string_view raw, std::string_view field);

// ParseTicketPrefix accepts one or two capital letters A-Z (tickets read
// "A-042"). Reason: INVALID_TICKET_PREFIX.
absl::StatusOr<std::string> ParseTicketPrefix(std::string_view raw, std::string_view field);

// ParseMonth reads a month "YYYY-MM" (2000-01 to 2199-12). Reason:
// INVALID_MONTH.
absl::StatusOr<absl::CivilMonth> ParseMonth(std::string_view raw, std::string_view field);

}  // namespace accueil::input
