// Session: one invocation's connection to the server, shared by the commands
// of the `accueil` command-line client.
//
// It holds the stubs of the booking, access, reception and metrics services,
// gives each call its deadline (--timeout) and credentials (the caller's
// bearer token and the agent's reason, as gRPC metadata), reports failures,
// and caches what it looked up to show times in the site's zone.
//
//   Session session(global);
//   grpc::ClientContext context;
//   session.Prepare(&context);
//   grpc::Status status = session.stub().GetAppointment(&context, request, &a);
//   if (!status.ok()) return session.Fail(status);
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "accueil/metrics/v1/metrics.grpc.pb.h"
#include "accueil/notify/v1/notify.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "clients/cli/commands.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"

namespace accueil::cli {

// Page size asked of List calls; the server may clamp it.
inline constexpr int kPageSize = 100;

// Report prints `report` on stderr and returns its exit code.
int Report(const ErrorReport& report);

// PrintJsonMessage prints `message` as JSON and returns the exit code.
int PrintJsonMessage(const google::protobuf::Message& message);

// RequestIdOrNew returns `given`, or a fresh random id when it is empty.
absl::StatusOr<std::string> RequestIdOrNew(const std::string& given);

// LoadTlsFiles checks the TLS options of `global` and reads the files they
// name into its *_pem fields. InvalidArgument: inconsistent options (--cert
// without --key); FailedPrecondition: a file cannot be read.
absl::Status LoadTlsFiles(GlobalOptions* global);

// ChannelCredentials are those `global` asks for: plaintext, TLS or mutual
// TLS (after LoadTlsFiles).
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const GlobalOptions& global);

// Not thread-safe.
class Session {
 public:
  explicit Session(const GlobalOptions& global);

  booking::v1::BookingService::Stub& stub() { return *booking_; }
  access::v1::AccessService::Stub& access() { return *access_; }
  reception::v1::ReceptionService::Stub& reception() { return *reception_; }
  metrics::v1::MetricsService::Stub& metrics() { return *metrics_; }
  notify::v1::NotifyService::Stub& notify() { return *notify_; }

  // Prepare gives `context` the --timeout deadline and the credentials
  // (authorization, x-agent-reason); call it once per call.
  void Prepare(grpc::ClientContext* context) const;

  // Fail reports a failed call on stderr and returns its exit code. A refusal
  // gets a hint on how to sign in when that is the likely cause.
  int Fail(const grpc::Status& status) const;

  // FailMutation is Fail for a mutating call: when the server may or may not
  // have acted, it names the request id that makes a retry safe.
  int FailMutation(const grpc::Status& status, const std::string& request_id) const;

  // ListAllSites appends every site, following next_page_token. A lookup
  // (`as_caller` false) goes without the credentials: it is a public read,
  // and must not fill the audit log with the agent's reason.
  grpc::Status ListAllSites(booking::v1::ListSitesResponse* all, bool as_caller = true);

  // ListAllDesks appends every desk of `parent` ("" for all sites).
  grpc::Status ListAllDesks(const std::string& parent, booking::v1::ListDesksResponse* all,
                            bool as_caller = true);

  // The lookups below, made to show times in the right zone, are public
  // reads: they go without the credentials.

  // SiteOfDesk sets `site` to the desk's site, or "" if the desk is unknown.
  grpc::Status SiteOfDesk(const std::string& desk, std::string* site);

  // GetSite reads one site ("sites/{id}").
  grpc::Status GetSite(const std::string& name, booking::v1::Site* site);

  // ZoneNameOfSite sets `zone_name` to the site's zone, or "" if unknown.
  grpc::Status ZoneNameOfSite(const std::string& site, std::string* zone_name);

  // ZoneNameOfDesk returns --tz, else the zone of the desk's site, else the
  // default zone. Failed lookups are returned.
  grpc::Status ZoneNameOfDesk(const std::string& desk, std::string* zone_name);

  // DisplayZone returns the zone to show times of `site` (or of `desk`'s
  // site when `site` is empty; the default zone when both are empty) in. It
  // is only for display, after the call that mattered has succeeded: a
  // failed lookup falls back to the default zone and a zone that cannot load
  // to UTC, with a warning. The zone's name is printed next to the times, so
  // neither fallback can mislead.
  Zone DisplayZone(const std::string& site, const std::string& desk = "");

 private:
  ErrorReport Describe(const grpc::Status& status) const;
  // PrepareLookup gives `context` the deadline only.
  void PrepareLookup(grpc::ClientContext* context) const;

  const GlobalOptions& global_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<booking::v1::BookingService::Stub> booking_;
  std::unique_ptr<access::v1::AccessService::Stub> access_;
  std::unique_ptr<reception::v1::ReceptionService::Stub> reception_;
  std::unique_ptr<metrics::v1::MetricsService::Stub> metrics_;
  std::unique_ptr<notify::v1::NotifyService::Stub> notify_;
  std::optional<booking::v1::ListSitesResponse> sites_;
};

// FollowPages fetches every page of a List: `fetch(request, &page)` for each
// page, `take(page)` to keep it (returning false stops early), until the
// server gives no next_page_token, or the same one again (a token that does
// not move would loop forever).
template <typename Response, typename Request, typename Fetch, typename Take>
grpc::Status FollowPages(Request request, Fetch fetch, Take take) {
  while (true) {
    Response page;
    grpc::Status status = fetch(request, &page);
    if (!status.ok()) return status;
    if (!take(page)) return grpc::Status::OK;
    if (page.next_page_token().empty() || page.next_page_token() == request.page_token()) {
      return grpc::Status::OK;
    }
    request.set_page_token(page.next_page_token());
  }
}

// CollectPages follows the pages and moves their items into `all`:
// `items(response)` is the repeated field (e.g. `r.mutable_sites()`), the
// same on a page and on `all`. With `limit` > 0, keeps the first `limit`
// items and asks for no more pages.
template <typename Response, typename Request, typename Fetch, typename Items>
grpc::Status CollectPages(Request request, Fetch fetch, Items items, Response* all, int limit = 0) {
  grpc::Status status = FollowPages<Response>(request, fetch, [&](Response& page) {
    for (auto& item : *items(page)) *items(*all)->Add() = std::move(item);
    return !(limit > 0 && items(*all)->size() >= limit);
  });
  while (limit > 0 && items(*all)->size() > limit) items(*all)->RemoveLast();
  return status;
}

// Mutate runs one call that changes something, under `request_id`: a failure
// is reported with FailMutation (which tells whether a retry is safe), the
// answer printed as JSON with --json, else by `print(session, answer)`.
//   Mutate(global, id, &Session::access, &AccessService::Stub::RevokeRole, req, print);
template <typename Stub, typename Request, typename Response, typename Print>
int Mutate(const GlobalOptions& global, const std::string& request_id, Stub& (Session::*stub)(),
           grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
           const Request& request, Print print) {
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  Response response;
  grpc::Status status = ((session.*stub)().*method)(&context, request, &response);
  if (!status.ok()) return session.FailMutation(status, request_id);
  if (global.json) return PrintJsonMessage(response);
  print(session, response);
  return kExitOk;
}

}  // namespace accueil::cli
