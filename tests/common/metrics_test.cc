// Prometheus metrics (services/common/metrics.h): scraped over HTTP from the
// metrics port of a real server, as Prometheus does.
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "services/common/config.h"
#include "services/common/metrics.h"
#include "tests/support/test_server.h"

namespace accueil {
namespace {

// ListDesks: a public read no worker makes here (metrics' slot snapshot
// lists the sites every 10 s, and desks only of the sites it finds: none).
constexpr char kListDesks[] = "accueil.booking.v1.BookingService.ListDesks";
constexpr char kCreateSite[] = "accueil.booking.v1.BookingService.CreateSite";
constexpr char kWhoAmI[] = "accueil.access.v1.AccessService.WhoAmI";

using Labels = std::map<std::string, std::string>;

// Scrape is one GET /metrics: the text, and its samples by name and labels.
class Scrape {
 public:
  static Scrape Of(int port) {
    httplib::Client client("127.0.0.1", port);
    httplib::Result response = client.Get("/metrics");
    Scrape scrape;
    if (!response || response->status != 200) {
      ADD_FAILURE() << "GET /metrics on port " << port << " failed";
      return scrape;
    }
    scrape.text = response->body;
    for (absl::string_view line : absl::StrSplit(scrape.text, '\n', absl::SkipEmpty())) {
      if (line.front() == '#') continue;
      // name{label="value",...} value
      size_t space = line.rfind(' ');
      absl::string_view series = line.substr(0, space);
      double value = 0;
      EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
      size_t brace = series.find('{');
      Labels labels;
      if (brace != absl::string_view::npos) {
        absl::string_view inside = series.substr(brace + 1, series.size() - brace - 2);
        for (absl::string_view pair : absl::StrSplit(inside, "\",", absl::SkipEmpty())) {
          std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits("=\"", 1));
          if (!kv.second.empty() && kv.second.back() == '"') kv.second.pop_back();
          labels.insert(std::move(kv));
        }
      }
      scrape.samples[{std::string(series.substr(0, brace)), std::move(labels)}] = value;
    }
    return scrape;
  }

  std::optional<double> Find(const std::string& name, const Labels& labels = {}) const {
    auto it = samples.find({name, labels});
    if (it == samples.end()) return std::nullopt;
    return it->second;
  }
  // Value: a counter never incremented is absent, which reads 0.
  double Value(const std::string& name, const Labels& labels = {}) const {
    return Find(name, labels).value_or(0);
  }

