#include "services/common/auth/form.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace accueil::auth {
namespace {

// HexValue: the digit's value, -1 for a non-hex character.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

absl::StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("malformed percent-encoding");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

absl::StatusOr<Form> ParseForm(std::string_view text) {
  Form form;
  size_t fields = 0;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    if (++fields > kMaxFormFields) return absl::InvalidArgumentError("too many parameters");
    size_t eq = pair.find('=');
    absl::StatusOr<std::string> key = PercentDecode(pair.substr(0, eq));
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (!form.emplace(std::move(*key), std::move(*value)).second) {
      return absl::InvalidArgumentError("a parameter is repeated");
    }
  }
  return form;
}

std::string FormValue(const Form& form, const std::string& key) {
  auto it = form.find(key);
  return it == form.end() ? "" : it->second;
}

bool Printable(const std::string& s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool PkceText(const std::string& s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' &&
        c != '~') {
      return false;
    }
  }
  return true;
}

bool LoopbackRedirect(const std::string& uri) {
  if (uri.size() > 2000) return false;
  for (char c : uri) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  std::string_view rest = uri;
  if (rest.substr(0, 7) != "http://") return false;
  rest.remove_prefix(7);
  if (rest.find('#') != std::string_view::npos) return false;
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) return false;
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  std::string lower_host = absl::AsciiStrToLower(absl::string_view(host.data(), host.size()));
  if (lower_host != "127.0.0.1" && lower_host != "localhost" && lower_host != "[::1]") {
    return false;
  }
  if (authority.size() != host.size()) {  // a ':' was there: a port must follow
    int value = 0;
    if (port.empty() || port.size() > 5) return false;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
    }
    if (!absl::SimpleAtoi(absl::string_view(port.data(), port.size()), &value) || value < 1 ||
        value > 65535) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<AuthRequest> ParseAuthRequest(const Form& form) {
  auto bad = [](const std::string& message) { return absl::InvalidArgumentError(message); };
  AuthRequest r;
  r.redirect_uri = FormValue(form, "redirect_uri");
  if (!LoopbackRedirect(r.redirect_uri)) {
    return bad(
        "redirect_uri doit être une URL http sur la boucle locale (127.0.0.1, "
        "localhost ou [::1]), sans identifiants ni fragment.");
  }
  if (FormValue(form, "response_type") != "code") {
    return bad("response_type doit valoir « code » (flux par code d'autorisation).");
  }
  r.client_id = FormValue(form, "client_id");
  if (!Printable(r.client_id, 1, 100)) {
    return bad("client_id est requis : 1 à 100 caractères ASCII imprimables.");
  }
  r.state = FormValue(form, "state");
  if (!Printable(r.state, 1, 500)) {
    return bad("state est requis : 1 à 500 caractères ASCII imprimables.");
  }
  r.nonce = FormValue(form, "nonce");
  if (!Printable(r.nonce, 0, 500)) {
    return bad("nonce : au plus 500 caractères ASCII imprimables.");
  }
  r.code_challenge = FormValue(form, "code_challenge");
  r.code_challenge_method = FormValue(form, "code_challenge_method");
  if (!r.code_challenge.empty() || !r.code_challenge_method.empty()) {
    if (r.code_challenge_method != "S256") {
      return bad("code_challenge_method : seule la méthode PKCE « S256 » est acceptée.");
    }
    if (!PkceText(r.code_challenge, 43, 128)) {
      return bad("code_challenge : 43 à 128 caractères base64url.");
    }
  }
  return r;
}

}  // namespace accueil::auth
