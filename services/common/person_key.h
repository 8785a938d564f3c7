// Person keys: the keyed hash that stands for a person where their contact
// must not be kept or shown (the one-active-appointment rule, no-show
// histories, person-rights lookups): HMAC("person-key", identity), identity =
// the E.164 mobile phone, else the lower-cased e-mail.
//
// Stored under the signing key of the ring (secrets.h). After a rotation,
// `accueil-server rekey` calls every module's Rekey hook (person_data.h) to
// move the keys still computable to the new signing key
// (docs/security.md#secrets).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/secrets.h"

namespace accueil {

// PersonKey is the key stored for a new record (signing key, 32 bytes).
std::string PersonKey(const Secrets& secrets, std::string_view identity);
// PersonKeys is the person's key under every key of the ring, signing key
// first: what finds their records whatever key they were stored under.
std::vector<std::string> PersonKeys(const Secrets& secrets, std::string_view identity);
// HexKeys joins keys as comma-separated hexadecimal, the form SQL functions
// take them in (booking.keys_from_hex).
std::string HexKeys(const std::vector<std::string>& keys);

}  // namespace accueil
