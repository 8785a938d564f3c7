// An in-process server hosting every module (services/allinone/modules.h)
// through the real host (services/common/host.h) on a private database, on a loopback port chosen
// by the kernel, with a clock the test controls, and an in-memory identity provider whose tokens
// the server accepts (the real verification path: JWT, JWKS, role bindings).
//
//   auto server = TestServer::Start();
//   auto public_stub = server->BookingStub();
//   auto lodge = server->BookingStub(server->Token("agent-1", {{LODGE_AGENT, 1}}));
//   server->clock().Set(absl::FromCivil(...));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/auth/authenticator.h"
#include "services/common/auth/signer.h"
#include "services/common/clock.h"
#include "services/common/host.h"
#include "services/common/rate_limiter.h"
#include "services/common/secrets.h"
#include "services/common/server.h"
#include "tests/support/test_database.h"

namespace accueil::testing {

inline constexpr char kTestIssuer[] = "https://issuer.test";
inline constexpr char kTestAudience[] = "accueil";

struct TestServerOptions {
  // Default: 2026-06-01T08:00:00Z.
  absl::Time now = absl::FromUnixSeconds(1780300800);
  int pool_size = 8;
  // Loopback is exempt by default so that tests hammering the server are not
  // rate-limited; rate-limit tests clear this.
  RateLimitOptions limits = [] {
    RateLimitOptions o;
    o.exempt = {"127.0.0.1", "::1"};
    return o;
  }();
  // Peers whose x-forwarded-for names the client.
  std::vector<std::string> trusted_proxies;
  // Transport: TLS, mutual TLS, health port (default: plaintext, none).
  // With TLS, Channel() and the stubs below do not apply: make a channel
  // with TLS credentials to address().
  ServerOptions transport;
  // The modules served (default: all).
  std::vector<std::string> services;
  // The Prometheus port (metrics_listen, e.g. "127.0.0.1:0"); empty: none.
  std::string metrics_listen;
  // How often open streams' credentials are checked again.
  absl::Duration stream_recheck = absl::Seconds(30);
  // Service identity (docs/security.md#service-identity): the server's
  // service key, its key id and the service JWKS it trusts, as files, and
  // its subject. Empty: the host's ephemeral key, which only it trusts.
  std::string service_key_file;
  std::string service_key_id;
  std::string service_jwks_file;
  std::string service_subject;
  // Days personal data is kept (`retention_days`).
  int retention_days = 90;
  // Agents sign in through the real development issuer
  // (`dev_issuer_listen`, on loopback) instead of the in-memory identity
  // provider: Token() then asks it (its direct grant) for the first grant's
  // role; the gateway's sign-in runs against it.
  bool dev_issuer = false;
  // Module configuration keys ("notify_smtp_url" -> "smtp://..."), as a
  // deployment's file would give them.
  std::vector<std::pair<std::string, std::string>> settings;
};

// AwaitAudit: AwaitAudit below, for a database served by other hosts.
void AwaitAudit(const TestDatabase& database);

class TestServer {
 public:
  static std::unique_ptr<TestServer> Start(TestServerOptions options = {});
  static std::unique_ptr<TestServer> Start(absl::Time now, int pool_size = 8);
  ~TestServer();

  std::string address() const;
  // health_address is the plaintext health-only port (transport.health_listen).
  std::string health_address() const;
  // metrics_port is the Prometheus port (options.metrics_listen), 0 without.
  int metrics_port() const { return host_->metrics_port(); }
  // port_of: the port a module's worker listens on, by configuration key
  // ("gateway_listen"); 0 when none.
  int port_of(const std::string& key) const { return host_->ports().Get(key); }

  // Token grants `grants` (role, site id; 0 = every site) to `subject` in
  // the database and returns a JWT for it, signed by the test issuer.
  std::string Token(const std::string& subject, const std::vector<auth::Grant>& grants);
  // issuer: the address of the identity provider agents sign in with.
  std::string issuer() const;
  // StaffToken: administrator, lodge and counter agent on every site.
  std::string StaffToken();
  // ServiceToken: a service token of the server's own service identity
  // (SERVICE on every site), valid for a few minutes of the test's clock:
  // take a fresh one per call. Its calls may name an agent (x-acting-agent),
  // as the reception module does.
  std::string ServiceToken();

  // Stubs whose calls carry `authorization: Bearer <token>` ("" = public).
  std::unique_ptr<booking::v1::BookingService::Stub> BookingStub(
      const std::string& token = "") const;
  std::unique_ptr<access::v1::AccessService::Stub> AccessStub(const std::string& token = "") const;
  std::shared_ptr<grpc::Channel> Channel(const std::string& token = "") const;

  // Restart stops the services and starts them again on the same database
  // with another secret key ring, as a rolling restart after a key rotation
  // does; address() changes.
  void Restart(Secrets secrets);

  // StartReplica starts a second host of every module on the same database,
  // clock, secrets and identity provider, as another replica of a
  // deployment; ReplicaChannel reaches it. It stops by StopReplica or with
  // the server. Returns the replica's number.
  int StartReplica();
  std::shared_ptr<grpc::Channel> ReplicaChannel(int replica, const std::string& token = "") const;
  void StopReplica(int replica);

  // The host's pool (metrics tests hold its connections).
  db::Pool& pool() { return host_->pool(); }

  // The personal-data hooks of every module (retention and rekey tests).
  const PersonDataRegistry& person_data() const { return host_->person_data(); }

  // AwaitAudit returns once every audit record written so far is in
  // access.audit_log (the access module moves them from the outbox); fails
  // the test after 30 s.
  void AwaitAudit() { testing::AwaitAudit(*database_); }

  ManualClock& clock() { return clock_; }
  const Secrets& secrets() const { return secrets_; }
  TestDatabase& database() { return *database_; }
  auth::JwtSigner& signer() { return *signer_; }
  auth::StaticKeys& keys() { return keys_; }

 private:
  TestServer(absl::Time now, Secrets secrets) : clock_(now), secrets_(std::move(secrets)) {}
  std::unique_ptr<Host> MakeHost();
  void StartServices();
  void StopServices();
  TestServerOptions options_;
  ManualClock clock_;
  Secrets secrets_;
  std::unique_ptr<auth::JwtSigner> signer_;
  auth::StaticKeys keys_;
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Host> host_;
  std::vector<std::unique_ptr<Host>> replicas_;
};

}  // namespace accueil::testing
