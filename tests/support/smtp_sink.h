// SmtpSink: a real SMTP server on loopback for the tests (aiosmtpd, through
// scripts/smtp_sink.py), keeping every message it accepts in a
// private Maildir. A recipient "refuse...@..." gets a 550 reply.
//
//   auto smtp = SmtpSink::Start();            // a free port
//   options.settings = {{"notify_smtp_url", smtp->url()}};
//   std::vector<SmtpSink::Mail> mails = smtp->WaitFor(1);
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace accueil::testing {

class SmtpSink {
 public:
  struct Mail {
    std::string text;  // as received, headers and body
    std::string to;    // the To: header
    std::string message_id;
    std::string subject;  // decoded (RFC 2047 base64, UTF-8)
    std::string body;     // the text part, decoded
    bool has_calendar = false;
    std::string calendar;  // the iCalendar attachment, decoded
  };

  // Start runs a sink on `port` (0: a free one); fails the test if it
  // cannot. Starting again on a port another sink used is how a test brings
  // "the provider" back after an outage.
  static std::unique_ptr<SmtpSink> Start(int port = 0);
  ~SmtpSink();

  int port() const { return port_; }
  std::string url() const;
  // Mails: everything received so far, oldest first.
  std::vector<Mail> Mails() const;
  // WaitFor returns once at least `count` mails arrived (fails the test
  // after `timeout`, returning what there is).
  std::vector<Mail> WaitFor(size_t count, absl::Duration timeout = absl::Seconds(30)) const;
  // AwaitLink: the rest of the line after `prefix` ("https://x/enquete#")
  // in the first mail to `to` whose subject starts with `subject` and whose
  // text has it, waiting for one (fails the test after 30 s, returning "").
  std::string AwaitLink(const std::string& to, const std::string& subject,
                        const std::string& prefix) const;
  // The Maildir the mails are kept in (new/), for a test in another
  // process (the browser journey).
  const std::string& maildir() const { return dir_; }

 private:
  SmtpSink() = default;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
};

}  // namespace accueil::testing
