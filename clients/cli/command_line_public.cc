// What the public does without signing in: read sites, desks and slots, book,
// and show, cancel or move their own appointment (commands.cc runs them).
// Agents use the same commands on a person's behalf, with --reason.
#include "clients/cli/command_line.h"
#include "clients/cli/output.h"

namespace accueil::cli {

void AddPublicCommands(CommandLine& cli) {
  CLI::App& app = cli.app();
  const GlobalOptions& global = cli.global();

  CLI::App* sites = app.add_subcommand("sites", "List the sites (prefectures)");
  cli.OnRun(sites, [&global] { return RunSites(global); });

  DesksOptions& desks_options = cli.NewOptions<DesksOptions>();
  CLI::App* desks = app.add_subcommand("desks", "List the desks of a site, or of all sites");
  desks->add_option("--site", desks_options.site, "Site, sites/{id}");
  cli.OnRun(desks, [&global, &desks_options] { return RunDesks(global, desks_options); });

  SlotsOptions& slots_options = cli.NewOptions<SlotsOptions>();
  CLI::App* slots = app.add_subcommand("slots", "List the bookable slots of a desk");
  slots->add_option("--desk", slots_options.desk, "Desk, desks/{id}")->required();
  slots->add_option("--from", slots_options.from, "First local day (default: now)")
      ->type_name("YYYY-MM-DD")
      ->check(DayValidator());
  slots
      ->add_option("--to", slots_options.to,
                   "Last local day, included (default: the server's window)")
      ->type_name("YYYY-MM-DD")
      ->check(DayValidator());
  slots->add_option("--limit", slots_options.limit, "Show at most N slots (0: all)")
      ->type_name("N")
      ->check(WholeNumber(0));
  cli.OnRun(slots, [&global, &slots_options] { return RunSlots(global, slots_options); });

  BookOptions& book_options = cli.NewOptions<BookOptions>();
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
      ->check(WholeNumber(0))
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
  AddRequestIdOption(book, &book_options.request_id);
  cli.OnRun(book, [&global, &book_options] { return RunBook(global, book_options); });

  // show, cancel and move share their options: only one of them runs.
  AppointmentOptions& appointment_options = cli.NewOptions<AppointmentOptions>();
  auto add_reference_and_code = [&appointment_options](CLI::App* command) {
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
  add_reference_and_code(show);
  cli.OnRun(show, [&global, &appointment_options] { return RunShow(global, appointment_options); });

  CLI::App* cancel = app.add_subcommand("cancel", "Cancel an appointment");
  add_reference_and_code(cancel);
  cancel->add_option("--reason", appointment_options.reason,
                     "Why (at most 200 characters); without --code, also "
                     "the agent's reason unless ACCUEIL_REASON or a --reason "
                     "before 'cancel' gives one");
  AddRequestIdOption(cancel, &appointment_options.request_id);
  cli.OnRun(cancel,
            [&global, &appointment_options] { return RunCancel(global, appointment_options); });

  CLI::App* move =
      app.add_subcommand("move", "Move an appointment to another slot of the same desk");
  add_reference_and_code(move);
  move->add_option("--slot", appointment_options.new_slot, "New slot, slots/{id}")->required();
  AddRequestIdOption(move, &appointment_options.request_id);
  cli.OnRun(move, [&global, &appointment_options] { return RunMove(global, appointment_options); });
}

}  // namespace accueil::cli
