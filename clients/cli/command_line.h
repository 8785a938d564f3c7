// The command line of the `accueil` client, one file per group of commands.
//
// main.cc makes the app and its global options, then asks each group to add
// its subcommands, in the order `accueil --help` lists them; parsing picks one
// command, which runs once every option has its value:
//
//   CommandLine cli(app, global);
//   AddLoginCommands(cli);
//   AddPublicCommands(cli);
//   app.parse(argc, argv);
//   return cli.Run();
//
// A group declares its subcommands (names, options, help texts, validators)
// and the Run* function of commands.h that each one calls. The option values
// outlive the group's Add* function: they come from NewOptions, and the
// actions capture them and the global options by reference, never the Add*
// function's locals.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "clients/cli/commands.h"

namespace accueil::cli {

// kGlobalHelpFooter ends the help of every subcommand: the root's help has
// the global options and the exit codes.
inline constexpr char kGlobalHelpFooter[] =
    "Global options (--server, --tls, --ca, --cert, --key, --json, --timeout, "
    "--tz, --token, --reason) and exit codes: see 'accueil --help'.";

// CommandLine is what the groups of commands add to, and what runs the
// command chosen by parsing. Not thread-safe (nothing here needs it).
class CommandLine {
 public:
  // `app` and `global` must outlive the CommandLine.
  CommandLine(CLI::App& app, GlobalOptions& global) : app_(app), global_(global) {}
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  CLI::App& app() { return app_; }

  // global returns the global options, filled by parsing.
  const GlobalOptions& global() const { return global_; }

  // NewOptions returns a default Options that lives as long as this
  // CommandLine, for parsing to fill and an action to read.
  template <typename Options>
  Options& NewOptions() {
    auto options = std::make_shared<Options>();
    kept_.push_back(options);
    return *options;
  }

  // OnRun makes `action`, which returns the exit code, run when parsing
  // chooses `command`, with the caller's credentials (LoadCredentials). A
  // command that has subcommands of its own runs only when none of them is
  // chosen.
  void OnRun(CLI::App* command, std::function<int()> action) {
    Choose(command, std::move(action), /*load_credentials=*/true);
  }

  // OnRunWithoutCredentials is OnRun for login and logout, which handle the
  // token file themselves: a bad saved token must not stop them.
  void OnRunWithoutCredentials(CLI::App* command, std::function<int()> action) {
    Choose(command, std::move(action), /*load_credentials=*/false);
  }

  // Run runs the command chosen by parsing, after reading the TLS files and,
  // unless it does without, the credentials; returns the exit code (usage
  // error when none was chosen).
  int Run();

 private:
  CLI::App& app_;
  GlobalOptions& global_;
  std::vector<std::shared_ptr<void>> kept_;
  std::function<int()> action_;
  bool load_credentials_ = true;

  void Choose(CLI::App* command, std::function<int()> action, bool load_credentials);
};

// The groups of commands, one file each.
void AddLoginCommands(CommandLine& cli);      // login, logout, whoami
void AddPublicCommands(CommandLine& cli);     // sites, desks, slots, book, show, cancel, move
void AddAgentCommands(CommandLine& cli);      // noshow, reset-code
void AddReceptionCommands(CommandLine& cli);  // lodge, counter, queue
void AddAdminCommands(CommandLine& cli);      // admin and its subcommands
void AddMetricsCommands(CommandLine& cli);    // report and its subcommands, indicators

// Checked adapts one of the Parse* functions of commands.h into a validator,
// so that a bad value is a usage error with the parser's own message.
template <typename Parse>
CLI::Validator Checked(Parse parse) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        auto parsed = parse(value);
        return parsed.ok() ? std::string() : std::string(parsed.status().message());
      },
      "");
}

// DayValidator accepts a calendar day, YYYY-MM-DD.
CLI::Validator DayValidator();

// WholeNumber accepts an integer from `minimum` to `maximum` (a count, a
// number of minutes) and refuses anything else saying so: "--capacity: "0"
// is not a whole number of 1 or more". (CLI11's PositiveNumber and
// NonNegativeNumber call "abc" out of range, up to 1.8e308 written out.)
CLI::Validator WholeNumber(int minimum, int maximum = std::numeric_limits<int>::max());

// AddRequestIdOption adds --request-id, the idempotency key of a mutating
// command.
CLI::Option* AddRequestIdOption(CLI::App* command, std::string* request_id);

}  // namespace accueil::cli
