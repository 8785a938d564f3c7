#include "services/gateway/web_text.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace accueil::gateway {
namespace {

using Catalog = std::map<std::string, std::string>;

const Catalog& French() {
  static const Catalog k = {
      {"site_name", "Rendez-vous en préfecture"},
      {"state", "République<br>Française"},
      {"skip_to_content", "Aller au contenu"},
      {"language", "Langue"},
      {"home_title", "Prendre rendez-vous"},
      {"home_intro", "Choisissez la préfecture et le guichet, puis un créneau libre."},
      {"no_site", "Aucune préfecture ne propose encore de rendez-vous en ligne."},
      {"desks_of", "Guichets"},
      {"choose_desk", "Prendre rendez-vous à ce guichet"},
      {"documents", "Documents à apporter"},
      {"days_title", "Jours avec des créneaux libres"},
      {"no_day",
       "Aucun créneau n'est libre pour le moment. De nouveaux créneaux sont ouverts régulièrement "
       ": revenez plus tard."},
      {"free_slots", "créneaux libres"},
      {"slots_title", "Créneaux libres le"},
      {"choose_slot", "Choisir ce créneau"},
      {"no_slot_that_day", "Plus aucun créneau libre ce jour-là : choisissez un autre jour."},
      {"form_title", "Vos coordonnées"},
      {"form_intro", "Tous les champs sont obligatoires sauf mention contraire."},
      {"your_slot", "Votre créneau"},
      {"given_name", "Prénom"},
      {"family_name", "Nom"},
      {"phone", "Téléphone portable"},
      {"phone_hint",
       "Facultatif si vous donnez une adresse électronique. Pour recevoir les rappels par SMS. "
       "Format : 06 12 34 56 78 ou +33 6 12 34 56 78"},
      {"email", "Adresse électronique"},
      {"email_hint",
       "Facultatif si vous donnez un téléphone portable. Pour recevoir la confirmation et les "
       "rappels. Format : nom@domaine.fr"},
      {"preferred_language", "Langue des messages"},
      {"accessibility", "Besoin d'accessibilité"},
      {"need_none", "Aucun"},
      {"need_wheelchair", "Fauteuil roulant"},
      {"need_reduced_mobility", "Mobilité réduite"},
      {"need_visual", "Déficience visuelle"},
      {"need_hearing", "Déficience auditive"},
      {"need_cognitive", "Déficience cognitive"},
      {"need_other", "Autre"},
      {"accessibility_note", "Précisions (facultatif)"},
      {"companions", "Personnes qui vous accompagnent"},
      {"companions_hint", "Interprète, aidant : de 0 à 5"},
      {"book", "Confirmer le rendez-vous"},
      {"error_summary", "Le formulaire contient une erreur"},
      {"error_INVALID_PHONE_NUMBER",
       "Ce numéro de téléphone n'est pas valide. Format attendu : 06 12 34 56 78 ou +33 6 12 34 56 "
       "78."},
      {"error_PHONE_NOT_MOBILE",
       "Ce numéro n'est pas un numéro de portable : les rappels partent par SMS."},
      {"error_INVALID_EMAIL",
       "Cette adresse électronique n'est pas valide. Format attendu : nom@domaine.fr."},
      {"error_INVALID_NAME", "Ce champ est obligatoire (lettres, espaces, tirets et apostrophes)."},
      {"error_CONTACT_REQUIRED",
       "Indiquez un téléphone portable ou une adresse électronique, pour recevoir la "
       "confirmation."},
      {"error_DESK_CLOSED", "Le guichet est fermé ce jour-là. Choisissez un autre créneau."},
      {"error_INVALID_COMPANIONS", "Indiquez un nombre de 0 à 5."},
      {"manage_intro",
       "Indiquez la référence et le code d'accès reçus à la réservation (ils figurent dans le "
       "message de confirmation)."},
      {"show_appointment", "Afficher mon rendez-vous"},
      {"status", "État"},
      {"status_BOOKED", "Confirmé"},
      {"status_ARRIVED", "Arrivé"},
      {"status_IN_SERVICE", "En cours"},
      {"status_FULFILLED", "Terminé"},
      {"status_CANCELLED", "Annulé"},
      {"status_NOSHOW", "Absent"},
      {"status_NOT_SERVED", "Non reçu"},
      {"cancel", "Annuler ce rendez-vous"},
      {"cancel_question",
       "Voulez-vous vraiment annuler ce rendez-vous ? Le créneau sera proposé à quelqu'un "
       "d'autre."},
      {"cancel_confirm", "Oui, annuler le rendez-vous"},
      {"cancelled_done", "Votre rendez-vous est annulé."},
      {"error_WRONG_ACCESS_CODE", "La référence ou le code d'accès est incorrect."},
      {"error_APPOINTMENT_NOT_FOUND", "La référence ou le code d'accès est incorrect."},
      {"error_INVALID_REFERENCE", "La référence ou le code d'accès est incorrect."},
      {"error_INVALID_ACCESS_CODE", "La référence ou le code d'accès est incorrect."},
      {"error_ACCESS_CODE_LOCKED",
       "Trop de codes erronés : réessayez dans 15 minutes, ou demandez un nouveau code."},
      {"error_APPOINTMENT_STARTED",
       "Le rendez-vous a commencé ou est passé : il ne peut plus être modifié."},
      {"error_ILLEGAL_TRANSITION", "Ce rendez-vous ne peut plus être modifié."},
      {"move", "Déplacer ce rendez-vous"},
      {"move_title", "Choisir un autre créneau"},
      {"current_slot", "Rendez-vous actuel"},
      {"move_to", "Déplacer au"},
      {"moved_done", "Votre rendez-vous est déplacé. La référence et le code ne changent pas."},
      {"error_SAME_SLOT", "C'est déjà le créneau du rendez-vous."},
      {"resend_title", "Référence ou code perdu"},
      {"resend_intro",
       "Indiquez la référence de votre rendez-vous, ou le téléphone portable ou l'adresse "
       "électronique donnés à la réservation. Si un rendez-vous à venir correspond, ses "
       "informations sont envoyées au contact enregistré (jamais à un autre)."},
      {"resend_label", "Référence, téléphone portable ou adresse électronique"},
      {"resend_hint", "Par exemple : SQDAHE54, 06 12 34 56 78 ou nom@domaine.fr"},
      {"resend_submit", "Recevoir mes informations"},
      {"resend_done",
       "Demande enregistrée. Si un rendez-vous à venir correspond, ses informations arrivent dans "
       "quelques minutes au contact enregistré."},
      {"resend_link", "J'ai perdu ma référence ou mon code"},
      {"error_ONE_KEY_REQUIRED",
       "Indiquez une référence, un téléphone portable ou une adresse électronique."},
      {"accessibility_p1",
       "La préfecture s'engage à rendre ce service accessible conformément à l'article 47 de la "
       "loi n° 2005-102 du 11 février 2005 et au référentiel général d'amélioration de "
       "l'accessibilité (RGAA 4.1)."},
      {"accessibility_p2",
       "État de conformité : partiellement conforme. Chaque page de prise de rendez-vous, en "
       "français, en anglais et en arabe, est vérifiée automatiquement à chaque version (critères "
       "WCAG 2.1 niveaux A et AA) ; un audit complet du RGAA reste à conduire."},
      {"accessibility_p3",
       "Les pages fonctionnent sans JavaScript, au clavier, avec un lecteur d'écran et sur un "
       "téléphone de 360 pixels de large. Le code QR de la confirmation est doublé de la référence "
       "écrite, que l'accueil peut saisir."},
      {"accessibility_p4",
       "Si vous ne parvenez pas à accéder à un contenu ou à un service, contactez la préfecture : "
       "un agent prendra le rendez-vous pour vous. Vous pouvez aussi saisir le Défenseur des "
       "droits (www.defenseurdesdroits.fr)."},
      {"privacy_p1",
       "Responsable du traitement : la préfecture où vous prenez rendez-vous. Finalité : organiser "
       "votre accueil (rendez-vous, rappels, passage à l'accueil) et mesurer la qualité de "
       "l'accueil (indicateurs Qual-e-Pref, sans données nominatives)."},
      {"privacy_p2",
       "Données collectées : nom, prénom, téléphone portable et/ou adresse électronique, langue "
       "des messages, besoin d'accessibilité et nombre d'accompagnants. Elles ne servent qu'à ce "
       "rendez-vous et ne sont transmises à personne d'autre que les agents de la préfecture et "
       "les prestataires d'envoi des SMS et des courriels."},
      {"privacy_p3",
       "Durée de conservation : les données personnelles sont effacées automatiquement "
       "{retention_days} jours "
       "après le rendez-vous (durée réglée par la préfecture). Les indicateurs ne conservent que "
       "des nombres."},
      {"privacy_p4",
       "Vos droits : accès, rectification, effacement et opposition, auprès de la préfecture (un "
       "agent peut exporter ou effacer vos données), et réclamation auprès de la CNIL "
       "(www.cnil.fr). Chaque message permet aussi de ne plus recevoir de messages."},
      {"legal_p1",
       "Éditeur : la préfecture où vous prenez rendez-vous, service de l'État. Directeur de la "
       "publication : le préfet."},
      {"legal_p2",
       "Hébergement : sur les serveurs de l'État ou de son prestataire, en France. Le service ne "
       "dépose que deux cookies nécessaires à son fonctionnement (langue choisie, protection des "
       "formulaires) et aucun cookie de mesure d'audience."},
      {"legal_p3",
       "Logiciel : Accueil. Le système de design de l'État (DSFR) est utilisé sous licence MIT ; "
       "la marque de l'État est soumise à une charte d'utilisation."},
      {"calendar_add", "Ajouter à mon agenda (.ics)"},
      {"book_again", "Prendre un nouveau rendez-vous"},
      {"link_intro",
       "Ouvrez le lien reçu par courriel ou par SMS. Si cette page ne continue pas d'elle-même, "
       "recopiez ici la fin du lien."},
      {"link_label", "Code du lien"},
      {"link_hint", "La fin du lien de votre message, après le signe #. Exemple : 123-0a1b2c…"},
      {"link_submit", "Continuer"},
      {"error_WRONG_TOKEN",
       "Ce lien n'est pas valable ou est incomplet. Utilisez le lien de votre dernier message."},
      {"error_MESSAGE_NOT_FOUND", "Ce lien n'est plus valable."},
      {"error_ATTENDANCE_NOT_FOUND", "Ce lien n'est plus valable."},
      {"error_SURVEY_NOT_FOUND", "Ce lien n'est plus valable."},
      {"attendance_title", "Confirmer ma présence"},
      {"attendance_deadline", "À confirmer avant le"},
      {"attendance_question",
       "Viendrez-vous à ce rendez-vous ? Sans confirmation avant la date limite, le créneau est "
       "proposé à d'autres personnes."},
      {"attendance_confirm", "Je confirme ma présence"},
      {"attendance_done",
       "Merci : votre présence est confirmée et votre rendez-vous est maintenu."},
      {"attendance_status_waiting", "En attente de votre confirmation"},
      {"attendance_status_confirmed", "Présence confirmée"},
      {"attendance_status_released", "Annulé faute de confirmation"},
      {"attendance_status_closed", "Délai de confirmation dépassé"},
      {"error_RELEASED",
       "Le délai est passé sans confirmation : le rendez-vous a été annulé et le créneau proposé à "
       "d'autres personnes. Vous pouvez reprendre rendez-vous."},
      {"error_CONFIRMATION_CLOSED", "Le délai pour confirmer est passé."},
      {"survey_title", "Votre avis sur notre accueil"},
      {"survey_visit", "Votre visite :"},
      {"survey_intro",
       "Vos réponses sont anonymes : elles ne sont reliées ni à votre nom ni à votre rendez-vous. "
       "Répondez aux questions de votre choix."},
      {"survey_until", "Questionnaire ouvert jusqu'au"},
      {"survey_delay", "Le délai pour obtenir un rendez-vous"},
      {"survey_courtesy", "La courtoisie des agents"},
      {"survey_availability", "La disponibilité des agents"},
      {"survey_clarity", "La clarté des informations données"},
      {"survey_comfort", "Le confort des locaux"},
      {"survey_overall", "Votre satisfaction globale"},
      {"score_0", "Sans avis"},
      {"score_1", "Très insatisfait"},
      {"score_2", "Plutôt insatisfait"},
      {"score_3", "Plutôt satisfait"},
      {"score_4", "Très satisfait"},
      {"survey_comment", "Commentaire (facultatif)"},
      {"survey_comment_hint",
       "1 000 caractères au plus. N'y indiquez ni votre nom ni celui d'un agent."},
      {"survey_submit", "Envoyer mon avis"},
      {"survey_done", "Merci pour votre réponse : elle nous aide à améliorer l'accueil."},
      {"error_SURVEY_ANSWERED", "Ce questionnaire a déjà reçu une réponse. Merci."},
      {"error_SURVEY_EXPIRED", "Ce questionnaire est clos."},
      {"error_NO_ANSWER", "Répondez à au moins une question."},
      {"error_INVALID_SCORE", "Choisissez une des réponses proposées."},
      {"error_INVALID_TEXT", "Ce texte est trop long ou contient des caractères non admis."},
      {"preferences_title", "Mes messages"},
      {"preferences_intro",
       "Vous pouvez arrêter, par courriel ou par SMS, les rappels, les avis et les questionnaires. "
       "Les messages qui répondent à vos démarches (confirmation, annulation, déplacement, accès "
       "perdu), la demande de confirmer votre présence et l'annonce de la fermeture d'un guichet "
       "sont toujours envoyés."},
      {"preferences_legend", "Messages à arrêter"},
      {"stop_email", "Ne plus recevoir de rappels, d'avis ni de questionnaires par courriel"},
      {"stop_sms", "Ne plus recevoir de rappels ni d'avis par SMS"},
      {"preferences_save", "Enregistrer mon choix"},
      {"preferences_done", "Votre choix est enregistré."},
      {"preferences_none", "Aucun courriel ni téléphone n'est enregistré pour ce rendez-vous."},
      {"indicators_title", "Indicateurs de qualité de l'accueil"},
      {"indicators_intro",
       "Chaque mois, la préfecture publie les indicateurs Qual-e-Pref de son accueil : la valeur "
       "du mois et, quand elle en a fixé un, l'objectif et s'il est atteint."},
      {"indicators_choose", "Choisissez une préfecture :"},
      {"indicators_year", "Année"},
      {"indicators_none", "Aucun mois n'est encore publié pour cette année."},
      {"indicator", "Indicateur"},
      {"objective", "Objectif"},
      {"objective_met", "Objectif atteint"},
      {"objective_not_met", "Objectif non atteint"},
      {"value_hidden", "Valeur masquée"},
      {"value_none", "Aucune donnée"},
      {"indicators_hidden_note",
       "Une valeur calculée sur moins de {threshold} observations est masquée, pour que personne "
       "ne puisse être reconnu."},
      {"restatements_title", "Corrections publiées"},
      {"restatement_month", "Mois"},
      {"restatement_before", "Avant"},
      {"restatement_after", "Après"},
      {"restatement_reason", "Motif"},
      {"year_previous", "Année précédente"},
      {"year_next", "Année suivante"},
      {"unit_percent", "{v} %"},
      {"unit_minutes", "{v} min"},
      {"unit_days", "{v} jours"},
      {"unit_people", "{v}"},
      {"unit_score", "{v} / 4"},
      {"indicator_noshow_rate", "Taux de rendez-vous non honorés"},
      {"indicator_not_served_rate", "Personnes venues mais non reçues"},
      {"indicator_cancellation_rate", "Taux d'annulation"},
      {"indicator_late_cancellation_rate", "Annulations tardives (moins de 24 h)"},
      {"indicator_booking_delay_mean", "Délai d'obtention d'un rendez-vous (moyenne)"},
      {"indicator_booking_delay_median", "Délai d'obtention d'un rendez-vous (médiane)"},
      {"indicator_booking_delay_p90", "Délai d'obtention d'un rendez-vous (90e centile)"},
      {"indicator_next_free_slot_mean", "Prochain créneau libre (moyenne)"},
      {"indicator_wait_mean", "Temps d'attente sur place (moyenne)"},
      {"indicator_wait_p90", "Temps d'attente sur place (90e centile)"},
      {"indicator_wait_within_30min", "Personnes appelées en moins de 30 minutes"},
      {"indicator_service_mean", "Durée de l'entretien au guichet (moyenne)"},
      {"indicator_lateness_mean", "Retard à l'arrivée (moyenne)"},
      {"indicator_late_arrival_rate", "Arrivées après le délai de tolérance"},
      {"indicator_received_with_appointment", "Personnes reçues avec rendez-vous"},
      {"indicator_received_without_appointment", "Personnes reçues sans rendez-vous"},
      {"indicator_received_total", "Personnes reçues"},
      {"indicator_appointments_unrecorded", "Rendez-vous sans issue enregistrée"},
      {"indicator_reminder_delivery_email", "Rappels par courriel délivrés"},
      {"indicator_reminder_delivery_sms", "Rappels par SMS délivrés"},
      {"indicator_survey_delay", "Enquête : délai d'obtention du rendez-vous"},
      {"indicator_survey_courtesy", "Enquête : courtoisie"},
      {"indicator_survey_availability", "Enquête : disponibilité"},
      {"indicator_survey_clarity", "Enquête : clarté des informations"},
      {"indicator_survey_comfort", "Enquête : confort des locaux"},
      {"indicator_survey_overall", "Enquête : satisfaction globale"},
      {"indicator_calls_answered_rate", "Appels aboutis"},
      {"indicator_email_reply_delay", "Délai de réponse aux courriels (moyenne)"},
      {"indicator_first_application_delay",
       "Délai de traitement des premières demandes de titre de séjour (moyenne)"},
      {"indicator_digital_point_registrations", "Personnes inscrites au point numérique"},
      {"kiosk_title", "Borne d'accueil"},
      {"kiosk_pairing_intro",
       "Cette tablette n'est pas encore associée à une préfecture. Saisissez le jeton d'appareil "
       "créé par un administrateur ; il est gardé sur cette tablette seulement."},
      {"kiosk_pairing_label", "Jeton d'appareil"},
      {"kiosk_pairing_submit", "Associer cette borne"},
      {"kiosk_intro",
       "Vous avez rendez-vous ? Scannez le QR code de votre confirmation ou tapez votre "
       "référence."},
      {"kiosk_label", "Votre référence ou votre QR code"},
      {"kiosk_hint", "La référence figure dans votre confirmation, par exemple K7MQ4XTD."},
      {"kiosk_submit", "Je suis arrivé(e)"},
      {"camera_scan", "Scanner avec la caméra"},
      {"camera_stop", "Arrêter la caméra"},
      {"camera_denied", "La caméra n'est pas accessible : tapez la référence."},
      {"kiosk_ticket", "Votre numéro"},
      {"kiosk_position", "Personnes avant vous : {n}"},
      {"kiosk_ticket_hint",
       "Gardez ce numéro : l'écran et l'appel vous diront à quel guichet vous rendre."},
      {"kiosk_next", "Personne suivante"},
      {"error_DEVICE_REQUIRED",
       "Ce jeton n'est pas celui d'une borne en service. Demandez-en un à un administrateur."},
      {"error_ARRIVAL_LATE",
       "L'heure de votre rendez-vous est passée : adressez-vous à l'accueil."},
      {"error_ARRIVAL_TOO_EARLY",
       "Il est trop tôt pour votre rendez-vous : revenez plus près de l'heure prévue."},
      {"error_ARRIVAL_OTHER_DAY",
       "Votre rendez-vous n'est pas aujourd'hui : vérifiez sa date ou adressez-vous à l'accueil."},
      {"error_CHECK_IN_TARGET_REQUIRED", "Tapez votre référence ou scannez votre QR code."},
      {"error_DAY_CLOSED", "L'accueil est fermé pour aujourd'hui."},
      {"error_INVALID_CHECK_IN_TOKEN",
       "Ce QR code n'est pas reconnu : tapez votre référence ou adressez-vous à l'accueil."},
      {"display_title", "Appels"},
      {"display_pairing_intro",
       "Cet écran n'est pas encore relié à un site. Saisissez une fois le jeton d'appareil qu'un "
       "administrateur a créé pour lui."},
      {"display_loaded", "Chargé"},
      {"display_live", "En direct"},
      {"display_reconnecting", "Reconnexion…"},
      {"display_no_call", "En attente des premiers appels"},
      {"display_sound_on", "Activer le son"},
      {"display_sound_active", "Son activé"},
      {"error_SLOT_FULL",
       "Ce créneau vient d'être réservé par quelqu'un d'autre. Choisissez-en un autre."},
      {"error_SLOT_IN_PAST", "Ce créneau est passé. Choisissez-en un autre."},
      {"error_ACTIVE_APPOINTMENT_EXISTS",
       "Vous avez déjà un rendez-vous à ce guichet. Gérez-le depuis la page « Mon rendez-vous »."},
      {"error_RATE_LIMITED",
       "Trop de demandes depuis votre connexion. Réessayez dans quelques minutes."},
      {"error_BOOKING_CAP_REACHED",
       "Trop de réservations depuis votre connexion. Réessayez dans une heure."},
      {"error_other",
       "Le service n'a pas pu enregistrer la demande. Réessayez ; si le problème persiste, "
       "contactez la préfecture."},
      {"error_csrf", "La page a expiré. Revenez en arrière, rechargez la page et recommencez."},
      {"choose_another_slot", "Choisir un autre créneau"},
      {"confirmed_title", "Votre rendez-vous est confirmé"},
      {"confirmed_intro",
       "Notez la référence et le code : ils permettent de consulter, déplacer ou annuler le "
       "rendez-vous. Ils figurent aussi dans le message de confirmation."},
      {"reference", "Référence"},
      {"access_code", "Code d'accès"},
      {"when", "Date et heure"},
      {"where", "Lieu"},
      {"desk", "Guichet"},
      {"qr_title", "Code à présenter à l'accueil"},
      {"qr_alt", "Code QR de passage à l'accueil"},
      {"add_to_calendar", "Ajouter à mon agenda (.ics)"},
      {"manage", "Mon rendez-vous"},
      {"legal", "Mentions légales"},
      {"privacy", "Données personnelles"},
      {"accessibility_statement", "Accessibilité : partiellement conforme"},
      {"not_found", "Page introuvable"},
      {"not_found_text", "Cette page n'existe pas ou plus."},
      {"back_home", "Retour à l'accueil"},
      {"service_unavailable",
       "Service momentanément indisponible. Réessayez dans quelques instants."},
  };
  return k;
}

const Catalog& English() {
  static const Catalog k = {
      {"site_name", "Appointments at the prefecture"},
      {"skip_to_content", "Skip to content"},
      {"language", "Language"},
      {"home_title", "Book an appointment"},
      {"home_intro", "Choose the prefecture and the desk, then a free time slot."},
      {"no_site", "No prefecture offers online appointments yet."},
      {"desks_of", "Desks"},
      {"choose_desk", "Book at this desk"},
      {"documents", "Documents to bring"},
      {"days_title", "Days with free time slots"},
      {"no_day",
       "No time slot is free at the moment. New slots open regularly: please come back later."},
      {"free_slots", "free slots"},
      {"slots_title", "Free time slots on"},
      {"choose_slot", "Choose this slot"},
      {"no_slot_that_day", "No slot is free that day any more: choose another day."},
      {"form_title", "Your details"},
      {"form_intro", "All fields are required unless marked optional."},
      {"your_slot", "Your time slot"},
      {"given_name", "First name"},
      {"family_name", "Last name"},
      {"phone", "Mobile phone"},
      {"phone_hint",
       "Optional if you give an e-mail address. To receive reminders by text message. Format: 06 "
       "12 34 56 78 or +33 6 12 34 56 78"},
      {"email", "E-mail address"},
      {"email_hint",
       "Optional if you give a mobile phone. To receive the confirmation and reminders. Format: "
       "name@domain.fr"},
      {"preferred_language", "Language of the messages"},
      {"accessibility", "Accessibility needs"},
      {"need_none", "None"},
      {"need_wheelchair", "Wheelchair"},
      {"need_reduced_mobility", "Reduced mobility"},
      {"need_visual", "Visual impairment"},
      {"need_hearing", "Hearing impairment"},
      {"need_cognitive", "Cognitive impairment"},
      {"need_other", "Other"},
      {"accessibility_note", "Details (optional)"},
      {"companions", "People coming with you"},
      {"companions_hint", "Interpreter, carer: 0 to 5"},
      {"book", "Confirm the appointment"},
      {"error_summary", "The form has an error"},
      {"error_INVALID_PHONE_NUMBER",
       "This phone number is not valid. Expected format: 06 12 34 56 78 or +33 6 12 34 56 78."},
      {"error_PHONE_NOT_MOBILE",
       "This is not a mobile number: reminders are sent by text message."},
      {"error_INVALID_EMAIL", "This e-mail address is not valid. Expected format: name@domain.fr."},
      {"error_INVALID_NAME", "This field is required (letters, spaces, hyphens and apostrophes)."},
      {"error_CONTACT_REQUIRED",
       "Give a mobile phone or an e-mail address, to receive the confirmation."},
      {"error_DESK_CLOSED", "The desk is closed that day. Please choose another slot."},
      {"error_INVALID_COMPANIONS", "Give a number from 0 to 5."},
      {"manage_intro",
       "Give the reference and the access code you received when booking (they are in the "
       "confirmation message)."},
      {"show_appointment", "Show my appointment"},
      {"status", "Status"},
      {"status_BOOKED", "Confirmed"},
      {"status_ARRIVED", "Arrived"},
      {"status_IN_SERVICE", "In progress"},
      {"status_FULFILLED", "Done"},
      {"status_CANCELLED", "Cancelled"},
      {"status_NOSHOW", "Missed"},
      {"status_NOT_SERVED", "Not served"},
      {"cancel", "Cancel this appointment"},
      {"cancel_question",
       "Do you really want to cancel this appointment? The slot will be offered to someone else."},
      {"cancel_confirm", "Yes, cancel the appointment"},
      {"cancelled_done", "Your appointment is cancelled."},
      {"error_WRONG_ACCESS_CODE", "The reference or the access code is wrong."},
      {"error_APPOINTMENT_NOT_FOUND", "The reference or the access code is wrong."},
      {"error_INVALID_REFERENCE", "The reference or the access code is wrong."},
      {"error_INVALID_ACCESS_CODE", "The reference or the access code is wrong."},
      {"error_ACCESS_CODE_LOCKED",
       "Too many wrong codes: try again in 15 minutes, or ask for a new code."},
      {"error_APPOINTMENT_STARTED",
       "The appointment has started or is over: it can no longer be changed."},
      {"error_ILLEGAL_TRANSITION", "This appointment can no longer be changed."},
      {"move", "Move this appointment"},
      {"move_title", "Choose another time slot"},
      {"current_slot", "Current appointment"},
      {"move_to", "Move to"},
      {"moved_done", "Your appointment is moved. The reference and the code stay the same."},
      {"error_SAME_SLOT", "This is already the appointment's slot."},
      {"resend_title", "Lost reference or code"},
      {"resend_intro",
       "Give your appointment's reference, or the mobile phone or e-mail address given when "
       "booking. If an upcoming appointment matches, its details are sent to the contact on file "
       "(never to another one)."},
      {"resend_label", "Reference, mobile phone or e-mail address"},
      {"resend_hint", "For example: SQDAHE54, 06 12 34 56 78 or name@domain.fr"},
      {"resend_submit", "Send me my details"},
      {"resend_done",
       "Request recorded. If an upcoming appointment matches, its details arrive at the contact on "
       "file within a few minutes."},
      {"resend_link", "I lost my reference or my code"},
      {"error_ONE_KEY_REQUIRED", "Give a reference, a mobile phone or an e-mail address."},
      {"accessibility_p1",
       "The prefecture is committed to making this service accessible in accordance with article "
       "47 of French law no. 2005-102 of 11 February 2005 and the general accessibility "
       "improvement framework (RGAA 4.1)."},
      {"accessibility_p2",
       "Compliance status: partially compliant. Every booking page, in French, English and Arabic, "
       "is checked automatically at every release (WCAG 2.1 levels A and AA criteria); a full RGAA "
       "audit is still to be carried out."},
      {"accessibility_p3",
       "The pages work without JavaScript, with a keyboard, with a screen reader and on a "
       "360-pixel-wide phone. The QR code of the confirmation comes with the written reference, "
       "which the reception can type."},
      {"accessibility_p4",
       "If you cannot access some content or service, contact the prefecture: an agent will book "
       "the appointment for you. You can also refer the matter to the Défenseur des droits "
       "(www.defenseurdesdroits.fr)."},
      {"privacy_p1",
       "Controller: the prefecture where you book. Purpose: organising your visit (appointment, "
       "reminders, checking in) and measuring the quality of the reception (Qual-e-Pref "
       "indicators, with no names)."},
      {"privacy_p2",
       "Data collected: last name, first name, mobile phone and/or e-mail address, language of the "
       "messages, accessibility need and number of people coming with you. They serve only this "
       "appointment and go to no one but the prefecture's agents and the providers sending text "
       "messages and e-mails."},
      {"privacy_p3",
       "Retention: personal data are erased automatically {retention_days} days after the "
       "appointment (a period "
       "the prefecture sets). The indicators keep only numbers."},
      {"privacy_p4",
       "Your rights: access, rectification, erasure and objection, with the prefecture (an agent "
       "can export or erase your data), and complaint to the CNIL (www.cnil.fr). Every message "
       "also lets you stop receiving messages."},
      {"legal_p1",
       "Publisher: the prefecture where you book, a State service. Director of publication: the "
       "prefect."},
      {"legal_p2",
       "Hosting: on the servers of the State or its provider, in France. The service sets only two "
       "cookies it needs to work (the chosen language, the protection of forms) and no "
       "audience-measurement cookie."},
      {"legal_p3",
       "Software: Accueil. The State design system (DSFR) is used under the MIT licence; the "
       "State's brand is subject to a usage charter."},
      {"calendar_add", "Add to my calendar (.ics)"},
      {"book_again", "Book a new appointment"},
      {"link_intro",
       "Open the link you received by e-mail or text message. If this page does not go on by "
       "itself, copy the end of the link here."},
      {"link_label", "The link's code"},
      {"link_hint", "The end of the link in your message, after the # sign. Example: 123-0a1b2c…"},
      {"link_submit", "Continue"},
      {"error_WRONG_TOKEN",
       "This link is not valid or is incomplete. Use the link in your latest message."},
      {"error_MESSAGE_NOT_FOUND", "This link is no longer valid."},
      {"error_ATTENDANCE_NOT_FOUND", "This link is no longer valid."},
      {"error_SURVEY_NOT_FOUND", "This link is no longer valid."},
      {"attendance_title", "Confirm my attendance"},
      {"attendance_deadline", "Confirm before"},
      {"attendance_question",
       "Will you come to this appointment? Without a confirmation before the deadline, the slot is "
       "offered to other people."},
      {"attendance_confirm", "I confirm I will come"},
      {"attendance_done", "Thank you: your attendance is confirmed and your appointment is kept."},
      {"attendance_status_waiting", "Waiting for your confirmation"},
      {"attendance_status_confirmed", "Attendance confirmed"},
      {"attendance_status_released", "Cancelled for lack of confirmation"},
      {"attendance_status_closed", "The deadline to confirm has passed"},
      {"error_RELEASED",
       "The deadline passed without a confirmation: the appointment was cancelled and the slot "
       "offered to other people. You can book again."},
      {"error_CONFIRMATION_CLOSED", "The deadline to confirm has passed."},
      {"survey_title", "Your opinion of our reception"},
      {"survey_visit", "Your visit:"},
      {"survey_intro",
       "Your answers are anonymous: they are tied neither to your name nor to your appointment. "
       "Answer the questions you choose."},
      {"survey_until", "Open until"},
      {"survey_delay", "The time it took to get an appointment"},
      {"survey_courtesy", "The staff's courtesy"},
      {"survey_availability", "The staff's availability"},
      {"survey_clarity", "The clarity of the information given"},
      {"survey_comfort", "The comfort of the premises"},
      {"survey_overall", "Your overall satisfaction"},
      {"score_0", "No opinion"},
      {"score_1", "Very dissatisfied"},
      {"score_2", "Rather dissatisfied"},
      {"score_3", "Rather satisfied"},
      {"score_4", "Very satisfied"},
      {"survey_comment", "Comment (optional)"},
      {"survey_comment_hint",
       "At most 1,000 characters. Do not write your name or a staff member's."},
      {"survey_submit", "Send my opinion"},
      {"survey_done", "Thank you for your answer: it helps us improve our reception."},
      {"error_SURVEY_ANSWERED", "This survey has already been answered. Thank you."},
      {"error_SURVEY_EXPIRED", "This survey is closed."},
      {"error_NO_ANSWER", "Answer at least one question."},
      {"error_INVALID_SCORE", "Choose one of the answers offered."},
      {"error_INVALID_TEXT", "This text is too long or contains characters that are not allowed."},
      {"preferences_title", "My messages"},
      {"preferences_intro",
       "You can stop reminders, notices and surveys by e-mail or by text message. Messages that "
       "answer your own actions (confirmation, cancellation, move, lost access), the request to "
       "confirm your attendance and the news that a desk is closed are always sent."},
      {"preferences_legend", "Messages to stop"},
      {"stop_email", "Stop reminders, notices and surveys by e-mail"},
      {"stop_sms", "Stop reminders and notices by text message"},
      {"preferences_save", "Save my choice"},
      {"preferences_done", "Your choice is saved."},
      {"preferences_none", "No e-mail address or phone number is on file for this appointment."},
      {"indicators_title", "Quality of reception: the indicators"},
      {"indicators_intro",
       "Every month the prefecture publishes the Qual-e-Pref indicators of its reception: the "
       "month's value and, when it set one, the objective and whether it was met."},
      {"indicators_choose", "Choose a prefecture:"},
      {"indicators_year", "Year"},
      {"indicators_none", "No month is published for this year yet."},
      {"indicator", "Indicator"},
      {"objective", "Objective"},
      {"objective_met", "Objective met"},
      {"objective_not_met", "Objective not met"},
      {"value_hidden", "Value hidden"},
      {"value_none", "No data"},
      {"indicators_hidden_note",
       "A value computed over fewer than {threshold} observations is hidden, so that nobody can be "
       "recognised."},
      {"restatements_title", "Published corrections"},
      {"restatement_month", "Month"},
      {"restatement_before", "Before"},
      {"restatement_after", "After"},
      {"restatement_reason", "Reason"},
      {"year_previous", "Previous year"},
      {"year_next", "Next year"},
      {"unit_percent", "{v}%"},
      {"unit_minutes", "{v} min"},
      {"unit_days", "{v} days"},
      {"unit_people", "{v}"},
      {"unit_score", "{v} / 4"},
      {"indicator_noshow_rate", "No-show rate"},
      {"indicator_not_served_rate", "Arrived but not served"},
      {"indicator_cancellation_rate", "Cancellation rate"},
      {"indicator_late_cancellation_rate", "Late cancellations (under 24 h)"},
      {"indicator_booking_delay_mean", "Delay to obtain an appointment (mean)"},
      {"indicator_booking_delay_median", "Delay to obtain an appointment (median)"},
      {"indicator_booking_delay_p90", "Delay to obtain an appointment (90th percentile)"},
      {"indicator_next_free_slot_mean", "Next free slot (mean)"},
      {"indicator_wait_mean", "Waiting time on site (mean)"},
      {"indicator_wait_p90", "Waiting time on site (90th percentile)"},
      {"indicator_wait_within_30min", "Called within 30 minutes"},
      {"indicator_service_mean", "Service time at the counter (mean)"},
      {"indicator_lateness_mean", "Lateness of arrivals (mean)"},
      {"indicator_late_arrival_rate", "Arrivals after the grace period"},
      {"indicator_received_with_appointment", "People received with an appointment"},
      {"indicator_received_without_appointment", "People received without an appointment"},
      {"indicator_received_total", "People received"},
      {"indicator_appointments_unrecorded", "Appointments without a recorded outcome"},
      {"indicator_reminder_delivery_email", "E-mail reminders delivered"},
      {"indicator_reminder_delivery_sms", "SMS reminders delivered"},
      {"indicator_survey_delay", "Survey: delay to obtain the appointment"},
      {"indicator_survey_courtesy", "Survey: courtesy"},
      {"indicator_survey_availability", "Survey: availability"},
      {"indicator_survey_clarity", "Survey: clarity of the information"},
      {"indicator_survey_comfort", "Survey: comfort of the premises"},
      {"indicator_survey_overall", "Survey: overall satisfaction"},
      {"indicator_calls_answered_rate", "Calls answered"},
      {"indicator_email_reply_delay", "Reply delay, e-mails (mean)"},
      {"indicator_first_application_delay",
       "Processing delay, first residence applications (mean)"},
      {"indicator_digital_point_registrations", "People registered at the digital access point"},
      {"kiosk_title", "Reception kiosk"},
      {"kiosk_pairing_intro",
       "This tablet is not linked to a prefecture yet. Type the device token an administrator "
       "created; it is kept on this tablet only."},
      {"kiosk_pairing_label", "Device token"},
      {"kiosk_pairing_submit", "Link this kiosk"},
      {"kiosk_intro",
       "You have an appointment? Scan the QR code of your confirmation or type your reference."},
      {"kiosk_label", "Your reference or your QR code"},
      {"kiosk_hint", "The reference is in your confirmation, for example K7MQ4XTD."},
      {"kiosk_submit", "I have arrived"},
      {"camera_scan", "Scan with the camera"},
      {"camera_stop", "Stop the camera"},
      {"camera_denied", "The camera is not available: type the reference."},
      {"kiosk_ticket", "Your number"},
      {"kiosk_position", "People before you: {n}"},
      {"kiosk_ticket_hint",
       "Keep this number: the screen and the call will tell you which counter to go to."},
      {"kiosk_next", "Next person"},
      {"error_DEVICE_REQUIRED",
       "This token is not that of a kiosk in service. Ask an administrator for one."},
      {"error_ARRIVAL_LATE",
       "The time of your appointment has passed: please see the reception desk."},
      {"error_ARRIVAL_TOO_EARLY",
       "It is too early for your appointment: come back closer to its time."},
      {"error_ARRIVAL_OTHER_DAY",
       "Your appointment is not today: check its date or see the reception desk."},
      {"error_CHECK_IN_TARGET_REQUIRED", "Type your reference or scan your QR code."},
      {"error_DAY_CLOSED", "Reception is closed for today."},
      {"error_INVALID_CHECK_IN_TOKEN",
       "This QR code is not recognised: type your reference or see the reception desk."},
      {"display_title", "Calls"},
      {"display_pairing_intro",
       "This screen is not linked to a site yet. Type once the device token an administrator "
       "created for it."},
      {"display_loaded", "Loaded"},
      {"display_live", "Live"},
      {"display_reconnecting", "Reconnecting…"},
      {"display_no_call", "Waiting for the first calls"},
      {"display_sound_on", "Turn the sound on"},
      {"display_sound_active", "Sound on"},
      {"error_SLOT_FULL", "Someone else has just booked this slot. Please choose another one."},
      {"error_SLOT_IN_PAST", "This slot is in the past. Please choose another one."},
      {"error_ACTIVE_APPOINTMENT_EXISTS",
       "You already have an appointment at this desk. Manage it from the \"My appointment\" page."},
      {"error_RATE_LIMITED",
       "Too many requests from your connection. Please try again in a few minutes."},
      {"error_BOOKING_CAP_REACHED",
       "Too many bookings from your connection. Please try again in an hour."},
      {"error_other",
       "The service could not record the request. Please try again; if it persists, contact the "
       "prefecture."},
      {"error_csrf", "The page has expired. Go back, reload the page and try again."},
      {"choose_another_slot", "Choose another slot"},
      {"confirmed_title", "Your appointment is confirmed"},
      {"confirmed_intro",
       "Write down the reference and the code: with them you can view, move or cancel the "
       "appointment. They are also in the confirmation message."},
      {"reference", "Reference"},
      {"access_code", "Access code"},
      {"when", "Date and time"},
      {"where", "Place"},
      {"desk", "Desk"},
      {"qr_title", "Code to show at the reception"},
      {"qr_alt", "QR code for checking in at the reception"},
      {"add_to_calendar", "Add to my calendar (.ics)"},
      {"manage", "My appointment"},
      {"legal", "Legal notice"},
      {"privacy", "Personal data"},
      {"accessibility_statement", "Accessibility: partially compliant"},
      {"not_found", "Page not found"},
      {"not_found_text", "This page does not exist or no longer exists."},
      {"back_home", "Back to the home page"},
      {"service_unavailable",
       "The service is temporarily unavailable. Please try again in a moment."},
  };
  return k;
}

const Catalog& Arabic() {
  static const Catalog k = {
      {"site_name", "المواعيد في المحافظة"},
      {"skip_to_content", "انتقل إلى المحتوى"},
      {"language", "اللغة"},
      {"home_title", "حجز موعد"},
      {"home_intro", "اختر المحافظة والشباك، ثم موعدًا متاحًا."},
      {"no_site", "لا توجد محافظة تقدّم مواعيد عبر الإنترنت بعد."},
      {"desks_of", "الشبابيك"},
      {"choose_desk", "الحجز في هذا الشباك"},
      {"documents", "الوثائق المطلوب إحضارها"},
      {"days_title", "أيام فيها مواعيد متاحة"},
      {"no_day", "لا يوجد موعد متاح حاليًا. تُفتح مواعيد جديدة بانتظام: يرجى العودة لاحقًا."},
      {"free_slots", "مواعيد متاحة"},
      {"slots_title", "المواعيد المتاحة يوم"},
      {"choose_slot", "اختيار هذا الموعد"},
      {"no_slot_that_day", "لم يعد هناك موعد متاح في هذا اليوم: اختر يومًا آخر."},
      {"form_title", "بياناتك"},
      {"form_intro", "جميع الحقول إلزامية ما لم يُذكر خلاف ذلك."},
      {"your_slot", "موعدك"},
      {"given_name", "الاسم الشخصي"},
      {"family_name", "اسم العائلة"},
      {"phone", "الهاتف المحمول"},
      {"phone_hint",
       "اختياري إذا أدخلت بريدًا إلكترونيًا. لتلقي التذكيرات عبر الرسائل القصيرة. الصيغة: 06 12 34 "
       "56 78 أو +33 6 12 34 56 78"},
      {"email", "البريد الإلكتروني"},
      {"email_hint",
       "اختياري إذا أدخلت رقم هاتف محمول. لتلقي التأكيد والتذكيرات. الصيغة: name@domain.fr"},
      {"preferred_language", "لغة الرسائل"},
      {"accessibility", "احتياجات الإتاحة"},
      {"need_none", "لا شيء"},
      {"need_wheelchair", "كرسي متحرك"},
      {"need_reduced_mobility", "صعوبة في الحركة"},
      {"need_visual", "إعاقة بصرية"},
      {"need_hearing", "إعاقة سمعية"},
      {"need_cognitive", "إعاقة إدراكية"},
      {"need_other", "أخرى"},
      {"accessibility_note", "تفاصيل (اختياري)"},
      {"companions", "عدد المرافقين"},
      {"companions_hint", "مترجم، مساعد: من 0 إلى 5"},
      {"book", "تأكيد الموعد"},
      {"error_summary", "في الاستمارة خطأ"},
      {"error_INVALID_PHONE_NUMBER",
       "رقم الهاتف هذا غير صالح. الصيغة المطلوبة: 06 12 34 56 78 أو +33 6 12 "
       "34 "
       "56 "
       "78."},
      {"error_PHONE_NOT_MOBILE", "هذا ليس رقم هاتف محمول: التذكيرات تُرسل برسائل قصيرة."},
      {"error_INVALID_EMAIL",
       "عنوان البريد الإلكتروني هذا غير صالح. الصيغة المطلوبة: name@domain.fr."},
      {"error_INVALID_NAME", "هذا الحقل إلزامي (حروف ومسافات وشرطات وفواصل عليا)."},
      {"error_CONTACT_REQUIRED", "أدخل رقم هاتف محمول أو عنوان بريد إلكتروني لتلقي التأكيد."},
      {"error_DESK_CLOSED", "الشباك مغلق في ذلك اليوم. يرجى اختيار موعد آخر."},
      {"error_INVALID_COMPANIONS", "أدخل عددًا من 0 إلى 5."},
      {"manage_intro",
       "أدخل المرجع ورمز الدخول اللذين تلقيتهما عند الحجز (وهما في رسالة التأكيد)."},
      {"show_appointment", "عرض موعدي"},
      {"status", "الحالة"},
      {"status_BOOKED", "مؤكَّد"},
      {"status_ARRIVED", "حاضر"},
      {"status_IN_SERVICE", "قيد المعالجة"},
      {"status_FULFILLED", "منتهٍ"},
      {"status_CANCELLED", "ملغى"},
      {"status_NOSHOW", "غائب"},
      {"status_NOT_SERVED", "لم تتم خدمته"},
      {"cancel", "إلغاء هذا الموعد"},
      {"cancel_question", "هل تريد حقًا إلغاء هذا الموعد؟ سيُعرض الموعد على شخص آخر."},
      {"cancel_confirm", "نعم، إلغاء الموعد"},
      {"cancelled_done", "تم إلغاء موعدك."},
      {"error_WRONG_ACCESS_CODE", "المرجع أو رمز الدخول غير صحيح."},
      {"error_APPOINTMENT_NOT_FOUND", "المرجع أو رمز الدخول غير صحيح."},
      {"error_INVALID_REFERENCE", "المرجع أو رمز الدخول غير صحيح."},
      {"error_INVALID_ACCESS_CODE", "المرجع أو رمز الدخول غير صحيح."},
      {"error_ACCESS_CODE_LOCKED",
       "رموز خاطئة كثيرة: حاول مجددًا بعد 15 دقيقة، أو اطلب رمزًا جديدًا."},
      {"error_APPOINTMENT_STARTED", "بدأ الموعد أو انتهى: لم يعد بالإمكان تعديله."},
      {"error_ILLEGAL_TRANSITION", "لم يعد بالإمكان تعديل هذا الموعد."},
      {"move", "تغيير موعد هذا الحجز"},
      {"move_title", "اختيار موعد آخر"},
      {"current_slot", "الموعد الحالي"},
      {"move_to", "النقل إلى"},
      {"moved_done", "تم تغيير موعدك. المرجع والرمز لا يتغيران."},
      {"error_SAME_SLOT", "هذا هو موعد الحجز بالفعل."},
      {"resend_title", "فقدان المرجع أو الرمز"},
      {"resend_intro",
       "أدخل مرجع موعدك، أو رقم الهاتف المحمول أو البريد الإلكتروني المقدَّم عند الحجز. إذا تطابق "
       "موعد قادم، تُرسل معلوماته إلى جهة الاتصال المسجلة (وليس إلى غيرها أبدًا)."},
      {"resend_label", "المرجع أو الهاتف المحمول أو البريد الإلكتروني"},
      {"resend_hint", "مثال: SQDAHE54 أو 06 12 34 56 78 أو name@domain.fr"},
      {"resend_submit", "إرسال معلوماتي"},
      {"resend_done",
       "تم تسجيل الطلب. إذا تطابق موعد قادم، تصل معلوماته إلى جهة الاتصال المسجلة خلال دقائق."},
      {"resend_link", "فقدت المرجع أو الرمز"},
      {"error_ONE_KEY_REQUIRED", "أدخل مرجعًا أو رقم هاتف محمول أو بريدًا إلكترونيًا."},
      {"accessibility_p1",
       "تلتزم المحافظة بجعل هذه الخدمة متاحة وفقًا للمادة 47 من القانون الفرنسي رقم 2005-102 المؤرخ "
       "في 11 فبراير 2005 والإطار العام لتحسين الإتاحة (RGAA 4.1)."},
      {"accessibility_p2",
       "حالة المطابقة: مطابقة جزئيًا. تُفحص كل صفحة من صفحات الحجز، بالفرنسية والإنجليزية والعربية، "
       "آليًا عند كل إصدار (معايير WCAG 2.1 المستويان A وAA)؛ ولا يزال التدقيق الكامل وفق RGAA قيد "
       "الإنجاز."},
      {"accessibility_p3",
       "تعمل الصفحات دون JavaScript، وبلوحة المفاتيح، ومع قارئ الشاشة، وعلى هاتف بعرض 360 بكسل. "
       "ويرافق رمز QR في التأكيد المرجعُ مكتوبًا، ويمكن لموظف الاستقبال إدخاله."},
      {"accessibility_p4",
       "إذا تعذّر عليك الوصول إلى محتوى أو خدمة، فاتصل بالمحافظة: سيحجز لك أحد الموظفين الموعد. "
       "ويمكنك أيضًا اللجوء إلى المدافع عن الحقوق (www.defenseurdesdroits.fr)."},
      {"privacy_p1",
       "المسؤول عن المعالجة: المحافظة التي تحجز فيها. الغرض: تنظيم استقبالك (الموعد، التذكيرات، "
       "التسجيل عند الوصول) وقياس جودة الاستقبال (مؤشرات Qual-e-Pref، دون أسماء)."},
      {"privacy_p2",
       "البيانات المجمعة: الاسم واللقب، ورقم الهاتف المحمول و/أو البريد الإلكتروني، ولغة الرسائل، "
       "واحتياجات الإتاحة، وعدد المرافقين. لا تُستعمل إلا لهذا الموعد ولا تُنقل إلا إلى موظفي "
       "المحافظة ومزوّدي إرسال الرسائل القصيرة والبريد الإلكتروني."},
      {"privacy_p3",
       "مدة الحفظ: تُمحى البيانات الشخصية آليًا بعد {retention_days} يومًا من الموعد (مدة تحددها "
       "المحافظة). ولا "
       "تحتفظ المؤشرات إلا بالأرقام."},
      {"privacy_p4",
       "حقوقك: الاطلاع والتصحيح والمحو والاعتراض لدى المحافظة (يمكن للموظف تصدير بياناتك أو "
       "محوها)، والشكوى لدى اللجنة الوطنية للمعلوماتية والحريات CNIL (www.cnil.fr). وتتيح لك كل "
       "رسالة أيضًا التوقف عن تلقي الرسائل."},
      {"legal_p1", "الناشر: المحافظة التي تحجز فيها، وهي مصلحة تابعة للدولة. مدير النشر: المحافظ."},
      {"legal_p2",
       "الاستضافة: على خوادم الدولة أو مزوّدها، في فرنسا. لا تضع الخدمة إلا ملفَّي تعريف ارتباط "
       "ضروريين لعملها (اللغة المختارة، وحماية الاستمارات) ولا أي ملف لقياس الجمهور."},
      {"legal_p3",
       "البرنامج: Accueil. يُستخدم نظام التصميم الخاص بالدولة (DSFR) بموجب رخصة MIT؛ وتخضع علامة "
       "الدولة لميثاق استخدام."},
      {"calendar_add", "أضف إلى تقويمي (.ics)"},
      {"book_again", "حجز موعد جديد"},
      {"link_intro",
       "افتح الرابط الذي وصلك بالبريد الإلكتروني أو بالرسالة القصيرة. إذا لم تتابع هذه الصفحة من "
       "تلقاء نفسها، فانسخ نهاية الرابط هنا."},
      {"link_label", "رمز الرابط"},
      {"link_hint", "نهاية الرابط في رسالتك، بعد العلامة #. مثال: 123-0a1b2c…"},
      {"link_submit", "متابعة"},
      {"error_WRONG_TOKEN",
       "هذا الرابط غير صالح أو غير كامل. استعمل الرابط الوارد في آخر رسالة وصلتك."},
      {"error_MESSAGE_NOT_FOUND", "هذا الرابط لم يعد صالحًا."},
      {"error_ATTENDANCE_NOT_FOUND", "هذا الرابط لم يعد صالحًا."},
      {"error_SURVEY_NOT_FOUND", "هذا الرابط لم يعد صالحًا."},
      {"attendance_title", "تأكيد حضوري"},
      {"attendance_deadline", "يجب التأكيد قبل"},
      {"attendance_question",
       "هل ستحضر هذا الموعد؟ إذا لم تؤكد قبل الأجل، يُعرض الموعد على أشخاص آخرين."},
      {"attendance_confirm", "أؤكد حضوري"},
      {"attendance_done", "شكرًا: تم تأكيد حضورك وموعدك محفوظ."},
      {"attendance_status_waiting", "في انتظار تأكيدك"},
      {"attendance_status_confirmed", "الحضور مؤكد"},
      {"attendance_status_released", "أُلغي لعدم التأكيد"},
      {"attendance_status_closed", "انقضى أجل التأكيد"},
      {"error_RELEASED",
       "انقضى الأجل دون تأكيد: أُلغي الموعد وعُرض على أشخاص آخرين. يمكنك حجز موعد جديد."},
      {"error_CONFIRMATION_CLOSED", "انقضى أجل التأكيد."},
      {"survey_title", "رأيك في استقبالنا"},
      {"survey_visit", "زيارتك:"},
      {"survey_intro",
       "إجاباتك مجهولة الهوية: لا ترتبط باسمك ولا بموعدك. أجب عن الأسئلة التي تختارها."},
      {"survey_until", "الاستبيان مفتوح حتى"},
      {"survey_delay", "المدة اللازمة للحصول على موعد"},
      {"survey_courtesy", "لباقة الموظفين"},
      {"survey_availability", "توفر الموظفين"},
      {"survey_clarity", "وضوح المعلومات المقدمة"},
      {"survey_comfort", "راحة المكان"},
      {"survey_overall", "رضاك العام"},
      {"score_0", "بلا رأي"},
      {"score_1", "غير راضٍ إطلاقًا"},
      {"score_2", "غير راضٍ نوعًا ما"},
      {"score_3", "راضٍ نوعًا ما"},
      {"score_4", "راضٍ جدًا"},
      {"survey_comment", "تعليق (اختياري)"},
      {"survey_comment_hint", "1000 حرف على الأكثر. لا تكتب اسمك ولا اسم أحد الموظفين."},
      {"survey_submit", "إرسال رأيي"},
      {"survey_done", "شكرًا على إجابتك: إنها تساعدنا على تحسين الاستقبال."},
      {"error_SURVEY_ANSWERED", "تمت الإجابة عن هذا الاستبيان من قبل. شكرًا."},
      {"error_SURVEY_EXPIRED", "هذا الاستبيان مغلق."},
      {"error_NO_ANSWER", "أجب عن سؤال واحد على الأقل."},
      {"error_INVALID_SCORE", "اختر إحدى الإجابات المقترحة."},
      {"error_INVALID_TEXT", "هذا النص طويل جدًا أو يحتوي على أحرف غير مسموح بها."},
      {"preferences_title", "رسائلي"},
      {"preferences_intro",
       "يمكنك إيقاف التذكيرات والإشعارات والاستبيانات بالبريد الإلكتروني أو بالرسائل القصيرة. أما "
       "الرسائل التي تجيب عن إجراءاتك (التأكيد، الإلغاء، تغيير الموعد، استرجاع الوصول) وطلب تأكيد "
       "الحضور وإعلان إغلاق الشباك فتُرسل دائمًا."},
      {"preferences_legend", "الرسائل المراد إيقافها"},
      {"stop_email", "إيقاف التذكيرات والإشعارات والاستبيانات بالبريد الإلكتروني"},
      {"stop_sms", "إيقاف التذكيرات والإشعارات بالرسائل القصيرة"},
      {"preferences_save", "حفظ اختياري"},
      {"preferences_done", "تم حفظ اختيارك."},
      {"preferences_none", "لا يوجد بريد إلكتروني ولا هاتف مسجل لهذا الموعد."},
      {"indicators_title", "مؤشرات جودة الاستقبال"},
      {"indicators_intro",
       "تنشر المحافظة كل شهر مؤشرات Qual-e-Pref الخاصة باستقبالها: قيمة الشهر، والهدف المحدد إن "
       "وُجد وما إذا تم بلوغه."},
      {"indicators_choose", "اختر محافظة:"},
      {"indicators_year", "السنة"},
      {"indicators_none", "لم يُنشر أي شهر لهذه السنة بعد."},
      {"indicator", "المؤشر"},
      {"objective", "الهدف"},
      {"objective_met", "تم بلوغ الهدف"},
      {"objective_not_met", "لم يتم بلوغ الهدف"},
      {"value_hidden", "قيمة محجوبة"},
      {"value_none", "لا توجد بيانات"},
      {"indicators_hidden_note",
       "تُحجب كل قيمة محسوبة على أقل من {threshold} ملاحظات، حتى لا يمكن التعرف على أي شخص."},
      {"restatements_title", "التصحيحات المنشورة"},
      {"restatement_month", "الشهر"},
      {"restatement_before", "قبل"},
      {"restatement_after", "بعد"},
      {"restatement_reason", "السبب"},
      {"year_previous", "السنة السابقة"},
      {"year_next", "السنة التالية"},
      {"unit_percent", "{v}%"},
      {"unit_minutes", "{v} دقيقة"},
      {"unit_days", "{v} يوم"},
      {"unit_people", "{v}"},
      {"unit_score", "{v} / 4"},
      {"indicator_noshow_rate", "نسبة المواعيد التي لم يحضرها أصحابها"},
      {"indicator_not_served_rate", "أشخاص حضروا ولم يُستقبلوا"},
      {"indicator_cancellation_rate", "نسبة الإلغاء"},
      {"indicator_late_cancellation_rate", "الإلغاءات المتأخرة (أقل من 24 ساعة)"},
      {"indicator_booking_delay_mean", "مدة الحصول على موعد (المتوسط)"},
      {"indicator_booking_delay_median", "مدة الحصول على موعد (الوسيط)"},
      {"indicator_booking_delay_p90", "مدة الحصول على موعد (المئين التسعون)"},
      {"indicator_next_free_slot_mean", "أقرب موعد متاح (المتوسط)"},
      {"indicator_wait_mean", "مدة الانتظار في المكان (المتوسط)"},
      {"indicator_wait_p90", "مدة الانتظار في المكان (المئين التسعون)"},
      {"indicator_wait_within_30min", "أشخاص نودي عليهم خلال 30 دقيقة"},
      {"indicator_service_mean", "مدة المقابلة في الشباك (المتوسط)"},
      {"indicator_lateness_mean", "التأخر عند الوصول (المتوسط)"},
      {"indicator_late_arrival_rate", "الوصول بعد مهلة التسامح"},
      {"indicator_received_with_appointment", "الأشخاص المستقبَلون بموعد"},
      {"indicator_received_without_appointment", "الأشخاص المستقبَلون بدون موعد"},
      {"indicator_received_total", "الأشخاص المستقبَلون"},
      {"indicator_appointments_unrecorded", "مواعيد بلا نتيجة مسجلة"},
      {"indicator_reminder_delivery_email", "التذكيرات المسلَّمة بالبريد الإلكتروني"},
      {"indicator_reminder_delivery_sms", "التذكيرات المسلَّمة بالرسائل القصيرة"},
      {"indicator_survey_delay", "الاستبيان: مدة الحصول على الموعد"},
      {"indicator_survey_courtesy", "الاستبيان: اللباقة"},
      {"indicator_survey_availability", "الاستبيان: التوفر"},
      {"indicator_survey_clarity", "الاستبيان: وضوح المعلومات"},
      {"indicator_survey_comfort", "الاستبيان: راحة المكان"},
      {"indicator_survey_overall", "الاستبيان: الرضا العام"},
      {"indicator_calls_answered_rate", "المكالمات التي تمت الإجابة عنها"},
      {"indicator_email_reply_delay", "مدة الرد على الرسائل الإلكترونية (المتوسط)"},
      {"indicator_first_application_delay", "مدة معالجة الطلبات الأولى لبطاقة الإقامة (المتوسط)"},
      {"indicator_digital_point_registrations", "الأشخاص المسجلون في نقطة الولوج الرقمي"},
      {"kiosk_title", "جهاز الاستقبال الذاتي"},
      {"kiosk_pairing_intro",
       "هذا الجهاز اللوحي غير مرتبط بمحافظة بعد. أدخل رمز الجهاز الذي أنشأه المسؤول؛ يُحفظ على هذا "
       "الجهاز فقط."},
      {"kiosk_pairing_label", "رمز الجهاز"},
      {"kiosk_pairing_submit", "ربط هذا الجهاز"},
      {"kiosk_intro", "هل لديك موعد؟ امسح رمز QR الموجود في تأكيدك أو اكتب مرجعك."},
      {"kiosk_label", "مرجعك أو رمز QR الخاص بك"},
      {"kiosk_hint", "يوجد المرجع في تأكيدك، مثلًا K7MQ4XTD."},
      {"kiosk_submit", "لقد وصلت"},
      {"camera_scan", "امسح بالكاميرا"},
      {"camera_stop", "أوقف الكاميرا"},
      {"camera_denied", "الكاميرا غير متاحة: اكتب المرجع."},
      {"kiosk_ticket", "رقمك"},
      {"kiosk_position", "عدد الأشخاص قبلك: {n}"},
      {"kiosk_ticket_hint", "احتفظ بهذا الرقم: ستخبرك الشاشة والنداء بالشباك الذي تتوجه إليه."},
      {"kiosk_next", "الشخص التالي"},
      {"error_DEVICE_REQUIRED", "هذا الرمز ليس رمز جهاز في الخدمة. اطلب رمزًا من المسؤول."},
      {"error_ARRIVAL_LATE", "فات وقت موعدك: توجّه إلى مكتب الاستقبال."},
      {"error_ARRIVAL_TOO_EARLY", "الوقت مبكر جدًا لموعدك: عد في وقت أقرب إلى موعدك."},
      {"error_ARRIVAL_OTHER_DAY", "موعدك ليس اليوم: تحقق من تاريخه أو توجّه إلى مكتب الاستقبال."},
      {"error_CHECK_IN_TARGET_REQUIRED", "اكتب مرجعك أو امسح رمز QR."},
      {"error_DAY_CLOSED", "الاستقبال مغلق اليوم."},
      {"error_INVALID_CHECK_IN_TOKEN",
       "لم يتم التعرف على رمز QR هذا: اكتب مرجعك أو توجّه إلى مكتب الاستقبال."},
      {"display_title", "النداءات"},
      {"display_pairing_intro",
       "هذه الشاشة غير مرتبطة بموقع بعد. اكتب مرة واحدة رمز الجهاز الذي أنشأه المسؤول لها."},
      {"display_loaded", "تم التحميل"},
      {"display_live", "مباشر"},
      {"display_reconnecting", "جارٍ إعادة الاتصال…"},
      {"display_no_call", "في انتظار النداءات الأولى"},
      {"display_sound_on", "تشغيل الصوت"},
      {"display_sound_active", "الصوت مُفعَّل"},
      {"error_SLOT_FULL", "حجز شخص آخر هذا الموعد للتو. يرجى اختيار موعد آخر."},
      {"error_SLOT_IN_PAST", "هذا الموعد قد مضى. يرجى اختيار موعد آخر."},
      {"error_ACTIVE_APPOINTMENT_EXISTS",
       "لديك موعد في هذا الشباك بالفعل. يمكنك إدارته من صفحة «موعدي»."},
      {"error_RATE_LIMITED", "طلبات كثيرة جدًا من اتصالك. يرجى المحاولة بعد بضع دقائق."},
      {"error_BOOKING_CAP_REACHED", "حجوزات كثيرة جدًا من اتصالك. يرجى المحاولة بعد ساعة."},
      {"error_other",
       "تعذّر على الخدمة تسجيل الطلب. يرجى المحاولة مجددًا؛ وإن استمر الأمر، اتصل بالمحافظة."},
      {"error_csrf", "انتهت صلاحية الصفحة. ارجع، وأعد تحميل الصفحة، وحاول مجددًا."},
      {"choose_another_slot", "اختيار موعد آخر"},
      {"confirmed_title", "تم تأكيد موعدك"},
      {"confirmed_intro",
       "احتفظ بالمرجع والرمز: بهما يمكنك الاطلاع على الموعد أو تغييره أو إلغاؤه. وهما موجودان أيضًا "
       "في رسالة التأكيد."},
      {"reference", "المرجع"},
      {"access_code", "رمز الدخول"},
      {"when", "التاريخ والساعة"},
      {"where", "المكان"},
      {"desk", "الشباك"},
      {"qr_title", "الرمز الذي يُعرض في الاستقبال"},
      {"qr_alt", "رمز QR للتسجيل في الاستقبال"},
      {"add_to_calendar", "إضافة إلى تقويمي (.ics)"},
      {"manage", "موعدي"},
      {"legal", "الإشعار القانوني"},
      {"privacy", "البيانات الشخصية"},
      {"accessibility_statement", "الإتاحة: مطابقة جزئيًا"},
      {"not_found", "الصفحة غير موجودة"},
      {"not_found_text", "هذه الصفحة غير موجودة أو لم تعد موجودة."},
      {"back_home", "العودة إلى الصفحة الرئيسية"},
      {"service_unavailable", "الخدمة غير متاحة مؤقتًا. يرجى المحاولة بعد قليل."},
  };
  return k;
}

// Catalogs with every key: a language's own word, else the French one.
std::map<std::string, Catalog> BuildCatalogs() {
  std::map<std::string, Catalog> out;
  out["fr"] = French();
  for (const auto& [language, own] :
       {std::pair<std::string, const Catalog*>{"en", &English()}, {"ar", &Arabic()}}) {
    Catalog merged = French();
    for (const auto& [key, text] : *own) merged[key] = text;
    out[language] = std::move(merged);
  }
  return out;
}

bool Known(std::string_view language) {
  for (const std::string& l : PageLanguages()) {
    if (l == language) return true;
  }
  return false;
}

}  // namespace

