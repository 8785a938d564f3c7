// Transport: TLS and mutual TLS on the service port, the plaintext
// health-only port, certificate reload, and the configuration's refusals.
// The CAs and certificates are made here, at run time, with the OpenSSL C API.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/config.h"
#include "tests/support/pem.h"
#include "tests/support/test_server.h"

namespace accueil {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// --- Throwaway PKI --------------------------------------------------------

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Deleter {
  void operator()(X509* c) const { X509_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using Cert = std::unique_ptr<X509, X509Deleter>;

// An identity: key and certificate, as objects and as PEM.
struct Identity {
  Pkey key;
  Cert cert;
  std::string key_pem;
  std::string cert_pem;
};

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

enum class Kind { kCa, kServer, kClient };

// Issue makes a P-256 key and a certificate for it, signed by `issuer` (null:
// self-signed).
Identity Issue(const std::string& common_name, Kind kind, const Identity* issuer) {
  Identity id;
  id.key.reset(EVP_EC_gen("P-256"));
  EXPECT_NE(id.key, nullptr);
  id.cert.reset(X509_new());
  X509* c = id.cert.get();
  X509_set_version(c, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Accueil test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer ? issuer->cert.get() : c;
  EVP_PKEY* issuer_key = issuer ? issuer->key.get() : id.key.get();
  X509_set_issuer_name(c, X509_get_subject_name(issuer_cert));
  X509_set_pubkey(c, id.key.get());
  AddExtension(c, issuer_cert, NID_subject_key_identifier, "hash");
  switch (kind) {
    case Kind::kCa:
      AddExtension(c, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
      AddExtension(c, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Kind::kServer:
      AddExtension(c, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(c, issuer_cert, NID_key_usage, "critical,digitalSignature");
      AddExtension(c, issuer_cert, NID_ext_key_usage, "serverAuth");
      AddExtension(c, issuer_cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
      AddExtension(c, issuer_cert, NID_authority_key_identifier, "keyid");
      break;
    case Kind::kClient:
      AddExtension(c, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(c, issuer_cert, NID_key_usage, "critical,digitalSignature");
      AddExtension(c, issuer_cert, NID_ext_key_usage, "clientAuth");
      AddExtension(c, issuer_cert, NID_authority_key_identifier, "keyid");
      break;
  }
  EXPECT_GT(X509_sign(c, issuer_key, EVP_sha256()), 0);
  id.key_pem = testing::PrivateKeyPem(id.key.get());
  id.cert_pem = CertPem(c);
  return id;
}

// A private directory for the PEM files the server reads, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "accueil-tls-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    EXPECT_NE(mkdtemp(buffer.data()), nullptr);
    path_ = buffer.data();
  }
  ~TempDir() { std::filesystem::remove_all(path_); }

  // Write replaces `name` atomically (as a Kubernetes Secret volume does).
  std::string Write(const std::string& name, const std::string& content) const {
    std::string path = path_ + "/" + name;
    {
      std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
      out << content;
    }
    std::filesystem::rename(path + ".tmp", path);
    return path;
  }

 private:
  std::string path_;
};

// The test PKI: the server's CA and its server and client certificates, and
// another CA with a client certificate of its own.
struct Pki {
  Identity ca = Issue("Accueil test CA", Kind::kCa, nullptr);
  Identity server = Issue("accueil-server", Kind::kServer, &ca);
  Identity client = Issue("accueil-client", Kind::kClient, &ca);
  Identity other_ca = Issue("Someone else's CA", Kind::kCa, nullptr);
  Identity other_server = Issue("accueil-server", Kind::kServer, &other_ca);
  Identity other_client = Issue("intruder", Kind::kClient, &other_ca);
};

// --- Clients --------------------------------------------------------------

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const std::string& root_pem,
                                          const Identity* client = nullptr) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = root_pem;
  if (client != nullptr) {
    options.pem_private_key = client->key_pem;
    options.pem_cert_chain = client->cert_pem;
  }
  // A fresh connection per channel: no subchannel shared between cases.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), args);
}

std::shared_ptr<grpc::Channel> PlainChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

grpc::Status ListSites(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = booking::v1::BookingService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  booking::v1::ListSitesResponse resp;
  return stub->ListSites(&ctx, {}, &resp);
}

struct Files {
  std::string cert, key, ca;
};

Files WriteServerFiles(const TempDir& dir, const Identity& server, const Identity* client_ca) {
  Files f;
  f.cert = dir.Write("tls.crt", server.cert_pem);
  f.key = dir.Write("tls.key", server.key_pem);
  if (client_ca != nullptr) f.ca = dir.Write("client-ca.crt", client_ca->cert_pem);
  return f;
}

testing::TestServerOptions WithTls(const Files& f) {
  testing::TestServerOptions options;
  options.transport.tls_cert_file = f.cert;
  options.transport.tls_key_file = f.key;
  options.transport.tls_client_ca_file = f.ca;
  options.transport.health_listen = "127.0.0.1:0";
  return options;
}

// --- Server ---------------------------------------------------------------

TEST(Tls, ServesClientsThatTrustItsCaOnly) {
  Pki pki;
  TempDir dir;
  auto server = testing::TestServer::Start(WithTls(WriteServerFiles(dir, pki.server, nullptr)));

  EXPECT_TRUE(ListSites(TlsChannel(server->address(), pki.ca.cert_pem)).ok());
  // By name too: the certificate names localhost.
  std::string port = server->address().substr(server->address().rfind(':') + 1);
  EXPECT_TRUE(ListSites(TlsChannel("localhost:" + port, pki.ca.cert_pem)).ok());

  grpc::Status plain = ListSites(PlainChannel(server->address()));
  EXPECT_FALSE(plain.ok());
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();

  grpc::Status other = ListSites(TlsChannel(server->address(), pki.other_ca.cert_pem));
  EXPECT_FALSE(other.ok());
  EXPECT_EQ(other.error_code(), grpc::StatusCode::UNAVAILABLE) << other.error_message();
}

TEST(Tls, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  Pki pki;
  TempDir dir;
  auto server = testing::TestServer::Start(WithTls(WriteServerFiles(dir, pki.server, &pki.ca)));

  grpc::Status none = ListSites(TlsChannel(server->address(), pki.ca.cert_pem));
  EXPECT_FALSE(none.ok()) << "no client certificate";
  grpc::Status other = ListSites(TlsChannel(server->address(), pki.ca.cert_pem, &pki.other_client));
  EXPECT_FALSE(other.ok()) << "a client certificate from another CA";
  EXPECT_FALSE(ListSites(PlainChannel(server->address())).ok());

  EXPECT_TRUE(ListSites(TlsChannel(server->address(), pki.ca.cert_pem, &pki.client)).ok());
}

TEST(Tls, HealthPortAnswersInPlaintextWithTheSameStatusesAndNothingElse) {
  Pki pki;
  TempDir dir;
  auto server = testing::TestServer::Start(WithTls(WriteServerFiles(dir, pki.server, &pki.ca)));
  ASSERT_NE(server->health_address(), "127.0.0.1:0");
  auto health = Health::NewStub(PlainChannel(server->health_address()));
  for (const char* service :
       {"", "accueil.booking.v1.BookingService", "accueil.access.v1.AccessService"}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::Status status = health->Check(&ctx, req, &resp);
    ASSERT_TRUE(status.ok()) << service << ": " << status.error_message();
    EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING) << service;
  }
  // The services themselves are not on the health port.
  grpc::Status sites = ListSites(PlainChannel(server->health_address()));
  EXPECT_EQ(sites.error_code(), grpc::StatusCode::UNIMPLEMENTED) << sites.error_message();
}

TEST(Tls, HealthPortReportsNotServingOnceShutdownBegins) {
  Pki pki;
  TempDir dir;
  std::vector<HostedService> none;
  ServerOptions options;
  options.tls_cert_file = dir.Write("tls.crt", pki.server.cert_pem);
  options.tls_key_file = dir.Write("tls.key", pki.server.key_pem);
  options.health_listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start("127.0.0.1:0", std::move(none), options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto health =
      Health::NewStub(PlainChannel("127.0.0.1:" + std::to_string((*server)->health_port())));
  grpc::ClientContext ctx;
  HealthCheckRequest req;
  HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
  (*server)->Shutdown(absl::ZeroDuration());
  grpc::ClientContext after;
  after.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  EXPECT_FALSE(health->Check(&after, req, &resp).ok()) << "the health port closes too";
}

TEST(Tls, ServesARenewedCertificateWithoutRestart) {
  Pki pki;
  TempDir dir;
  testing::TestServerOptions options = WithTls(WriteServerFiles(dir, pki.server, nullptr));
  options.transport.tls_refresh = absl::Seconds(1);
  auto server = testing::TestServer::Start(options);
  ASSERT_TRUE(ListSites(TlsChannel(server->address(), pki.ca.cert_pem)).ok());

  // The certificate is replaced by one from another CA (a CA rotation).
  WriteServerFiles(dir, pki.other_server, nullptr);
  bool renewed = false;
  for (int i = 0; i < 100 && !renewed; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    renewed = ListSites(TlsChannel(server->address(), pki.other_ca.cert_pem)).ok();
  }
  EXPECT_TRUE(renewed) << "the renewed certificate was not served within 10 s";
  EXPECT_FALSE(ListSites(TlsChannel(server->address(), pki.ca.cert_pem)).ok());
}

TEST(Tls, StartRefusesUnusableFiles) {
  Pki pki;
  TempDir dir;
  auto start = [](ServerOptions options) {
    return Server::Start("127.0.0.1:0", {}, options).status();
  };
  ServerOptions only_cert;
  only_cert.tls_cert_file = dir.Write("tls.crt", pki.server.cert_pem);
  absl::Status s = start(only_cert);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;

  ServerOptions mismatch;
  mismatch.tls_cert_file = dir.Write("tls.crt", pki.server.cert_pem);
  mismatch.tls_key_file = dir.Write("other.key", pki.client.key_pem);
  s = start(mismatch);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not match"), absl::string_view::npos) << s;

  ServerOptions missing;
  missing.tls_cert_file = dir.Write("tls.crt", pki.server.cert_pem);
  missing.tls_key_file = "/nonexistent/tls.key";
  s = start(missing);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/tls.key"), absl::string_view::npos) << s;

  ServerOptions bad_ca;
  bad_ca.tls_cert_file = dir.Write("tls.crt", pki.server.cert_pem);
  bad_ca.tls_key_file = dir.Write("tls.key", pki.server.key_pem);
  bad_ca.tls_client_ca_file = dir.Write("ca.crt", "not a certificate\n");
  s = start(bad_ca);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tls_client_ca_file"), absl::string_view::npos) << s;
}

// --- Configuration --------------------------------------------------------

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(TransportConfig, RefusesToServeBeyondLoopbackWithoutTls) {
  ServerConfig c;
  c.listen = "0.0.0.0:50051";
  absl::Status s = ValidateTransport(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("refusing to serve beyond loopback without TLS"),
            absl::string_view::npos)
      << s;
  c.listen = "[::]:50051";
  EXPECT_FALSE(ValidateTransport(c).ok());
  c.listen = "10.1.2.3:50051";
  EXPECT_FALSE(ValidateTransport(c).ok());
  for (const char* loopback : {"127.0.0.1:50051", "localhost:0", "[::1]:50051"}) {
    c.listen = loopback;
    EXPECT_TRUE(ValidateTransport(c).ok()) << loopback;
  }
  c.listen = "0.0.0.0:50051";
  c.tls_cert_file = "/tls/tls.crt";
  c.tls_key_file = "/tls/tls.key";
  EXPECT_TRUE(ValidateTransport(c).ok());

  // The same through the file and the environment.
  absl::StatusOr<ServerConfig> parsed =
      ParseServerConfig("listen = 0.0.0.0:50051\ndatabase_url = x\n", Env({}));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("refusing to serve beyond loopback without TLS"),
            absl::string_view::npos)
      << parsed.status();
  parsed =
      ParseServerConfig("listen = 0.0.0.0:50051\ndatabase_url = x\nhealth_listen = 0.0.0.0:8081\n",
                        Env({{"ACCUEIL_TLS_CERT_FILE", "/tls/tls.crt"},
                             {"ACCUEIL_TLS_KEY_FILE", "/tls/tls.key"},
                             {"ACCUEIL_TLS_CLIENT_CA_FILE", "/tls/ca.crt"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->tls_cert_file, "/tls/tls.crt");
  EXPECT_EQ(parsed->tls_key_file, "/tls/tls.key");
  EXPECT_EQ(parsed->tls_client_ca_file, "/tls/ca.crt");
  EXPECT_EQ(parsed->health_listen, "0.0.0.0:8081");
}

TEST(TransportConfig, RefusesHalfAKeyPairAndAClientCaWithoutTls) {
  auto parse = [](const std::string& text) {
    return ParseServerConfig("database_url = x\n" + text, Env({}));
  };
  absl::StatusOr<ServerConfig> c = parse("tls_cert_file = /tls/tls.crt\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tls_key_file"), absl::string_view::npos) << c.status();
  c = parse("tls_key_file = /tls/tls.key\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tls_cert_file"), absl::string_view::npos) << c.status();
  c = parse("tls_client_ca_file = /tls/ca.crt\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tls_client_ca_file"), absl::string_view::npos) << c.status();
  c = parse("health_listen = 8081\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("health_listen"), absl::string_view::npos);
  // Loopback stays plaintext, as scripts/run.sh runs it.
  c = parse("listen = 127.0.0.1:50051\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->tls_cert_file.empty());
  EXPECT_TRUE(c->health_listen.empty());
}

}  // namespace
}  // namespace accueil
