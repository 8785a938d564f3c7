// The module shape (services/common/module.h): each module's configuration
// keys, documented from their declarations; the host running a module's
// workers, reporting its health and calling its personal-data hooks; a
// module reaching another through its API in-process (across processes:
// service_identity_test.cc).
#include <atomic>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "services/allinone/modules.h"
#include "services/common/auth/jwt.h"
#include "services/common/auth/signer.h"
#include "services/common/host.h"
#include "services/common/person_key.h"
#include "services/common/retention.h"
#include "tests/booking/booking_fixture.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace accueil {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::RpcFails;
using testing::RpcOk;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ModuleConfig, TheDocumentedTableIsTheDeclaredOne) {
  std::vector<std::unique_ptr<Module>> modules;
  std::vector<ConfigSection> sections;
  for (const ModuleFactory& make : AllModules()) {
    modules.push_back(make());
    sections.emplace_back(std::string(modules.back()->name()));
  }
  std::vector<ConfigSection*> pointers;
  for (size_t i = 0; i < modules.size(); ++i) {
    modules[i]->Configure(sections[i]);
    pointers.push_back(&sections[i]);
  }
  std::ifstream in(std::string(ACCUEIL_SOURCE_DIR) + "/docs/operations.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string begin = "<!-- config-table:", end = "<!-- /config-table -->";
  size_t from = doc.find(begin);
  ASSERT_NE(from, std::string::npos) << "docs/operations.md has no config-table marker";
  from = doc.find('\n', from) + 1;
  size_t to = doc.find(end, from);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(doc.substr(from, to - from), ConfigTable(pointers))
      << "docs/operations.md: replace the table by `accueil-server config-table`";
}

TEST(ModuleConfig, AModuleKeysAreItsOwnPrefixedReadFromFileAndEnvironment) {
  int hours = 24;
  ConfigSection notify("notify");
  notify.Int("reminder_hours", &hours, 1, 240, "hours before the appointment");
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      "database_url = x\nnotify_reminder_hours = 48\nservices = notify\n", Env({}), {&notify});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(hours, 48);
  EXPECT_EQ(c->services, std::vector<std::string>{"notify"});
  EXPECT_EQ(c->module_addresses.at("notify"), "");

  c = ParseServerConfig("database_url = x\nnotify_reminder_hours = 48\n",
                        Env({{"ACCUEIL_NOTIFY_REMINDER_HOURS", "12"},
                             {"ACCUEIL_NOTIFY_ADDRESS", "notify.accueil.svc:50051"}}),
                        {&notify});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(hours, 12);
  EXPECT_EQ(c->module_addresses.at("notify"), "notify.accueil.svc:50051");

  c = ParseServerConfig("database_url = x\nnotify_reminder_hours = 500\n", Env({}), {&notify});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("notify_reminder_hours"), std::string::npos);
  c = ParseServerConfig("database_url = x\nnotify_address = nocolon\n", Env({}), {&notify});
  EXPECT_FALSE(c.ok());
  c = ParseServerConfig("database_url = x\nreception_desks = 3\n", Env({}), {&notify});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown key"), std::string::npos);
  c = ParseServerConfig("database_url = x\nservices = notify, reception\n", Env({}), {&notify});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown service \"reception\" (known: notify)"),
            std::string::npos)
      << c.status();
}

// A module of the test's own: a worker whose health the test sets, and
// personal-data hooks that count their calls.
class ProbeWorker final : public Worker {
 public:
  explicit ProbeWorker(std::atomic<bool>* healthy, std::atomic<int>* running)
      : healthy_(healthy), running_(running) {}
  std::string_view name() const override { return "probe"; }
  void Start() override { ++*running_; }
  void Stop() override {
    if (!stopped_) --*running_;
    stopped_ = true;
  }
  bool Healthy() const override { return *healthy_; }

 private:
  std::atomic<bool>* healthy_;
  std::atomic<int>* running_;
  bool stopped_ = false;
};

class ProbeHooks final : public PersonDataHooks {
 public:
  // One record per person key the probe holds, matched as a module matches
  // its own person_key column.
  absl::StatusOr<std::vector<std::string>> Export(db::Pool&, const PersonQuery& person) override {
    std::vector<std::string> out;
    if (Holds(person)) out.push_back(absl::StrCat(R"({"site":)", person.site_id, "}"));
    return out;
  }
  absl::StatusOr<int> Erase(db::Pool&, const PersonQuery& person) override {
    if (!Holds(person)) return 0;
    held_key.clear();
    return 1;
  }
  bool Holds(const PersonQuery& person) const {
    for (const std::string& key : person.person_keys) {
      if (!held_key.empty() && key == held_key) return true;
    }
    return false;
  }
  std::string held_key;
  absl::StatusOr<PurgeCounts> Purge(db::Pool& pool, absl::Time, const Retention&) override {
    ++purges;
    // A real statement on the module's pool, as a module's purge runs one.
    return pool.Run([](pqxx::connection& c) -> absl::StatusOr<PurgeCounts> {
      pqxx::nontransaction tx(c);
      return PurgeCounts{tx.exec1("SELECT 2 AS n")["n"].as<int>(), 0};
    });
  }
  absl::StatusOr<RekeyCounts> Rekey(db::Pool&, const Secrets&) override { return RekeyCounts{}; }
  std::atomic<int> purges = 0;
};

