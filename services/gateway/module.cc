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
  void Stop() override {
    gateway_->StopStreams();
    server_->Stop();
  }
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
    section.Seconds("io_timeout", &http_.io_timeout, 3600,
                    "a request must arrive whole, and a response leave, within this time; an "
                    "idle keep-alive connection is closed after it (an event stream is not, "
                    "only its writes are timed)");
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
    section.Text("oidc_client_id", &gateway_.pages.sign_in.provider.client_id,
                 "the gateway's client id at the identity provider, for agents' sign-in "
                 "(docs/security.md#agents-sessions); its ID tokens' audience, which the "
                 "services check against `oidc_audience`");
    section.Default("`oidc_audience`");
    section.Text("oidc_client_secret", &gateway_.pages.sign_in.provider.client_secret,
                 "the client's secret, if the provider gives one (pass it as "
                 "`ACCUEIL_GATEWAY_OIDC_CLIENT_SECRET`); empty: a public client (PKCE)");
    section.Text("public_base_url", &gateway_.pages.sign_in.public_base_url,
                 "the pages' public address (`https://rdv.example.gouv.fr`): agents return "
                 "from the identity provider to `<this>/agent/retour`, the redirect URI to "
                 "register; empty: the request's own address (a local run)",
                 [](const std::string& url) {
                   return url.empty() || url.rfind("https://", 0) == 0 ||
                                  url.rfind("http://127.0.0.1", 0) == 0 ||
                                  url.rfind("http://localhost", 0) == 0
                              ? absl::OkStatus()
                              : absl::InvalidArgumentError(
                                    "must start with https:// (http:// only on loopback), "
                                    "without a trailing path");
                 });
    section.Seconds("display_heartbeat", &gateway_.pages.display.heartbeat, 60,
                    "how often the call displays' event streams get a ping (a display "
                    "reconnects after 45 s without one)");
    section.Seconds("display_recheck", &gateway_.pages.display.recheck, 600,
                    "how often each call display's device token is checked again (a revoked "
                    "one is disconnected)");
    section.Int("session_hours", &session_hours_, 1, 24,
                "hours an agent's session lasts from the sign-in, the short-lived token "
                "being refreshed meanwhile");
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
    SignInOptions& sign_in = gateway_.pages.sign_in;
    sign_in.provider.issuer = context.oidc_issuer;
    if (sign_in.provider.client_id.empty()) sign_in.provider.client_id = context.oidc_audience;
    while (!sign_in.public_base_url.empty() && sign_in.public_base_url.back() == '/') {
      sign_in.public_base_url.pop_back();
    }
    sign_in.session_lifetime = absl::Hours(session_hours_);
    sign_in.secrets = context.secrets;
    sign_in.clock = context.clock;
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
  int session_hours_ = 12;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<GatewayModule>(); }

}  // namespace accueil::gateway
