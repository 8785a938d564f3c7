// KannelSink: a real Kannel 1.4.5 on loopback for the tests (Debian's
// kannel and kannel-extras): bearerbox with a fake SMSC, the fake SMSC
// client (/usr/lib/kannel/test/fakesmsc) that prints every SMS it is given,
// and smsbox with its sendsms HTTP interface. Delivery reports go to the
// dlr-url of each message (the fake SMSC acknowledges every one).
//
//   auto kannel = KannelSink::Start();
//   options.settings = {{"notify_sms_url", kannel->sendsms_url()}, ...};
//   std::vector<KannelSink::Sms> sms = kannel->WaitFor(1);
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace accueil::testing {

class KannelSink {
 public:
  struct Sms {
    std::string from, to;
    std::string text;  // UTF-8 (decoded from UCS-2 when sent so)
    bool ucs2 = false;
    std::string line;  // as the fake SMSC printed it
  };

  // Start runs the three boxes (fails the test if they do not come up).
  static std::unique_ptr<KannelSink> Start();
  ~KannelSink();

  std::string sendsms_url() const;
  static constexpr char kUser[] = "accueil";
  static constexpr char kPassword[] = "sendsms-secret";
  // Received: what the fake SMSC got so far, in order.
  std::vector<Sms> Received() const;
  std::vector<Sms> WaitFor(size_t count, absl::Duration timeout = absl::Seconds(30)) const;

 private:
  KannelSink() = default;
  pid_t Spawn(const std::vector<std::string>& argv, const std::string& output);
  std::string dir_;
  int admin_port_ = 0, smsbox_port_ = 0, smsc_port_ = 0, sendsms_port_ = 0;
  std::vector<pid_t> pids_;
};

}  // namespace accueil::testing
