// ReportListener: notify's HTTP listener for SMS delivery reports
// (report.h). The same transport rule as the gRPC port: plain HTTP on
// loopback only; beyond it, TLS (its own certificate and key files, re-read
// at start). One route, `GET /notify/reports/kannel?m=ID&t=TOKEN&s=TYPE`:
//   200 the report is recorded (delivered: state `delivered`; failed or
//       rejected: state `failed`, reason `NOT_DELIVERED`; other types: noted
//       by nothing, the provider's own progress);
//   400 a malformed query, 403 a token that does not match, 404 elsewhere.
// A report about a message that is no longer `accepted` or `sending` changes
// nothing (answered 200, so the provider stops retrying).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/common/module.h"
#include "services/notify/booking_client.h"
#include "services/notify/contacts.h"
#include "services/notify/report.h"

namespace httplib {
class Server;
}

namespace accueil::notify {

struct ReportListenerOptions {
  std::string listen;         // "127.0.0.1:0"; beyond loopback needs TLS
  std::string public_url;     // how the provider reaches it; empty: http://<bound address>
  std::string tls_cert_file;  // PEM; both or neither
  std::string tls_key_file;
};

class ReportListener final : public Worker {
 public:
  // Bind validates the options and binds the port (accepting starts with Start).
  // A failure report flags the number as bouncing, a delivery clears the
  // flag (`contacts`, with the number asked of `booking`).
  static absl::StatusOr<std::unique_ptr<ReportListener>> Bind(const ServiceContext& context,
                                                              const ReportListenerOptions& options,
                                                              BookingClient* booking,
                                                              const Contacts* contacts);
  ~ReportListener() override;

  std::string_view name() const override { return "notify_reports"; }
  void Start() override;
  void Stop() override;
  bool Healthy() const override { return true; }

  // ReportUrl is the dlr-url of message `id` ("%d" left for the provider's
  // report type).
  std::string ReportUrl(int64_t id) const;
  // JsonReportUrl is the callback_url of message `id` for the generic JSON
  // provider (json_sms.h).
  std::string JsonReportUrl(int64_t id) const;
  int port() const { return port_; }

 private:
  ReportListener(const ServiceContext& context, BookingClient* booking, const Contacts* contacts);
  void Handle(const std::string& query, int* status, std::string* body);
  void HandleJson(const std::string& query, const std::string& json, int* status,
                  std::string* body);
  void Handle(const absl::StatusOr<DeliveryReport>& report, int* status, std::string* body);
  // Apply records that message `id` was delivered or not ("delivered",
  // "failed"): the message, then its number's bounce flag.
  absl::Status Apply(int64_t id, const std::string& state);

  const ServiceContext ctx_;
  BookingClient* booking_;
  const Contacts* contacts_;
  std::unique_ptr<httplib::Server> server_;
  std::string base_url_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace accueil::notify
