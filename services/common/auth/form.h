// The development issuer's parsers of HTTP input: form bodies and query
// strings (application/x-www-form-urlencoded) and the OAuth authorization
// request they carry. Pure functions, apart from cpp-httplib, so that they
// are fuzzed (fuzz/fuzz_dev_issuer_form.cc); see dev_issuer.h for the
// endpoints.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace accueil::auth {

using Form = std::map<std::string, std::string>;

// More parameters than any endpoint reads; a longer form is refused.
inline constexpr size_t kMaxFormFields = 100;

// PercentEncode keeps RFC 3986 unreserved characters and writes every
// other byte as %XX (upper case).
std::string PercentEncode(std::string_view text);

// PercentDecode reads %XX (either case) and '+' (a space); a '%' without
// two hex digits is an error.
absl::StatusOr<std::string> PercentDecode(std::string_view text);

// ParseForm reads application/x-www-form-urlencoded text (also a query
// string). A repeated parameter is an error (RFC 6749 section 3.1); empty
// pairs ("a=1&&b=2") are skipped; a name without '=' has the value "".
absl::StatusOr<Form> ParseForm(std::string_view text);

// FormValue returns the parameter's value, "" when it is absent.
std::string FormValue(const Form& form, const std::string& key);

// Printable: printable ASCII, space included, within [min, max] characters.
bool Printable(const std::string& s, size_t min, size_t max);

// PkceText: the PKCE code verifier / S256 challenge alphabet (RFC 7636
// section 4.1), within [min, max] characters.
bool PkceText(const std::string& s, size_t min, size_t max);

// LoopbackRedirect: an http URL whose host is 127.0.0.1, localhost or
// [::1] (any case), with an optional port 1-65535, without user
// information or fragment, at most 2000 visible ASCII characters.
bool LoopbackRedirect(const std::string& uri);

// The authorization request: what GET /authorize receives, and what the
// form sends back hidden.
struct AuthRequest {
  std::string client_id;
  std::string redirect_uri;
  std::string state;
  std::string nonce;
  std::string code_challenge;
  std::string code_challenge_method;
};

// ParseAuthRequest returns the request, or INVALID_ARGUMENT whose message
// (in French) is shown on the page: response_type "code", a loopback
// redirect_uri, client_id 1-100 and state 1-500 printable characters,
// nonce at most 500, and PKCE either absent or S256 with a 43-128
// character challenge.
absl::StatusOr<AuthRequest> ParseAuthRequest(const Form& form);

}  // namespace accueil::auth
