// What reception staff do with an appointment directly in booking: mark a
// no-show, and give a new access code (commands.cc runs them); and what
// notify sent about it (notify.cc). Arrivals,
// check-in and service go through the reception module
// (command_line_reception.cc).
#include "clients/cli/command_line.h"

namespace accueil::cli {

void AddAgentCommands(CommandLine& cli) {
  CLI::App& app = cli.app();
  const GlobalOptions& global = cli.global();

  // Arrivals, service and check-in go through the reception module (`accueil
  // lodge`, `accueil counter`); a no-show stays an agent's call.
  TransitionOptions& noshow_options = cli.NewOptions<TransitionOptions>();
  CLI::App* noshow = app.add_subcommand("noshow", "Mark that the person did not come");
  noshow->add_option("appointment", noshow_options.name, "appointments/{id}")->required();
  AddRequestIdOption(noshow, &noshow_options.request_id);
  cli.OnRun(noshow, [&global, &noshow_options] { return RunNoShow(global, noshow_options); });

  NameOptions& reset_options = cli.NewOptions<NameOptions>();
  CLI::App* reset_code =
      app.add_subcommand("reset-code",
                         "Give a person who lost their access code a new one (agents, with "
                         "--reason; the old code and check-in token stop working)");
  reset_code->add_option("appointment", reset_options.name, "appointments/{id}")->required();
  AddRequestIdOption(reset_code, &reset_options.request_id);
  cli.OnRun(reset_code, [&global, &reset_options] { return RunResetCode(global, reset_options); });

  // What was sent about an appointment (notify.cc).
  CLI::App* notify = app.add_subcommand("notify", "The e-mails and SMS about appointments");
  notify->require_subcommand(1);
  NameOptions& list_options = cli.NewOptions<NameOptions>();
  CLI::App* list = notify->add_subcommand(
      "list",
      "What was sent (and is to be sent) about an appointment: each message's template, "
      "channel, state, reason and attempts (agents of its site, with --reason)");
  list->add_option("appointment", list_options.name, "appointments/{id} or {id}")->required();
  cli.OnRun(list, [&global, &list_options] { return RunNotifyList(global, list_options); });
}

}  // namespace accueil::cli
