// What reception staff do during the day (reception.cc runs them): the
// lodge checks people in and counts walk-ins, the counters call and serve
// them, and anyone of the site watches the queue. Their administration
// (counters, desk settings) is under `accueil admin`.
#include <string>

#include "clients/cli/command_line.h"
#include "clients/cli/output.h"

namespace accueil::cli {
namespace {

void AddLodgeCommands(CommandLine& cli) {
  const GlobalOptions& global = cli.global();
  CLI::App* lodge = cli.app().add_subcommand(
      "lodge", "The lodge: today's appointments, check-in, people without an appointment");
  lodge->require_subcommand(1);

  LodgeTodayOptions& today_options = cli.NewOptions<LodgeTodayOptions>();
  CLI::App* today = lodge->add_subcommand(
      "today",
      "List the site's appointments of today (its local day): time, reference, name, "
      "accessibility need, companions, status, and the person's no-shows (information "
      "for agents, never a sanction)");
  today->add_option("site", today_options.site, "Site, sites/{id} or {id}")->required();
  today->add_option("--desk", today_options.desk, "Only this desk, desks/{id} or {id}");
  today->add_option("--query", today_options.query,
                    "A reference or a name (accents, case and small misspellings forgiven)");
  cli.OnRun(today, [&global, &today_options] { return RunLodgeToday(global, today_options); });

  CheckInOptions& checkin_options = cli.NewOptions<CheckInOptions>();
  CLI::App* checkin = lodge->add_subcommand(
      "checkin",
      "Check a person in: they get a ticket (\"A-042\") and join their desk's queue (only on "
      "the appointment's day, from 2 hours before it)");
  checkin->add_option("site", checkin_options.site, "The lodge's site, sites/{id} or {id}")
      ->required();
  CLI::Option* reference = checkin->add_option("reference", checkin_options.reference,
                                               "The appointment's reference (8 characters)");
  // Not --token: that is the caller's bearer token (a global option).
  checkin
      ->add_option("--check-in-token", checkin_options.check_in_token,
                   "The token of the person's QR code, instead of the reference")
      ->excludes(reference);
  checkin->add_flag("--late", checkin_options.late,
                    "Admit a person later than the desk's grace period (needs --reason)");
  checkin
      ->add_option("--reason", checkin_options.reason,
                   "Why (audited; sent as the agent's reason, like the global --reason)")
      ->type_name("TEXT");
  AddRequestIdOption(checkin, &checkin_options.request_id);
  cli.OnRun(checkin, [&global, &checkin_options] { return RunCheckIn(global, checkin_options); });

  WalkInOptions& walkin_options = cli.NewOptions<WalkInOptions>();
  CLI::App* walkin = lodge->add_subcommand(
      "walkin",
      "Count a person without an appointment (no personal data); 'served' gives a ticket");
  walkin->add_option("site", walkin_options.site, "Site, sites/{id} or {id}")->required();
  walkin
      ->add_option("--outcome", walkin_options.outcome,
                   "informed, oriented (digital access point, France Services...), booked (on "
                   "the spot), served (today: a ticket, needs --desk)")
      ->check(CLI::IsMember(Words(WalkInOutcomeWords())))
      ->required();
  walkin->add_option("--desk", walkin_options.desk, "The desk concerned, desks/{id} or {id}");
  walkin->add_option("--reason", walkin_options.reason,
                     "Why they came, without personal data (at most 200 characters)");
  AddRequestIdOption(walkin, &walkin_options.request_id);
  cli.OnRun(walkin, [&global, &walkin_options] { return RunWalkIn(global, walkin_options); });
}

void AddCounterCommands(CommandLine& cli) {
  const GlobalOptions& global = cli.global();
  CLI::App* counter = cli.app().add_subcommand(
      "counter", "A counter: open it, call the next person, serve them, close it");
  counter->require_subcommand(1);

  OpenCounterOptions& open_options = cli.NewOptions<OpenCounterOptions>();
  CLI::App* open = counter->add_subcommand("open", "Open a counter for today");
  open->add_option("counter", open_options.counter, "counters/{id} or {id}")->required();
  open->add_option("--desk", open_options.desks,
                   "A desk served today, repeatable (default: every desk of the counter)")
      ->allow_extra_args(false);
  AddRequestIdOption(open, &open_options.request_id);
  cli.OnRun(open, [&global, &open_options] { return RunOpenCounter(global, open_options); });

  // The commands on one counter or one visit: only one of them runs.
  NameOptions& name_options = cli.NewOptions<NameOptions>();
  auto add_named = [&cli, &global, &name_options, counter](
                       const char* name, const char* help, const char* what,
                       int (*run)(const GlobalOptions&, const NameOptions&)) {
    CLI::App* command = counter->add_subcommand(name, help);
    command
        ->add_option(
            what, name_options.name,
            std::string(what) == "counter" ? "counters/{id} or {id}" : "visits/{id} or {id}")
        ->required();
    AddRequestIdOption(command, &name_options.request_id);
    cli.OnRun(command, [&global, &name_options, run] { return run(global, name_options); });
  };
  add_named("close", "Close a counter (not while a person is called or served)", "counter",
            RunCloseCounter);
  add_named("next", "Call the next person of the counter's desks (\"A-042 -> Guichet 3\")",
            "counter", RunCallNext);
  add_named("recall",
            "Call the person again (after the desk's recall count, the visit ends as missed)",
            "visit", RunRecall);
  add_named("start", "The called person is at the counter: start serving them", "visit",
            RunStartVisit);
  add_named("left", "The person left the waiting room", "visit", RunVisitorLeft);

  FinishVisitOptions& finish_options = cli.NewOptions<FinishVisitOptions>();
  CLI::App* finish = counter->add_subcommand("finish", "Finish serving a person");
  finish->add_option("visit", finish_options.visit, "visits/{id} or {id}")->required();
  finish
      ->add_option("--outcome", finish_options.outcome,
                   "served, incomplete (file incomplete), redirected")
      ->check(CLI::IsMember(Words(VisitOutcomeWords())))
      ->required();
  finish->add_option("--new-slot", finish_options.new_slot,
                     "incomplete only: book the person a new appointment in this slot, "
                     "slots/{id} or {id}");
  AddRequestIdOption(finish, &finish_options.request_id);
  cli.OnRun(finish, [&global, &finish_options] { return RunFinishVisit(global, finish_options); });

  TransferOptions& transfer_options = cli.NewOptions<TransferOptions>();
  CLI::App* transfer = counter->add_subcommand(
      "transfer", "Send a waiting or called person to another desk's queue, in their place");
  transfer->add_option("visit", transfer_options.visit, "visits/{id} or {id}")->required();
  transfer->add_option("desk", transfer_options.desk, "desks/{id} or {id}")->required();
  AddRequestIdOption(transfer, &transfer_options.request_id);
  cli.OnRun(transfer,
            [&global, &transfer_options] { return RunTransfer(global, transfer_options); });
}

void AddQueueCommand(CommandLine& cli) {
  const GlobalOptions& global = cli.global();
  QueueOptions& options = cli.NewOptions<QueueOptions>();
  CLI::App* queue = cli.app().add_subcommand(
      "queue",
      "Show the site's queue today: per desk the people waiting and the estimated wait, then "
      "the tickets in call order (ticket numbers only)");
  queue->add_option("site", options.site, "Site, sites/{id} or {id}")->required();
  queue->add_flag("--watch,-w", options.watch,
                  "Then print each change as it happens (calls as \"A-042 -> Guichet 3\"), "
                  "until interrupted (Ctrl-C)");
  cli.OnRun(queue, [&global, &options] { return RunQueue(global, options); });
}

}  // namespace

void AddReceptionCommands(CommandLine& cli) {
  AddLodgeCommands(cli);
  AddCounterCommands(cli);
  AddQueueCommand(cli);
}

}  // namespace accueil::cli
