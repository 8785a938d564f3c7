// Caller: who is calling and which roles they hold where, as established by
// the Authenticator for one call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accueil/access/v1/policy.pb.h"

namespace accueil::auth {

using Role = ::accueil::access::v1::Role;

struct Grant {
  Role role;
  int64_t site_id;  // 0: every site
};

struct Caller {
  // "public" for callers without a token, the OpenID subject,
  // "service:<name>" or "devices/{id}".
  std::string subject = "public";
  std::vector<Grant> grants;
  // True when the caller presented a valid credential (it may still hold no
  // role: then it is treated as the public, but refused as "no role").
  bool authenticated = false;
  // True when a service token (service_identity.h) authenticated the
  // caller: only then is x-acting-agent believed (gate.h).
  bool service = false;
  // Client identity for rate limits: the peer address, or the address a
  // trusted proxy forwarded.
  std::string client;

  // IsPublic: no role anywhere (rate-limited like the public).
  bool IsPublic() const { return grants.empty(); }
  // Holds `role` on some site (or every site).
  bool Holds(Role role) const;
  // Holds `role` on `site_id`, or on every site. site_id 0 asks for a grant
  // on every site.
  bool HoldsOn(Role role, int64_t site_id) const;
  // RoleNames: "LODGE_AGENT@sites/1,ADMINISTRATOR@*" for the audit.
  std::string RoleNames() const;
};

}  // namespace accueil::auth