class ProbeModule final : public Module {
 public:
  std::string_view name() const override { return "probe"; }
  void Configure(ConfigSection& section) override {
    section.Int("batch", &batch, 1, 1000, "events per batch");
  }
  absl::StatusOr<ModuleParts> Start(const ServiceContext&) override {
    ModuleParts parts;
    parts.workers.push_back(std::make_unique<ProbeWorker>(&healthy, &running));
    return parts;
  }
  PersonDataHooks* person_data() override { return &hooks; }

  int batch = 100;
  std::atomic<bool> healthy = true;
  std::atomic<int> running = 0;
  ProbeHooks hooks;
};

HealthCheckResponse::ServingStatus Health(int port, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse resp;
  if (!stub->Check(&ctx, req, &resp).ok()) return HealthCheckResponse::UNKNOWN;
  return resp.status();
}

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 100; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return done();
}

Secrets TestSecrets() { return *Secrets::FromKey(std::string(48, 'm')); }

TEST(ModuleHost, RunsAModuleWorkersReportsItsHealthAndPurgesItsData) {
  auto database = testing::TestDatabase::Create();
  std::vector<std::unique_ptr<Module>> modules;
  for (const ModuleFactory& make : AllModules()) modules.push_back(make());
  auto probe = std::make_unique<ProbeModule>();
  ProbeModule* p = probe.get();
  modules.push_back(std::move(probe));
  // Every module's keys, as accueil-server reads them (the gateway on a
  // port the kernel picks).
  std::vector<std::unique_ptr<ConfigSection>> sections;
  std::vector<ConfigSection*> section_list;
  for (const auto& m : modules) {
    sections.push_back(std::make_unique<ConfigSection>(std::string(m->name())));
    m->Configure(*sections.back());
    section_list.push_back(sections.back().get());
  }
  absl::StatusOr<ServerConfig> config = ParseServerConfig(
      absl::StrCat("listen = 127.0.0.1:0\ngateway_listen = 127.0.0.1:0\nprobe_batch = 7\n"
                   "database_url = ",
                   database->url()),
      Env({}), section_list);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(p->batch, 7);
  HostOptions options;
  options.purge_every_hour = false;
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Start(*config, std::move(modules), TestSecrets(), std::move(options));
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(p->running, 1);
  const int port = (*host)->port();
  for (const char* module : {"probe", "booking", "access"}) {
    EXPECT_EQ(Health(port, module), HealthCheckResponse::SERVING) << module;
  }

  p->healthy = false;
  EXPECT_TRUE(
      Eventually([&] { return Health(port, "probe") == HealthCheckResponse::NOT_SERVING; }));
  EXPECT_EQ(Health(port, "booking"), HealthCheckResponse::SERVING);
  p->healthy = true;
  EXPECT_TRUE(Eventually([&] { return Health(port, "probe") == HealthCheckResponse::SERVING; }));

  // The retention purge covers every module that declares hooks.
  absl::StatusOr<PurgeCounts> counts =
      retention::PurgeOnce((*host)->pool(), absl::Now(), Retention{}, (*host)->person_data());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(p->hooks.purges, 1);
  EXPECT_EQ(counts->erased, 2);  // booking's database is empty: the probe's 2 only

  (*host)->Shutdown(absl::Seconds(1));
  EXPECT_EQ(p->running, 0);
}

TEST(ModuleHost, AProcessWithoutTheAccessModuleIsRefused) {
  auto database = testing::TestDatabase::Create();
  std::vector<std::unique_ptr<Module>> modules;
  modules.push_back(booking::NewModule());
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.database_url = database->url();
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Start(config, std::move(modules), TestSecrets());
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.status().message().find("access module"), std::string::npos) << host.status();
}

// Access asks booking whether a site exists before granting a role on it or
// making a device for it: in one process, through the in-process channel.
TEST(ModulePeers, RoleGrantsAndDevicesNeedASiteBookingKnows) {
  testing::BookingWorld world;
  testing::TestServer* server = &world.server();
  booking::v1::Site site;
  ASSERT_TRUE(RpcOk(world.CreateSite("Europe/Paris", &site)));
  auto admin = server->AccessStub(server->Token("admin", {{access::v1::ADMINISTRATOR, 0}}));

  access::v1::GrantRoleRequest grant;
  grant.set_subject("agent-7");
  grant.set_role(access::v1::LODGE_AGENT);
  grant.set_site("sites/999");
  access::v1::RoleBinding binding;
  {
    grpc::ClientContext ctx;
    EXPECT_TRUE(RpcFails(admin->GrantRole(&ctx, grant, &binding), grpc::StatusCode::NOT_FOUND,
                         "SITE_NOT_FOUND", "site"));
  }
  grant.set_site(site.name());
  {
    grpc::ClientContext ctx;
    EXPECT_TRUE(RpcOk(admin->GrantRole(&ctx, grant, &binding)));
    EXPECT_EQ(binding.site(), site.name());
  }
  access::v1::CreateDeviceTokenRequest device;
  device.set_site("sites/999");
  device.set_display_name("Borne loge");
  access::v1::DeviceToken token;
  {
    grpc::ClientContext ctx;
    EXPECT_TRUE(RpcFails(admin->CreateDeviceToken(&ctx, device, &token),
                         grpc::StatusCode::NOT_FOUND, "SITE_NOT_FOUND", "site"));
  }
  device.set_site(site.name());
  {
    grpc::ClientContext ctx;
    EXPECT_TRUE(RpcOk(admin->CreateDeviceToken(&ctx, device, &token)));
  }
  // Nothing was written for the refused site.
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM access.role_bindings WHERE site_id = 999"), 0);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM access.device_tokens WHERE site_id = 999"), 0);
}

