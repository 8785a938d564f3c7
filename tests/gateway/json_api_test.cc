// The gateway's JSON API over real HTTP, in front of the real services and
// PostgreSQL (the all-in-one host of tests/support/test_server.h): routes
// derived from the protos, errors with the services' reasons and fields,
// security headers, CSRF refusals, and the person's address as the rate
// limits' key.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/booking/booking_fixture.h"
#include "tests/support/http_client.h"

namespace accueil::testing {
namespace {

using nlohmann::json;

class GatewayJson : public ::testing::Test {
 protected:
  explicit GatewayJson(TestServerOptions options = {}) : world_(std::move(options)) {}

  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", world_.server().port_of("gateway_listen"), path);
  }
  HttpReply Get(const std::string& path, std::vector<std::string> headers = {},
                const std::string& source = "") {
    HttpCall call;
    call.url = Url(path);
    call.headers = std::move(headers);
    call.source_address = source;
    return Fetch(call);
  }
  HttpReply Post(const std::string& path, const json& body, std::vector<std::string> headers = {}) {
    return JsonPost(Url(path), body.dump(), std::move(headers));
  }
  static json Body(const HttpReply& reply) {
    json parsed = json::parse(reply.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << reply.body;
    return parsed;
  }
  // ExpectError checks an error reply: HTTP status, reason and field.
  static void ExpectError(const HttpReply& reply, long status, const std::string& reason,
                          const std::string& field = "") {
    EXPECT_EQ(reply.status, status) << reply.body << reply.error;
    json error = Body(reply)["error"];
    EXPECT_EQ(error.value("reason", ""), reason) << reply.body;
    EXPECT_EQ(error.value("field", ""), field) << reply.body;
    EXPECT_EQ(error.value("code", 0), status) << reply.body;
    EXPECT_FALSE(error.value("message", "").empty()) << reply.body;
    EXPECT_EQ(reply.Header("content-type"), "application/json; charset=utf-8");
  }
  json Person(int i) {
    v1::Person p = PersonNumber(i);
    return {{"givenName", p.given_name()},
            {"familyName", p.family_name()},
            {"email", p.email()},
            {"phone", p.phone()},
            {"preferredLanguage", "fr"}};
  }
  json Booking(const std::string& slot, int person) {
    return {{"slot", slot},
            {"person", Person(person)},
            {"accessibility", {{"need", "NONE"}}},
            {"channel", "ONLINE"}};
  }

  BookingWorld world_;
};

TEST_F(GatewayJson, APersonBooksLooksUpAndCancelsOverJson) {
  OpenedDesk open = world_.OpenDesk(DeskOptions{});
  ASSERT_FALSE(open.slots.empty());

  // The catalogue, as a booking page reads it.
  HttpReply site = Get("/v1/" + open.site.name());
  ASSERT_EQ(site.status, 200) << site.body;
  EXPECT_EQ(Body(site)["timeZone"], "Europe/Paris");
  HttpReply desks = Get("/v1/" + open.site.name() + "/desks");
  ASSERT_EQ(desks.status, 200) << desks.body;
  EXPECT_EQ(Body(desks)["desks"][0]["name"], open.desk.name());
  HttpReply days =
      Get("/v1/" + open.desk.name() +
          "/availableDays?startDate.year=2026&startDate.month=6&startDate.day=1&days=7");
  ASSERT_EQ(days.status, 200) << days.body;
  ASSERT_EQ(Body(days)["days"].size(), 1u) << days.body;
  EXPECT_EQ(Body(days)["days"][0]["freeSlots"], 20) << days.body;
  HttpReply slots = Get("/v1/" + open.desk.name() +
                        "/slots?startTime=2026-06-02T00:00:00Z&endTime=2026-06-03T00:00:00Z");
  ASSERT_EQ(slots.status, 200) << slots.body;
  ASSERT_EQ(Body(slots)["slots"].size(), 20u);
  const std::string slot = Body(slots)["slots"][0]["name"];

  HttpReply booked = Post("/v1/appointments", Booking(slot, 1));
  ASSERT_EQ(booked.status, 200) << booked.body;
  json appointment = Body(booked);
  const std::string reference = appointment["reference"];
  const std::string code = appointment["accessCode"];
  EXPECT_EQ(appointment["status"], "BOOKED");
  EXPECT_FALSE(booked.Header("x-request-id").empty()) << "the id of the service's log line";
  EXPECT_EQ(appointment["startTime"], "2026-06-02T07:00:00Z");
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments"), 1);

  HttpReply found =
      Post("/v1/appointments:lookup", {{"reference", reference}, {"accessCode", code}});
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(Body(found)["slot"], slot);
  EXPECT_EQ(Body(found)["person"]["phone"], PhoneOf(1));

  HttpReply wrong =
      Post("/v1/appointments:lookup", {{"reference", reference}, {"accessCode", "WRONG1"}});
  EXPECT_GE(wrong.status, 400);
  EXPECT_FALSE(Body(wrong)["error"].value("reason", "").empty());

  HttpReply cancelled = Post("/v1/appointments:cancel",
                             {{"reference", reference}, {"accessCode", code}, {"reason", "ok"}});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(Body(cancelled)["status"], "CANCELLED");
  EXPECT_EQ(world_.Query("SELECT status FROM booking.appointments"), "cancelled");
}

TEST_F(GatewayJson, ErrorsCarryTheReasonAndFieldAndChangeNothing) {
  OpenedDesk open = world_.OpenDesk(DeskOptions{});
  ASSERT_FALSE(open.slots.empty());
  const std::string slot = open.slots[0].name();

  json typo = Booking(slot, 1);
  typo["person"]["phone"] = "06 12 34";
  ExpectError(Post("/v1/appointments", typo), 400, "INVALID_PHONE_NUMBER", "person.phone");

  ASSERT_EQ(Post("/v1/appointments", Booking(slot, 1)).status, 200);
  ExpectError(Post("/v1/appointments", Booking(slot, 2)), 400, "SLOT_FULL", "slot");

  ExpectError(Get("/v1/nothing/here"), 404, "ROUTE_NOT_FOUND");
  ExpectError(Get("/v1/appointments:cancel"), 405, "METHOD_NOT_ALLOWED");
  ExpectError(Get("/v1/" + open.desk.name() + "/slots?colour=blue"), 400, "UNKNOWN_PARAMETER",
              "colour");
  ExpectError(Get("/v1/" + open.desk.name() + "/slots?startTime=yesterday"), 400, "INVALID_JSON");
  ExpectError(Get("/v1/" + open.desk.name() + "/slots?pageSize=%ZZ"), 400, "INVALID_QUERY");
  HttpReply not_json = JsonPost(Url("/v1/appointments"), "{\"slot\": ");
  ExpectError(not_json, 400, "INVALID_JSON");
  HttpReply unknown_field = Post("/v1/appointments", {{"slot", slot}, {"favouriteColour", 1}});
  ExpectError(unknown_field, 400, "INVALID_JSON");
  ExpectError(Get("/v1/sites/999999"), 404, "SITE_NOT_FOUND", "name");

  // A form or a script of another site cannot call a change (CSRF).
  HttpCall form;
  form.method = "POST";
  form.url = Url("/v1/appointments");
  form.body = "slot=" + slot;
  form.headers = {"Content-Type: application/x-www-form-urlencoded"};
  ExpectError(Fetch(form), 415, "UNSUPPORTED_MEDIA_TYPE");
  ExpectError(
      Post("/v1/appointments", Booking(open.slots[1].name(), 3), {"Origin: https://evil.example"}),
      403, "CROSS_ORIGIN_REFUSED");

  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments"), 1)
      << "no refused call may have booked";
}

TEST_F(GatewayJson, AgentsCallWithTheirBearerToken) {
  json site = {{"site",
                {{"displayName", "Préfecture du Rhône"},
                 {"address", "18 rue de Bonnel, 69003 Lyon"},
                 {"timeZone", "Europe/Paris"}}}};
  ExpectError(Post("/v1/sites", site), 401, "AUTHENTICATION_REQUIRED");
  HttpReply bad_token = Post("/v1/sites", site, {"Authorization: Bearer not-a-token"});
  EXPECT_EQ(bad_token.status, 401) << bad_token.body;
  HttpReply created =
      Post("/v1/sites", site, {"Authorization: Bearer " + world_.server().StaffToken()});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(Body(created)["displayName"], "Préfecture du Rhône");
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.sites"), 1);
}

TEST_F(GatewayJson, EveryAnswerCarriesTheSecurityHeaders) {
  for (const HttpReply& reply : {Get("/v1/sites"), Get("/healthz"), Get("/nothing")}) {
    const std::string csp = reply.Header("content-security-policy");
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(reply.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(reply.Header("referrer-policy"), "no-referrer");
    EXPECT_EQ(reply.Header("strict-transport-security"), "") << "no HSTS over plain HTTP";
  }
  EXPECT_EQ(Get("/v1/sites").Header("cache-control"), "no-store");
}

// Rate limits: loopback is not exempt here, and the read bucket is small.
TestServerOptions Limited(std::vector<std::pair<std::string, std::string>> settings = {}) {
  TestServerOptions options;
  options.limits.exempt = {};
  options.limits.read_burst = 3;
  options.limits.read_per_second = 0.001;
  options.settings = std::move(settings);
  return options;
}

class GatewayLimits : public GatewayJson {
 protected:
  GatewayLimits() : GatewayJson(Limited()) {}
};

TEST_F(GatewayLimits, TwoPeopleBehindTheGatewayHaveTheirOwnBuckets) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Get("/v1/sites", {}, "127.0.0.1").status, 200);
  HttpReply limited = Get("/v1/sites", {}, "127.0.0.1");
  ExpectError(limited, 429, "RATE_LIMITED");
  EXPECT_FALSE(limited.Header("retry-after").empty());
  EXPECT_GT(Body(limited)["error"].value("retryAfterSeconds", 0), 0);
  // Another person, from another address, is not held back by the first.
  EXPECT_EQ(Get("/v1/sites", {}, "127.0.0.2").status, 200);
  // Without a trusted proxy, what a client writes in X-Forwarded-For counts
  // for nothing: the first person stays limited.
  EXPECT_EQ(Get("/v1/sites", {"X-Forwarded-For: 192.0.2.1"}, "127.0.0.1").status, 429);
}

class GatewayBehindProxy : public GatewayJson {
 protected:
  GatewayBehindProxy() : GatewayJson(Limited({{"gateway_trusted_proxies", "127.0.0.1"}})) {}
};

TEST_F(GatewayBehindProxy, TheProxysForwardedForNamesThePerson) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Get("/v1/sites", {"X-Forwarded-For: 198.51.100.1"}).status, 200);
  }
  EXPECT_EQ(Get("/v1/sites", {"X-Forwarded-For: 198.51.100.1"}).status, 429);
  // What the person wrote before the proxy's hop counts for nothing.
  EXPECT_EQ(Get("/v1/sites", {"X-Forwarded-For: 198.51.100.2, 198.51.100.1"}).status, 429);
  EXPECT_EQ(Get("/v1/sites", {"X-Forwarded-For: 198.51.100.2"}).status, 200);
}

