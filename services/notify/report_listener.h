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
  static absl::StatusOr<std::unique_ptr<ReportListener>> Bind(const ServiceContext& context,
                                                              const ReportListenerOptions& options);
  ~ReportListener() override;

  std::string_view name() const override { return "notify_reports"; }
  void Start() override;
  void Stop() override;
  bool Healthy() const override { return true; }

  // ReportUrl is the dlr-url of message `id` ("%d" left for the provider's
  // report type).
  std::string ReportUrl(int64_t id) const;
  int port() const { return port_; }

 private:
  explicit ReportListener(const ServiceContext& context);
  void Handle(const std::string& query, int* status, std::string* body);

  const ServiceContext ctx_;
  std::unique_ptr<httplib::Server> server_;
  std::string base_url_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace accueil::notify
