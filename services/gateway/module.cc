#include "services/gateway/module.h"

#include "absl/strings/str_cat.h"
#include "services/common/input/cidr.h"
#include "services/common/log.h"
#include "services/common/peers.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http_server.h"

namespace accueil::gateway {
namespace {

// HttpWorker keeps the HTTP server for the host: it listens from the
// module's Start (so a port in use fails the start) and stops with the
// other workers, before the gRPC services it calls.
class HttpWorker final : public Worker {
 public:
  HttpWorker(std::unique_ptr<Gateway> gateway, std::unique_ptr<HttpServer> server)
      : gateway_(std::move(gateway)), server_(std::move(server)) {}
  std::string_view name() const override { return "gateway.http"; }
  void Start() override {}
  void Stop() override { server_->Stop(); }
  bool Healthy() const override { return true; }

 private:
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
};

class GatewayModule final : public Module {
 public:
  std::string_view name() const override { return "gateway"; }

  void Configure(ConfigSection& section) override {
    section.Text("listen", &http_.listen,
                 "the HTTP address of the JSON API and the pages (`host:port`); beyond loopback "
                 "it needs `gateway_tls_cert_file` and `gateway_tls_key_file` (docs/web.md)");
    section.Text("tls_cert_file", &http_.tls_cert_file,
                 "PEM certificate chain of the HTTPS listener (may be the gRPC server's)");
    section.Text("tls_key_file", &http_.tls_key_file, "PEM private key of the HTTPS listener");
    section.Text("assets_dir", &gateway_.pages.assets_dir,
                 "the web assets: `dsfr/` (the state design system, from npm) and `static/`; "
                 "the build assembles them in `build/web/` (docs/web.md#assets)");
    section.Default("the build's `web/` directory");
    section.Int("io_threads", &http_.io_threads, 1, 64,
                "threads serving every open connection (no thread per connection)");
    section.Int("handler_threads", &http_.handler_threads, 1, 512,
                "threads handling requests once read (they wait on the services)");
    section.Int("max_connections", &max_connections_, 1, 1000000,
                "open connections beyond which new ones are closed at once");
    section.List("trusted_proxies", &gateway_.trusted_proxies,
                 "comma-separated addresses or CIDR blocks (an ingress) whose "
                 "`X-Forwarded-For` names the person; anything else is refused at start",
                 [](const std::string& proxy) {
                   return input::ParseCidr(proxy).ok()
                              ? absl::OkStatus()
                              : absl::InvalidArgumentError(absl::StrCat(
                                    "\"", proxy, "\" is not an IP address or CIDR block"));
                 });
    section.Validate([this]() -> absl::Status {
      if (http_.tls_cert_file.empty() != http_.tls_key_file.empty()) {
        return absl::InvalidArgumentError(
            "gateway_tls_cert_file and gateway_tls_key_file go together");
      }
      if (http_.tls_cert_file.empty() && !IsLoopback(http_.listen)) {
        return absl::InvalidArgumentError(
            absl::StrCat("gateway_listen: refusing to serve HTTP beyond loopback without TLS (",
                         http_.listen, "); set gateway_tls_cert_file and gateway_tls_key_file"));
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    Peers* peers = context.peers;
    gateway_.pages.clock = context.clock;
    gateway_.pages.retention_days = context.retention_days;
    absl::StatusOr<std::unique_ptr<Gateway>> gateway =
        Gateway::Create(gateway_, [peers](std::string_view module) {
          return peers->Channel(absl::string_view(module.data(), module.size()));
        });
    if (!gateway.ok()) return gateway.status();
    Gateway* handler = gateway->get();
    HttpServerOptions http = http_;
    http.max_connections = static_cast<size_t>(max_connections_);
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
        http, [handler](const HttpRequest& request) { return handler->Handle(request); });
    if (!server.ok()) return server.status();
    if (context.ports != nullptr) context.ports->Set("gateway_listen", (*server)->port());
    log::Info("gateway.listening", {{"port", absl::StrCat((*server)->port())},
                                    {"routes", absl::StrCat(handler->routes().routes().size())},
                                    {"tls", http.tls_cert_file.empty() ? "false" : "true"}});
    ModuleParts parts;
    parts.workers.push_back(std::make_unique<HttpWorker>(std::move(*gateway), std::move(*server)));
    return parts;
  }

 private:
  HttpServerOptions http_ = [] {
    HttpServerOptions o;
    o.listen = "127.0.0.1:8080";
    return o;
  }();
  GatewayOptions gateway_ = [] {
    GatewayOptions o;
    o.pages.assets_dir = ACCUEIL_WEB_ASSETS_DIR;
    return o;
  }();
  int max_connections_ = 10000;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<GatewayModule>(); }

}  // namespace accueil::gateway