const std::vector<std::string>& PageLanguages() {
  static const std::vector<std::string> k = {"fr", "en", "ar"};
  return k;
}

std::string ChooseLanguage(std::string_view query_lang, std::string_view cookie_lang,
                           std::string_view accept_language) {
  if (Known(query_lang)) return std::string(query_lang);
  if (Known(cookie_lang)) return std::string(cookie_lang);
  // "ar-MA,ar;q=0.9,fr;q=0.8": the first known primary tag, in the order
  // given (browsers list by preference).
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(accept_language.data(), accept_language.size()), ',')) {
    std::string tag =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(part.substr(0, part.find(';'))));
    tag = tag.substr(0, tag.find('-'));
    if (Known(tag)) return tag;
  }
  return "fr";
}

const std::map<std::string, std::string>& Words(const std::string& language) {
  static const std::map<std::string, Catalog> catalogs = BuildCatalogs();
  auto it = catalogs.find(language);
  return it == catalogs.end() ? catalogs.at("fr") : it->second;
}

std::string LanguageName(const std::string& language) {
  if (language == "en") return "English";
  if (language == "ar") return "العربية";
  return "Français";
}

bool RightToLeft(const std::string& language) { return language == "ar"; }

namespace {

// MonthName: `month` (1-12) in `language`.
std::string MonthName(const std::string& language, int month) {
  static const char* kFr[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                              "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
  static const char* kEn[] = {"January",   "February", "March",    "April",
                              "May",       "June",     "July",     "August",
                              "September", "October",  "November", "December"};
  static const char* kAr[] = {"يناير", "فبراير", "مارس",   "أبريل",  "مايو",   "يونيو",
                              "يوليو", "أغسطس",  "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"};
  const int i = (month - 1) % 12;
  return language == "en" ? kEn[i] : language == "ar" ? kAr[i] : kFr[i];
}

}  // namespace

std::string LongDate(const std::string& language, absl::CivilDay day) {
  static const char* kFrDays[] = {"lundi",    "mardi",  "mercredi", "jeudi",
                                  "vendredi", "samedi", "dimanche"};
  static const char* kEnDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                  "Friday", "Saturday", "Sunday"};
  static const char* kArDays[] = {"الاثنين", "الثلاثاء", "الأربعاء", "الخميس",
                                  "الجمعة",  "السبت",    "الأحد"};
  int weekday = 0;  // Monday
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      weekday = 0;
      break;
    case absl::Weekday::tuesday:
      weekday = 1;
      break;
    case absl::Weekday::wednesday:
      weekday = 2;
      break;
    case absl::Weekday::thursday:
      weekday = 3;
      break;
    case absl::Weekday::friday:
      weekday = 4;
      break;
    case absl::Weekday::saturday:
      weekday = 5;
      break;
    case absl::Weekday::sunday:
      weekday = 6;
      break;
  }
  const std::string month = MonthName(language, day.month());
  if (language == "en") {
    return absl::StrCat(kEnDays[weekday], " ", day.day(), " ", month, " ", day.year());
  }
  if (language == "ar") {
    return absl::StrCat(kArDays[weekday], " ", day.day(), " ", month, " ", day.year());
  }
  return absl::StrCat(kFrDays[weekday], " ", day.day(), " ", month, " ", day.year());
}

