#include "clients/cli/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/input/input.h"
#include "services/common/status_macros.h"

namespace accueil::cli {
namespace {

// A token file larger than this is not a token.
constexpr size_t kMaxTokenBytes = 16 * 1024;
// The server refuses longer reasons.
constexpr size_t kMaxReasonChars = 500;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

// MakeDirectories creates `dir` and its missing parents with mode 700.
absl::Status MakeDirectories(const std::string& dir) {
  if (dir.empty()) return absl::OkStatus();
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(dir, " exists and is not a directory"));
  }
  const size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    RETURN_IF_ERROR(MakeDirectories(dir.substr(0, slash)));
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno("create the directory", dir);
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// TokenSource names where a given token came from, for messages.
std::string TokenSource(const std::string& token) {
  return Env("ACCUEIL_TOKEN") == token ? "ACCUEIL_TOKEN" : "--token";
}

// IssuerUrl splits "http://host:port/prefix" into the scheme, host and port
// part that httplib connects to, and the path prefix of the endpoints.
std::pair<std::string, std::string> IssuerUrl(std::string url) {
  if (url.find("://") == std::string::npos) url = absl::StrCat("http://", url);
  const size_t path = url.find('/', url.find("://") + 3);
  if (path == std::string::npos) return {url, ""};
  std::string prefix = url.substr(path);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return {url.substr(0, path), prefix};
}

std::string StringField(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end() ||
      it->second.kind_case() != google::protobuf::Value::kStringValue) {
    return "";
  }
  return it->second.string_value();
}

std::string Describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::ConnectionTimeout:
      return "no connection before the deadline (see --timeout)";
    case httplib::Error::Read:
    case httplib::Error::Write:
      return "the connection broke (or no answer before the deadline)";
    default:
      return httplib::to_string(error);
  }
}

// Issuer text goes to a terminal: no control characters.
std::string Printable(std::string text) {
  for (char& c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return text;
}

}  // namespace

absl::StatusOr<TokenFile> TokenFilePath() {
  if (std::string file = Env("ACCUEIL_TOKEN_FILE"); !file.empty()) {
    return TokenFile{file, false};
  }
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  std::string config = Env("XDG_CONFIG_HOME");
  if (config.empty() || config.front() != '/') {
    const std::string home = Env("HOME");
    if (home.empty()) {
      return absl::FailedPreconditionError(
          "no place for the token: set HOME, XDG_CONFIG_HOME or "
          "ACCUEIL_TOKEN_FILE");
    }
    config = absl::StrCat(home, "/.config");
  }
  while (config.size() > 1 && config.back() == '/') config.pop_back();
  return TokenFile{absl::StrCat(config, "/accueil/token"), true};
}