// A person's rights cover every module: booking's ExportPersonData and
// ErasePersonData call the other modules' hooks with the person's keys.
TEST(ModuleHost, APersonsRightsReachEveryModule) {
  auto database = testing::TestDatabase::Create();
  std::vector<std::unique_ptr<Module>> modules;
  for (const ModuleFactory& make : AllModules()) modules.push_back(make());
  auto probe = std::make_unique<ProbeModule>();
  ProbeModule* p = probe.get();
  modules.push_back(std::move(probe));
  Secrets secrets = TestSecrets();
  p->hooks.held_key = PersonKey(secrets, "+33612345678");
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.database_url = database->url();
  // The modules' keys; the gateway on a port the kernel picks.
  std::vector<std::unique_ptr<ConfigSection>> sections;
  for (const auto& m : modules) {
    sections.push_back(std::make_unique<ConfigSection>(std::string(m->name())));
    m->Configure(*sections.back());
    (void)sections.back()->Set("gateway_listen", "127.0.0.1:0");
  }
  auth::JwtSigner signer = *auth::JwtSigner::Generate("ES256", "k1");
  auth::StaticKeys keys;
  keys.Set(*auth::KeySet::FromJwks(auth::JwksDocument({&signer})));
  HostOptions options;
  options.keys = &keys;
  options.issuer = "https://issuer.test";
  options.purge_every_hour = false;
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Start(config, std::move(modules), secrets, std::move(options));
  ASSERT_TRUE(host.ok()) << host.status();
  database->Query(
      "INSERT INTO access.role_bindings (subject, role, site_id, granted_by, grant_time) "
      "VALUES ('dpo', 'ADMINISTRATOR', NULL, 'test', now())");
  std::string token =
      signer.Sign(absl::StrCat(R"({"iss":"https://issuer.test","aud":"accueil","sub":"dpo","exp":)",
                               absl::ToUnixSeconds(absl::Now()) + 3600, "}"));
  auto stub = booking::v1::BookingService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*host)->port()), grpc::InsecureChannelCredentials()));
  auto call = [&](auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.AddMetadata("x-agent-reason", "demande de la personne");
    return ((*stub).*method)(&ctx, req, resp);
  };
  booking::v1::CreateSiteRequest create;
  create.mutable_site()->set_display_name("P");
  create.mutable_site()->set_time_zone("Europe/Paris");
  booking::v1::Site site;
  ASSERT_TRUE(RpcOk(call(&booking::v1::BookingService::Stub::CreateSite, create, &site)));

  booking::v1::ExportPersonDataRequest export_req;
  export_req.set_site(site.name());
  export_req.set_query("06 12 34 56 78");
  booking::v1::ExportPersonDataResponse exported;
  ASSERT_TRUE(
      RpcOk(call(&booking::v1::BookingService::Stub::ExportPersonData, export_req, &exported)));
  ASSERT_EQ(exported.module_records_size(), 1);
  EXPECT_EQ(exported.module_records(0).module(), "probe");
  ASSERT_EQ(exported.module_records(0).records_json_size(), 1);
  EXPECT_EQ(exported.module_records(0).records_json(0),
            absl::StrCat(R"({"site":)", site.name().substr(6), "}"));

  booking::v1::ErasePersonDataRequest erase;
  erase.set_site(site.name());
  erase.set_query("+33 6 12 34 56 78");
  erase.set_request_id("erase-1");
  booking::v1::ErasePersonDataResponse erased;
  ASSERT_TRUE(RpcOk(call(&booking::v1::BookingService::Stub::ErasePersonData, erase, &erased)));
  EXPECT_EQ(erased.module_erased_counts().at("probe"), 1);
  EXPECT_TRUE(p->hooks.held_key.empty());
  // Another person's query reaches nothing.
  export_req.set_query("other@example.org");
  ASSERT_TRUE(
      RpcOk(call(&booking::v1::BookingService::Stub::ExportPersonData, export_req, &exported)));
  EXPECT_EQ(exported.module_records_size(), 0);
}

}  // namespace
}  // namespace accueil