std::string MonthYear(const std::string& language, absl::CivilMonth month) {
  return absl::StrCat(MonthName(language, month.month()), " ", month.year());
}

std::string Decimal(const std::string& language, double value, int decimals) {
  std::string text = absl::StrFormat("%.*f", decimals, value);
  if (text == "-0" || text == "-0.0") text = text.substr(1);
  if (language == "fr") std::replace(text.begin(), text.end(), '.', ',');
  return text;
}

std::string TimeOfDay(absl::Time time, absl::TimeZone zone) {
  return absl::FormatTime("%H:%M", time, zone);
}

std::string IndicatorValue(const std::string& language, const std::string& unit, double value) {
  const auto& words = Words(language);
  const bool people = unit == "people";
  const std::string key = absl::StartsWith(unit, "score") ? "unit_score"
                          : words.count("unit_" + unit)   ? "unit_" + unit
                                                          : "unit_people";
  return absl::StrReplaceAll(words.at(key), {{"{v}", Decimal(language, value, people ? 0 : 1)}});
}

std::string IndicatorTitle(const std::string& language, const std::string& id,
                           const std::string& fallback) {
  const auto& words = Words(language);
  auto it = words.find("indicator_" + id);
  return it != words.end() ? it->second : fallback;
}

}  // namespace accueil::gateway
