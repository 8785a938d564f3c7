// Service tokens' issuer and audience, and service subjects
// ("service:<name>"), the names services authenticate as
// (service_identity.h). A header of its own, without dependencies, so that
// the configuration (fuzzed alone) checks `service_subject` with the rule
// the authenticator applies.
#pragma once

#include <string_view>

namespace accueil::auth {

// The claims that tell a service token from an agent's: an OpenID provider
// with this issuer is refused (config.cc).
inline constexpr char kServiceIssuer[] = "urn:accueil:service";
inline constexpr char kServiceAudience[] = "urn:accueil:service";

// No agent's token may claim a subject with this prefix.
inline constexpr char kServiceSubjectPrefix[] = "service:";

// IsServiceSubject: "service:" then 1-100 characters among [a-z0-9._+-].
inline bool IsServiceSubject(std::string_view subject) {
  constexpr std::string_view prefix = kServiceSubjectPrefix;
  if (subject.substr(0, prefix.size()) != prefix) return false;
  std::string_view name = subject.substr(prefix.size());
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace accueil::auth
