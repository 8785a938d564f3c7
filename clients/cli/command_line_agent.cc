// What reception staff do with an appointment: the lifecycle transitions
// (arrived, start, complete, noshow), check-in by QR token, and a new access
// code (commands.cc runs them).
#include <iterator>
#include <utility>

#include "clients/cli/command_line.h"

namespace accueil::cli {

void AddAgentCommands(CommandLine& cli) {
  CLI::App& app = cli.app();
  const GlobalOptions& global = cli.global();

  TransitionOptions& transition_options = cli.NewOptions<TransitionOptions>();
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
    AddRequestIdOption(command, &transition_options.request_id);
    cli.OnRun(command, [&global, &transition_options, transition = transition] {
      return RunTransition(global, transition, transition_options);
    });
  }

  CheckInOptions& checkin_options = cli.NewOptions<CheckInOptions>();
  CLI::App* checkin =
      app.add_subcommand("checkin",
                         "Check a person in with the token of their QR code (marks arrived; "
                         "lodge agents and kiosks)");
  checkin
      ->add_option("token", checkin_options.check_in_token, "Check-in token, as printed by 'book'")
      ->required();
  AddRequestIdOption(checkin, &checkin_options.request_id);
  cli.OnRun(checkin, [&global, &checkin_options] { return RunCheckIn(global, checkin_options); });

  NameOptions& reset_options = cli.NewOptions<NameOptions>();
  CLI::App* reset_code =
      app.add_subcommand("reset-code",
                         "Give a person who lost their access code a new one (agents, with "
                         "--reason; the old code and check-in token stop working)");
  reset_code->add_option("appointment", reset_options.name, "appointments/{id}")->required();
  AddRequestIdOption(reset_code, &reset_options.request_id);
  cli.OnRun(reset_code, [&global, &reset_options] { return RunResetCode(global, reset_options); });
}

}  // namespace accueil::cli
