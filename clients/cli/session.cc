#include "clients/cli/session.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/status_macros.h"

namespace accueil::cli {
namespace {

namespace v1 = ::accueil::booking::v1;

}  // namespace

int Report(const ErrorReport& report) {
  std::cerr << report.text;
  return report.exit_code;
}

int PrintJsonMessage(const google::protobuf::Message& message) {
  if (!PrintJson(std::cout, message)) {
    return Report(LocalError("cannot convert the answer to JSON"));
  }
  return kExitOk;
}

absl::StatusOr<std::string> RequestIdOrNew(const std::string& given) {
  if (!given.empty()) return given;
  return NewRequestId();
}

namespace {

absl::Status ReadPem(const std::string& option, const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  if (!in || !(buffer << in.rdbuf()) || buffer.str().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(option, ": cannot read ", path));
  }
  *out = buffer.str();
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadTlsFiles(GlobalOptions* global) {
  if (global->tls_cert_file.empty() != global->tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--cert and --key (ACCUEIL_TLS_CERT, ACCUEIL_TLS_KEY) go together");
  }
  if (!global->tls_ca_file.empty() || !global->tls_cert_file.empty()) {
    global->tls = true;
  }
  if (!global->tls_ca_file.empty()) {
    RETURN_IF_ERROR(ReadPem("--ca", global->tls_ca_file, &global->tls_ca_pem));
  }
  if (!global->tls_cert_file.empty()) {
    RETURN_IF_ERROR(ReadPem("--cert", global->tls_cert_file, &global->tls_cert_pem));
    RETURN_IF_ERROR(ReadPem("--key", global->tls_key_file, &global->tls_key_pem));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const GlobalOptions& global) {
  if (!global.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = global.tls_ca_pem;  // empty: the system's roots
  options.pem_private_key = global.tls_key_pem;
  options.pem_cert_chain = global.tls_cert_pem;
  return grpc::SslCredentials(options);
}

Session::Session(const GlobalOptions& global)
    : global_(global),
      channel_(grpc::CreateChannel(global.server, ChannelCredentials(global))),
      booking_(v1::BookingService::NewStub(channel_)),
      access_(access::v1::AccessService::NewStub(channel_)),
      reception_(reception::v1::ReceptionService::NewStub(channel_)),
      metrics_(metrics::v1::MetricsService::NewStub(channel_)),
      notify_(notify::v1::NotifyService::NewStub(channel_)) {}

void Session::PrepareLookup(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(global_.timeout_seconds)));
}

void Session::Prepare(grpc::ClientContext* context) const {
  PrepareLookup(context);
  if (!global_.token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", global_.token));
  }
  if (!global_.reason.empty()) {
    context->AddMetadata("x-agent-reason-bin", global_.reason);
  }
}

ErrorReport Session::Describe(const grpc::Status& status) const {
  ErrorReport report = DescribeRpcError(status, global_.server);
  const std::string reason = ErrorReason(status);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    if (global_.token.empty()) {
      absl::StrAppend(&report.text,
                      "  this needs an agent's or an administrator's token: "
                      "sign in with 'accueil login', or give --token\n");
    } else {
      absl::StrAppend(&report.text, "  the token (", global_.token_source,
                      ") was refused: it may have expired or been revoked "
                      "(agents sign in again with 'accueil login')\n");
    }
  } else if (reason == "ROLE_REQUIRED" || reason == "SITE_NOT_ALLOWED") {
    absl::StrAppend(&report.text, global_.token.empty()
                                      ? "  you are calling as the public: sign in with "
                                        "'accueil login' to act as an agent\n"
                                      : "  'accueil whoami' shows your roles and their "
                                        "sites\n");
  } else if (reason == "AGENT_REASON_REQUIRED") {
    absl::StrAppend(&report.text,
                    "  acting for a person without their access code: say "
                    "why with --reason TEXT (or ACCUEIL_REASON)\n");
  }
  return report;
}

int Session::Fail(const grpc::Status& status) const { return Report(Describe(status)); }

int Session::FailMutation(const grpc::Status& status, const std::string& request_id) const {
  ErrorReport report = Describe(status);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
      absl::StrAppend(&report.text,
                      "  to retry without doing it twice, repeat the command with "
                      "--request-id ",
                      request_id, "\n");
      break;
    default:
      break;
  }
  return Report(report);
}

