// The lodge kiosk page over real HTTP in front of access, booking and
// reception on PostgreSQL: the tablet is linked once with a device token
// (kept in an HttpOnly cookie), then people check in by reference or by
// their QR code's token and get their ticket; a late arrival is sent to the
// lodge; a forged or an agent's token links nothing, and a revoked one
// sends the tablet back to the linking form.
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "tests/reception/reception_fixture.h"
#include "tests/support/http_client.h"

namespace accueil::testing {
namespace {

class KioskPage : public ::testing::Test {
 protected:
  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", world_.booking.server().port_of("gateway_listen"),
                        path);
  }
  HttpReply Open(const std::string& path) {
    HttpCall call;
    call.url = Url(path);
    call.headers = cookies_;
    HttpReply reply = Fetch(call);
    Keep(reply);
    csrf_ = HiddenField(reply.body, "csrf");
    return reply;
  }
  HttpReply Post(const std::string& path, std::vector<std::pair<std::string, std::string>> fields) {
    fields.emplace_back("csrf", csrf_);
    HttpReply reply = FormPost(Url(path), fields, cookies_);
    Keep(reply);
    return reply;
  }
  // Keep: the cookies a browser would send next (the CSRF and device ones).
  void Keep(const HttpReply& reply) {
    for (const std::string& c : reply.cookies) jar_[c.substr(0, c.find('='))] = c;
    std::string header = "Cookie: ";
    for (const auto& [name, cookie] : jar_) header += cookie + "; ";
    cookies_ = {header};
  }
  static bool Has(const HttpReply& reply, const std::string& text) {
    return reply.body.find(text) != std::string::npos;
  }

  ReceptionWorld world_{3};  // 2 June 09:00 Paris; persons 1-3 at 09:00, 09:30, 10:00
  std::map<std::string, std::string> jar_;
  std::vector<std::string> cookies_;
  std::string csrf_;
};

TEST_F(KioskPage, ALinkedTabletChecksPeopleInAndGivesTheirTicket) {
  // Not linked yet: the page asks for the device token; a wrong one links
  // nothing.
  HttpReply first = Open("/borne");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_TRUE(Has(first, "action=\"/borne/appareil\"")) << first.body;
  HttpReply forged = Post("/borne/appareil", {{"jeton", "not-a-device-token"}});
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_TRUE(Has(forged, "n&apos;est pas celui d&apos;une borne")) << forged.body;
  EXPECT_EQ(jar_.count("accueil_device"), 0u);
  // A person's own token is no kiosk's either.
  HttpReply agent = Post("/borne/appareil", {{"jeton", world_.booking.server().StaffToken()}});
  EXPECT_EQ(agent.status, 401);

  const access::v1::DeviceToken device = world_.MakeDevice("Borne loge entrée A");
  HttpReply linked = Post("/borne/appareil", {{"jeton", device.token()}});
  EXPECT_EQ(linked.status, 303) << linked.body;
  EXPECT_EQ(linked.Header("location"), "/borne");
  ASSERT_EQ(jar_.count("accueil_device"), 1u);

  HttpReply kiosk = Open("/borne");
  ASSERT_EQ(kiosk.status, 200) << kiosk.body;
  EXPECT_TRUE(Has(kiosk, world_.desk.site.display_name())) << kiosk.body;
  EXPECT_TRUE(Has(kiosk, "name=\"saisie\""));

  // Person 1 types their reference (in lower case, with spaces).
  std::string typed = absl::AsciiStrToLower(world_.appointments[0].reference());
  typed.insert(4, " ");
  HttpReply ticket = Post("/borne", {{"saisie", typed}, {"request_id", std::string(32, 'b')}});
  ASSERT_EQ(ticket.status, 200) << ticket.body;
  const std::string visit_ticket = world_.booking.Query("SELECT ticket FROM reception.visits");
  EXPECT_TRUE(Has(ticket, "id=\"ticket\" dir=\"ltr\">" + visit_ticket + "<"))
      << visit_ticket << " " << ticket.body;
  EXPECT_TRUE(Has(ticket, "Personnes avant vous : 0")) << ticket.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 1);

  // Person 2 scans the QR code of their confirmation (its check-in token).
  Open("/borne");
  HttpReply scanned = Post("/borne", {{"saisie", world_.appointments[1].check_in_token()},
                                      {"request_id", std::string(32, 'c')}});
  ASSERT_EQ(scanned.status, 200) << scanned.body;
  EXPECT_TRUE(Has(scanned, "Personnes avant vous : 1")) << scanned.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 2);

  // Person 3 comes at 11:00 for 10:00: sent to the lodge, no ticket.
  world_.booking.clock().Set(kJune2Opening + absl::Hours(2));
  Open("/borne");
  HttpReply late = Post("/borne", {{"saisie", world_.appointments[2].reference()},
                                   {"request_id", std::string(32, 'd')}});
  EXPECT_EQ(late.status, 400) << late.body;
  EXPECT_TRUE(Has(late, "adressez-vous à l&apos;accueil")) << late.body;
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 2);

  // The administrator revokes the tablet's token: the page asks to link it
  // again, and a check-in posted meanwhile makes no visit.
  access::v1::RevokeDeviceTokenRequest revoke;
  revoke.set_name(device.name());
  access::v1::DeviceToken revoked;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(RpcOk(world_.Access()->RevokeDeviceToken(&context, revoke, &revoked)));
  }
  HttpReply after = Open("/borne");
  EXPECT_EQ(after.status, 401) << after.body;
  EXPECT_TRUE(Has(after, "action=\"/borne/appareil\"")) << after.body;
  HttpReply refused = Post("/borne", {{"saisie", world_.appointments[2].reference()},
                                      {"request_id", std::string(32, 'e')}});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(world_.booking.QueryInt("SELECT count(*) FROM reception.visits"), 2);
}

}  // namespace
}  // namespace accueil::testing
