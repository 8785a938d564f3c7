#include "services/gateway/agent_kit.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/gate.h"
#include "services/common/status_macros.h"
#include "services/gateway/json_routes.h"

namespace accueil::gateway {
namespace {

namespace v1 = booking::v1;

// The words of agents' errors, by reason (the public pages' words speak to
// the person; these to the agent). Others: the public text, then the code.
const std::map<std::string, std::string>& AgentErrors() {
  static const std::map<std::string, std::string> k = {
      {"ARRIVAL_LATE", "Arrivée après le délai de grâce : décidez si la personne est reçue."},
      {"ARRIVAL_TOO_EARLY", "Trop tôt pour ce rendez-vous : la personne doit revenir plus tard."},
      {"ARRIVAL_OTHER_DAY", "Ce rendez-vous n'est pas aujourd'hui."},
      {"APPOINTMENT_NOT_FOUND", "Aucun rendez-vous de ce site ne porte cette référence."},
      {"CHECK_IN_TARGET_REQUIRED", "Tapez une référence ou scannez un QR code."},
      {"AGENT_REASON_REQUIRED", "Indiquez le motif de votre décision."},
      {"QUEUE_EMPTY", "Personne n'attend pour les files de ce guichet."},
      {"COUNTER_NOT_OPEN", "Ce guichet n'est pas ouvert aujourd'hui : ouvrez-le d'abord."},
      {"DAY_CLOSED", "La journée d'accueil de ce site est close."},
      {"DESK_REQUIRED", "Choisissez le guichet de la personne reçue aujourd'hui."},
      {"SAME_DESK", "La personne est déjà dans la file de ce guichet."},
      {"INVALID_OUTCOME", "Choisissez l'issue de l'accueil."},
      {"ILLEGAL_VISIT_TRANSITION", "Ce n'est plus possible pour ce ticket (il a changé d'état)."},
      {"PROVIDER_UNAVAILABLE",
       "Le fournisseur d'identité ne répond pas : réessayez dans un instant."},
      {"SIGN_IN_FAILED", "La connexion n'a pas abouti : recommencez."},
      {"SIGN_IN_REFUSED", "Le fournisseur d'identité a refusé la connexion : recommencez."},
      {"SIGN_IN_NOT_CONFIGURED", "La connexion des agents n'est pas configurée sur ce serveur."},
      {"COUNTER_BUSY", "Ce guichet reçoit déjà quelqu'un : terminez d'abord."},
      {"SIGN_IN_REQUIRED", "Votre session a pris fin : reconnectez-vous."},
      {"NO_CONTACT", "La personne n'a laissé aucun contact par lequel l'avis pourrait partir."},
      {"NO_PROVIDER", "Aucun envoi d'e-mail ni de SMS n'est configuré sur ce serveur."},
      {"INVALID_DATE", "Choisissez un jour."},
      {"INVALID_VALUE", "Tapez un nombre (une virgule ou un point pour les décimales)."},
      {"MONTH_ALREADY_PUBLISHED",
       "Ce mois est déjà publié : pour le publier de nouveau, donnez le motif de la "
       "rectification."},
      {"MONTH_NOT_OVER", "Ce mois n'est pas encore fini sur le site."},
      {"NOT_BOOKED",
       "Cet avis ne concerne qu'un rendez-vous à venir (le titre disponible s'envoie toujours)."},
      {"ROLE_REQUIRED", "Votre rôle ne permet pas cette action."},
      {"SITE_NOT_ALLOWED", "Vous n'avez pas de rôle sur ce site."},
      {"INVALID_NUMBER", "Tapez un nombre entier dans les limites indiquées."},
      {"INVALID_HOURS",
       "Tapez les plages d'un jour comme « 09:00-12:00 13:30-16:30 » (vide : fermé)."},
      {"INVALID_OPENING_HOURS", "Ces horaires se chevauchent ou sortent de la journée."},
      {"NOT_CLOSED", "Ce guichet n'est pas fermé ce jour-là."},
      {"INVALID_SLOT_DURATION", "La durée d'un créneau va de 5 à 480 minutes."},
      {"INVALID_CAPACITY", "Un créneau reçoit de 1 à 100 personnes."},
      {"INVALID_DESK_KIND", "Choisissez la nature du guichet."},
      {"INVALID_TIME_ZONE", "Tapez un fuseau horaire IANA, comme Europe/Paris."},
      {"INVALID_INSTRUCTIONS", "Au plus 30 pièces par langue, chacune en une ligne."},
      {"INVALID_TEXT", "Ce texte est vide, trop long ou contient des caractères refusés."},
      {"INVALID_DATE_RANGE", "Le premier jour doit précéder le dernier (au plus 366 jours)."},
      {"INVALID_RELEASE_WINDOW", "La fenêtre de tirage va jusqu'à 7 jours."},
      {"INVALID_TICKET_PREFIX", "Le préfixe des tickets est une ou deux lettres capitales."},
      {"INVALID_RECALL_COUNT", "De 0 à 5 rappels."},
      {"INVALID_TIME_OF_DAY", "Tapez une heure comme 18:00."},
      {"INVALID_COUNTER_DESKS", "Cochez au moins un guichet du site que ce poste sert."},
      {"INVALID_REMINDER_OFFSET",
       "Le courriel part de 1 heure à 14 jours avant ; le SMS de 0 à 7 jours avant, entre "
       "08:00 et 19:59."},
      {"INVALID_CONFIRMATION",
       "La confirmation concerne de 0 à 10 absences, jusqu'à 1 heure à 7 jours avant."},
      {"SLOT_REQUIRED", "Choisissez un créneau."},
      {"SLOT_FULL", "Ce créneau vient d'être pris : choisissez-en un autre."},
      {"ACTIVE_APPOINTMENT_EXISTS",
       "La personne a déjà un rendez-vous à venir à ce guichet : un second demande votre "
       "motif ci-dessous."},
      {"OVERRIDE_REASON_REQUIRED", "Dites pourquoi la personne a besoin d'un second rendez-vous."},
      {"CONFIRMATION_REQUIRED", "Cochez la confirmation pour effacer."},
      {"INVALID_TEMPLATE",
       "Ce texte ne convient pas : les {{ }} se referment, un courriel commence par "
       "« Subject: » et son objet, un SMS tient en deux SMS avec les valeurs les plus longues "
       "(sans accents autres que é, è, ù, à)."},
      {"NOT_OF_THIS_SITE", "Cet appareil ou ce rôle n'est pas de ce site."},
      {"REQUEST_ID_REUSED", "Ce formulaire a déjà servi : rechargez la page."},
  };
  return k;
}

}  // namespace

bool Agent::Holds(access::v1::Role role, const std::string& site) const {
  for (const access::v1::RoleGrant& g : caller.grants()) {
    if (g.role() == role && (g.site().empty() || g.site() == site)) return true;
  }
  return false;
}

bool Agent::HoldsEverywhere(access::v1::Role role) const {
  for (const access::v1::RoleGrant& g : caller.grants()) {
    if (g.role() == role && g.site().empty()) return true;
  }
  return false;
}

const v1::Desk* SitePlace::FindDesk(const std::string& desk) const {
  for (const v1::Desk& d : desks) {
    if (d.name() == desk) return &d;
  }
  return nullptr;
}

std::string SitePlace::DeskName(const std::string& desk) const {
  const v1::Desk* d = FindDesk(desk);
  return d != nullptr ? d->display_name() : desk;
}

HttpResponse SeeOther(const PageContext& ctx, const std::string& location) {
  HttpResponse response;
  response.status = 303;
  response.headers.emplace_back("Location", location);
  return PageKit::Personal(ctx, std::move(response));
}

std::string ShortTime(absl::Time t, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M", t, zone);
}

std::string RequestIdOf(const Bindings& form) {
  const std::string id = Param(form, "request_id");
  return SafeToken(id) ? id : NewRequestId();
}

std::string Trimmed(const Bindings& form, std::string_view field) {
  return std::string(absl::StripAsciiWhitespace(Param(form, field)));
}

std::string AgentKit::AgentError(const PageContext& ctx, const absl::Status& status) const {
  const std::string reason = ErrorReason(status);
  auto it = AgentErrors().find(reason);
  std::string text = it != AgentErrors().end() ? it->second : ErrorText(ctx, status);
  // What is wrong with a text is the service's to say.
  if (reason == "INVALID_TEMPLATE")
    return absl::StrCat(text, " (", reason, " : ", status.message(), ")");
  return reason.empty() ? text : absl::StrCat(text, " (", reason, ")");
}

int AgentKit::Outcome(const PageContext& ctx, const absl::Status& status, const std::string& done,
                      mustache::data* data) const {
  if (!status.ok()) {
    data->set("error_text", AgentError(ctx, status));
    return HttpStatusOf(status.code());
  }
  data->set("done", done);
  return 200;
}

absl::StatusOr<Agent> AgentKit::WhoAmI(const PageContext& ctx) {
  Agent agent;
  RETURN_IF_ERROR(Access(ctx, &access::v1::AccessService::Stub::WhoAmI, access::v1::WhoAmIRequest(),
                         &agent.caller));
  return agent;
}

HttpResponse AgentKit::Refused(PageContext& ctx) {
  mustache::data data;
  data.set("heading", "Page réservée");
  data.set("text",
           "Vos rôles ne donnent pas accès à cette page pour ce site. Demandez-le à un "
           "administrateur si votre travail le nécessite.");
  return Render(ctx, "message", "Page réservée", data, 403);
}

HttpResponse AgentKit::Refusal(PageContext& ctx, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kPermissionDenied) return Refused(ctx);
  return Failure(ctx, status);
}

