#include "tests/support/smtp_sink.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace accueil::testing {
namespace {

std::string Header(const std::string& text, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (line.empty()) break;
    if (absl::StartsWithIgnoreCase(line, absl::StrCat(name, ": "))) {
      return std::string(line.substr(name.size() + 2));
    }
  }
  return "";
}

std::string DecodeWord(const std::string& value) {
  if (!absl::StartsWith(value, "=?UTF-8?B?") || !absl::EndsWith(value, "?=")) return value;
  std::string out;
  absl::Base64Unescape(value.substr(10, value.size() - 12), &out);
  return out;
}

// The first base64 part of `type` ("text/plain", "text/calendar").
std::string Part(const std::string& text, const std::string& type) {
  size_t at = text.find("Content-Type: " + type);
  if (at == std::string::npos) return "";
  at = text.find("\r\n\r\n", at);
  if (at == std::string::npos) return "";
  at += 4;
  size_t end = text.find("\r\n\r\n", at);
  size_t dash = text.find("--", at);
  end = std::min(end, dash);
  std::string b64 = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
  b64.erase(std::remove_if(b64.begin(), b64.end(), [](char c) { return c == '\r' || c == '\n'; }),
            b64.end());
  std::string out;
  absl::Base64Unescape(b64, &out);
  return out;
}

}  // namespace

std::unique_ptr<SmtpSink> SmtpSink::Start(int port) {
  std::unique_ptr<SmtpSink> sink(new SmtpSink());
  char pattern[] = "/tmp/accueil-smtp-XXXXXX";
  const char* dir = mkdtemp(pattern);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp";
    return sink;
  }
  sink->dir_ = dir;
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) {
    ADD_FAILURE() << "pipe";
    return sink;
  }
  const std::string script = ACCUEIL_SOURCE_DIR "/scripts/smtp_sink.py";
  const std::string port_text = absl::StrCat(port);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execl("/usr/bin/python3", "python3", script.c_str(), sink->dir_.c_str(), port_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  sink->pid_ = pid;
  sink->stdin_fd_ = in[1];
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out[0]);
  if (!absl::SimpleAtoi(line, &sink->port_)) {
    ADD_FAILURE() << "the SMTP sink did not start (python3-aiosmtpd installed?): " << line;
  }
  return sink;
}

SmtpSink::~SmtpSink() {
  if (stdin_fd_ >= 0) close(stdin_fd_);  // the sink stops when its stdin closes
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string SmtpSink::AwaitLink(const std::string& to, const std::string& subject,
                                const std::string& prefix) const {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (;;) {
    for (const Mail& m : Mails()) {
      if (m.to != to || !absl::StartsWith(m.subject, subject)) continue;
      const size_t at = m.body.find(prefix);
      if (at == std::string::npos) continue;
      const std::string rest = m.body.substr(at + prefix.size());
      return rest.substr(0, rest.find_first_of("\r\n"));
    }
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "no mail to " << to << " starting " << subject << " with " << prefix;
      return "";
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

std::string SmtpSink::url() const { return absl::StrCat("smtp://127.0.0.1:", port_); }

std::vector<SmtpSink::Mail> SmtpSink::Mails() const {
  std::vector<std::pair<std::filesystem::file_time_type, std::string>> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/new", ec)) {
    files.emplace_back(entry.last_write_time(), entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<Mail> out;
  for (const auto& [time, path] : files) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    Mail m;
    m.text = text.str();
    // Maildir keeps the lines as received, CRLF or LF: read both.
    std::string crlf = m.text;
    if (!absl::StrContains(crlf, "\r\n")) crlf = absl::StrReplaceAll(crlf, {{"\n", "\r\n"}});
    m.to = Header(m.text, "To");
    m.message_id = Header(m.text, "Message-ID");
    m.subject = DecodeWord(Header(m.text, "Subject"));
    m.body = Part(crlf, "text/plain");
    m.has_calendar = absl::StrContains(m.text, "Content-Type: text/calendar");
    if (m.has_calendar) m.calendar = Part(crlf, "text/calendar");
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<SmtpSink::Mail> SmtpSink::WaitFor(size_t count, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::vector<Mail> mails = Mails();
    if (mails.size() >= count) return mails;
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "the SMTP sink received " << mails.size() << " mails, expected " << count;
      return mails;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace accueil::testing
