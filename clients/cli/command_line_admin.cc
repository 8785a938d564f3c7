// `accueil admin ...`, for administrators: sites, desks, hours and slots, and a
// person's data (commands.cc runs them); roles, device tokens and the audit
// log (access.cc runs them); counters and desks' reception settings
// (reception.cc runs them).
#include <iostream>
#include <string>

#include "clients/cli/command_line.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"

namespace accueil::cli {
namespace {

void AddCatalogCommands(CommandLine& cli, CLI::App* admin) {
  const GlobalOptions& global = cli.global();

  CreateSiteOptions& site_options = cli.NewOptions<CreateSiteOptions>();
  CLI::App* create_site = admin->add_subcommand("create-site", "Create a site");
  create_site->add_option("--name", site_options.display_name, "Display name")->required();
  create_site->add_option("--address", site_options.address, "Postal address")->required();
  create_site
      ->add_option("--time-zone", site_options.time_zone,
                   "IANA zone of the site, e.g. Europe/Paris, Indian/Reunion")
      ->required();
  AddRequestIdOption(create_site, &site_options.request_id);
  cli.OnRun(create_site, [&global, &site_options] { return RunCreateSite(global, site_options); });

  DeskOptions& desk_options = cli.NewOptions<DeskOptions>();
  auto add_desk_fields = [&desk_options](CLI::App* command, bool create) {
    auto require = [create](CLI::Option* option) { return create ? option->required() : option; };
    require(command->add_option("--name", desk_options.display_name, "Display name"));
    require(command->add_option("--kind", desk_options.kind, "What the desk handles")
                ->check(CLI::IsMember(Words(DeskKindWords()))));
    require(command
                ->add_option("--slot-minutes", desk_options.slot_minutes,
                             "Length of a slot, in minutes")
                ->check(WholeNumber(1)));
    command
        ->add_option("--capacity", desk_options.capacity,
                     create ? "People per slot (default: 1)" : "People per slot")
        ->check(WholeNumber(1));
    const std::string grace_help =
        "Arrival grace period, whole minutes 0-120: how late after a slot's start a person is "
        "still checked in without an agent's decision, and how long after its end a person "
        "who did not come becomes a no-show";
    command
        ->add_option("--grace-minutes", desk_options.grace_minutes,
                     create ? grace_help + " (default: 15)" : grace_help)
        ->type_name("MINUTES")
        ->check(WholeNumber(0));
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
    AddRequestIdOption(command, &desk_options.request_id);
  };
  CLI::App* create_desk = admin->add_subcommand("create-desk", "Create a desk at a site");
  create_desk->add_option("--site", desk_options.site, "Site, sites/{id}")->required();
  add_desk_fields(create_desk, /*create=*/true);
  cli.OnRun(create_desk, [&global, &desk_options] { return RunCreateDesk(global, desk_options); });

  CLI::App* update_desk = admin->add_subcommand(
      "update-desk",
      "Change a desk; only the fields given change (existing slots keep their "
      "length and capacity)");
  update_desk->add_option("desk", desk_options.desk, "desks/{id}")->required();
  add_desk_fields(update_desk, /*create=*/false);
  cli.OnRun(update_desk, [&global, &desk_options] { return RunUpdateDesk(global, desk_options); });

  HoursOptions& hours_options = cli.NewOptions<HoursOptions>();
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
  AddRequestIdOption(hours, &hours_options.request_id);
  cli.OnRun(hours, [&global, &hours_options] { return RunSetHours(global, hours_options); });

  std::string& show_hours_desk = cli.NewOptions<std::string>();
  CLI::App* show_hours =
      admin->add_subcommand("show-hours", "Show a desk's opening hours and closures");
  show_hours->add_option("--desk", show_hours_desk, "Desk, desks/{id}")->required();
  cli.OnRun(show_hours,
            [&global, &show_hours_desk] { return RunShowHours(global, show_hours_desk); });

  ReleaseOptions& release_options = cli.NewOptions<ReleaseOptions>();
  CLI::App* release = admin->add_subcommand(
      "release", "Create the slots of a desk for a range of days and make them bookable");
  release->add_option("--desk", release_options.desk, "Desk, desks/{id}")->required();
  release->add_option("--from", release_options.from, "First local day")
      ->type_name("YYYY-MM-DD")
      ->check(DayValidator())
      ->required();
  release->add_option("--to", release_options.to, "Last local day, included")
      ->type_name("YYYY-MM-DD")
      ->check(DayValidator())
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
      ->check(WholeNumber(1))
      ->needs(at);
  AddRequestIdOption(release, &release_options.request_id);
  cli.OnRun(release, [&global, &release_options] { return RunRelease(global, release_options); });
}

// Person rights: export or erase one person's data at a site.
void AddPersonCommands(CommandLine& cli, CLI::App* admin) {
  const GlobalOptions& global = cli.global();

  CLI::App* person =
      admin->add_subcommand("person",
                            "Export or erase a person's personal data at a site (GDPR; with "
                            "--reason, audited)");
  person->require_subcommand(1);
  PersonOptions& person_options = cli.NewOptions<PersonOptions>();
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
  cli.OnRun(person_export,
            [&global, &person_options] { return RunPersonExport(global, person_options); });
  CLI::App* person_erase =
      person->add_subcommand("erase",
                             "Erase the personal data of every appointment of the person at the "
                             "site (refused while one is still active: cancel it first)");
  add_person_fields(person_erase);
  AddRequestIdOption(person_erase, &person_options.request_id);
  cli.OnRun(person_erase,
            [&global, &person_options] { return RunPersonErase(global, person_options); });
}

// Access: roles, devices, audit.
void AddAccessCommands(CommandLine& cli, CLI::App* admin) {
  const GlobalOptions& global = cli.global();

  GrantOptions& grant_options = cli.NewOptions<GrantOptions>();
  CLI::App* grant = admin->add_subcommand("grant", "Grant a role to an agent or service account");
  grant
      ->add_option("--subject", grant_options.subject,
                   "Who: the OpenID subject (sub) of the account")
      ->required();
  grant->add_option("--role", grant_options.role, "Role to grant")
      ->check(CLI::IsMember(Words(RoleWords())))
      ->required();
  grant->add_option("--site", grant_options.site, "Site, sites/{id} (default: every site)");
  AddRequestIdOption(grant, &grant_options.request_id);
  cli.OnRun(grant, [&global, &grant_options] { return RunGrant(global, grant_options); });

  NameOptions& revoke_options = cli.NewOptions<NameOptions>();
  CLI::App* revoke = admin->add_subcommand("revoke", "Revoke a role binding");
  revoke->add_option("binding", revoke_options.name, "roleBindings/{id}")->required();
  AddRequestIdOption(revoke, &revoke_options.request_id);
  cli.OnRun(revoke, [&global, &revoke_options] { return RunRevoke(global, revoke_options); });

  RolesOptions& roles_options = cli.NewOptions<RolesOptions>();
  CLI::App* roles = admin->add_subcommand("roles", "List the role bindings");
  roles->add_option("--subject", roles_options.subject, "Only this subject's bindings");
  roles->add_option("--site", roles_options.site, "Only the bindings on this site, sites/{id}");
  roles->add_flag("--all", roles_options.all, "Include revoked bindings");
  cli.OnRun(roles, [&global, &roles_options] { return RunRoles(global, roles_options); });

  DeviceOptions& device_options = cli.NewOptions<DeviceOptions>();
  CLI::App* device_create = admin->add_subcommand(
      "device-create", "Create the token of a kiosk or display of a site (shown only once)");
  device_create->add_option("--site", device_options.site, "Site, sites/{id}")->required();
  device_create
      ->add_option("--name", device_options.display_name,
                   "What the device is, e.g. \"Borne loge entrée A\"")
      ->required();
  AddRequestIdOption(device_create, &device_options.request_id);
  cli.OnRun(device_create,
            [&global, &device_options] { return RunCreateDevice(global, device_options); });

  NameOptions& device_revoke_options = cli.NewOptions<NameOptions>();
  CLI::App* device_revoke = admin->add_subcommand("device-revoke", "Revoke a device's token");
  device_revoke->add_option("device", device_revoke_options.name, "devices/{id}")->required();
  AddRequestIdOption(device_revoke, &device_revoke_options.request_id);
  cli.OnRun(device_revoke, [&global, &device_revoke_options] {
    return RunRevokeDevice(global, device_revoke_options);
  });

  std::string& devices_site = cli.NewOptions<std::string>();
  CLI::App* devices = admin->add_subcommand("devices", "List the devices of a site");
  devices->add_option("--site", devices_site, "Site, sites/{id}")->required();
  cli.OnRun(devices, [&global, &devices_site] { return RunDevices(global, devices_site); });

  AuditOptions& audit_options = cli.NewOptions<AuditOptions>();
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
      ->check(WholeNumber(0))
      ->capture_default_str();
  audit->add_flag("--follow,-f", audit_options.follow,
                  "Show the last --limit events oldest first (0: all), then each new one as it "
                  "is written, until interrupted (Ctrl-C); filters by --site only");
  cli.OnRun(audit, [&global, &audit_options] { return RunAudit(global, audit_options); });
}

// Reception: counters and the desks' reception settings.
void AddReceptionAdminCommands(CommandLine& cli, CLI::App* admin) {
  const GlobalOptions& global = cli.global();

  CLI::App* counter = admin->add_subcommand("counter", "Create and list a site's counters");
  counter->require_subcommand(1);
  CreateCounterOptions& create_options = cli.NewOptions<CreateCounterOptions>();
  CLI::App* create = counter->add_subcommand("create", "Create a counter of a site");
  create->add_option("site", create_options.site, "Site, sites/{id} or {id}")->required();
  create
      ->add_option("name", create_options.display_name,
                   "What the waiting-room display shows, e.g. \"Guichet 3\"")
      ->required();
  create
      ->add_option("--desk", create_options.desks,
                   "A desk the counter may serve, desks/{id} or {id}, repeatable")
      ->allow_extra_args(false)
      ->required();
  AddRequestIdOption(create, &create_options.request_id);
  cli.OnRun(create,
            [&global, &create_options] { return RunCreateCounter(global, create_options); });

  std::string& list_site = cli.NewOptions<std::string>();
  CLI::App* list = counter->add_subcommand("list", "List a site's counters, open or not");
  list->add_option("site", list_site, "Site, sites/{id} or {id}")->required();
  cli.OnRun(list, [&global, &list_site] { return RunCounters(global, list_site); });

  // `reception-settings SITE` lists; `reception-settings set DESK ...`
  // changes (OnRun: the parent runs only without its subcommand).
  std::string& settings_site = cli.NewOptions<std::string>();
  CLI::App* settings = admin->add_subcommand(
      "reception-settings",
      "Show the reception settings of a site's desks (ticket prefix, recalls, priority, "
      "closing time), or change one desk's with 'set'");
  settings->add_option("site", settings_site, "Site, sites/{id} or {id}");
  DeskSettingsOptions& set_options = cli.NewOptions<DeskSettingsOptions>();
  CLI::App* set = settings->add_subcommand(
      "set", "Change a desk's reception settings; only the settings given change");
  set->add_option("desk", set_options.desk, "desks/{id} or {id}")->required();
  set->add_option("--site", set_options.site, "The desk's site, sites/{id} or {id}")->required();
  set->add_option("--prefix", set_options.ticket_prefix,
                  "Ticket prefix: 1-2 capital letters, unique in the site");
  set->add_option("--recalls", set_options.recall_count,
                  "Calls after the first before the visit ends as missed, 0-5")
      ->check(WholeNumber(0, 5));
  set->add_option("--priority", set_options.priority,
                  "on: people with an accessibility need are called first")
      ->check(CLI::IsMember({"on", "off"}));
  set->add_option("--closing", set_options.closing_time,
                  "Local time at which the day closes by itself")
      ->type_name("HH:MM");
  AddRequestIdOption(set, &set_options.request_id);
  cli.OnRun(set, [&global, &set_options] { return RunUpdateDeskSettings(global, set_options); });
  cli.OnRun(settings, [&global, &settings_site]() -> int {
    if (settings_site.empty()) {
      std::cerr << "error: reception-settings: give a SITE, or 'set DESK --site SITE ...'\n";
      return kExitUsage;
    }
    return RunDeskSettings(global, settings_site);
  });
}

}  // namespace

void AddAdminCommands(CommandLine& cli) {
  CLI::App* admin =
      cli.app().add_subcommand("admin",
                               "Manage sites, desks, hours and slots, counters and reception "
                               "settings, roles, device tokens; read the audit log "
                               "(administrators)");
  admin->require_subcommand(1);
  AddCatalogCommands(cli, admin);
  AddPersonCommands(cli, admin);
  AddAccessCommands(cli, admin);
  AddReceptionAdminCommands(cli, admin);
}

}  // namespace accueil::cli
