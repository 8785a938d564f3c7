#include "services/notify/kannel.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/notify/curl_transport.h"
#include "services/notify/sms_text.h"

namespace accueil::notify {
namespace {

class KannelTransport final : public CurlTransport {
 public:
  explicit KannelTransport(KannelOptions options) : options_(std::move(options)) {}

 protected:
  Outcome SendWith(CURL* curl, const Outgoing& m) override {
    Outcome out;
    auto param = [&](absl::string_view key, const std::string& value) {
      char* escaped = curl_easy_escape(curl, value.data(), static_cast<int>(value.size()));
      std::string s = absl::StrCat("&", key, "=", escaped);
      curl_free(escaped);
      return s;
    };
    const SmsSize size = MeasureSms(m.body);
    std::string url = absl::StrCat(
        options_.url, absl::StrContains(options_.url, "?") ? "&" : "?", "charset=UTF-8",
        param("username", options_.user), param("password", options_.password), param("to", m.to),
        param("text", m.body), param("coding", size.coding == SmsCoding::kGsm7 ? "0" : "2"));
    if (!options_.from.empty()) url += param("from", options_.from);
    if (m.expires != absl::InfiniteFuture()) {
      // Minutes, rounded down: better dropped a minute early than late.
      const int64_t minutes = std::max<int64_t>(1, absl::ToInt64Minutes(m.expires - m.now));
      url += param("validity", absl::StrCat(minutes));
    }
    if (options_.report_url) {
      const std::string report = options_.report_url(m.id);
      if (!report.empty()) {
        // Delivered (1), failed (2), rejected by the SMSC (16).
        url += param("dlr-mask", "19") + param("dlr-url", report);
      }
    }
    std::string body;
    long status = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    const CURLcode rc = PerformHttp(curl, options_.timeout, &body, &status);
    if (rc != CURLE_OK) {
      out.detail = Shorten(absl::StrCat("kannel: ", curl_easy_strerror(rc)));
      return out;  // retry
    }
    out.detail = Shorten(absl::StrCat("kannel ", status, ": ", body));
    // "0: Accepted for delivery" (202), "3: Queued for later delivery".
    if (status >= 200 && status < 300 &&
        (absl::StartsWith(body, "0:") || absl::StartsWith(body, "3:"))) {
      out.kind = Outcome::kAccepted;
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
      out.kind = Outcome::kFailed;
      out.reason = "PROVIDER_REFUSED";
    }
    return out;
  }

 private:
  KannelOptions options_;
};

}  // namespace

std::unique_ptr<Transport> NewKannelTransport(const KannelOptions& options) {
  return std::make_unique<KannelTransport>(options);
}

}  // namespace accueil::notify
