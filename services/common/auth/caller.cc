#include "services/common/auth/caller.h"

#include "absl/strings/str_cat.h"

namespace accueil::auth {

bool Caller::Holds(Role role) const {
  for (const Grant& g : grants) {
    if (g.role == role) return true;
  }
  return false;
}

bool Caller::HoldsOn(Role role, int64_t site_id) const {
  for (const Grant& g : grants) {
    if (g.role == role && (g.site_id == 0 || (site_id != 0 && g.site_id == site_id))) {
      return true;
    }
  }
  return false;
}

std::string Caller::RoleNames() const {
  std::string out;
  for (const Grant& g : grants) {
    if (!out.empty()) out += ",";
    absl::StrAppend(&out, access::v1::Role_Name(g.role), "@",
                    g.site_id == 0 ? std::string("*") : absl::StrCat("sites/", g.site_id));
  }
  return out;
}

}  // namespace accueil::auth
