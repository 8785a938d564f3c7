// The development issuer's form and query-string parsing (ParseForm,
// PercentDecode, PercentEncode) and its authorization-request checks
// (ParseAuthRequest, LoopbackRedirect). The issuer listens on loopback only,
// but any page the developer's browser opens can send it a form.
//
// Input: the form text (a query string or an x-www-form-urlencoded body).
// Properties:
//   - PercentDecode(PercentEncode(input)) is the input, and the encoding
//     holds only unreserved characters and %XX;
//   - a parsed form has at most kMaxFormFields parameters, and encoded back
//     (each name and value percent-encoded, joined by '&') parses to the same
//     form;
//   - every refusal is INVALID_ARGUMENT with a message;
//   - an accepted authorization request holds the form's own values and
//     meets every documented rule; its redirect URI passes the loopback check
//     below, written apart from LoopbackRedirect;
//   - LoopbackRedirect accepts the raw input, taken as a URI, exactly when
//     that independent check does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "fuzz_check.h"
#include "services/common/auth/form.h"

namespace {

using namespace accueil::auth;
using accueil::fuzz::AsText;

bool Unreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool UpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// The documented rule, read another way: after "http://", the authority (up
// to '/' or '?'), lower-cased, is one of the three hosts, alone or followed
// by ':' and a port of 1 to 5 digits worth 1 to 65535.
bool ExpectedLoopback(const std::string& uri) {
  if (uri.size() > 2000) return false;
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  std::string_view rest = uri;
  if (!rest.starts_with("http://")) return false;
  rest.remove_prefix(7);
  if (rest.find('#') != std::string_view::npos) return false;
  const std::string authority =
      absl::AsciiStrToLower(std::string(rest.substr(0, rest.find_first_of("/?"))));
  for (std::string_view host : {"127.0.0.1", "localhost", "[::1]"}) {
    if (authority == host) return true;
    if (!std::string_view(authority).starts_with(host) || authority[host.size()] != ':') continue;
    const std::string_view port = std::string_view(authority).substr(host.size() + 1);
    if (port.empty() || port.size() > 5) return false;
    long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    return value >= 1 && value <= 65535;
  }
  return false;
}

void CheckRequest(const Form& form) {
  const absl::StatusOr<AuthRequest> r = ParseAuthRequest(form);
  if (!r.ok()) {
    FUZZ_CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!r.status().message().empty());
    return;
  }
  FUZZ_CHECK(FormValue(form, "response_type") == "code");
  FUZZ_CHECK(r->redirect_uri == FormValue(form, "redirect_uri"));
  FUZZ_CHECK(r->client_id == FormValue(form, "client_id"));
  FUZZ_CHECK(r->state == FormValue(form, "state"));
  FUZZ_CHECK(r->nonce == FormValue(form, "nonce"));
  FUZZ_CHECK(r->code_challenge == FormValue(form, "code_challenge"));
  FUZZ_CHECK(r->code_challenge_method == FormValue(form, "code_challenge_method"));
  FUZZ_CHECK(ExpectedLoopback(r->redirect_uri));
  FUZZ_CHECK(!r->client_id.empty() && r->client_id.size() <= 100);
  FUZZ_CHECK(!r->state.empty() && r->state.size() <= 500);
  FUZZ_CHECK(r->nonce.size() <= 500);
  for (const std::string* text : {&r->client_id, &r->state, &r->nonce}) {
    for (char c : *text) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  }
  if (r->code_challenge.empty() && r->code_challenge_method.empty()) return;
  FUZZ_CHECK(r->code_challenge_method == "S256");
  FUZZ_CHECK(r->code_challenge.size() >= 43 && r->code_challenge.size() <= 128);
  for (unsigned char c : r->code_challenge) FUZZ_CHECK(Unreserved(c));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = AsText(data, size);

  const std::string encoded = PercentEncode(text);
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      FUZZ_CHECK(i + 2 < encoded.size() && UpperHex(encoded[i + 1]) && UpperHex(encoded[i + 2]));
      i += 2;
    } else {
      FUZZ_CHECK(Unreserved(static_cast<unsigned char>(encoded[i])));
    }
  }
  const absl::StatusOr<std::string> decoded = PercentDecode(encoded);
  FUZZ_CHECK(decoded.ok() && *decoded == text);

  FUZZ_CHECK(LoopbackRedirect(std::string(text)) == ExpectedLoopback(std::string(text)));

  const absl::StatusOr<Form> form = ParseForm(text);
  if (!form.ok()) {
    FUZZ_CHECK(form.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!form.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(form->size() <= kMaxFormFields);
  std::string again;
  for (const auto& [name, value] : *form) {
    if (!again.empty()) again += '&';
    again += PercentEncode(name) + "=" + PercentEncode(value);
  }
  const absl::StatusOr<Form> reparsed = ParseForm(again);
  FUZZ_CHECK(reparsed.ok() && *reparsed == *form);

  CheckRequest(*form);
  return 0;
}
