#include "services/notify/json_sms.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/notify/curl_transport.h"
#include "services/notify/sms_text.h"

namespace accueil::notify {
namespace {

class JsonSmsTransport final : public CurlTransport {
 public:
  explicit JsonSmsTransport(JsonSmsOptions options) : options_(std::move(options)) {}

 protected:
  Outcome SendWith(CURL* curl, const Outgoing& m) override {
    Outcome out;
    nlohmann::json payload = {
        {"to", m.to},
        {"text", m.body},
        {"encoding", MeasureSms(m.body).coding == SmsCoding::kGsm7 ? "gsm7" : "ucs2"},
        {"reference", absl::StrCat(m.id)}};
    if (!options_.from.empty()) payload["from"] = options_.from;
    if (m.expires != absl::InfiniteFuture()) {
      payload["valid_until"] =
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", m.expires, absl::UTCTimeZone());
    }
    if (options_.report_url) {
      const std::string report = options_.report_url(m.id);
      if (!report.empty()) payload["callback_url"] = report;
    }
    const std::string request = payload.dump();
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, absl::StrCat("Idempotency-Key: notify-", m.id).c_str());
    if (!options_.api_key.empty()) {
      headers = curl_slist_append(headers,
                                  absl::StrCat("Authorization: Bearer ", options_.api_key).c_str());
    }
    std::string body;
    long status = 0;
    curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    const CURLcode rc = PerformHttp(curl, options_.timeout, &body, &status);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      out.detail = Shorten(absl::StrCat("sms: ", curl_easy_strerror(rc)));
      return out;  // retry
    }
    out.detail = Shorten(absl::StrCat("sms ", status, ": ", body));
    if (status >= 200 && status < 300) {
      out.kind = Outcome::kAccepted;
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
      out.kind = Outcome::kFailed;
      out.reason = "PROVIDER_REFUSED";
    }
    return out;
  }

 private:
  JsonSmsOptions options_;
};

}  // namespace

absl::Status CheckJsonSmsUrl(const std::string& url) {
  if (absl::StartsWith(url, "https://")) return absl::OkStatus();
  if (absl::StartsWith(url, "http://")) {
    std::string host = url.substr(7);
    host = host.substr(0, host.find('/'));
    if (IsLoopback(host)) return absl::OkStatus();
  }
  return absl::InvalidArgumentError("https://, or http:// to a loopback address only");
}

std::unique_ptr<Transport> NewJsonSmsTransport(const JsonSmsOptions& options) {
  return std::make_unique<JsonSmsTransport>(options);
}

}  // namespace accueil::notify
