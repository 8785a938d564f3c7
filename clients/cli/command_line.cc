#include "clients/cli/command_line.h"

#include <iostream>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/cli/credentials.h"
#include "clients/cli/errors.h"
#include "clients/cli/session.h"

namespace accueil::cli {

void CommandLine::Choose(CLI::App* command, std::function<int()> action, bool load_credentials) {
  // The parser calls a command's callback after its chosen subcommand's:
  // that one's action stands.
  command->callback([this, command, action = std::move(action), load_credentials] {
    if (!command->get_subcommands().empty()) return;
    action_ = action;
    load_credentials_ = load_credentials;
  });
}

int CommandLine::Run() {
  if (!action_) return kExitUsage;
  if (absl::Status tls = LoadTlsFiles(&global_); !tls.ok()) {
    std::cerr << "error: " << tls.message() << "\n";
    return tls.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (load_credentials_) {
    if (absl::Status loaded = LoadCredentials(&global_); !loaded.ok()) {
      std::cerr << "error: " << loaded.message() << "\n";
      return loaded.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    }
  }
  return action_();
}

CLI::Validator DayValidator() {
  return Checked([](const std::string& text) { return ParseDay(text); });
}

CLI::Validator WholeNumber(int minimum, int maximum) {
  const std::string wanted = maximum == std::numeric_limits<int>::max()
                                 ? absl::StrCat("a whole number of ", minimum, " or more")
                                 : absl::StrCat("a whole number from ", minimum, " to ", maximum);
  return CLI::Validator(
      [minimum, maximum, wanted](std::string& value) -> std::string {
        int number = 0;
        if (absl::SimpleAtoi(value, &number) && number >= minimum && number <= maximum) {
          return std::string();
        }
        return absl::StrCat("\"", value, "\" is not ", wanted);
      },
      "");
}

CLI::Option* AddRequestIdOption(CLI::App* command, std::string* request_id) {
  return command->add_option("--request-id", *request_id,
                             "Idempotency key: a retry with the same id returns the first answer "
                             "(default: random)");
}

}  // namespace accueil::cli
