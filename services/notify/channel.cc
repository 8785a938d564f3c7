#include "services/notify/channel.h"

namespace accueil::notify {

std::string Shorten(absl::string_view text) {
  constexpr size_t kMax = 300;
  std::string out;
  for (char c : text) {
    if (out.size() >= kMax) break;
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  return out;
}

}  // namespace accueil::notify
