#include "services/notify/mime.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace accueil::notify {
namespace {

// Base64 in lines of 76 characters.
std::string Base64Lines(const std::string& data) {
  const std::string b64 = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) absl::StrAppend(&out, b64.substr(i, 76), "\r\n");
  return out;
}

bool Ascii(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80 || c < 0x20) return false;
  }
  return true;
}

std::string EncodedWord(const std::string& text) {
  if (Ascii(text)) return text;
  return absl::StrCat("=?UTF-8?B?", absl::Base64Escape(text), "?=");
}

}  // namespace

std::string MessageIdHeader(int64_t id, const std::string& domain) {
  return absl::StrCat("<notify-", id, "@", domain, ">");
}

std::string ComposeEmail(const Outgoing& m, const std::string& from, const std::string& domain) {
  const std::string boundary = absl::StrCat("accueil-part-", m.id);
  std::string out = absl::StrCat(
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", m.now, absl::UTCTimeZone()),
      "\r\nFrom: ", from, "\r\nTo: ", m.to, "\r\nSubject: ", EncodedWord(m.subject),
      "\r\nMessage-ID: ", MessageIdHeader(m.id, domain),
      "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
  const std::string text_part =
      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  if (m.ics.empty()) {
    absl::StrAppend(&out, text_part, Base64Lines(m.body));
    return out;
  }
  absl::StrAppend(&out, "Content-Type: multipart/mixed; boundary=\"", boundary, "\"\r\n\r\n--",
                  boundary, "\r\n", text_part, Base64Lines(m.body), "--", boundary,
                  "\r\nContent-Type: text/calendar; charset=UTF-8; method=", m.ics_method,
                  "\r\nContent-Disposition: attachment; filename=\"rendez-vous.ics\""
                  "\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                  Base64Lines(m.ics), "--", boundary, "--\r\n");
  return out;
}

}  // namespace accueil::notify
