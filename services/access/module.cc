#include "services/access/module.h"

#include <cstdio>

#include "services/access/access_service.h"
#include "services/access/audit_consumer.h"
#include "services/access/directory.h"
#include "services/common/audit.h"
#include "services/common/log.h"

namespace accueil::access {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "accueil-server: grant-admin: %s\n", std::string(status.message()).c_str());
  return 1;
}

// GrantAdmin is `accueil-server grant-admin SUBJECT`: the first
// administrator of every site (later ones are granted through the API),
// with an audit row.
int GrantAdmin(const ServerConfig& config, const std::vector<std::string>& args) {
  const std::string& subject = args.at(0);
  if (subject.empty() || subject.size() > 200) {
    return Fail(absl::InvalidArgumentError("subject of 1 to 200 characters"));
  }
  absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(config.database_url, 1);
  if (!pool.ok()) return Fail(pool.status());
  // Device tokens are not made here: the directory needs no key ring.
  Directory directory(pool->get(), nullptr);
  events::AuditOutbox audit(pool->get(), nullptr);
  absl::Time now = absl::Now();
  if (absl::Status s = directory.Bind(subject, v1::ADMINISTRATOR, 0, "grant-admin", now); !s.ok()) {
    return Fail(s);
  }
  if (absl::Status s = audit.Record(
          {now, "grant-admin", "", "accueil-server grant-admin", subject, 0, "bootstrap", "OK"});
      !s.ok()) {
    return Fail(s);
  }
  log::Info("grant_admin.done");
  return 0;
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
             1, GrantAdmin}};
  }

 private:
  std::unique_ptr<Directory> directory_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<AccessModule>(); }

}  // namespace accueil::access
