// HtmlEscape: text made safe inside HTML, element content or a quoted
// attribute value: & < > " ' written as entities, control characters as
// U+FFFD (they have no business in a page). The development issuer's pages
// and the gateway's SVG use it; the gateway's pages escape through Mustache.
#pragma once

#include <string>
#include <string_view>

namespace accueil {

inline std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters have no business in a page.
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace accueil
