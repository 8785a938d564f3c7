// AdminPages: the administration of sites, under /agent/admin
// (docs/web.md#agents-pages), for ADMINISTRATORs of the site (creating a
// site: of every site). Each form carries a request id drawn when it was
// shown, so a form sent twice does nothing twice; every service checks the
// agent's rights again and audits the act.
//
//   GET  /agent/admin/nouveau-site     a new site (name, address, zone)
//   POST (the same)
//   GET  /agent/admin/{site}           the desks, the counters, device tokens,
//   POST (the same)                    roles, audit log; action=guichet | poste |
//                                      appareil | revoquer | role | retirer
//   GET  /agent/admin/{site}/guichet/{desk}   a desk: description, documents
//   POST (the same)                    per language, weekly hours, closures, slot
//                                      releases, reception settings, reminders;
//                                      action=description | consignes | horaires |
//                                      fermer | rouvrir | creneaux | accueil | rappels
#pragma once

#include <memory>
#include <string>

#include "services/gateway/agent_kit.h"

namespace accueil::gateway {

class AdminPages {
 public:
  AdminPages(PagesOptions options, ChannelFor channels);
  ~AdminPages();

  static bool Owns(const std::string& path) { return path.rfind("/agent/admin/", 0) == 0; }

  // Handle: the page for a path under /agent/admin/; `form` is a POST's
  // form, its CSRF token already checked.
  HttpResponse Handle(PageContext& ctx, const Agent& agent, const Bindings* form);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accueil::gateway
