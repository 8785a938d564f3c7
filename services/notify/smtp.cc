#include "services/notify/smtp.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "services/notify/curl_transport.h"
#include "services/notify/mime.h"

namespace accueil::notify {
namespace {

struct Upload {
  const std::string* text;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->text->size() - upload->offset);
  std::memcpy(buffer, upload->text->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

class SmtpTransport final : public CurlTransport {
 public:
  explicit SmtpTransport(SmtpOptions options) : options_(std::move(options)) {}

 protected:
  Outcome SendWith(CURL* curl, const Outgoing& m) override {
    Outcome out;
    const std::string text = ComposeEmail(m, options_.from, options_.domain);
    Upload upload{&text};
    const std::string rcpt_line = absl::StrCat("<", m.to, ">");
    const std::string from_line = absl::StrCat("<", options_.from, ">");
    curl_slist* rcpt = curl_slist_append(nullptr, rcpt_line.c_str());
    char error[CURL_ERROR_SIZE] = {0};
    // Same handle, same options each time: libcurl keeps the connection.
    curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_line.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(
        curl, CURLOPT_USE_SSL,
        options_.starttls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_NONE));
    if (!options_.user.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
    }
    const CURLcode rc = curl_easy_perform(curl);
    long reply = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
    curl_slist_free_all(rcpt);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
    curl_easy_setopt(curl, CURLOPT_READDATA, nullptr);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    if (rc == CURLE_OK) {
      out.kind = Outcome::kAccepted;
      out.detail = absl::StrCat("smtp ", reply);
      return out;
    }
    out.detail =
        Shorten(absl::StrCat("smtp ", reply, ": ", error[0] ? error : curl_easy_strerror(rc)));
    // A 5xx reply is the server's final word on this message (unknown
    // recipient, refused content); anything else may pass later.
    if (reply >= 500 && reply < 600) {
      out.kind = Outcome::kFailed;
      out.reason = rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || reply == 550 ||
                           reply == 551 || reply == 553
                       ? "RECIPIENT_REFUSED"
                       : "PROVIDER_REFUSED";
      if (rc == CURLE_LOGIN_DENIED) out.kind = Outcome::kRetry;  // our configuration
    } else {
      out.kind = Outcome::kRetry;
    }
    return out;
  }

 private:
  SmtpOptions options_;
};

}  // namespace

std::unique_ptr<Transport> NewSmtpTransport(const SmtpOptions& options) {
  return std::make_unique<SmtpTransport>(options);
}

}  // namespace accueil::notify
