// PersonPages: an agent acting for a person (docs/web.md#agents-pages),
// each act with the agent's reason, sent to the service (x-agent-reason)
// and audited there.
//
//   GET  /agent/rdv/{site}[?guichet=&jour=]   booking for a person (LODGE_AGENT,
//   POST (the same)                    COUNTER_AGENT or ADMINISTRATOR of the site):
//                                      a desk, a day, a slot, the person; channel AGENT,
//                                      and a second appointment at the desk only with
//                                      its own reason
//   GET  /agent/personne/{site}        the person's rights (ADMINISTRATOR of the
//   POST (the same)                    site): action=voir | telecharger | effacer,
//                                      by phone or e-mail, with the reason
#pragma once

#include <memory>
#include <string>

#include "services/gateway/agent_kit.h"

namespace accueil::gateway {

class PersonPages {
 public:
  PersonPages(PagesOptions options, ChannelFor channels);
  ~PersonPages();

  static bool Owns(const std::string& path) {
    return path.rfind("/agent/rdv/", 0) == 0 || path.rfind("/agent/personne/", 0) == 0;
  }

  // Handle: the page for a path it owns; `form` is a POST's form, its CSRF
  // token already checked.
  HttpResponse Handle(PageContext& ctx, const Agent& agent, const Bindings* form);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accueil::gateway
