// JsonSmsSink: a real HTTP server on loopback (cpp-httplib) speaking the
// generic JSON SMS API notify's json_sms.h sends to, for the tests. It keeps
// every message it accepts and, like a real gateway, calls the message's
// callback_url back with its delivery report: "delivered", or "undelivered"
// for a number ending in 99. A number ending in 00 is refused (400).
//
//   auto sms = JsonSmsSink::Start();
//   options.settings = {{"notify_sms_provider", "json"}, {"notify_sms_url", sms->url()}};
//   std::vector<JsonSmsSink::Sms> got = sms->WaitFor(1);
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace accueil::testing {

class JsonSmsSink {
 public:
  struct Sms {
    std::string to, from, text, encoding, valid_until, reference, callback_url;
    std::string authorization, idempotency_key;  // the request's headers
  };

  static std::unique_ptr<JsonSmsSink> Start();
  ~JsonSmsSink();

  std::string url() const;  // http://127.0.0.1:PORT/v1/messages
  std::vector<Sms> Received() const;
  // WaitFor returns once `count` messages arrived (fails the test after
  // `timeout`, returning what there is).
  std::vector<Sms> WaitFor(size_t count, absl::Duration timeout = absl::Seconds(30)) const;
  // Reports: the callbacks made, answered 2xx by notify.
  int reports_accepted() const;

 private:
  JsonSmsSink() = default;
  void Report();  // the callback thread

  std::unique_ptr<httplib::Server> server_;
  std::thread serve_, report_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Sms> received_;
  std::deque<std::pair<std::string, std::string>> callbacks_;  // url, body
  int reports_accepted_ = 0;
  bool stopping_ = false;
};

}  // namespace accueil::testing
