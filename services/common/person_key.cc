#include "services/common/person_key.h"

#include "absl/strings/escaping.h"

namespace accueil {

std::string PersonKey(const Secrets& secrets, std::string_view identity) {
  return secrets.Mac("person-key", identity);
}

std::vector<std::string> PersonKeys(const Secrets& secrets, std::string_view identity) {
  return secrets.Macs("person-key", identity);
}

std::string HexKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) {
    if (!out.empty()) out += ',';
    out += absl::BytesToHexString(key);
  }
  return out;
}

}  // namespace accueil
