// accueil: command-line client of the booking API. This file only turns the
// command line into the option structs of commands.h and runs one command.
#include <functional>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "clients/cli/commands.h"
#include "clients/cli/credentials.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"
#include "clients/cli/session.h"

namespace {

// This file is nothing but the command line of accueil::cli.
using namespace accueil::cli;  // NOLINT(build/namespaces)

// Checked adapts one of the Parse* functions into a validator, so that a bad
// value is a usage error with the parser's own message.
template <typename Parse>
CLI::Validator Checked(Parse parse) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        auto parsed = parse(value);
        return parsed.ok() ? std::string() : std::string(parsed.status().message());
      },
      "");
}

CLI::Validator Date() {
  return Checked([](const std::string& text) { return ParseDay(text); });
}

CLI::Validator TimeZone() {
  return Checked([](const std::string& text) { return LoadZone(text); });
}

// AgentReason turns --reason into what x-agent-reason can carry (or refuses
// it as a usage error).
CLI::Validator AgentReason() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::StatusOr<std::string> header = AgentReasonHeader(value);
        if (!header.ok()) return std::string(header.status().message());
        value = *std::move(header);
        return std::string();
      },
      "");
}

CLI::Option* RequestIdOption(CLI::App* command, std::string* request_id) {
  return command->add_option("--request-id", *request_id,
                             "Idempotency key: a retry with the same id returns the first answer "
                             "(default: random)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("accueil: appointments at prefecture reception desks.", "accueil");
  // Inherited by every subcommand added below; the root's own is set last.
  app.footer(
      "Global options (--server, --tls, --ca, --cert, --key, --json, --timeout, "
      "--tz, --token, --reason) "
      "and exit codes: see 'accueil --help'.");
  app.fallthrough();
  app.failure_message([](const CLI::App* command, const CLI::Error& error) {
    return "error: " + CLI::FailureMessage::simple(command, error);
  });
  app.require_subcommand(1);

  GlobalOptions global;
  app.add_option("--server", global.server, "Server address, HOST:PORT")
      ->envname("ACCUEIL_SERVER")
      ->capture_default_str();
  app.add_flag("--tls", global.tls,
               "Connect with TLS, verifying the server against the system's "
               "roots or --ca (default without --ca, --cert: plaintext, as "
               "on loopback)")
      ->envname("ACCUEIL_TLS");
  app.add_option("--ca", global.tls_ca_file,
                 "CA certificates (PEM) to verify the server with; implies "
                 "--tls")
      ->envname("ACCUEIL_TLS_CA")
      ->type_name("FILE");
  app.add_option("--cert", global.tls_cert_file,
                 "This client's certificate chain (PEM), for servers that "
                 "require mutual TLS; implies --tls, needs --key")
      ->envname("ACCUEIL_TLS_CERT")
      ->type_name("FILE");
  app.add_option("--key", global.tls_key_file, "The private key (PEM) of --cert")
      ->envname("ACCUEIL_TLS_KEY")
      ->type_name("FILE");
  app.add_flag("--json", global.json, "Print the response message as JSON instead of a table");
  app.add_option("--timeout", global.timeout_seconds, "Deadline of each call, in seconds")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 86400.0).description(""))
      ->capture_default_str();
  app.add_option("--tz", global.time_zone,
                 "IANA time zone for dates given and times shown "
                 "(default: the site's zone, else Europe/Paris)")
      ->type_name("ZONE")
      ->check(TimeZone());
  app.add_option("--token", global.token,
                 "Bearer token of an agent, administrator or device "
                 "(default: the one saved by 'accueil login'; none: the "
                 "public). Prefer ACCUEIL_TOKEN: a command line is visible "
                 "in ps")
      ->envname("ACCUEIL_TOKEN");
  app.add_option("--reason", global.reason,
                 "Agents: why you act on a person's behalf (show, cancel or "
                 "move without --code, agent bookings, reset-code); audited. "
                 "Plain ASCII: accents are dropped")
      ->envname("ACCUEIL_REASON")
      ->type_name("TEXT")
      ->transform(AgentReason());

  // The command chosen runs after parsing, once every option has its value.
  std::function<int()> run;
  auto on_run = [&run](CLI::App* command, std::function<int()> action) {
    command->callback([&run, action = std::move(action)] { run = action; });
  };

  // Signing in.
  LoginOptions login_options;
  CLI::App* login =
      app.add_subcommand("login",
                         "Sign in as an agent, administrator or service with the development "
                         "issuer, save the token and show who you are");
  login->add_flag("--dev", login_options.dev,
                  "Use the development issuer (the only one supported here)");
  login
      ->add_option("--issuer", login_options.issuer,
                   "URL of the development issuer (dev_issuer_listen)")
      ->envname("ACCUEIL_DEV_ISSUER")
      ->type_name("URL")
      ->capture_default_str();
  login->add_option("--role", login_options.role, "Role to sign in with")
      ->check(CLI::IsMember(Words(RoleWords())))
      ->required();
  login->add_option("--site", login_options.site,
                    "Site of the role, sites/{id} (default: every site)");
  login->add_option("--subject", login_options.subject,
                    "Who you are, the OpenID subject (default: dev-ROLE)");
  login->add_flag("--print", login_options.print,
                  "Print the token on stdout instead of saving it, e.g. "
                  "export ACCUEIL_TOKEN=$(accueil login ... --print)");
  login->footer(
      "The token is saved in ${ACCUEIL_TOKEN_FILE:-${XDG_CONFIG_HOME:-"
      "$HOME/.config}/accueil/token} (mode 600) and sent by every command "
      "until 'accueil logout'; --token or ACCUEIL_TOKEN take precedence.\n"
      "Global options (--server, --tls, --ca, --cert, --key, --json, --timeout, "
      "--tz, --token, --reason) "
      "and exit codes: see 'accueil --help'.");
  on_run(login, [&] { return RunLogin(global, login_options); });

  CLI::App* logout = app.add_subcommand("logout", "Forget the token saved by 'accueil login'");
  on_run(logout, [&] { return RunLogout(global); });

  CLI::App* whoami =
      app.add_subcommand("whoami", "Show who the server takes you for, and your roles");
  on_run(whoami, [&] { return RunWhoAmI(global); });

  // Public reads.
  CLI::App* sites = app.add_subcommand("sites", "List the sites (prefectures)");
  on_run(sites, [&] { return RunSites(global); });

  DesksOptions desks_options;
  CLI::App* desks = app.add_subcommand("desks", "List the desks of a site, or of all sites");
  desks->add_option("--site", desks_options.site, "Site, sites/{id}");
  on_run(desks, [&] { return RunDesks(global, desks_options); });

  SlotsOptions slots_options;
  CLI::App* slots = app.add_subcommand("slots", "List the bookable slots of a desk");
  slots->add_option("--desk", slots_options.desk, "Desk, desks/{id}")->required();
  slots->add_option("--from", slots_options.from, "First local day (default: now)")
      ->type_name("YYYY-MM-DD")
      ->check(Date());
  slots
      ->add_option("--to", slots_options.to,
                   "Last local day, included (default: the server's window)")
      ->type_name("YYYY-MM-DD")
      ->check(Date());
  slots->add_option("--limit", slots_options.limit, "Show at most N slots (0: all)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  on_run(slots, [&] { return RunSlots(global, slots_options); });

  // The person's own appointment.
  BookOptions book_options;
  CLI::App* book = app.add_subcommand("book", "Book an appointment in a slot");
  book->add_option("--slot", book_options.slot, "Slot, slots/{id}")->required();
  book->add_option("--given-name", book_options.given_name, "Given name")->required();
  book->add_option("--family-name", book_options.family_name, "Family name")->required();
  book->add_option("--email", book_options.email, "Email address for confirmations");
  book->add_option("--phone", book_options.phone,
                   "Mobile number for SMS reminders (national numbers read as French)");
  book->add_option("--language", book_options.language,
                   "Language of messages, e.g. fr, en, ar (default: fr)");
  book->add_option("--companions", book_options.companions, "People coming along, 0-3")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  book->add_option("--accessibility", book_options.accessibility, "Accessibility need")
      ->check(CLI::IsMember(Words(AccessibilityWords())));
  book->add_option("--accessibility-note", book_options.accessibility_note,
                   "Details for the reception staff (at most 200 characters)");
  book->add_option("--channel", book_options.channel,
                   "Who books (agent, convocation: agents of the site, with "
                   "--reason)")
      ->check(CLI::IsMember(Words(ChannelWords())))
      ->capture_default_str();
  book->add_option("--override-reason", book_options.override_reason,
                   "Agents only: book although the person already has an "
                   "appointment at this desk, for this recorded reason");
  RequestIdOption(book, &book_options.request_id);
  on_run(book, [&] { return RunBook(global, book_options); });

  AppointmentOptions appointment_options;
  auto add_credentials = [&appointment_options](CLI::App* command) {
    command
        ->add_option("--reference", appointment_options.reference,
                     "Appointment reference (8 characters)")
        ->required();
    // The environment keeps the code out of `ps` and shell history.
    command
        ->add_option("--code", appointment_options.access_code,
                     "Access code given at booking (agents of the site may "
                     "omit it and give --reason instead)")
        ->envname("ACCUEIL_ACCESS_CODE");
  };
  CLI::App* show = app.add_subcommand("show", "Show an appointment");
  add_credentials(show);
  on_run(show, [&] { return RunShow(global, appointment_options); });

  CLI::App* cancel = app.add_subcommand("cancel", "Cancel an appointment");
  add_credentials(cancel);
  cancel->add_option("--reason", appointment_options.reason,
                     "Why (at most 200 characters); without --code, also "
                     "the agent's reason unless ACCUEIL_REASON or a --reason "
                     "before 'cancel' gives one");
  RequestIdOption(cancel, &appointment_options.request_id);
  on_run(cancel, [&] { return RunCancel(global, appointment_options); });

  CLI::App* move =
      app.add_subcommand("move", "Move an appointment to another slot of the same desk");
  add_credentials(move);
  move->add_option("--slot", appointment_options.new_slot, "New slot, slots/{id}")->required();
  RequestIdOption(move, &appointment_options.request_id);
  on_run(move, [&] { return RunMove(global, appointment_options); });

  // Lifecycle transitions, for reception staff.
  TransitionOptions transition_options;
  const std::pair<const char*, Transition> kTransitions[] = {
      {"arrived", Transition::kArrived},
      {"start", Transition::kStart},
      {"complete", Transition::kComplete},
      {"noshow", Transition::kNoShow},
  };
  const char* const kTransitionHelp[] = {
      "Mark that the person has arrived",
      "Start serving the person",
      "Mark the appointment as fulfilled",
      "Mark that the person did not come",
  };
  for (size_t i = 0; i < std::size(kTransitions); ++i) {
    const auto [name, transition] = kTransitions[i];
    CLI::App* command = app.add_subcommand(name, kTransitionHelp[i]);
    command->add_option("appointment", transition_options.name, "appointments/{id}")->required();
    RequestIdOption(command, &transition_options.request_id);
    on_run(command, [&global, &transition_options, transition = transition] {
      return RunTransition(global, transition, transition_options);
    });
  }

  CheckInOptions checkin_options;
  CLI::App* checkin =
      app.add_subcommand("checkin",
                         "Check a person in with the token of their QR code (marks arrived; "
                         "lodge agents and kiosks)");
  checkin
      ->add_option("token", checkin_options.check_in_token, "Check-in token, as printed by 'book'")
      ->required();
  RequestIdOption(checkin, &checkin_options.request_id);
  on_run(checkin, [&] { return RunCheckIn(global, checkin_options); });

  NameOptions reset_options;
  CLI::App* reset_code =
      app.add_subcommand("reset-code",
                         "Give a person who lost their access code a new one (agents, with "
                         "--reason; the old code and check-in token stop working)");
  reset_code->add_option("appointment", reset_options.name, "appointments/{id}")->required();
  RequestIdOption(reset_code, &reset_options.request_id);
  on_run(reset_code, [&] { return RunResetCode(global, reset_options); });

  // Administration.
  CLI::App* admin =
      app.add_subcommand("admin",
                         "Manage sites, desks, hours and slots, roles, device tokens; read the "
                         "audit log (administrators)");
  admin->require_subcommand(1);

  CreateSiteOptions site_options;
  CLI::App* create_site = admin->add_subcommand("create-site", "Create a site");
  create_site->add_option("--name", site_options.display_name, "Display name")->required();
  create_site->add_option("--address", site_options.address, "Postal address")->required();
  create_site
      ->add_option("--time-zone", site_options.time_zone,
                   "IANA zone of the site, e.g. Europe/Paris, Indian/Reunion")
      ->required();
  RequestIdOption(create_site, &site_options.request_id);
  on_run(create_site, [&] { return RunCreateSite(global, site_options); });

  DeskOptions desk_options;
  auto add_desk_fields = [&desk_options](CLI::App* command, bool create) {
    auto require = [create](CLI::Option* option) { return create ? option->required() : option; };
    require(command->add_option("--name", desk_options.display_name, "Display name"));
    require(command->add_option("--kind", desk_options.kind, "What the desk handles")
                ->check(CLI::IsMember(Words(DeskKindWords()))));
    require(command
                ->add_option("--slot-minutes", desk_options.slot_minutes,
                             "Length of a slot, in minutes")
                ->check(CLI::PositiveNumber));
    command
        ->add_option("--capacity", desk_options.capacity,
                     create ? "People per slot (default: 1)" : "People per slot")
        ->check(CLI::PositiveNumber);
    command
        ->add_option("--instructions", desk_options.instructions,
                     create ? "Instructions for one language, repeatable"
                            : "Instructions for one language, repeatable; with "
                              "--documents, replaces all instructions")
        ->type_name("LANG=TEXT")
        ->allow_extra_args(false)
        ->check(Checked([](const std::string& text) { return ParseLanguageText(text); }));
    command
        ->add_option("--documents", desk_options.documents,
                     create ? "A document to bring, repeatable"
                            : "A document to bring, repeatable; with "
                              "--instructions, replaces all instructions")
        ->type_name("LANG=DOC")
        ->allow_extra_args(false)
        ->check(Checked([](const std::string& text) { return ParseLanguageText(text); }));
    RequestIdOption(command, &desk_options.request_id);
  };
  CLI::App* create_desk = admin->add_subcommand("create-desk", "Create a desk at a site");
  create_desk->add_option("--site", desk_options.site, "Site, sites/{id}")->required();
  add_desk_fields(create_desk, /*create=*/true);
  on_run(create_desk, [&] { return RunCreateDesk(global, desk_options); });

  CLI::App* update_desk = admin->add_subcommand(
      "update-desk",
      "Change a desk; only the fields given change (existing slots keep their "
      "length and capacity)");
  update_desk->add_option("desk", desk_options.desk, "desks/{id}")->required();
  add_desk_fields(update_desk, /*create=*/false);
  on_run(update_desk, [&] { return RunUpdateDesk(global, desk_options); });

  HoursOptions hours_options;
  CLI::App* hours =
      admin->add_subcommand("hours", "Replace a desk's weekly opening hours and closures");
  hours->add_option("--desk", hours_options.desk, "Desk, desks/{id}")->required();
  hours
      ->add_option("--range", hours_options.ranges,
                   "Weekly opening range in the site's local time, e.g. "
                   "\"mon 09:00-12:00\", repeatable")
      ->type_name("\"DAY HH:MM-HH:MM\"")
      ->allow_extra_args(false)
      ->check(Checked([](const std::string& text) { return ParseWeeklyRange(text); }));
  hours
      ->add_option("--closed", hours_options.closed,
                   "A day the desk is closed, with an optional reason, repeatable")
      ->type_name("YYYY-MM-DD[:REASON]")
      ->allow_extra_args(false)
      ->check(Checked([](const std::string& text) { return ParseClosure(text); }));
  RequestIdOption(hours, &hours_options.request_id);
  on_run(hours, [&] { return RunSetHours(global, hours_options); });

  std::string show_hours_desk;
  CLI::App* show_hours =
      admin->add_subcommand("show-hours", "Show a desk's opening hours and closures");
  show_hours->add_option("--desk", show_hours_desk, "Desk, desks/{id}")->required();
  on_run(show_hours, [&] { return RunShowHours(global, show_hours_desk); });

  ReleaseOptions release_options;
  CLI::App* release = admin->add_subcommand(
      "release", "Create the slots of a desk for a range of days and make them bookable");
  release->add_option("--desk", release_options.desk, "Desk, desks/{id}")->required();
  release->add_option("--from", release_options.from, "First local day")
      ->type_name("YYYY-MM-DD")
      ->check(Date())
      ->required();
  release->add_option("--to", release_options.to, "Last local day, included")
      ->type_name("YYYY-MM-DD")
      ->check(Date())
      ->required();
  CLI::Option* at =
      release
          ->add_option("--at", release_options.at,
                       "When the slots become bookable "
                       "(default: at once)")
          ->type_name("RFC3339")
          ->check(Checked([](const std::string& text) { return ParseRfc3339(text); }));
  release
      ->add_option("--window", release_options.window_minutes,
                   "Draw the release instant at random within this many minutes "
                   "after --at")
      ->type_name("MINUTES")
      ->check(CLI::PositiveNumber)
      ->needs(at);
  RequestIdOption(release, &release_options.request_id);
  on_run(release, [&] { return RunRelease(global, release_options); });

  // Person rights: export or erase one person's data at a site.
  CLI::App* person =
      admin->add_subcommand("person",
                            "Export or erase a person's personal data at a site (GDPR; with "
                            "--reason, audited)");
  person->require_subcommand(1);
  PersonOptions person_options;
  auto add_person_fields = [&person_options](CLI::App* command) {
    command->add_option("--site", person_options.site, "Site, sites/{id}")->required();
    command
        ->add_option("--query", person_options.query,
                     "The person's mobile phone number or e-mail address")
        ->type_name("PHONE_OR_EMAIL")
        ->required();
  };
  CLI::App* person_export =
      person->add_subcommand("export",
                             "Show every appointment of the person at the site, with "
                             "their personal data");
  add_person_fields(person_export);
  on_run(person_export, [&] { return RunPersonExport(global, person_options); });
  CLI::App* person_erase =
      person->add_subcommand("erase",
                             "Erase the personal data of every appointment of the person at the "
                             "site (refused while one is still active: cancel it first)");
  add_person_fields(person_erase);
  RequestIdOption(person_erase, &person_options.request_id);
  on_run(person_erase, [&] { return RunPersonErase(global, person_options); });

  // Access: roles, devices, audit.
  GrantOptions grant_options;
  CLI::App* grant = admin->add_subcommand("grant", "Grant a role to an agent or service account");
  grant
      ->add_option("--subject", grant_options.subject,
                   "Who: the OpenID subject (sub) of the account")
      ->required();
  grant->add_option("--role", grant_options.role, "Role to grant")
      ->check(CLI::IsMember(Words(RoleWords())))
      ->required();
  grant->add_option("--site", grant_options.site, "Site, sites/{id} (default: every site)");
  RequestIdOption(grant, &grant_options.request_id);
  on_run(grant, [&] { return RunGrant(global, grant_options); });

  NameOptions revoke_options;
  CLI::App* revoke = admin->add_subcommand("revoke", "Revoke a role binding");
  revoke->add_option("binding", revoke_options.name, "roleBindings/{id}")->required();
  RequestIdOption(revoke, &revoke_options.request_id);
  on_run(revoke, [&] { return RunRevoke(global, revoke_options); });

  RolesOptions roles_options;
  CLI::App* roles = admin->add_subcommand("roles", "List the role bindings");
  roles->add_option("--subject", roles_options.subject, "Only this subject's bindings");
  roles->add_option("--site", roles_options.site, "Only the bindings on this site, sites/{id}");
  roles->add_flag("--all", roles_options.all, "Include revoked bindings");
  on_run(roles, [&] { return RunRoles(global, roles_options); });

  DeviceOptions device_options;
  CLI::App* device_create = admin->add_subcommand(
      "device-create", "Create the token of a kiosk or display of a site (shown only once)");
  device_create->add_option("--site", device_options.site, "Site, sites/{id}")->required();
  device_create
      ->add_option("--name", device_options.display_name,
                   "What the device is, e.g. \"Borne loge entrée A\"")
      ->required();
  RequestIdOption(device_create, &device_options.request_id);
  on_run(device_create, [&] { return RunCreateDevice(global, device_options); });

  NameOptions device_revoke_options;
  CLI::App* device_revoke = admin->add_subcommand("device-revoke", "Revoke a device's token");
  device_revoke->add_option("device", device_revoke_options.name, "devices/{id}")->required();
  RequestIdOption(device_revoke, &device_revoke_options.request_id);
  on_run(device_revoke, [&] { return RunRevokeDevice(global, device_revoke_options); });

  std::string devices_site;
  CLI::App* devices = admin->add_subcommand("devices", "List the devices of a site");
  devices->add_option("--site", devices_site, "Site, sites/{id}")->required();
  on_run(devices, [&] { return RunDevices(global, devices_site); });

  AuditOptions audit_options;
  CLI::App* audit = admin->add_subcommand(
      "audit", "List what agents, administrators and devices did, newest first");
  audit->add_option("--subject", audit_options.subject, "Only this subject's actions");
  audit->add_option("--site", audit_options.site, "Only actions on this site, sites/{id}");
  audit->add_option("--resource", audit_options.resource,
                    "Only actions on this resource, e.g. appointments/12");
  auto rfc3339 = Checked([](const std::string& text) { return ParseRfc3339(text); });
  audit->add_option("--from", audit_options.from, "From this time, included")
      ->type_name("RFC3339")
      ->check(rfc3339);
  audit->add_option("--to", audit_options.to, "Until this time, excluded")
      ->type_name("RFC3339")
      ->check(rfc3339);
  audit->add_option("--limit", audit_options.limit, "Show at most N events (0: all)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  on_run(audit, [&] { return RunAudit(global, audit_options); });

  app.footer(ExitCodeHelp());

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help ends parsing with a "success" that exits 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!run) return kExitUsage;
  if (absl::Status tls = LoadTlsFiles(&global); !tls.ok()) {
    std::cerr << "error: " << tls.message() << "\n";
    return tls.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  // Every command but login and logout calls with the caller's credentials.
  if (!login->parsed() && !logout->parsed()) {
    if (absl::Status loaded = LoadCredentials(&global); !loaded.ok()) {
      std::cerr << "error: " << loaded.message() << "\n";
      return loaded.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    }
  }
  return run();
}
