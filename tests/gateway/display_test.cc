// The waiting-room display over real HTTP: linked once with a device token,
// the board at load, then live through Server-Sent Events fed by one
// reception WatchQueue stream per site: a counter's call reaches every open
// display with the ticket and the counter (no name, no reference), pings
// keep the connection alive, a revoked token disconnects its displays, and
// an unlinked browser gets no stream.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "accueil/access/v1/access.grpc.pb.h"
#include "tests/reception/reception_fixture.h"
#include "tests/support/http_client.h"

namespace accueil::testing {
namespace {

TestServerOptions Fast() {
  TestServerOptions options;
  options.settings = {{"gateway_display_heartbeat", "1"},
                      {"gateway_display_recheck", "1"},
                      {"gateway_io_timeout", "2"}};
  return options;
}

// SseClient: one display's event stream, read raw from its socket.
class SseClient {
 public:
  SseClient(int port, const std::string& cookie) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ADD_FAILURE() << "connect";
      return;
    }
    const std::string request =
        absl::StrCat("GET /ecran/flux HTTP/1.1\r\nHost: 127.0.0.1:", port,
                     "\r\nAccept: text/event-stream\r\nCookie: ", cookie, "\r\n\r\n");
    EXPECT_EQ(send(fd_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  }
  ~SseClient() { close(fd_); }

  // Await: true once what was received contains `text` after `from` (its
  // end is then where the next Await starts); false after `timeout`.
  bool Await(const std::string& text, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      const size_t at = received_.find(text, from_);
      if (at != std::string::npos) {
        from_ = at + text.size();
        return true;
      }
      if (closed_ || absl::Now() > deadline) return false;
      Pump(deadline);
    }
  }
  // AwaitClosed: true once the server closed the connection.
  bool AwaitClosed(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!closed_ && absl::Now() < deadline) Pump(deadline);
    return closed_;
  }
  const std::string& received() const { return received_; }
  size_t Count(const std::string& text) const {
    size_t n = 0;
    for (size_t at = 0; (at = received_.find(text, at)) != std::string::npos; at += text.size())
      ++n;
    return n;
  }

 private:
  void Pump(absl::Time deadline) {
    pollfd p{fd_, POLLIN, 0};
    const int wait =
        static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now())));
    if (poll(&p, 1, std::min(wait, 200)) <= 0) return;
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
      return;
    }
    received_.append(buffer, n);
  }
  int fd_ = -1;
  std::string received_;
  size_t from_ = 0;
  bool closed_ = false;
};

class DisplayPage : public ::testing::Test {
 protected:
  int Port() { return world_.booking.server().port_of("gateway_listen"); }
  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", Port(), path);
  }
  // Link: the display's page linked with `token`; the device cookie.
  std::string Link(const std::string& token) {
    HttpCall open;
    open.url = Url("/ecran");
    HttpReply page = Fetch(open);
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_TRUE(absl::StrContains(page.body, "action=\"/ecran/appareil\"")) << page.body;
    HttpReply linked =
        FormPost(Url("/ecran/appareil"),
                 {{"jeton", token}, {"csrf", HiddenField(page.body, "csrf")}}, CookieHeaders(page));
    EXPECT_EQ(linked.status, 303) << linked.body;
    EXPECT_EQ(linked.Header("location"), "/ecran");
    for (const std::string& line : linked.cookie_lines) {
      if (absl::StartsWith(line, "accueil_device=")) {
        EXPECT_TRUE(absl::StrContains(line, "Path=/ecran")) << line;
        EXPECT_TRUE(absl::StrContains(line, "HttpOnly")) << line;
        return line.substr(0, line.find(';'));
      }
    }
    ADD_FAILURE() << "no device cookie";
    return "";
  }

  ReceptionWorld world_{3, 1, Fast()};  // 2 June 09:00 Paris
};

