// Commands of accueil.access.v1.AccessService: signing in (login, logout,
// whoami) and the administration of roles, device tokens and the audit log.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "clients/cli/commands.h"
#include "clients/cli/credentials.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"
#include "clients/cli/session.h"

namespace accueil::cli {
namespace {

namespace av1 = ::accueil::access::v1;

// Failed reports a local failure with the exit code of its status code (the
// same numbering as gRPC's).
int Failed(const absl::Status& status) {
  return Report(ErrorReport{ExitCodeFor(static_cast<grpc::StatusCode>(status.code())),
                            absl::StrCat("error: ", status.message(), "\n")});
}

// At returns "2026-12-01 09:20 (Europe/Paris)".
std::string At(const google::protobuf::Timestamp& time, const Zone& zone) {
  return absl::StrCat(FormatTime(time, zone), " (", zone.name, ")");
}

bool IsSet(const google::protobuf::Timestamp& time) {
  return time.seconds() != 0 || time.nanos() != 0;
}

// ShortMethod: "accueil.booking.v1.BookingService.CancelAppointment" (or
// ".../CancelAppointment") -> "CancelAppointment".
std::string ShortMethod(const std::string& method) {
  const size_t cut = method.find_last_of("./");
  return cut == std::string::npos ? method : method.substr(cut + 1);
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

// AccueilTokenSet: a token in the environment overrides the saved one.
bool AccueilTokenSet() {
  const char* token = std::getenv("ACCUEIL_TOKEN");
  return token != nullptr && *token != '\0';
}

// WhoAmI asks the server who the caller of `global` is.
grpc::Status WhoAmI(Session& session, av1::Caller* caller) {
  grpc::ClientContext context;
  session.Prepare(&context);
  return session.access().WhoAmI(&context, av1::WhoAmIRequest(), caller);
}

void PrintCaller(const av1::Caller& caller, const std::string& credentials) {
  std::vector<Field> fields = {{"subject", caller.subject()}};
  for (const av1::RoleGrant& grant : caller.grants()) {
    fields.emplace_back("role",
                        absl::StrCat(RoleWord(grant.role()), " on ", SiteWord(grant.site())));
  }
  if (caller.grants().empty()) {
    fields.emplace_back("roles", credentials.empty() ? "none: the public"
                                                     : "none (the server knows no role of "
                                                       "this subject)");
  }
  fields.emplace_back("credentials", credentials.empty() ? "none" : credentials);
  PrintFields(std::cout, fields);
}

void PrintBinding(const av1::RoleBinding& binding, const Zone& zone) {
  std::vector<Field> fields = {
      {"binding", binding.name()},          {"subject", binding.subject()},
      {"role", RoleWord(binding.role())},   {"site", SiteWord(binding.site())},
      {"granted by", binding.granted_by()}, {"granted", At(binding.grant_time(), zone)},
  };
  if (IsSet(binding.revoke_time())) {
    fields.emplace_back("revoked", At(binding.revoke_time(), zone));
  }
  PrintFields(std::cout, fields);
}

void PrintDevice(const av1::DeviceToken& device, const Zone& zone) {
  std::vector<Field> fields = {
      {"device", device.name()},
      {"site", device.site()},
      {"name", device.display_name()},
      {"created", At(device.create_time(), zone)},
  };
  if (IsSet(device.revoke_time())) {
    fields.emplace_back("revoked", At(device.revoke_time(), zone));
  }
  if (!device.token().empty()) fields.emplace_back("token", device.token());
  PrintFields(std::cout, fields);
}

}  // namespace

int RunLogin(const GlobalOptions& global, const LoginOptions& options) {
  if (!options.dev) {
    return Report(
        UsageError("only the development issuer is supported here: accueil login --dev "
                   "--role ROLE (agents of a real identity provider pass its token with "
                   "--token or ACCUEIL_TOKEN)"));
  }
  const av1::Role role = FromWord(RoleWords(), options.role);
  if (role == av1::ROLE_UNSPECIFIED) {
    return Report(
        UsageError("--role: expected one of lodge, counter, "
                   "quality, admin, service"));
  }
  DevTokenRequest request;
  request.issuer = options.issuer;
  request.role = av1::Role_Name(role);
  request.site = options.site;
  request.subject = options.subject.empty() ? absl::StrCat("dev-", options.role) : options.subject;
  request.timeout_seconds = global.timeout_seconds;
  absl::StatusOr<IssuedToken> issued = RequestDevToken(request);
  if (!issued.ok()) return Failed(issued.status());

  if (options.print) {
    // Asked for: the token alone, for ACCUEIL_TOKEN=$(accueil login ...).
    std::cout << issued->access_token << "\n";
    return kExitOk;
  }

  absl::StatusOr<TokenFile> file = TokenFilePath();
  if (!file.ok()) return Report(LocalError(file.status().message()));
  if (absl::Status saved = SaveToken(*file, issued->access_token); !saved.ok()) {
    return Report(LocalError(saved.message()));
  }

  GlobalOptions signed_in = global;
  signed_in.token = issued->access_token;
  signed_in.token_source = absl::StrCat("token file ", file->path);
  Session session(signed_in);
  av1::Caller caller;
  grpc::Status status = WhoAmI(session, &caller);
  if (!status.ok()) {
    std::cerr << "The token is saved in " << file->path
              << ", but the server could not say who you are:\n";
    return session.Fail(status);
  }
  if (global.json) return PrintJsonMessage(caller);
  std::string saved = absl::StrCat("token saved in ", file->path);
  if (issued->expires_in_seconds > 0) {
    const Zone zone = session.DisplayZone(options.site);
    absl::StrAppend(&saved, ", valid until ",
                    At(ToTimestamp(absl::Now() + absl::Seconds(issued->expires_in_seconds)), zone));
  }
  std::cout << "Signed in with the development issuer (" << saved << ").\n\n";
  PrintCaller(caller, signed_in.token_source);
  if (AccueilTokenSet()) {
    std::cerr << "note: ACCUEIL_TOKEN is set: it still takes precedence over "
                 "the saved token (unset ACCUEIL_TOKEN)\n";
  }
  return kExitOk;
}

int RunLogout(const GlobalOptions& global) {
  absl::StatusOr<TokenFile> file = TokenFilePath();
  if (!file.ok()) return Report(LocalError(file.status().message()));
  absl::StatusOr<bool> deleted = DeleteToken(*file);
  if (!deleted.ok()) return Report(LocalError(deleted.status().message()));
  if (!global.json) {
    std::cout << (*deleted ? "Signed out: removed " : "No token to remove in ") << file->path
              << ".\n";
  }
  if (AccueilTokenSet()) {
    std::cerr << "note: ACCUEIL_TOKEN is set: calls still carry that token "
                 "(unset ACCUEIL_TOKEN)\n";
  }
  return kExitOk;
}

int RunWhoAmI(const GlobalOptions& global) {
  Session session(global);
  av1::Caller caller;
  grpc::Status status = WhoAmI(session, &caller);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(caller);
  PrintCaller(caller, global.token_source);
  return kExitOk;
}

// PrintBindingIn prints a binding in its site's time zone.
void PrintBindingIn(Session& session, const av1::RoleBinding& binding) {
  PrintBinding(binding, session.DisplayZone(binding.site()));
}

int RunGrant(const GlobalOptions& global, const GrantOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  av1::GrantRoleRequest request;
  request.set_subject(options.subject);
  request.set_role(FromWord(RoleWords(), options.role));
  request.set_site(options.site);
  request.set_request_id(*request_id);
  return Mutate(global, *request_id, &Session::access, &av1::AccessService::Stub::GrantRole,
                request, PrintBindingIn);
}

int RunRevoke(const GlobalOptions& global, const NameOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  av1::RevokeRoleRequest request;
  request.set_name(options.name);
  request.set_request_id(*request_id);

  return Mutate(global, *request_id, &Session::access, &av1::AccessService::Stub::RevokeRole,
                request, PrintBindingIn);
}

int RunRoles(const GlobalOptions& global, const RolesOptions& options) {
  av1::ListRoleBindingsRequest request;
  request.set_subject(options.subject);
  request.set_site(options.site);
  request.set_include_revoked(options.all);
  request.set_page_size(kPageSize);

  Session session(global);
  av1::ListRoleBindingsResponse all;
  grpc::Status status = CollectPages(
      request,
      [&](const auto& r, av1::ListRoleBindingsResponse* page) {
        grpc::ClientContext context;
        session.Prepare(&context);
        return session.access().ListRoleBindings(&context, r, page);
      },
      [](av1::ListRoleBindingsResponse& r) { return r.mutable_role_bindings(); }, &all);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(all);
  if (all.role_bindings().empty()) {
    std::cout << "No role bindings.\n";
    return kExitOk;
  }
  const Zone zone = session.DisplayZone(options.site);
  std::vector<std::string> headers = {"BINDING",    "SUBJECT",
                                      "ROLE",       "SITE",
                                      "GRANTED BY", absl::StrCat("GRANTED (", zone.name, ")")};
  if (options.all) headers.push_back("REVOKED");
  Table table(headers);
  for (const av1::RoleBinding& binding : all.role_bindings()) {
    table.AddRow({binding.name(), binding.subject(), RoleWord(binding.role()),
                  SiteWord(binding.site()), binding.granted_by(),
                  FormatTime(binding.grant_time(), zone), FormatTime(binding.revoke_time(), zone)});
  }
  table.Print(std::cout);
  return kExitOk;
}

int RunCreateDevice(const GlobalOptions& global, const DeviceOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  av1::CreateDeviceTokenRequest request;
  request.set_site(options.site);
  request.set_display_name(options.display_name);
  request.set_request_id(*request_id);

  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  av1::DeviceToken device;
  grpc::Status status = session.access().CreateDeviceToken(&context, request, &device);
  if (!status.ok()) return session.FailMutation(status, *request_id);
  const std::string warning = absl::StrCat(
      "Store the token now, in the device's configuration: it is shown only "
      "this once (the server keeps only a hash of it). If it is lost or "
      "leaks, revoke it with 'accueil admin device-revoke ",
      device.name(), "' and create another.\n");
  if (global.json) {
    std::cerr << "warning: " << warning;
    return PrintJsonMessage(device);
  }
  PrintDevice(device, session.DisplayZone(device.site()));
  std::cout << "\n" << warning;
  return kExitOk;
}

int RunRevokeDevice(const GlobalOptions& global, const NameOptions& options) {
  absl::StatusOr<std::string> request_id = RequestIdOrNew(options.request_id);
  if (!request_id.ok()) return Report(LocalError(request_id.status().message()));
  av1::RevokeDeviceTokenRequest request;
  request.set_name(options.name);
  request.set_request_id(*request_id);

  return Mutate(global, *request_id, &Session::access, &av1::AccessService::Stub::RevokeDeviceToken,
                request, [](Session& session, const av1::DeviceToken& device) {
                  PrintDevice(device, session.DisplayZone(device.site()));
                });
}

int RunDevices(const GlobalOptions& global, const std::string& site) {
  av1::ListDeviceTokensRequest request;
  request.set_site(site);
  request.set_page_size(kPageSize);

  Session session(global);
  av1::ListDeviceTokensResponse all;
  grpc::Status status = CollectPages(
      request,
      [&](const auto& r, av1::ListDeviceTokensResponse* page) {
        grpc::ClientContext context;
        session.Prepare(&context);
        return session.access().ListDeviceTokens(&context, r, page);
      },
      [](av1::ListDeviceTokensResponse& r) { return r.mutable_device_tokens(); }, &all);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(all);
  if (all.device_tokens().empty()) {
    std::cout << "No devices.\n";
    return kExitOk;
  }
  const Zone zone = session.DisplayZone(site);
  Table table({"DEVICE", "NAME", absl::StrCat("CREATED (", zone.name, ")"), "REVOKED"});
  for (const av1::DeviceToken& device : all.device_tokens()) {
    table.AddRow({device.name(), device.display_name(), FormatTime(device.create_time(), zone),
                  FormatTime(device.revoke_time(), zone)});
  }
  table.Print(std::cout);
  return kExitOk;
}

namespace {

std::vector<std::string> AuditHeaders(const Zone& zone) {
  return {absl::StrCat("TIME (", zone.name, ")"),
          "SUBJECT",
          "ROLES",
          "METHOD",
          "RESOURCE",
          "REASON",
          "OUTCOME"};
}

std::vector<std::string> AuditCells(const av1::AuditEvent& event, const Zone& zone) {
  return {absl::FormatTime("%Y-%m-%d %H:%M:%S", ToTime(event.time()), zone.tz),
          // A service acting for an agent shows both.
          event.acting_for().empty() ? event.subject()
                                     : absl::StrCat(event.subject(), " for ", event.acting_for()),
          OrDash(event.roles()), ShortMethod(event.method()), OrDash(event.resource()),
          OrDash(event.reason()), event.outcome()};
}

// ListAudit collects at most `limit` events (0: all) of the pages `request`
// asks for into `all`.
grpc::Status ListAudit(Session& session, const av1::ListAuditEventsRequest& request, int limit,
                       av1::ListAuditEventsResponse* all) {
  return CollectPages(
      request,
      [&](const auto& r, av1::ListAuditEventsResponse* page) {
        grpc::ClientContext context;
        session.Prepare(&context);
        return session.access().ListAuditEvents(&context, r, page);
      },
      [](av1::ListAuditEventsResponse& r) { return r.mutable_audit_events(); }, all, limit);
}

// FollowAudit is `admin audit --follow`: the last `limit` events (0: every
// event) oldest first, then each new one as the server writes it, one line
// each (JSON Lines with --json), until interrupted or until the server ends
// the stream (a revoked role, an expired token, a shutdown).
int FollowAudit(const GlobalOptions& global, const AuditOptions& options) {
  if (!options.subject.empty() || !options.resource.empty() || !options.from.empty() ||
      !options.to.empty()) {
    return Report(UsageError("--follow filters by --site only"));
  }
  Session session(global);
  av1::WatchAuditEventsRequest watch;
  watch.set_site(options.site);
  watch.set_after_id(0);
  av1::ListAuditEventsResponse last;
  if (options.limit > 0) {
    av1::ListAuditEventsRequest request;
    request.set_site(options.site);
    request.set_page_size(std::min(options.limit, kPageSize));
    grpc::Status status = ListAudit(session, request, options.limit, &last);
    if (!status.ok()) return session.Fail(status);
    // The stream resumes right after the newest event listed: none is
    // missed or shown twice.
    if (!last.audit_events().empty()) {
      watch.set_after_id(std::stoll(last.audit_events(0).name().substr(strlen("auditEvents/"))));
    }
  }
  const Zone zone = session.DisplayZone(options.site);
  auto print = [&](const av1::AuditEvent& event) {
    if (global.json) {
      PrintJson(std::cout, event, /*one_line=*/true);
    } else {
      std::cout << absl::StrJoin(AuditCells(event, zone), "  ") << '\n';
    }
    std::cout.flush();
  };
  if (!global.json) std::cout << absl::StrJoin(AuditHeaders(zone), "  ") << '\n';
  for (int i = last.audit_events_size() - 1; i >= 0; --i) print(last.audit_events(i));

  grpc::ClientContext context;
  session.Prepare(&context);
  context.set_deadline(std::chrono::system_clock::time_point::max());  // until interrupted
  std::unique_ptr<grpc::ClientReader<av1::AuditEvent>> reader =
      session.access().WatchAuditEvents(&context, watch);
  av1::AuditEvent event;
  while (reader->Read(&event)) print(event);
  grpc::Status status = reader->Finish();
  return status.ok() ? kExitOk : session.Fail(status);
}

}  // namespace

int RunAudit(const GlobalOptions& global, const AuditOptions& options) {
  if (options.follow) return FollowAudit(global, options);
  av1::ListAuditEventsRequest request;
  request.set_subject(options.subject);
  request.set_site(options.site);
  request.set_resource(options.resource);
  std::optional<absl::Time> from;
  std::optional<absl::Time> to;
  for (auto [text, time] : {std::pair(&options.from, &from), std::pair(&options.to, &to)}) {
    if (text->empty()) continue;
    absl::StatusOr<absl::Time> parsed = ParseRfc3339(*text);
    if (!parsed.ok()) return Report(UsageError(parsed.status().message()));
    *time = *parsed;
  }
  if (from && to && *to <= *from) {
    return Report(UsageError("--to is not after --from"));
  }
  if (from) *request.mutable_start_time() = ToTimestamp(*from);
  if (to) *request.mutable_end_time() = ToTimestamp(*to);
  request.set_page_size(options.limit > 0 ? std::min(options.limit, kPageSize) : kPageSize);

  Session session(global);
  av1::ListAuditEventsResponse all;
  grpc::Status status = ListAudit(session, request, options.limit, &all);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(all);
  if (all.audit_events().empty()) {
    std::cout << "No audit events.\n";
    return kExitOk;
  }
  const Zone zone = session.DisplayZone(options.site);
  Table table(AuditHeaders(zone));
  for (const av1::AuditEvent& event : all.audit_events()) table.AddRow(AuditCells(event, zone));
  table.Print(std::cout);
  return kExitOk;
}

}  // namespace accueil::cli
