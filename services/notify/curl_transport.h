// CurlTransport: a transport over one libcurl easy handle, which the sender
// thread owning it reuses from message to message, so that the connection
// to the provider stays open (smtp.h, kannel.h).
#pragma once

#include <curl/curl.h>

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

 private:
  CURL* const curl_;
};

}  // namespace accueil::notify