absl::StatusOr<v1::Site> AgentKit::SiteFor(PageContext& ctx, const Agent& agent,
                                           std::initializer_list<access::v1::Role> roles,
                                           const std::string& site_id) {
  if (!Digits(site_id)) return Error(absl::StatusCode::kNotFound, "SITE_NOT_FOUND", "no site");
  const std::string name = absl::StrCat("sites/", site_id);
  bool held = false;
  for (access::v1::Role role : roles) held |= agent.Holds(role, name);
  if (!held) {
    return Error(absl::StatusCode::kPermissionDenied, "SITE_NOT_ALLOWED", "not on this site");
  }
  v1::GetSiteRequest req;
  req.set_name(name);
  v1::Site site;
  RETURN_IF_ERROR(Call(ctx, &v1::BookingService::Stub::GetSite, req, &site));
  return site;
}

absl::StatusOr<SitePlace> AgentKit::Place(const PageContext& ctx, v1::Site site) {
  SitePlace place;
  place.site = std::move(site);
  if (!absl::LoadTimeZone(place.site.time_zone(), &place.zone)) {
    return Error(absl::StatusCode::kInternal, "TIME_ZONE_UNKNOWN", "the site's zone is unknown");
  }
  v1::ListDesksRequest req;
  req.set_parent(place.site.name());
  req.set_page_size(100);
  v1::ListDesksResponse desks;
  RETURN_IF_ERROR(Call(ctx, &v1::BookingService::Stub::ListDesks, req, &desks));
  place.desks.assign(desks.desks().begin(), desks.desks().end());
  return place;
}

absl::StatusOr<SitePlace> AgentKit::PlaceFor(PageContext& ctx, const Agent& agent,
                                             std::initializer_list<access::v1::Role> roles,
                                             const std::string& site_id) {
  absl::StatusOr<v1::Site> site = SiteFor(ctx, agent, roles, site_id);
  if (!site.ok()) return site.status();
  return Place(ctx, *std::move(site));
}

}  // namespace accueil::gateway
