// Signing in: login, logout, whoami (access.cc runs them).
#include "clients/cli/command_line.h"
#include "clients/cli/output.h"

namespace accueil::cli {

void AddLoginCommands(CommandLine& cli) {
  CLI::App& app = cli.app();
  const GlobalOptions& global = cli.global();

  LoginOptions& login_options = cli.NewOptions<LoginOptions>();
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
  login->footer(std::string("The token is saved in ${ACCUEIL_TOKEN_FILE:-${XDG_CONFIG_HOME:-"
                            "$HOME/.config}/accueil/token} (mode 600) and sent by every command "
                            "until 'accueil logout'; --token or ACCUEIL_TOKEN take precedence.\n") +
                kGlobalHelpFooter);
  cli.OnRunWithoutCredentials(
      login, [&global, &login_options] { return RunLogin(global, login_options); });

  CLI::App* logout = app.add_subcommand("logout", "Forget the token saved by 'accueil login'");
  cli.OnRunWithoutCredentials(logout, [&global] { return RunLogout(global); });

  CLI::App* whoami =
      app.add_subcommand("whoami", "Show who the server takes you for, and your roles");
  cli.OnRun(whoami, [&global] { return RunWhoAmI(global); });
}

}  // namespace accueil::cli
