// CurlTransport: a transport over one libcurl easy handle, which the sender
// thread owning it reuses from message to message, so that the connection
// to the provider stays open (smtp.h, kannel.h).
#pragma once

#include <curl/curl.h>

#include <string>

#include "absl/time/time.h"
#include "services/notify/channel.h"

namespace accueil::notify {

class CurlTransport : public Transport {
 public:
  CurlTransport() : curl_(curl_easy_init()) {}
  ~CurlTransport() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Outcome Send(const Outgoing& message) final {
    if (curl_ == nullptr) return Outcome{Outcome::kRetry, "libcurl could not start", ""};
    return SendWith(curl_, message);
  }

 protected:
  virtual Outcome SendWith(CURL* curl, const Outgoing& message) = 0;

  // PerformHttp runs the request set on `curl` (URL, method, headers) with
  // `timeout` (5 s to connect), keeping up to 4 KiB of the answer in
  // `body`; the HTTP status in `status` (0: none).
  static CURLcode PerformHttp(CURL* curl, absl::Duration timeout, std::string* body, long* status) {
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(timeout)));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    const CURLcode rc = curl_easy_perform(curl);
    *status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
    return rc;
  }

 private:
  static size_t Collect(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    if (body->size() < 4096) body->append(data, size * count);
    return size * count;
  }
  CURL* const curl_;
};

}  // namespace accueil::notify