grpc::Status Session::ListAllSites(v1::ListSitesResponse* all, bool as_caller) {
  v1::ListSitesRequest request;
  request.set_page_size(kPageSize);
  return CollectPages(
      request,
      [&](const v1::ListSitesRequest& r, v1::ListSitesResponse* page) {
        grpc::ClientContext context;
        as_caller ? Prepare(&context) : PrepareLookup(&context);
        return booking_->ListSites(&context, r, page);
      },
      [](v1::ListSitesResponse& r) { return r.mutable_sites(); }, all);
}

grpc::Status Session::ListAllDesks(const std::string& parent, v1::ListDesksResponse* all,
                                   bool as_caller) {
  v1::ListDesksRequest request;
  request.set_parent(parent);
  request.set_page_size(kPageSize);
  return CollectPages(
      request,
      [&](const v1::ListDesksRequest& r, v1::ListDesksResponse* page) {
        grpc::ClientContext context;
        as_caller ? Prepare(&context) : PrepareLookup(&context);
        return booking_->ListDesks(&context, r, page);
      },
      [](v1::ListDesksResponse& r) { return r.mutable_desks(); }, all);
}

grpc::Status Session::SiteOfDesk(const std::string& desk, std::string* site) {
  site->clear();
  v1::ListDesksResponse desks;
  grpc::Status status = ListAllDesks("", &desks, /*as_caller=*/false);
  if (!status.ok()) return status;
  for (const v1::Desk& d : desks.desks()) {
    if (d.name() == desk) *site = d.site();
  }
  return grpc::Status::OK;
}

grpc::Status Session::GetSite(const std::string& name, v1::Site* site) {
  v1::GetSiteRequest request;
  request.set_name(name);
  grpc::ClientContext context;
  PrepareLookup(&context);
  return booking_->GetSite(&context, request, site);
}

grpc::Status Session::ZoneNameOfSite(const std::string& site, std::string* zone_name) {
  zone_name->clear();
  if (!sites_) {
    v1::ListSitesResponse sites;
    grpc::Status status = ListAllSites(&sites, /*as_caller=*/false);
    if (!status.ok()) return status;
    sites_ = std::move(sites);
  }
  for (const v1::Site& s : sites_->sites()) {
    if (s.name() == site) *zone_name = s.time_zone();
  }
  return grpc::Status::OK;
}

grpc::Status Session::ZoneNameOfDesk(const std::string& desk, std::string* zone_name) {
  *zone_name = global_.time_zone;
  if (!zone_name->empty()) return grpc::Status::OK;
  std::string site;
  grpc::Status status = SiteOfDesk(desk, &site);
  if (status.ok() && !site.empty()) status = ZoneNameOfSite(site, zone_name);
  if (zone_name->empty()) *zone_name = kDefaultTimeZone;
  return status;
}

Zone Session::DisplayZone(const std::string& site, const std::string& desk) {
  std::string name = global_.time_zone;
  if (name.empty() && (!site.empty() || !desk.empty())) {
    grpc::Status status = site.empty() ? ZoneNameOfDesk(desk, &name) : ZoneNameOfSite(site, &name);
    if (!status.ok()) name.clear();
  }
  if (name.empty()) name = kDefaultTimeZone;
  absl::StatusOr<Zone> zone = LoadZone(name);
  if (zone.ok()) return *std::move(zone);
  std::cerr << "warning: " << zone.status().message() << "; times are shown in UTC\n";
  return Zone{"UTC", absl::UTCTimeZone()};
}

}  // namespace accueil::cli