bool IsTokenText(absl::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return false;
  for (char c : token) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

absl::Status LoadCredentials(GlobalOptions* global) {
  if (!global->token.empty()) {
    global->token_source = TokenSource(global->token);
    if (!IsTokenText(global->token)) {
      return absl::InvalidArgumentError(
          absl::StrCat(global->token_source, ": not a token (printable characters, no blanks)"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<TokenFile> file = TokenFilePath();
  // Nowhere to look: the public, as without a file.
  if (!file.ok()) return absl::OkStatus();
  const int fd = open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return absl::OkStatus();
    return Errno("read the token file", file->path);
  }
  struct stat st;
  std::string token;
  bool read_ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                 st.st_size <= static_cast<off_t>(kMaxTokenBytes);
  if (read_ok) {
    token.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < token.size()) {
      const ssize_t n = read(fd, token.data() + done, token.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    token.resize(done);
  }
  close(fd);
  token = std::string(absl::StripAsciiWhitespace(token));
  if (!read_ok || !IsTokenText(token)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the token file ", file->path,
                     " holds no token: sign in again with 'accueil login', "
                     "or remove it with 'accueil logout'"));
  }
  if ((st.st_mode & 077) != 0) {
    std::cerr << "warning: the token file " << file->path
              << " can be read by other users: chmod 600 " << file->path << "\n";
  }
  global->token = std::move(token);
  global->token_source = absl::StrCat("token file ", file->path);
  return absl::OkStatus();
}

absl::Status SaveToken(const TokenFile& file, absl::string_view token) {
  if (!IsTokenText(token)) {
    return absl::InvalidArgumentError("refusing to save a malformed token");
  }
  const std::string dir = DirectoryOf(file.path);
  RETURN_IF_ERROR(MakeDirectories(dir));
  if (file.default_location && chmod(dir.c_str(), 0700) != 0) {
    return Errno("restrict the directory", dir);
  }
  // Written beside the file and renamed over it, so that a reader never sees
  // half a token and the file is never readable by others.
  const std::string temp = absl::StrCat(file.path, ".", static_cast<long>(getpid()), ".tmp");
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", temp);
  const std::string content = absl::StrCat(token, "\n");
  size_t done = 0;
  bool ok = fchmod(fd, 0600) == 0;
  while (ok && done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  absl::Status status = ok ? absl::OkStatus() : Errno("write", temp);
  if (close(fd) != 0 && status.ok()) status = Errno("write", temp);
  if (status.ok() && rename(temp.c_str(), file.path.c_str()) != 0) {
    status = Errno("save the token in", file.path);
  }
  if (!status.ok()) unlink(temp.c_str());
  return status;
}

absl::StatusOr<bool> DeleteToken(const TokenFile& file) {
  if (unlink(file.path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return Errno("remove", file.path);
}

absl::StatusOr<std::string> AgentReasonHeader(absl::string_view text) {
  // The same rule the server applies: one line of text, any script.
  absl::StatusOr<std::string> reason =
      input::ParseFreeText(std::string(text), "reason", static_cast<int>(kMaxReasonChars));
  if (!reason.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the reason must be one line of at most ",
                                                   kMaxReasonChars,
                                                   " characters, without control characters"));
  }
  return *reason;
}

absl::StatusOr<IssuedToken> RequestDevToken(const DevTokenRequest& request) {
  const auto [base, prefix] = IssuerUrl(request.issuer);
  if (!absl::StartsWith(base, "http://") && !absl::StartsWith(base, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--issuer: \"", request.issuer, "\" is not an http:// URL (e.g. http://127.0.0.1:50052)"));
  }
  httplib::Client client(base);
  if (!client.is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--issuer: \"", request.issuer, "\" is not a URL (e.g. http://127.0.0.1:50052)"));
  }
  const auto timeout =
      std::chrono::microseconds(static_cast<int64_t>(request.timeout_seconds * 1e6));
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);

  httplib::Params params;
  params.emplace("grant_type", "urn:accueil:dev");
  params.emplace("role", request.role);
  params.emplace("site", request.site);
  params.emplace("subject", request.subject);
  const std::string endpoint = absl::StrCat(base, prefix, "/token");
  httplib::Result result = client.Post(absl::StrCat(prefix, "/token"), params);
  if (!result) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach the development issuer at ", endpoint, ": ", Describe(result.error()),
        " (is the server running with dev_issuer_listen set? scripts/run.sh "
        "sets it)"));
  }

  google::protobuf::Struct body;
  const bool json = google::protobuf::util::JsonStringToMessage(result->body, &body).ok();
  if (result->status == 200) {
    IssuedToken issued;
    issued.access_token = json ? StringField(body, "access_token") : "";
    if (!IsTokenText(issued.access_token)) {
      return absl::UnknownError(
          absl::StrCat("the development issuer at ", endpoint, " answered no access_token"));
    }
    if (auto it = body.fields().find("expires_in");
        it != body.fields().end() &&
        it->second.kind_case() == google::protobuf::Value::kNumberValue) {
      issued.expires_in_seconds = static_cast<int64_t>(it->second.number_value());
    }
    return issued;
  }
  std::string message = json ? Printable(StringField(body, "error_description")) : "";
  const std::string error = json ? Printable(StringField(body, "error")) : "";
  if (message.empty()) {
    message = absl::StrCat("HTTP ", result->status, " from ", endpoint);
  }
  if (!error.empty()) absl::StrAppend(&message, " (", error, ")");
  message = absl::StrCat("the development issuer refused: ", message);
  switch (result->status) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 401:
    case 403:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnknownError(message);
  }
}

}  // namespace accueil::cli