TEST_F(DisplayPage, CallsReachEveryOpenDisplayLive) {
  const access::v1::DeviceToken device = world_.MakeDevice("Écran salle d'attente");
  const std::string cookie = Link(device.token());

  // The page: full screen (no header), the board, its script.
  HttpCall open;
  open.url = Url("/ecran");
  open.headers = {"Cookie: " + cookie};
  HttpReply page = Fetch(open);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(absl::StrContains(page.body, "id=\"calls\"")) << page.body;
  EXPECT_TRUE(absl::StrContains(page.body, "/static/display.js"));
  EXPECT_FALSE(absl::StrContains(page.body, "fr-header"));
  EXPECT_TRUE(absl::StrContains(page.body, "id=\"display-empty\">")) << page.body;

  // Ten displays connect; each gets the stream's headers and the board.
  std::vector<std::unique_ptr<SseClient>> displays;
  for (int i = 0; i < 10; ++i) displays.push_back(std::make_unique<SseClient>(Port(), cookie));
  for (auto& d : displays) {
    ASSERT_TRUE(d->Await("HTTP/1.1 200")) << d->received();
    ASSERT_TRUE(d->Await("text/event-stream")) << d->received();
    ASSERT_TRUE(d->Await("retry: 3000")) << d->received();
    ASSERT_TRUE(d->Await("event: board\ndata: {\"calls\":[]}")) << d->received();
  }

  // A counter calls the first person: every display shows the ticket and
  // the counter, and only them.
  rv1::Visit visit;
  ASSERT_TRUE(RpcOk(world_.CheckIn(world_.appointments[0].reference(), &visit)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world_.OpenCounter("Guichet 3", &counter)));
  rv1::Visit called;
  ASSERT_TRUE(RpcOk(world_.CallNext(counter, &called)));
  const std::string expected = absl::StrCat("{\"call\":\"", visit.ticket(),
                                            "\",\"calls\":[{\"counter\":\"Guichet 3\","
                                            "\"ticket\":\"",
                                            visit.ticket(), "\"}]}");
  for (auto& d : displays) {
    ASSERT_TRUE(d->Await(expected)) << d->received();
    EXPECT_FALSE(absl::StrContains(d->received(), world_.appointments[0].reference()));
    EXPECT_FALSE(absl::StrContains(d->received(), world_.appointments[0].person().family_name()));
  }
  // Pings keep the connections alive, well past the I/O time-out (2 s
  // here): an event stream's writes are timed, not the stream.
  for (auto& d : displays) ASSERT_TRUE(d->Await("event: ping\ndata: {}")) << d->received();
  absl::SleepFor(absl::Seconds(5));
  for (auto& d : displays) {
    EXPECT_FALSE(d->AwaitClosed(absl::Milliseconds(300))) << "cut after the I/O time-out";
    EXPECT_GE(d->Count("event: ping"), 5u) << d->received();
  }

  // A display that connects now gets the board with the call at once.
  SseClient late(Port(), cookie);
  ASSERT_TRUE(late.Await(absl::StrCat("\"ticket\":\"", visit.ticket(), "\""))) << late.received();
  // And the page shows it at load.
  HttpReply again = Fetch(open);
  EXPECT_TRUE(absl::StrContains(again.body, visit.ticket())) << again.body;

  // The administrator revokes the display's token: its streams are closed.
  access::v1::RevokeDeviceTokenRequest revoke;
  revoke.set_name(device.name());
  access::v1::DeviceToken revoked;
  grpc::ClientContext context;
  ASSERT_TRUE(RpcOk(world_.Access()->RevokeDeviceToken(&context, revoke, &revoked)));
  for (auto& d : displays) EXPECT_TRUE(d->AwaitClosed(absl::Seconds(15)));
  EXPECT_TRUE(late.AwaitClosed(absl::Seconds(15)));
}

TEST_F(DisplayPage, AnUnlinkedBrowserGetsNoStream) {
  HttpCall call;
  call.url = Url("/ecran/flux");
  HttpReply none = Fetch(call);
  EXPECT_EQ(none.status, 401) << none.body;
  call.headers = {"Cookie: accueil_device=dt1.1.forged"};
  HttpReply forged = Fetch(call);
  EXPECT_EQ(forged.status, 401) << forged.body;
  // A lodge agent's token is not a display's.
  call.headers = {"Cookie: accueil_device=" + world_.booking.server().StaffToken()};
  EXPECT_EQ(Fetch(call).status, 401);
}

}  // namespace
}  // namespace accueil::testing
