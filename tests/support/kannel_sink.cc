#include "tests/support/kannel_sink.h"

#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace accueil::testing {
namespace {

// UCS-2 big-endian bytes to UTF-8 (the BMP: what UCS-2 carries).
std::string Ucs2ToUtf8(const std::string& bytes) {
  std::string out;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    const unsigned c =
        (static_cast<unsigned char>(bytes[i]) << 8) | static_cast<unsigned char>(bytes[i + 1]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// The fake SMSC's line URL-encodes a UCS-2 text: %XX a byte, "+" a 0x20.
std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += absl::HexStringToBytes(std::string(s.substr(i + 1, 2)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

pid_t KannelSink::Spawn(const std::vector<std::string>& argv, const std::string& output) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    setpgid(0, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  pids_.push_back(pid);
  return pid;
}

std::unique_ptr<KannelSink> KannelSink::Start() {
  std::unique_ptr<KannelSink> k(new KannelSink());
  char pattern[] = "/tmp/accueil-kannel-XXXXXX";
  const char* dir = mkdtemp(pattern);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp";
    return k;
  }
  k->dir_ = dir;
  k->admin_port_ = FreeLoopbackPort();
  k->smsbox_port_ = FreeLoopbackPort();
  k->smsc_port_ = FreeLoopbackPort();
  k->sendsms_port_ = FreeLoopbackPort();
  const std::string conf = k->dir_ + "/kannel.conf";
  std::ofstream(conf) << "group = core\n"
                      << "admin-port = " << k->admin_port_ << "\n"
                      << "admin-password = admin-secret\n"
                      << "smsbox-port = " << k->smsbox_port_ << "\n"
                      << "box-allow-ip = 127.0.0.1\n"
                      << "admin-allow-ip = 127.0.0.1\n"
                      << "log-level = 1\n"
                      << "log-file = " << k->dir_ << "/bearerbox.log\n"
                      << "dlr-storage = internal\n\n"
                      << "group = smsc\nsmsc = fake\nsmsc-id = fake\n"
                      << "port = " << k->smsc_port_ << "\n"
                      << "connect-allow-ip = 127.0.0.1\n\n"
                      << "group = smsbox\nbearerbox-host = 127.0.0.1\n"
                      << "bearerbox-port = " << k->smsbox_port_ << "\n"
                      << "sendsms-port = " << k->sendsms_port_ << "\n"
                      << "log-level = 1\n"
                      << "log-file = " << k->dir_ << "/smsbox.log\n\n"
                      << "group = sendsms-user\nusername = " << kUser << "\n"
                      << "password = " << kPassword << "\n"
                      << "max-messages = 3\nconcatenation = true\n";
  k->Spawn({"/usr/sbin/bearerbox", conf}, k->dir_ + "/bearerbox.out");
  if (!WaitListening(k->smsc_port_)) {
    ADD_FAILURE() << "bearerbox did not start (kannel installed?)";
    return k;
  }
  k->Spawn({"/usr/lib/kannel/test/fakesmsc", "-H", "127.0.0.1", "-r", absl::StrCat(k->smsc_port_),
            "-i", "0.1", "-m", "0", "unused"},
           k->dir_ + "/fakesmsc.out");
  k->Spawn({"/usr/sbin/smsbox", conf}, k->dir_ + "/smsbox.out");
  if (!WaitListening(k->sendsms_port_)) ADD_FAILURE() << "smsbox did not start";
  return k;
}

KannelSink::~KannelSink() {
  for (pid_t pid : pids_) kill(-pid, SIGTERM);
  for (pid_t pid : pids_) {
    int status = 0;
    waitpid(pid, &status, 0);
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string KannelSink::sendsms_url() const {
  return absl::StrCat("http://127.0.0.1:", sendsms_port_, "/cgi-bin/sendsms");
}

std::vector<KannelSink::Sms> KannelSink::Received() const {
  std::ifstream in(dir_ + "/fakesmsc.out");
  std::string line;
  std::vector<Sms> out;
  // "... DEBUG: Got message 1: <Prefecture +33612345678 text Bonjour>"
  while (std::getline(in, line)) {
    const size_t at = line.find("Got message ");
    if (at == std::string::npos) continue;
    const size_t open = line.find('<', at), close = line.rfind('>');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::vector<std::string> parts =
        absl::StrSplit(line.substr(open + 1, close - open - 1), absl::MaxSplits(' ', 3));
    if (parts.size() < 4) continue;
    Sms sms;
    sms.from = parts[0];
    sms.to = parts[1];
    if (parts[2] == "ucs-2") {
      sms.ucs2 = true;
      sms.text = Ucs2ToUtf8(PercentDecode(parts[3]));
    } else {
      sms.text = parts[3];
    }
    sms.line = line.substr(open);
    out.push_back(std::move(sms));
  }
  return out;
}

std::vector<KannelSink::Sms> KannelSink::WaitFor(size_t count, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::vector<Sms> sms = Received();
    if (sms.size() >= count) return sms;
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "the fake SMSC received " << sms.size() << " SMS, expected " << count;
      return sms;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace accueil::testing
