// AgentPages: the pages of the prefecture's agents, under /agent
// (docs/web.md#agents-pages). In French; every one needs an agent's
// sign-in (agent_session.h) and shows what the access module says the agent
// may do (WhoAmI), never what the token claims; a page for a role or site
// the agent does not hold is refused by the server (403), whatever the
// links show. The calls carry the agent's token, so each service checks
// the agent's rights again and audits what they did.
//
//   GET  /agent                       sign-in, or the agent's pages by role and site
//   GET  /agent/connexion[?retour=P]  to the identity provider
//   GET  /agent/retour                back from it (the session starts)
//   POST /agent/deconnexion           the session ends
//   GET  /agent/loge/{site}[?q=]      the lodge: check-in, the day's list, walk-ins, the queue
//   POST /agent/loge/{site}           action=arrivee (saisie[, late=yes, motif]) or
//                                     action=sans-rdv (guichet, objet, issue)
//   GET  /agent/guichet/{site}        the site's counters
//   GET  /agent/guichet/{site}/{counter}   a counter: open, call, recall, start,
//   POST (the same)                   finish, transfer, notice, close
//   GET  /agent/qualite/{site}[?du=&au=]   the indicators month by month, charts
//   POST (the same)                   action=objectif | saisie | publier
//   GET  /agent/qualite/{site}/indicateurs.csv[?du=&au=]   the same table as CSV
//   GET  /agent/file/{site}           the queue's section alone (static/queue.js)
//   /agent/admin/...                  the administration (admin_pages.h)
//   /agent/rdv/..., /agent/personne/...   acting for a person (person_pages.h)
#pragma once

#include <memory>

#include "services/gateway/agent_session.h"
#include "services/gateway/page_kit.h"

namespace accueil::gateway {

class AgentPages {
 public:
  AgentPages(PagesOptions options, ChannelFor channels);
  ~AgentPages();

  static bool Owns(const std::string& path) {
    return path == "/agent" || path.rfind("/agent/", 0) == 0;
  }

  // Handle: the page for a path under /agent; `form` is a POST's form,
  // its CSRF token already checked (pages.cc).
  HttpResponse Handle(PageContext& ctx, const Bindings* form);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accueil::gateway