class GatewayTls : public GatewayJson {
 protected:
  static std::string Dir() {
    static const std::string dir = [] {
      char pattern[] = "/tmp/accueil-gateway-tls-XXXXXX";
      std::string made = mkdtemp(pattern);
      const std::string command = absl::StrCat(
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
          "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout ",
          made, "/key.pem -out ", made, "/cert.pem 2>/dev/null");
      EXPECT_EQ(std::system(command.c_str()), 0);
      return made;
    }();
    return dir;
  }
  GatewayTls()
      : GatewayJson([] {
          TestServerOptions options;
          options.settings = {{"gateway_tls_cert_file", Dir() + "/cert.pem"},
                              {"gateway_tls_key_file", Dir() + "/key.pem"}};
          return options;
        }()) {}
};

TEST_F(GatewayTls, HttpsAnswersCarryHsts) {
  HttpCall call;
  call.url =
      absl::StrCat("https://127.0.0.1:", world_.server().port_of("gateway_listen"), "/v1/sites");
  call.ca_file = Dir() + "/cert.pem";
  HttpReply reply = Fetch(call);
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.Header("strict-transport-security"), "max-age=31536000");
  call.url =
      absl::StrCat("http://127.0.0.1:", world_.server().port_of("gateway_listen"), "/v1/sites");
  EXPECT_NE(Fetch(call).status, 200) << "no plaintext on the TLS port";
}

// Connections that trickle hold no thread: with one I/O thread and one
// handler thread, 50 clients that sent half a request and went silent do
// not keep a person's request from being answered.
class GatewayOneThread : public GatewayJson {
 protected:
  GatewayOneThread()
      : GatewayJson([] {
          TestServerOptions options;
          options.settings = {{"gateway_io_threads", "1"}, {"gateway_handler_threads", "1"}};
          return options;
        }()) {}
};

TEST_F(GatewayOneThread, TrickleClientsHoldNoThread) {
  const int port = world_.server().port_of("gateway_listen");
  std::vector<int> sockets;
  for (int i = 0; i < 50; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const std::string half = "GET /v1/sites HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    ASSERT_EQ(write(fd, half.data(), half.size()), static_cast<ssize_t>(half.size()));
    sockets.push_back(fd);
  }
  HttpReply reply = Get("/v1/sites");
  EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
  for (int fd : sockets) close(fd);
}

}  // namespace
}  // namespace accueil::testing
