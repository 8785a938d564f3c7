// Pages: the public web pages, rendered on the server (docs/web.md#pages).
//
// Every page works without JavaScript: links and forms that POST; nothing
// changes on a GET. Forms carry a CSRF token equal to a cookie's
// (double submit, SameSite=Strict); a POST without it changes nothing.
// Words come from web_text.h in the person's language; dates and times
// are the site's, written in that language. The pages call the services
// like any client, through their gate, with the person's address.
//
//   GET  /                                  sites and their desks
//   GET  /rdv/{site}/{desk}[?jour=DAY]      the days with free slots, a day's slots
//   GET  /rdv/{site}/{desk}/creneau?jour=DAY&creneau=ID   the booking form
//   POST (the same)                         books; the confirmation, or the form
//                                           with the error next to its field
//   GET  /dsfr/..., /static/...             the design system and our assets
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "services/common/clock.h"
#include "services/gateway/agent_session.h"
#include "services/gateway/display_hub.h"
#include "services/gateway/gateway_channels.h"
#include "services/gateway/http_server.h"

namespace accueil::gateway {

struct PagesOptions {
  // The web assets: `dsfr/` (the state design system's dist, from npm) and
  // `static/` (ours). Empty: no assets (pages still render).
  std::string assets_dir;
  // What "today" is for the calendar: the host's clock (required).
  const Clock* clock = nullptr;
  // Days personal data is kept (the personal-data notice says it).
  int retention_days = 90;
  // Agents' sign-in (agent_pages.h); without an issuer, /agent says that
  // sign-in is not configured.
  SignInOptions sign_in;
  // The call displays' feed (display_hub.h).
  DisplayHubOptions display;
};

class Pages {
 public:
  Pages(PagesOptions options, ChannelFor channels);
  ~Pages();

  // Handle: the page for `request` (a 404 page for an unknown path).
  // `client` is the person's address (Gateway::ClientAddress).
  HttpResponse Handle(const HttpRequest& request, const std::string& client);

  // StopStreams ends the displays' streams (before the HTTP server stops).
  void StopStreams();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accueil::gateway
