#include "services/notify/module.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/notify/decide.h"
#include "services/notify/json_sms.h"
#include "services/notify/kannel.h"
#include "services/notify/notify_service.h"
#include "services/notify/person_data_hooks.h"
#include "services/notify/report_listener.h"
#include "services/notify/sender.h"
#include "services/notify/smtp.h"

namespace accueil::notify {
namespace {

struct NotifyOptions {
  std::string public_base_url = "http://127.0.0.1:8080";
  std::string templates_dir;
  SmtpOptions smtp;
  // "kannel" (sms: Kannel's sendsms) or "json" (json_sms: a generic
  // JSON-over-HTTPS provider); both at notify_sms_url.
  std::string sms_provider = "kannel";
  KannelOptions sms;
  std::string sms_api_key;
  ReportListenerOptions reports;
  SenderOptions sender;
};

absl::Status HttpUrl(const std::string& value) {
  if (value.empty() || absl::StartsWith(value, "http://") || absl::StartsWith(value, "https://")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("must start with http:// or https://");
}

class NotifyModule final : public Module {
 public:
  std::string_view name() const override { return "notify"; }

  void Configure(ConfigSection& section) override {
    section.Text(
        "public_base_url", &options_.public_base_url,
        "the public web address the links in messages start with (`<url>/rdv#REFERENCE-CODE`: "
        "docs/notify.md#links); at most 60 characters, so that an SMS stays within 2 segments",
        [](const std::string& v) -> absl::Status {
          if (v.empty() || v.size() > 60 || absl::EndsWith(v, "/")) {
            return absl::InvalidArgumentError("1 to 60 characters, no trailing /");
          }
          return HttpUrl(v);
        });
    section.Text("templates_dir", &options_.templates_dir,
                 "a directory of message templates replacing the built-in ones "
                 "(`<language>/<template>.<channel>.mustache`, docs/notify.md#templates); "
                 "empty: the built-in ones");
    section.Text(
        "smtp_url", &options_.smtp.url,
        "the SMTP server e-mails go through (`smtp://host:587`, `smtps://host:465`); "
        "empty: no e-mail is sent",
        [](const std::string& v) -> absl::Status {
          if (v.empty() || absl::StartsWith(v, "smtp://") || absl::StartsWith(v, "smtps://")) {
            return absl::OkStatus();
          }
          return absl::InvalidArgumentError("must start with smtp:// or smtps://");
        });
    section.Bool("smtp_starttls", &options_.smtp.starttls,
                 "require STARTTLS on `smtp://` (refuse to send in clear)");
    section.Text("smtp_user", &options_.smtp.user, "SMTP user name; empty: no authentication");
    section.Text("smtp_password", &options_.smtp.password,
                 "SMTP password (pass it as `ACCUEIL_NOTIFY_SMTP_PASSWORD`)");
    section.Text("mail_from", &options_.smtp.from,
                 "the sender of e-mails (envelope and `From:`); its domain ends the Message-IDs");
    section.Text("sms_provider", &options_.sms_provider,
                 "the SMS provider's shape: `kannel` (Kannel's sendsms, delivery reports by "
                 "dlr-url) or `json` (a generic JSON-over-HTTPS API with a delivery callback: "
                 "docs/notify.md#providers)",
                 [](const std::string& v) -> absl::Status {
                   if (v == "kannel" || v == "json") return absl::OkStatus();
                   return absl::InvalidArgumentError("kannel or json");
                 });
    section.Text("sms_url", &options_.sms.url,
                 "the SMS provider's address: Kannel's sendsms "
                 "(`http://host:13013/cgi-bin/sendsms`), or the JSON API's messages endpoint "
                 "(`https://...`); empty: no SMS is sent",
                 HttpUrl);
    section.Text("sms_api_key", &options_.sms_api_key,
                 "the JSON provider's API key, sent as a bearer token (pass it as "
                 "`ACCUEIL_NOTIFY_SMS_API_KEY`)");
    section.Text("sms_user", &options_.sms.user, "Kannel sendsms user");
    section.Text("sms_password", &options_.sms.password,
                 "Kannel sendsms password (pass it as `ACCUEIL_NOTIFY_SMS_PASSWORD`)");
    section.Text("sms_from", &options_.sms.from,
                 "the SMS sender shown on the phone (up to 11 letters or digits)",
                 [](const std::string& v) -> absl::Status {
                   if (v.empty() || v.size() > 11) {
                     return absl::InvalidArgumentError("1 to 11 characters");
                   }
                   for (char c : v) {
                     if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
                       return absl::InvalidArgumentError("letters and digits only");
                     }
                   }
                   return absl::OkStatus();
                 });
    section.Text("report_listen", &options_.reports.listen,
                 "where notify's listener for SMS delivery reports listens (`127.0.0.1:8089`; "
                 "beyond loopback with `notify_report_tls_*`); empty: no delivery report is "
                 "asked for");
    section.Text("report_url", &options_.reports.public_url,
                 "how the SMS provider reaches that listener (`https://accueil.example:8089`); "
                 "empty: the address it listens on");
    section.Text("report_tls_cert_file", &options_.reports.tls_cert_file,
                 "the report listener's TLS certificate chain (PEM)");
    section.Text("report_tls_key_file", &options_.reports.tls_key_file,
                 "the report listener's TLS private key (PEM)");
    section.Int("senders", &options_.sender.threads, 1, 64,
                "sending threads per process (each claims its own batches)");
    section.Int("max_attempts", &options_.sender.max_attempts, 1, 50,
                "attempts before a message is a dead letter (state failed, "
                "RETRIES_EXHAUSTED)");
    section.Seconds("lease", &options_.sender.lease, 3600,
                    "how long a sender holds the messages it claimed; a sender that dies "
                    "mid-batch leaves them to the others after this (they may then go twice)");
    section.Validate([this]() -> absl::Status {
      if (options_.sender.lease < absl::Seconds(1)) {
        return absl::InvalidArgumentError("notify_lease: at least 1 second");
      }
      if (options_.sms_provider == "json" && !options_.sms.url.empty()) {
        absl::Status url = CheckJsonSmsUrl(options_.sms.url);
        if (!url.ok())
          return absl::InvalidArgumentError(absl::StrCat("notify_sms_url: ", url.message()));
      }
      return absl::OkStatus();
    });
    section.Int("record_window", &options_.sender.record_window, 1, 64,
                "outcomes committed together per sending thread (or what 50 ms saw sent): "
                "the most messages a crash can make a thread send twice; 1 commits each "
                "message alone");
    section.Seconds("retry_base", &options_.sender.retry_base, 3600,
                    "the first retry's delay; it doubles with each attempt (up to an hour), "
                    "with jitter");
  }

  absl::StatusOr<ModuleParts> Start(const ServiceContext& context) override {
    absl::StatusOr<Templates> templates = Templates::Load(options_.templates_dir);
    if (!templates.ok()) return templates.status();
    templates_ = std::make_unique<Templates>(std::move(*templates));
    const size_t at = options_.smtp.from.find('@');
    options_.smtp.domain =
        at == std::string::npos ? "accueil.invalid" : options_.smtp.from.substr(at + 1);
    options_.sender.domain = options_.smtp.domain;
    options_.sender.public_base_url = options_.public_base_url;
    booking_ = std::make_unique<BookingClient>(context.peers, context.clock);
    contacts_ = std::make_unique<Contacts>(*context.pool, *context.secrets);
    ModuleParts parts;
    ServiceOptions service;
    service.email = !options_.smtp.url.empty();
    service.sms = !options_.sms.url.empty();
    service.contacts = contacts_.get();
    service.public_base_url = options_.public_base_url;
    service.domain = options_.smtp.domain;
    service.templates = templates_.get();
    if (!service.email && !service.sms) {
      // Nothing to send with: no decider (its cursor waits for a provider,
      // which then acts only on recent events: decide.h), no sender.
      log::Warn("notify.no_provider", {});
      parts.services.push_back({std::make_unique<NotifyService>(context, booking_.get(), service),
                                v1::NotifyService::service_full_name()});
      return parts;
    }
    const SmtpOptions smtp = options_.smtp;
    KannelOptions sms = options_.sms;
    JsonSmsOptions json;
    json.url = options_.sms.url;
    json.api_key = options_.sms_api_key;
    json.from = options_.sms.from;
    const bool use_json = options_.sms_provider == "json";
    if (!options_.reports.listen.empty()) {
      absl::StatusOr<std::unique_ptr<ReportListener>> reports =
          ReportListener::Bind(context, options_.reports, booking_.get(), contacts_.get());
      if (!reports.ok()) return reports.status();
      ReportListener* listener = reports->get();
      sms.report_url = [listener](int64_t id) { return listener->ReportUrl(id); };
      json.report_url = [listener](int64_t id) { return listener->JsonReportUrl(id); };
      parts.workers.push_back(std::move(*reports));
    }
    access_ = std::make_unique<AccessRequests>(context, booking_.get(), service.email, service.sms);
    releases_ = std::make_unique<Releases>(context, booking_.get());
    auto sender = std::make_unique<Sender>(
        context, templates_.get(), booking_.get(), options_.sender,
        [smtp, sms, json, use_json](const std::string& channel) -> std::unique_ptr<Transport> {
          if (channel == "email" && !smtp.url.empty()) return NewSmtpTransport(smtp);
          if (channel == "sms" && !sms.url.empty()) {
            return use_json ? NewJsonSmsTransport(json) : NewKannelTransport(sms);
          }
          return nullptr;
        },
        access_.get(), contacts_.get(), releases_.get());
    Sender* wake = sender.get();
    service.wake = [wake] { wake->Wake(); };
    parts.services.push_back({std::make_unique<NotifyService>(context, booking_.get(), service),
                              v1::NotifyService::service_full_name()});
    DecideOptions decide{!smtp.url.empty(), !sms.url.empty()};
    parts.workers.push_back(NewDecider(context, decide, [wake] { wake->Wake(); }));
    parts.workers.push_back(std::move(sender));
    return parts;
  }

  PersonDataHooks* person_data() override { return &person_data_; }

 private:
  NotifyOptions options_;
  MessagePersonData person_data_;
  std::unique_ptr<Templates> templates_;
  std::unique_ptr<BookingClient> booking_;
  std::unique_ptr<AccessRequests> access_;
  std::unique_ptr<Contacts> contacts_;
  std::unique_ptr<Releases> releases_;
};

}  // namespace

std::unique_ptr<Module> NewModule() { return std::make_unique<NotifyModule>(); }

}  // namespace accueil::notify
