#include "services/access/module.h"

#include <cstdio>

#include "services/access/access_service.h"
#include "services/access/audit_consumer.h"
#include "services/access/directory.h"
#include "services/common/audit.h"
#include "absl/strings/str_cat.h"
#include "services/common/auth/service_subject.h"
#include "services/common/log.h"

namespace accueil::access {
namespace {

int Fail(const std::string& command, const absl::Status& status) {
  std::fprintf(stderr, "accueil-server: %s: %s\n", command.c_str(),
               std::string(status.message()).c_str());
  return 1;
}

// BindOnEverySite is what `grant-admin` and `grant-service` do: bind `role`
// on every site to `subject` and record it in the audit log.
int BindOnEverySite(const ServerConfig& config, const std::string& command,
                    const std::string& subject, v1::Role role, const std::string& reason) {
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(config.database_url, 1);
  if (!pool.ok()) return Fail(command, pool.status());
  // Device tokens are not made here: the directory needs no key ring.
  Directory directory(pool->get(), nullptr);
  events::AuditOutbox audit(pool->get(), nullptr);
  absl::Time now = absl::Now();
  if (absl::Status s = directory.Bind(subject, role, 0, command, now); !s.ok()) {
    return Fail(command, s);
  }
  if (absl::Status s = audit.Record({now, command, "", absl::StrCat("accueil-server ", command),
                                     subject, 0, reason, "OK", ""});
      !s.ok()) {
    return Fail(command, s);
  }
  log::Info("role.bound", {{"command", command}});
  return 0;
}

// GrantAdmin is `accueil-server grant-admin SUBJECT`: the first
// administrator of every site (later ones are granted through the API),
// with an audit row.
int GrantAdmin(const ServerConfig& config, const std::vector<std::string>& args) {
  const std::string& subject = args.at(0);
  if (subject.empty() || subject.size() > 200) {
    return Fail("grant-admin", absl::InvalidArgumentError("subject of 1 to 200 characters"));
  }
  return BindOnEverySite(config, "grant-admin", subject, v1::ADMINISTRATOR, "bootstrap");
}

// GrantService is `accueil-server grant-service service:NAME`: the SERVICE
// role on every site for the subject a process signs its calls with
// (`service_subject`, docs/security.md#service-identity).
int GrantService(const ServerConfig& config, const std::vector<std::string>& args) {
  const std::string& subject = args.at(0);
  if (!auth::IsServiceSubject(subject)) {
    return Fail(
        "grant-service",
        absl::InvalidArgumentError(
            "expected service: then lower-case letters, digits, . _ + - (service:booking)"));
  }
  return BindOnEverySite(config, "grant-service", subject, v1::SERVICE, "service identity");
}

class AccessModule final : public Module {
 public:
  std::string_view name() const override { return "access"; }

  absl::Status Provide(const Foundations& f, Providers& providers) override {
    directory_ = std::make_unique<Directory>(f.pool, f.secrets);
    providers.directory = directory_.get();
    return absl::OkStatus();
  }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    ModuleParts parts;
    auto feed = std::make_unique<AuditFeed>(context.pool);
    parts.services.push_back(
        {std::make_unique<AccessService>(context, directory_.get(), feed.get()),
         v1::AccessService::service_full_name()});
    // The tails learn of new rows as soon as the consumer has moved them.
    AuditFeed* tails = feed.get();
    parts.workers.push_back(
        NewAuditConsumer(context.pool, context.clock, context.metrics, [tails] { tails->Wake(); }));
    // Started after the services and stopped before them, by the host.
    parts.workers.push_back(std::move(feed));
    return parts;
  }

  std::vector<ModuleCommand> commands() override {
    return {{"grant-admin",
             "grant-admin SUBJECT  makes the OpenID subject an administrator of "
             "every site (the first one; later ones through the API)",
             1, GrantAdmin},
            {"grant-service",
             "grant-service SUBJECT  gives the service subject (service:NAME, the key "
             "service_subject) the SERVICE role on every site, so that its calls are admitted",
             1, GrantService}};
  }

 private:
  std::unique_ptr<Directory> directory_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<AccessModule>(); }

}  // namespace accueil::access
