#include "services/notify/report_listener.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"
#include "services/notify/outcomes.h"
#include "services/notify/report.h"
#include "services/notify/tokens.h"

namespace accueil::notify {
namespace {

constexpr char kPath[] = "/notify/reports/kannel";
constexpr char kJsonPath[] = "/notify/reports/json";
constexpr int kThreads = 4;

}  // namespace

absl::StatusOr<std::unique_ptr<ReportListener>> ReportListener::Bind(
    const ServiceContext& context, const ReportListenerOptions& options, BookingClient* booking,
    const Contacts* contacts) {
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
  std::unique_ptr<ReportListener> l(new ReportListener(context, booking, contacts));
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
  // The generic JSON provider's callbacks: the id and token in the query,
  // the status in the body (json_sms.h).
  s.Post(kJsonPath, [self](const httplib::Request& req, httplib::Response& res) {
    const size_t q = req.target.find('?');
    int status = 400;
    std::string body;
    self->HandleJson(q == std::string::npos ? "" : req.target.substr(q + 1), req.body, &status,
                     &body);
    res.status = status;
    res.set_content(body, "text/plain; charset=utf-8");
  });
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

ReportListener::ReportListener(const ServiceContext& context, BookingClient* booking,
                               const Contacts* contacts)
    : ctx_(context), booking_(booking), contacts_(contacts) {}

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
  return absl::StrCat(base_url_, kPath, "?m=", id,
                      "&t=", MessageToken(*ctx_.secrets, kReportPurpose, id), "&s=%d");
}

std::string ReportListener::JsonReportUrl(int64_t id) const {
  return absl::StrCat(base_url_, kJsonPath, "?m=", id,
                      "&t=", MessageToken(*ctx_.secrets, kReportPurpose, id));
}

void ReportListener::HandleJson(const std::string& query, const std::string& json, int* status,
                                std::string* body) {
  Handle(ParseJsonReport(query, json), status, body);
}

void ReportListener::Handle(const std::string& query, int* status, std::string* body) {
  Handle(ParseDeliveryReport(query), status, body);
}

void ReportListener::Handle(const absl::StatusOr<DeliveryReport>& report, int* status,
                            std::string* body) {
  if (!report.ok()) {
    *status = 400;
    *body = absl::StrCat(ErrorReason(report.status()), " ", ErrorField(report.status()), "\n");
    return;
  }
  if (!MessageTokenMatches(*ctx_.secrets, kReportPurpose, report->message, report->token)) {
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
  absl::Status s = Apply(report->message, state);
  if (!s.ok()) {
    *status = 503;  // the provider tries again
    *body = "UNAVAILABLE\n";
  }
}

absl::Status ReportListener::Apply(int64_t id, const std::string& state) {
  const absl::Time now = ctx_.clock->Now();
  int64_t appointment = 0;
  std::string channel;
  bool bouncing = false;
  const Call call = ctx_.gate->WorkerCall(absl::StrCat("notify-report-", id));
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    pqxx::result r = tx.exec_params(
        "UPDATE notify.messages SET state = $2, lease_until = NULL, "
        "reason = CASE WHEN $2 = 'failed' THEN 'NOT_DELIVERED' END, update_time = $3::timestamptz "
        "WHERE id = $1 AND state IN ('accepted', 'sending') RETURNING appointment_id, site_id, "
        "desk_id, template, channel, EXISTS (SELECT 1 FROM notify.contacts "
        "WHERE bounce_time IS NOT NULL AND channel = messages.channel) AS bouncing",
        id, state, db::SqlTime(now));
    if (!r.empty()) {
      appointment = r[0]["appointment_id"].as<int64_t>();
      channel = r[0]["channel"].as<std::string>();
      bouncing = r[0]["bouncing"].as<bool>();
      MessageRef m{id,
                   appointment,
                   r[0]["site_id"].as<int64_t>(),
                   r[0]["desk_id"].as<int64_t>(),
                   r[0]["template"].as<std::string>(),
                   channel,
                   ""};
      // The site's zone from booking's cache; unknown for now: Paris.
      if (absl::StatusOr<bv1::Site> site = booking_->Site(call, m.site); site.ok()) {
        m.time_zone = site->time_zone();
      }
      AppendOutcome(tx, m, state, state == "failed" ? "NOT_DELIVERED" : "", now);
    }
    tx.commit();
    return absl::OkStatus();
  }));
  // The number's flag: set on a failure; cleared on a delivery, which asks
  // booking for the number only while some number is flagged at all.
  if (appointment == 0 || contacts_ == nullptr || (state == "delivered" && !bouncing)) {
    return absl::OkStatus();
  }
  // The message's state is recorded: a retried report would change nothing
  // more, so booking unreachable loses the flag (logged), not the report.
  absl::StatusOr<std::map<int64_t, bv1::Appointment>> found =
      booking_->Contacts(call, {appointment});
  if (!found.ok()) {
    log::Warn("notify.report_flag_lost",
              {{"message", absl::StrCat(id)}, {"reason", ErrorReason(found.status())}});
    return absl::OkStatus();
  }
  auto it = found->find(appointment);
  if (it == found->end()) return absl::OkStatus();
  const std::string& to = ContactOn(it->second.person(), channel);
  if (to.empty()) return absl::OkStatus();
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    if (state == "failed") {
      contacts_->SetBounce(tx, {to, channel}, "NOT_DELIVERED", now);
    } else {
      contacts_->ClearBounce(tx, {to, channel}, now);
    }
    tx.commit();
    return absl::OkStatus();
  });
}

}  // namespace accueil::notify