  std::string text;
  std::map<std::pair<std::string, Labels>, double> samples;
};

std::unique_ptr<testing::TestServer> ServerWithMetrics(int pool_size = 8) {
  testing::TestServerOptions options;
  options.pool_size = pool_size;
  options.metrics_listen = "127.0.0.1:0";
  return testing::TestServer::Start(options);
}

TEST(Metrics, CountsEachCallByMethodAndCodeWithItsDuration) {
  auto server = ServerWithMetrics();
  int port = server->metrics_port();
  Scrape before = Scrape::Of(port);

  auto stub = server->BookingStub();
  {
    grpc::ClientContext ctx;
    booking::v1::ListDesksResponse response;
    ASSERT_TRUE(stub->ListDesks(&ctx, {}, &response).ok());
  }
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    booking::v1::Site site;
    ASSERT_EQ(stub->CreateSite(&ctx, {}, &site).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  Scrape after = Scrape::Of(port);

  auto delta = [&](const std::string& name, const Labels& labels) {
    return after.Value(name, labels) - before.Value(name, labels);
  };
  EXPECT_EQ(delta("accueil_rpc_calls_total", {{"method", kListDesks}, {"code", "OK"}}), 1);
  EXPECT_EQ(
      delta("accueil_rpc_calls_total", {{"method", kCreateSite}, {"code", "UNAUTHENTICATED"}}), 2);
  EXPECT_EQ(delta("accueil_rpc_calls_total", {{"method", kCreateSite}, {"code", "OK"}}), 0);
  EXPECT_EQ(delta("accueil_rpc_duration_seconds_count", {{"method", kListDesks}}), 1);
  EXPECT_EQ(delta("accueil_rpc_duration_seconds_count", {{"method", kCreateSite}}), 2);
  EXPECT_EQ(delta("accueil_rpc_duration_seconds_bucket", {{"method", kCreateSite}, {"le", "+Inf"}}),
            2);
  EXPECT_GT(delta("accueil_rpc_duration_seconds_sum", {{"method", kListDesks}}), 0);
  EXPECT_NE(after.text.find("# TYPE accueil_rpc_duration_seconds histogram"), std::string::npos);
}

TEST(Metrics, NoLabelCarriesTheCallersSubject) {
  auto server = ServerWithMetrics();
  const std::string subject = "agent-metrics-subject-5b1f";
  std::string token = server->Token(subject, {{access::v1::LODGE_AGENT, 1}});
  {
    grpc::ClientContext ctx;
    access::v1::Caller caller;
    ASSERT_TRUE(server->AccessStub(token)->WhoAmI(&ctx, {}, &caller).ok());
    EXPECT_EQ(caller.subject(), subject);
  }
  {
    grpc::ClientContext ctx;
    booking::v1::Site site;
    EXPECT_EQ(server->BookingStub(token)->CreateSite(&ctx, {}, &site).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  int port = server->metrics_port();
  Scrape scrape = Scrape::Of(port);
  EXPECT_EQ(scrape.Value("accueil_rpc_calls_total", {{"method", kWhoAmI}, {"code", "OK"}}), 1);
  EXPECT_EQ(scrape.Value("accueil_rpc_calls_total",
                         {{"method", kCreateSite}, {"code", "PERMISSION_DENIED"}}),
            1);
  EXPECT_EQ(scrape.text.find(subject), std::string::npos) << scrape.text;
  EXPECT_EQ(scrape.text.find(token), std::string::npos);
}

TEST(Metrics, ReportThePoolsConnectionsWaitsAndTimeouts) {
  auto server = ServerWithMetrics(/*pool_size=*/1);
  int port = server->metrics_port();
  Scrape idle = Scrape::Of(port);
  EXPECT_EQ(idle.Find("accueil_db_pool_size"), 1);
  ASSERT_TRUE(idle.Find("accueil_db_pool_connections", {{"state", "idle"}}).has_value());
  EXPECT_EQ(*idle.Find("accueil_db_pool_connections", {{"state", "idle"}}) +
                *idle.Find("accueil_db_pool_connections", {{"state", "in_use"}}),
            1);
  ASSERT_TRUE(idle.Find("accueil_db_pool_waits_total").has_value());
  ASSERT_TRUE(idle.Find("accueil_db_pool_acquire_timeouts_total").has_value());

  // Hold the only connection; a second caller waits for it, then gives up.
  absl::Notification held, release;
  std::thread holder([&] {
    absl::Status s = server->pool().Run([&](pqxx::connection&) {
      held.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
  });
  held.WaitForNotification();
  Scrape busy = Scrape::Of(port);
  EXPECT_EQ(busy.Find("accueil_db_pool_connections", {{"state", "in_use"}}), 1);
  EXPECT_EQ(busy.Find("accueil_db_pool_connections", {{"state", "idle"}}), 0);
  absl::Status waited =
      server->pool().Run([](pqxx::connection&) { return absl::OkStatus(); });  // 5 s
  EXPECT_EQ(waited.code(), absl::StatusCode::kUnavailable) << waited;
  release.Notify();
  holder.join();

  Scrape after = Scrape::Of(port);
  EXPECT_GE(after.Value("accueil_db_pool_waits_total") - idle.Value("accueil_db_pool_waits_total"),
            1);
  EXPECT_GE(after.Value("accueil_db_pool_acquire_timeouts_total") -
                idle.Value("accueil_db_pool_acquire_timeouts_total"),
            1);
  EXPECT_NE(after.text.find("# TYPE accueil_db_pool_waits_total counter"), std::string::npos);
}

TEST(Metrics, CountOpenStreamsUntilTheyEnd) {
  Metrics metrics;
  ASSERT_TRUE(metrics.Serve("127.0.0.1:0").ok());
  const Labels watch = {{"method", "accueil.reception.v1.ReceptionService.WatchQueue"}};
  std::optional<Metrics::Stream> first = metrics.OpenStream(watch.at("method"));
  Metrics::Stream second = metrics.OpenStream(watch.at("method"));
  EXPECT_EQ(Scrape::Of(metrics.port()).Value("accueil_rpc_open_streams", watch), 2);
  Metrics::Stream moved = std::move(second);  // still one stream
  first.reset();
  EXPECT_EQ(Scrape::Of(metrics.port()).Value("accueil_rpc_open_streams", watch), 1);
  moved = Metrics::Stream();
  EXPECT_EQ(Scrape::Of(metrics.port()).Find("accueil_rpc_open_streams", watch), 0);
}

TEST(Metrics, ReportConsumerLagAndWorkerQueues) {
  Metrics metrics;
  ASSERT_TRUE(metrics.Serve("127.0.0.1:0").ok());
  metrics.SetConsumerLag("notify", 12, absl::Milliseconds(3500));
  metrics.SetWorkerQueue("reminders", 40);
  metrics.SetWorkerQueue("reminders", 39);
  Scrape scrape = Scrape::Of(metrics.port());
  EXPECT_EQ(scrape.Find("accueil_consumer_lag_events", {{"consumer", "notify"}}), 12);
  EXPECT_EQ(scrape.Find("accueil_consumer_lag_seconds", {{"consumer", "notify"}}), 3.5);
  EXPECT_EQ(scrape.Find("accueil_worker_queue_items", {{"worker", "reminders"}}), 39);
}

TEST(Metrics, ServeOnlyMetricsAndRefuseABusyPortNamingTheKey) {
  Metrics first;
  ASSERT_TRUE(first.Serve("127.0.0.1:0").ok());
  ASSERT_GT(first.port(), 0);
  httplib::Client client("127.0.0.1", first.port());
  httplib::Result other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);

  Metrics second;
  absl::Status s = second.Serve(absl::StrCat("127.0.0.1:", first.port()));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("metrics_listen"), absl::string_view::npos) << s;
  EXPECT_EQ(second.port(), 0);
}

TEST(Metrics, MetricsListenIsPlaintextBeyondLoopbackLikeTheHealthPort) {
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  absl::StatusOr<ServerConfig> c =
      ParseServerConfig("database_url = x\nmetrics_listen = 0.0.0.0:9090\n", none);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metrics_listen, "0.0.0.0:9090");
  c = ParseServerConfig("database_url = x\nmetrics_listen = 9090\n", none);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("metrics_listen"), absl::string_view::npos);
  c = ParseServerConfig("database_url = x\n", none);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->metrics_listen.empty());
}

}  // namespace
}  // namespace accueil
