// The random values and the PKCE challenge of OpenID Connect's code flow
// (RFC 7636), shared by the development issuer (which checks a verifier
// against its challenge) and the gateway (which signs agents in).
#pragma once

#include <string>

namespace accueil::auth {

// RandomUrlToken: 32 random bytes, base64url without padding ("" when the
// system has no randomness): states, nonces, code verifiers, codes.
std::string RandomUrlToken();

// PkceChallenge: the S256 challenge of a code verifier (base64url of its
// SHA-256, no padding).
std::string PkceChallenge(const std::string& code_verifier);

}  // namespace accueil::auth
