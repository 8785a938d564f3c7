// AccessService: role bindings, device tokens and the audit log
// (proto/accueil/access/v1/access.proto; docs/security.md).
//
// Administrators act within their sites: a grant on every site is needed to
// grant roles on every site, to list everything, or to create sites.
#pragma once

#include "accueil/access/v1/access.grpc.pb.h"
#include "services/access/audit_feed.h"
#include "services/access/directory.h"
#include "services/common/server.h"

namespace accueil::access {

namespace v1 = ::accueil::access::v1;

// Unary methods are synchronous handlers; WatchAuditEvents, a stream, is a
// callback reactor (stream.h), so that open tails hold no thread.
class AccessService final
    : public v1::AccessService::WithCallbackMethod_WatchAuditEvents<v1::AccessService::Service> {
 public:
  // `directory` makes device tokens; `feed` feeds the audit tails.
  AccessService(const ServiceContext& context, Directory* directory, AuditFeed* feed);

  grpc::Status WhoAmI(grpc::ServerContext*, const v1::WhoAmIRequest*, v1::Caller*) override;
  grpc::Status GrantRole(grpc::ServerContext*, const v1::GrantRoleRequest*,
                         v1::RoleBinding*) override;
  grpc::Status RevokeRole(grpc::ServerContext*, const v1::RevokeRoleRequest*,
                          v1::RoleBinding*) override;
  grpc::Status ListRoleBindings(grpc::ServerContext*, const v1::ListRoleBindingsRequest*,
                                v1::ListRoleBindingsResponse*) override;
  grpc::Status CreateDeviceToken(grpc::ServerContext*, const v1::CreateDeviceTokenRequest*,
                                 v1::DeviceToken*) override;
  grpc::Status RevokeDeviceToken(grpc::ServerContext*, const v1::RevokeDeviceTokenRequest*,
                                 v1::DeviceToken*) override;
  grpc::Status ListDeviceTokens(grpc::ServerContext*, const v1::ListDeviceTokensRequest*,
                                v1::ListDeviceTokensResponse*) override;
  grpc::Status ListAuditEvents(grpc::ServerContext*, const v1::ListAuditEventsRequest*,
                               v1::ListAuditEventsResponse*) override;
  grpc::ServerWriteReactor<v1::AuditEvent>* WatchAuditEvents(
      grpc::CallbackServerContext* context, const v1::WatchAuditEventsRequest* request) override;

 private:
  // SiteExists asks the booking module, which owns sites, through its API:
  // NOT_FOUND SITE_NOT_FOUND on field `site` when site `id` does not exist
  // (0, every site, always does).
  absl::Status SiteExists(const Call& call, int64_t id);

  ServiceContext ctx_;
  Directory* directory_;
  AuditFeed* feed_;
};

}  // namespace accueil::access
