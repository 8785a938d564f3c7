#include "tests/support/json_sms_sink.h"

#include <gtest/gtest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace accueil::testing {

std::unique_ptr<JsonSmsSink> JsonSmsSink::Start() {
  std::unique_ptr<JsonSmsSink> sink(new JsonSmsSink());
  sink->server_ = std::make_unique<httplib::Server>();
  JsonSmsSink* self = sink.get();
  sink->server_->Post("/v1/messages", [self](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("to") || !j.contains("text")) {
      res.status = 400;
      res.set_content(R"({"error": "bad request"})", "application/json");
      return;
    }
    auto text = [&](const char* key) {
      return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
    };
    Sms sms{text("to"),
            text("from"),
            text("text"),
            text("encoding"),
            text("valid_until"),
            text("reference"),
            text("callback_url"),
            req.get_header_value("Authorization"),
            req.get_header_value("Idempotency-Key")};
    if (absl::EndsWith(sms.to, "00")) {
      res.status = 400;
      res.set_content(R"({"error": "invalid number"})", "application/json");
      return;
    }
    std::lock_guard<std::mutex> lock(self->mu_);
    if (!sms.callback_url.empty()) {
      self->callbacks_.push_back({sms.callback_url, absl::EndsWith(sms.to, "99")
                                                        ? R"({"status": "undelivered"})"
                                                        : R"({"status": "delivered"})"});
      self->wake_.notify_all();
    }
    res.status = 202;
    res.set_content(absl::StrCat(R"({"id": "gw-)", self->received_.size() + 1, R"("})"),
                    "application/json");
    self->received_.push_back(std::move(sms));
  });
  sink->port_ = sink->server_->bind_to_any_port("127.0.0.1");
  if (sink->port_ <= 0) {
    ADD_FAILURE() << "the JSON SMS sink cannot listen";
    return sink;
  }
  sink->serve_ = std::thread([self] { self->server_->listen_after_bind(); });
  sink->report_ = std::thread([self] { self->Report(); });
  return sink;
}

void JsonSmsSink::Report() {
  for (;;) {
    std::pair<std::string, std::string> callback;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !callbacks_.empty(); });
      if (stopping_) return;
      callback = callbacks_.front();
      callbacks_.pop_front();
    }
    // "http://host:port/path?query"
    const std::string& url = callback.first;
    const size_t slash = url.find('/', url.find("://") + 3);
    httplib::Client client(url.substr(0, slash));
    httplib::Result r = client.Post(url.substr(slash), callback.second, "application/json");
    std::lock_guard<std::mutex> lock(mu_);
    if (r && r->status / 100 == 2) ++reports_accepted_;
  }
}

JsonSmsSink::~JsonSmsSink() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (report_.joinable()) report_.join();
  if (server_) server_->stop();
  if (serve_.joinable()) serve_.join();
}

std::string JsonSmsSink::url() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/v1/messages");
}

std::vector<JsonSmsSink::Sms> JsonSmsSink::Received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

int JsonSmsSink::reports_accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reports_accepted_;
}

std::vector<JsonSmsSink::Sms> JsonSmsSink::WaitFor(size_t count, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::vector<Sms> got = Received();
    if (got.size() >= count) return got;
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "waited for " << count << " SMS, got " << got.size();
      return got;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace accueil::testing
