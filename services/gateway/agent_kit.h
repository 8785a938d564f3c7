// AgentKit: what every agent's page is made with (agent_pages.cc,
// admin_pages.cc, person_pages.cc): the agent as the access module reports
// them (WhoAmI), the site of a path checked against the agent's grants, the
// site's zone and desks, the calls to reception and access, and the errors
// in words for the agent with the service's reason.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "services/gateway/page_kit.h"

namespace accueil::gateway {

// The signed-in agent, as WhoAmI answered.
struct Agent {
  access::v1::Caller caller;
  // Holds: `role` on `site` ("sites/N") or on every site.
  bool Holds(access::v1::Role role, const std::string& site) const;
  // HoldsEverywhere: `role` on every site (a grant without a site).
  bool HoldsEverywhere(access::v1::Role role) const;
};

// A site with what its pages need: its zone and its desks.
struct SitePlace {
  booking::v1::Site site;
  absl::TimeZone zone;
  std::vector<booking::v1::Desk> desks;
  std::string DeskName(const std::string& desk) const;
  const booking::v1::Desk* FindDesk(const std::string& desk) const;
};

// Choice: a value a form offers (radio buttons, a select): the enum, what
// the form sends, what the agent reads.
template <typename E>
struct Choice {
  E value;
  const char* form;
  const char* label;
};

// Choices: the list a template shows ({{value}}, {{label}}, and
// {{selected}} for `current` when it is not E's zero).
template <typename E>
mustache::data Choices(const std::vector<Choice<E>>& choices, E current = E{}) {
  mustache::data list{mustache::data::type::list};
  for (const Choice<E>& c : choices) {
    mustache::data item;
    item.set("value", c.form);
    item.set("label", c.label);
    if (current != E{} && c.value == current) item.set("selected", true);
    list.push_back(item);
  }
  return list;
}

// Chosen: the value the form sent for `field`, or E's zero (unspecified,
// which the service refuses with its reason and the field).
template <typename E>
E Chosen(const std::vector<Choice<E>>& choices, const Bindings& form, std::string_view field) {
  for (const Choice<E>& c : choices) {
    if (Param(form, field) == c.form) return c.value;
  }
  return E{};
}

// SeeOther: a 303 to `location` (after a POST that made something new).
HttpResponse SeeOther(const PageContext& ctx, const std::string& location);

// ShortTime: "2026-06-02 09:30" in the site's zone.
std::string ShortTime(absl::Time t, absl::TimeZone zone);

// RequestIdOf: the form's request id (drawn when the form was shown, so a
// resent form does nothing twice), or a new one.
std::string RequestIdOf(const Bindings& form);

// Trimmed: the form's field without surrounding blanks.
std::string Trimmed(const Bindings& form, std::string_view field);

class AgentKit : public PageKit {
 public:
  using PageKit::PageKit;

  template <typename Req, typename Resp>
  absl::Status Reception(const PageContext& ctx,
                         grpc::Status (reception::v1::ReceptionService::Stub::*method)(
                             grpc::ClientContext*, const Req&, Resp*),
                         const Req& req, Resp* resp) {
    return CallOn<reception::v1::ReceptionService>(ctx, "reception", method, req, resp);
  }
  template <typename Req, typename Resp>
  absl::Status Access(const PageContext& ctx,
                      grpc::Status (access::v1::AccessService::Stub::*method)(grpc::ClientContext*,
                                                                              const Req&, Resp*),
                      const Req& req, Resp* resp) {
    return CallOn<access::v1::AccessService>(ctx, "access", method, req, resp);
  }

  // AgentError: what went wrong, for the agent, with the machine's reason.
  std::string AgentError(const PageContext& ctx, const absl::Status& status) const;
  // Outcome: a form's action told on its page ({{done}} or {{error_text}}),
  // and the page's HTTP status.
  int Outcome(const PageContext& ctx, const absl::Status& status, const std::string& done,
              mustache::data* data) const;

  absl::StatusOr<Agent> WhoAmI(const PageContext& ctx);

  // Refused: the page a role or site the agent lacks gets (403).
  HttpResponse Refused(PageContext& ctx);
  // Refusal: Refused for PERMISSION_DENIED, else the failure's page.
  HttpResponse Refusal(PageContext& ctx, const absl::Status& status);

  // SiteFor: the site of a path, if the agent holds one of `roles` there.
  absl::StatusOr<booking::v1::Site> SiteFor(PageContext& ctx, const Agent& agent,
                                            std::initializer_list<access::v1::Role> roles,
                                            const std::string& site_id);
  absl::StatusOr<SitePlace> Place(const PageContext& ctx, booking::v1::Site site);
  // PlaceFor: SiteFor, then Place.
  absl::StatusOr<SitePlace> PlaceFor(PageContext& ctx, const Agent& agent,
                                     std::initializer_list<access::v1::Role> roles,
                                     const std::string& site_id);
};

}  // namespace accueil::gateway
