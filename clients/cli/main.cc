// accueil: command-line client of the booking, access, reception and metrics
// APIs. main builds the app and its global options, lets each group of
// commands add its subcommands (command_line.h), parses and runs the command
// chosen.
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "clients/cli/command_line.h"
#include "clients/cli/commands.h"
#include "clients/cli/credentials.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"

namespace {

using namespace accueil::cli;  // NOLINT(build/namespaces)

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("accueil: appointments at prefecture reception desks.", "accueil");
  // Inherited by every subcommand added below; the root's own is set last.
  app.footer(kGlobalHelpFooter);
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
                 "move without --code, agent bookings, reset-code, a late "
                 "check-in); audited. "
                 "Plain ASCII: accents are dropped")
      ->envname("ACCUEIL_REASON")
      ->type_name("TEXT")
      ->transform(AgentReason());

  CommandLine cli(app, global);
  AddLoginCommands(cli);
  AddPublicCommands(cli);
  AddAgentCommands(cli);
  AddReceptionCommands(cli);
  AddAdminCommands(cli);
  AddMetricsCommands(cli);

  app.footer(ExitCodeHelp());

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help ends parsing with a "success" that exits 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return cli.Run();
}
