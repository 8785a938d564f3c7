// Subcommands of the `accueil` command-line client.
//
// Each Run* function builds one request of accueil.booking.v1.BookingService,
// accueil.access.v1.AccessService, accueil.reception.v1.ReceptionService or
// accueil.metrics.v1.MetricsService from its options, calls the server (one
// deadline of --timeout per call), prints the answer to stdout (a table, or
// the message as JSON with --json) or the error to stderr, and returns the
// process exit code (errors.h). The command_line_*.cc files only parse the
// command line into the option structs below (command_line.h).
//
//   GlobalOptions global{.server = "127.0.0.1:50051"};
//   SlotsOptions slots{.desk = "desks/1", .from = "2026-12-01"};
//   return RunSlots(global, slots);
//
// Every call carries the caller's credentials (credentials.h): the bearer
// token of an agent, administrator or device, and the reason an agent gives
// for acting on a person's behalf. Without a token the caller is the public.
//
// Times are shown in --tz when given, else in the site's own zone (looked up
// with ListDesks/ListSites), else in kDefaultTimeZone; the zone is always
// named next to the times. Mutating commands send a request_id, random unless
// given, and name it when the outcome is unknown so that a retry is safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "accueil/booking/v1/booking.pb.h"

namespace accueil::cli {

// kDefaultServer is the address used without --server or ACCUEIL_SERVER.
inline constexpr char kDefaultServer[] = "127.0.0.1:50051";

// kDefaultTimeZone is used when neither --tz nor the site gives a zone.
inline constexpr char kDefaultTimeZone[] = "Europe/Paris";

// kDefaultDevIssuer is the development issuer of scripts/run.sh.
inline constexpr char kDefaultDevIssuer[] = "http://127.0.0.1:50052";

struct GlobalOptions {
  std::string server = kDefaultServer;
  bool json = false;
  // Deadline of each call, in seconds (> 0).
  double timeout_seconds = 10;
  // IANA zone for dates given and times shown; empty: the site's zone.
  std::string time_zone;
  // Bearer token sent in `authorization` metadata (--token, ACCUEIL_TOKEN,
  // else the file saved by `accueil login`: LoadCredentials); empty: the
  // public. Never printed.
  std::string token;
  // Where `token` came from ("--token or ACCUEIL_TOKEN", the file's path),
  // for whoami and the hints of refusals; empty without a token.
  std::string token_source;
  // Why an agent acts on a person's behalf, sent as x-agent-reason metadata
  // (--reason, ACCUEIL_REASON); already in the form AgentReasonHeader gives.
  std::string reason;
  // Transport (docs/security.md#transport): plaintext unless `tls` (--tls,
  // ACCUEIL_TLS=1); --ca, --cert and --key imply it. The server is verified
  // against `tls_ca_file` (--ca, ACCUEIL_TLS_CA), else the system's roots;
  // `tls_cert_file` and `tls_key_file` (--cert, --key, ACCUEIL_TLS_CERT,
  // ACCUEIL_TLS_KEY) are this client's certificate for mutual TLS.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Their PEM contents, read by LoadTlsFiles (session.h) after parsing.
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

struct DesksOptions {
  std::string site;  // "sites/{id}"; empty: every site
};

struct SlotsOptions {
  std::string desk;
  std::string from;  // YYYY-MM-DD, first local day; empty: now
  std::string to;    // YYYY-MM-DD, last local day (inclusive); empty: server default
  int limit = 0;     // 0: all
};

struct BookOptions {
  std::string slot;
  std::string given_name;
  std::string family_name;
  std::string email;
  std::string phone;
  std::string language;
  int companions = 0;
  std::string accessibility;  // a word of AccessibilityWords(); empty: unset
  std::string accessibility_note;
  std::string channel = "online";  // a word of ChannelWords()
  std::string override_reason;
  std::string request_id;  // empty: random
};

// Options of show, cancel and move: the person's own appointment. Without
// an access code the caller must be an agent of the appointment's site and
// give a reason (GlobalOptions::reason; for cancel, `reason` also serves).
struct AppointmentOptions {
  std::string reference;
  std::string access_code;  // empty: an agent on the person's behalf
  std::string reason;       // cancel: why, recorded on the appointment
  std::string new_slot;     // move
  std::string request_id;
};

// Options of a command acting on one resource by name.
struct NameOptions {
  std::string name;  // "appointments/{id}", "roleBindings/{id}", ...
  std::string request_id;
};
using TransitionOptions = NameOptions;

struct CreateSiteOptions {
  std::string display_name;
  std::string address;
  std::string time_zone;
  std::string request_id;
};

// Options of create-desk and update-desk. For update-desk only the fields
// that are set go into the update mask.
struct DeskOptions {
  std::string site;  // create-desk: "sites/{id}"
  std::string desk;  // update-desk: "desks/{id}"
  std::optional<std::string> display_name;
  std::optional<std::string> kind;  // a word of DeskKindWords()
  std::optional<int> slot_minutes;
  std::optional<int> capacity;
  // How late after a slot's start a person is still checked in without an
  // agent's decision (Desk.arrival_grace); create-desk: unset, the server's
  // default (15 minutes).
  std::optional<int> grace_minutes;
  std::vector<std::string> instructions;  // "LANG=TEXT"
  std::vector<std::string> documents;     // "LANG=DOCUMENT", repeatable
  std::string request_id;
};

struct HoursOptions {
  std::string desk;
  std::vector<std::string> ranges;  // "mon 09:00-12:00"
  std::vector<std::string> closed;  // "2026-12-25[:reason]"
  std::string request_id;
};

struct ReleaseOptions {
  std::string desk;
  std::string from;  // YYYY-MM-DD
  std::string to;    // YYYY-MM-DD, inclusive
  std::string at;    // RFC 3339; empty: at once
  int window_minutes = 0;
  std::string request_id;
};

// Signing in (access.cc).
struct LoginOptions {
  bool dev = false;                        // only the development issuer is supported
  std::string issuer = kDefaultDevIssuer;  // URL; "http://" may be omitted
  std::string role;                        // a word of RoleWords()
  std::string site;                        // "sites/{id}"; empty: every site
  std::string subject;                     // empty: "dev-<role>"
  bool print = false;                      // print the token instead of saving it
};

// Administration of access (access.cc).
struct GrantOptions {
  std::string subject;
  std::string role;  // a word of RoleWords()
  std::string site;  // empty: every site
  std::string request_id;
};

struct RolesOptions {
  std::string subject;  // empty: any
  std::string site;     // empty: any
  bool all = false;     // include revoked bindings
};

struct DeviceOptions {
  std::string site;
  std::string display_name;
  std::string request_id;
};

struct AuditOptions {
  std::string subject;
  std::string site;
  std::string resource;
  std::string from;  // RFC 3339; empty: the beginning
  std::string to;    // RFC 3339, excluded; empty: now
  int limit = 50;    // 0: all
  // Print the last `limit` events oldest first, then each new one until
  // interrupted (only `site` filters).
  bool follow = false;
};

int RunLogin(const GlobalOptions& global, const LoginOptions& options);
int RunLogout(const GlobalOptions& global);
int RunWhoAmI(const GlobalOptions& global);
int RunGrant(const GlobalOptions& global, const GrantOptions& options);
int RunRevoke(const GlobalOptions& global, const NameOptions& options);
int RunRoles(const GlobalOptions& global, const RolesOptions& options);
int RunCreateDevice(const GlobalOptions& global, const DeviceOptions& options);
int RunRevokeDevice(const GlobalOptions& global, const NameOptions& options);
int RunDevices(const GlobalOptions& global, const std::string& site);
int RunAudit(const GlobalOptions& global, const AuditOptions& options);

// Booking (commands.cc).
int RunSites(const GlobalOptions& global);
int RunDesks(const GlobalOptions& global, const DesksOptions& options);
int RunSlots(const GlobalOptions& global, const SlotsOptions& options);
int RunBook(const GlobalOptions& global, const BookOptions& options);
int RunShow(const GlobalOptions& global, const AppointmentOptions& options);
int RunCancel(const GlobalOptions& global, const AppointmentOptions& options);
int RunMove(const GlobalOptions& global, const AppointmentOptions& options);
int RunNoShow(const GlobalOptions& global, const TransitionOptions& options);
int RunResetCode(const GlobalOptions& global, const NameOptions& options);
// notify.cc
struct NoticeOptions {
  std::string appointment;
  std::string notice;                 // convocation, documents-missing, permit-ready
  std::vector<std::string> channels;  // email, sms; empty: every one the person has
  std::string request_id;
};
struct ResendAccessOptions {
  std::string reference, phone, email;  // exactly one
};
struct SurveyOptions {
  std::string link;  // "<id>-<token>", as after `#` in the survey link
  int delay = 0, courtesy = 0, availability = 0, clarity = 0, comfort = 0, overall = 0;
  std::string comment;
};
int RunNotifyList(const GlobalOptions& global, const NameOptions& options);
int RunSendNotice(const GlobalOptions& global, const NoticeOptions& options);
int RunResendAccess(const GlobalOptions& global, const ResendAccessOptions& options);
int RunSurvey(const GlobalOptions& global, const SurveyOptions& options);
int RunCreateSite(const GlobalOptions& global, const CreateSiteOptions& options);
int RunCreateDesk(const GlobalOptions& global, const DeskOptions& options);
int RunUpdateDesk(const GlobalOptions& global, const DeskOptions& options);
int RunSetHours(const GlobalOptions& global, const HoursOptions& options);
int RunShowHours(const GlobalOptions& global, const std::string& desk);
int RunRelease(const GlobalOptions& global, const ReleaseOptions& options);

// Person rights (commands.cc): administrators, with --reason.
struct PersonOptions {
  std::string site;   // "sites/{id}"
  std::string query;  // the person's phone number or e-mail address
  std::string request_id;
};
int RunPersonExport(const GlobalOptions& global, const PersonOptions& options);
int RunPersonErase(const GlobalOptions& global, const PersonOptions& options);

// Reception (reception.cc): the lodge, the counters, the queue, and their
// administration (accueil.reception.v1.ReceptionService). Names may be given
// with or without their collection ("sites/1" or "1", "counters/3" or "3").

struct LodgeTodayOptions {
  std::string site;
  std::string desk;   // empty: every desk
  std::string query;  // a reference or a name; empty: everyone
};

// Check-in by the reference the person quotes or by their QR check-in token
// (one of them). `late` admits a person later than the desk's grace period:
// it needs the agent's reason (`reason`, else the global --reason).
struct CheckInOptions {
  std::string site;
  std::string reference;
  std::string check_in_token;
  bool late = false;
  std::string reason;
  std::string request_id;
};

struct WalkInOptions {
  std::string site;
  std::string desk;     // empty: no desk in particular
  std::string outcome;  // a word of WalkInOutcomeWords()
  std::string reason;   // why they came, without personal data
  std::string request_id;
};

struct OpenCounterOptions {
  std::string counter;
  std::vector<std::string> desks;  // empty: every desk of the counter
  std::string request_id;
};

struct FinishVisitOptions {
  std::string visit;
  std::string outcome;   // a word of VisitOutcomeWords()
  std::string new_slot;  // incomplete only: rebook in this slot
  std::string request_id;
};

struct TransferOptions {
  std::string visit;
  std::string desk;
  std::string request_id;
};

struct QueueOptions {
  std::string site;
  bool watch = false;  // the state, then each change, until interrupted
};

struct CreateCounterOptions {
  std::string site;
  std::string display_name;
  std::vector<std::string> desks;
  std::string request_id;
};

// `admin reception-settings set`: only the settings given change.
struct DeskSettingsOptions {
  std::string desk;
  std::string site;
  std::optional<std::string> ticket_prefix;
  std::optional<int> recall_count;
  std::optional<std::string> priority;      // "on" or "off"
  std::optional<std::string> closing_time;  // "HH:MM"
  std::string request_id;
};

int RunLodgeToday(const GlobalOptions& global, const LodgeTodayOptions& options);
int RunCheckIn(const GlobalOptions& global, const CheckInOptions& options);
int RunWalkIn(const GlobalOptions& global, const WalkInOptions& options);
int RunOpenCounter(const GlobalOptions& global, const OpenCounterOptions& options);
int RunCloseCounter(const GlobalOptions& global, const NameOptions& options);
int RunCallNext(const GlobalOptions& global, const NameOptions& options);
int RunRecall(const GlobalOptions& global, const NameOptions& options);
int RunStartVisit(const GlobalOptions& global, const NameOptions& options);
int RunFinishVisit(const GlobalOptions& global, const FinishVisitOptions& options);
int RunTransfer(const GlobalOptions& global, const TransferOptions& options);
int RunVisitorLeft(const GlobalOptions& global, const NameOptions& options);
int RunQueue(const GlobalOptions& global, const QueueOptions& options);
int RunCreateCounter(const GlobalOptions& global, const CreateCounterOptions& options);
int RunCounters(const GlobalOptions& global, const std::string& site);
int RunDeskSettings(const GlobalOptions& global, const std::string& site);
int RunUpdateDeskSettings(const GlobalOptions& global, const DeskSettingsOptions& options);

// The quality officer's indicators (metrics.cc): the monthly report, its
// publication, objectives, manual values, the shape of a week
// (accueil.metrics.v1.MetricsService, docs/indicators.md). Sites and desks
// are given with or without their collection, as for reception.

// Options of `report` (GetIndicatorReport) and `report shape`.
struct ReportOptions {
  std::string site;
  std::string desk;  // empty: the whole site
  std::string from;  // YYYY-MM, checked by the server (INVALID_MONTH)
  std::string to;
  bool csv = false;  // `report` only: CSV (report_csv.h) instead of a table
};

struct PublishOptions {
  std::string site;
  std::string month;   // YYYY-MM, over
  std::string reason;  // required to publish a month again (a restatement)
  std::string request_id;
};

struct ObjectiveOptions {
  std::string site;
  std::string indicator;  // an Indicator.id
  double value = 0;       // in the indicator's unit (a percent as 0-100)
  std::string direction;  // "at-most", "at-least"; empty: the indicator's default
  std::string request_id;
};

struct ManualValueOptions {
  std::string site;
  std::string indicator;
  std::string month;  // YYYY-MM
  double value = 0;
  std::string request_id;
};

struct PublishedReportOptions {
  std::string site;
  int year = 0;
  bool csv = false;
};

int RunReport(const GlobalOptions& global, const ReportOptions& options);
int RunPublishReport(const GlobalOptions& global, const PublishOptions& options);
int RunSetObjective(const GlobalOptions& global, const ObjectiveOptions& options);
int RunObjectives(const GlobalOptions& global, const std::string& site);
int RunManualValue(const GlobalOptions& global, const ManualValueOptions& options);
int RunPublishedReport(const GlobalOptions& global, const PublishedReportOptions& options);
int RunReceptionShape(const GlobalOptions& global, const ReportOptions& options);
int RunIndicators(const GlobalOptions& global);

// ResourceName returns `text` as a name of `collection`: "7" becomes
// "sites/7" for "sites"; a text that already has a '/' is kept as it is (the
// server refuses a name of the wrong collection).
std::string ResourceName(absl::string_view collection, absl::string_view text);

// Parsers of option values. The command line uses them as validators, so
// that a bad value is a usage error reported by the command-line parser.

// ParseDay parses "YYYY-MM-DD" (a real calendar day).
absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view text);

// ParseWeeklyRange parses "mon 09:00-12:00" (mon..sun, HH:MM, end may be
// 24:00).
absl::StatusOr<booking::v1::WeeklyRange> ParseWeeklyRange(absl::string_view text);

// ParseClosure parses "2026-12-25" or "2026-12-25:reason".
absl::StatusOr<booking::v1::Closure> ParseClosure(absl::string_view text);

// ParseLanguageText parses "LANG=TEXT" into its two parts; LANG is non-empty.
absl::StatusOr<std::pair<std::string, std::string>> ParseLanguageText(absl::string_view text);

// ParseRfc3339 parses "2026-11-02T08:00:00+01:00" (or "...Z").
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

// NewRequestId returns a random version-4 UUID read from /dev/urandom.
absl::StatusOr<std::string> NewRequestId();

}  // namespace accueil::cli
