#include "services/notify/report_listener.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/notify/report.h"

namespace accueil::notify {
namespace {

constexpr char kPath[] = "/notify/reports/kannel";
constexpr int kThreads = 4;

}  // namespace

absl::StatusOr<std::unique_ptr<ReportListener>> ReportListener::Bind(
    const ServiceContext& context, const ReportListenerOptions& options) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("notify_report_listen: \"host:port\", not \"", options.listen, "\""));
  }
  const bool tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (tls && (options.tls_cert_file.empty() || options.tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "notify_report_tls_cert_file and notify_report_tls_key_file go together");
  }
  if (!tls && !IsLoopback(options.listen)) {
    return absl::InvalidArgumentError(
        "notify_report_listen beyond loopback needs TLS (notify_report_tls_cert_file, "
        "notify_report_tls_key_file)");
  }
  std::unique_ptr<ReportListener> l(new ReportListener(context));
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                    options.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(
          "notify_report_tls_*: the certificate or key cannot be read");
    }
    l->server_ = std::move(ssl);
  } else {
    l->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *l->server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  ReportListener* self = l.get();
  s.Get(kPath, [self](const httplib::Request& req, httplib::Response& res) {
    const size_t q = req.target.find('?');
    int status = 400;
    std::string body;
    self->Handle(q == std::string::npos ? "" : req.target.substr(q + 1), &status, &body);
    res.status = status;
    res.set_content(body, "text/plain; charset=utf-8");
  });
  const std::string host = options.listen.substr(0, colon);
  const std::string bind_host = host == "localhost" ? "127.0.0.1" : host;
  const int bound =
      port == 0 ? s.bind_to_any_port(bind_host) : (s.bind_to_port(bind_host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("notify: cannot listen on ", options.listen));
  }
  l->port_ = bound;
  l->base_url_ = options.public_url.empty()
                     ? absl::StrCat(tls ? "https://" : "http://", bind_host, ":", bound)
                     : options.public_url;
  return l;
}

ReportListener::ReportListener(const ServiceContext& context) : ctx_(context) {}

ReportListener::~ReportListener() { Stop(); }

void ReportListener::Start() {
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() does nothing until the server runs.
  while (!server_->is_running() && !stopped_.load()) absl::SleepFor(absl::Milliseconds(1));
}

void ReportListener::Stop() {
  if (stopped_.exchange(true)) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string ReportListener::ReportUrl(int64_t id) const {
  return absl::StrCat(base_url_, kPath, "?m=", id, "&t=", ReportToken(*ctx_.secrets, id), "&s=%d");
}

void ReportListener::Handle(const std::string& query, int* status, std::string* body) {
  absl::StatusOr<DeliveryReport> report = ParseDeliveryReport(query);
  if (!report.ok()) {
    *status = 400;
    *body = absl::StrCat(ErrorReason(report.status()), " ", ErrorField(report.status()), "\n");
    return;
  }
  if (!ReportTokenMatches(*ctx_.secrets, report->message, report->token)) {
    *status = 403;
    *body = "WRONG_TOKEN\n";
    log::Warn("notify.report_refused", {{"message", absl::StrCat(report->message)}});
    return;
  }
  const char* state = report->status == 1                           ? "delivered"
                      : report->status == 2 || report->status == 16 ? "failed"
                                                                    : nullptr;
  *status = 200;
  *body = "ok\n";
  if (state == nullptr) return;
  absl::Status s = ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_params(
        "UPDATE notify.messages SET state = $2, lease_until = NULL, "
        "reason = CASE WHEN $2 = 'failed' THEN 'NOT_DELIVERED' END, update_time = $3::timestamptz "
        "WHERE id = $1 AND state IN ('accepted', 'sending')",
        report->message, state, db::SqlTime(ctx_.clock->Now()));
    return absl::OkStatus();
  });
  if (!s.ok()) {
    *status = 503;  // the provider tries again
    *body = "UNAVAILABLE\n";
  }
}

}  // namespace accueil::notify
