#include "services/access/access_service.h"

#include "absl/strings/str_cat.h"
#include "accueil/booking/v1/booking.grpc.pb.h"
#include "services/common/change.h"
#include "services/common/peer_call.h"
#include "services/common/peers.h"
#include "services/common/errors.h"
#include "services/common/proto_time.h"
#include "services/common/gate.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/status_macros.h"

namespace accueil::access {
namespace {

using db::Micros;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// What BindingFromRow reads; site_id 0 is every site, revoke_micros 0 active.
const std::string kBindingCols = absl::StrCat(
    "id, subject, role, coalesce(site_id, 0) AS site_id, granted_by, ", Micros("grant_time"),
    " AS grant_micros, coalesce(", Micros("revoke_time"), ", 0) AS revoke_micros");
// What DeviceFromRow reads; revoke_micros 0 is active.
const std::string kDeviceCols =
    absl::StrCat("id, site_id, display_name, ", Micros("create_time"),
                 " AS create_micros, coalesce(", Micros("revoke_time"), ", 0) AS revoke_micros");

google::protobuf::Timestamp Ts(int64_t micros) { return ToProto(absl::FromUnixMicros(micros)); }

std::string SiteName(int64_t site) { return site == 0 ? "" : absl::StrCat("sites/", site); }

void BindingFromRow(const pqxx::row& row, v1::RoleBinding* out) {
  out->set_name(absl::StrCat("roleBindings/", row["id"].as<int64_t>()));
  out->set_subject(row["subject"].as<std::string>());
  v1::Role role = v1::ROLE_UNSPECIFIED;
  v1::Role_Parse(row["role"].as<std::string>(), &role);
  out->set_role(role);
  out->set_site(SiteName(row["site_id"].as<int64_t>()));
  out->set_granted_by(row["granted_by"].as<std::string>());
  *out->mutable_grant_time() = Ts(row["grant_micros"].as<int64_t>());
  if (int64_t revoked = row["revoke_micros"].as<int64_t>(); revoked != 0) {
    *out->mutable_revoke_time() = Ts(revoked);
  }
}

void DeviceFromRow(const pqxx::row& row, v1::DeviceToken* out) {
  out->set_name(absl::StrCat("devices/", row["id"].as<int64_t>()));
  out->set_site(SiteName(row["site_id"].as<int64_t>()));
  out->set_display_name(row["display_name"].as<std::string>());
  *out->mutable_create_time() = Ts(row["create_micros"].as<int64_t>());
  if (int64_t revoked = row["revoke_micros"].as<int64_t>(); revoked != 0) {
    *out->mutable_revoke_time() = Ts(revoked);
  }
}

// ParseSite reads "sites/{id}", or "" for every site (0).
absl::StatusOr<int64_t> ParseSite(const std::string& site, std::string_view field) {
  if (site.empty()) return 0;
  return input::ParseResourceId(site, "sites", field);
}

absl::StatusOr<std::string> ParseSubject(const std::string& subject) {
  bool ok = !subject.empty() && subject.size() <= 200;
  for (char c : subject) ok = ok && c > 0x20 && c < 0x7f;
  if (!ok) {
    return InvalidField("INVALID_SUBJECT", "subject",
                        "the OpenID subject: 1 to 200 printable ASCII characters");
  }
  return subject;
}

// Page keeps a descending or ascending id cursor.
struct Page {
  int size;
  int64_t after;
};

absl::StatusOr<Page> ParsePage(int32_t page_size, const std::string& token,
                               const std::string& scope, int64_t first) {
  ASSIGN_OR_RETURN(int size,
                   input::ParsePageSize(page_size, kDefaultPageSize, kMaxPageSize, "page_size"));
  Page page{size, first};
  if (!token.empty()) {
    ASSIGN_OR_RETURN(auto keys, input::DecodePageToken(token, scope, 1, "page_token"));
    page.after = keys[0];
  }
  return page;
}

void PrepareStatements(db::Pool& pool) {
  pool.Prepare(
      "access_insert_binding",
      absl::StrCat(
          "INSERT INTO access.role_bindings (subject, role, site_id, granted_by, grant_time) "
          "VALUES ($1, $2, NULLIF($3, 0), $4, $5::timestamptz) ON CONFLICT DO NOTHING "
          "RETURNING ",
          kBindingCols));
  pool.Prepare("access_active_binding",
               absl::StrCat("SELECT ", kBindingCols,
                            " FROM access.role_bindings WHERE subject = $1 "
                            "AND role = $2 AND coalesce(site_id, 0) = $3 AND revoke_time IS NULL"));
  pool.Prepare("access_get_binding",
               absl::StrCat("SELECT ", kBindingCols, " FROM access.role_bindings WHERE id = $1"));
  pool.Prepare(
      "access_revoke_binding",
      absl::StrCat(
          "UPDATE access.role_bindings SET revoke_time = coalesce(revoke_time, $2::timestamptz) "
          "WHERE id = $1 RETURNING ",
          kBindingCols));
  pool.Prepare("access_list_bindings",
               absl::StrCat("SELECT ", kBindingCols,
                            " FROM access.role_bindings "
                            "WHERE ($1 = '' OR subject = $1) AND ($2 = 0 OR site_id = $2) "
                            "AND ($3 OR revoke_time IS NULL) AND id > $4 ORDER BY id LIMIT $5"));
  pool.Prepare("access_insert_device",
               "INSERT INTO access.device_tokens (site_id, display_name, secret_hash, "
               "created_by, create_time) VALUES ($1, $2, '\\x', $3, $4::timestamptz) "
               "RETURNING id");
  pool.Prepare("access_set_device_hash",
               "UPDATE access.device_tokens SET secret_hash = decode($2, 'hex'), key_id = $3 "
               "WHERE id = $1");
  pool.Prepare("access_get_device",
               absl::StrCat("SELECT ", kDeviceCols, " FROM access.device_tokens WHERE id = $1"));
  pool.Prepare(
      "access_revoke_device",
      absl::StrCat(
          "UPDATE access.device_tokens SET revoke_time = coalesce(revoke_time, $2::timestamptz) "
          "WHERE id = $1 RETURNING ",
          kDeviceCols));
  pool.Prepare("access_list_devices",
               absl::StrCat("SELECT ", kDeviceCols,
                            " FROM access.device_tokens WHERE site_id = $1 AND id > $2 "
                            "ORDER BY id LIMIT $3"));
  pool.Prepare(
      "access_list_audit",
      absl::StrCat(
          "SELECT ", kAuditEventColumns,
          " FROM access.audit_log "
          "WHERE ($1 = '' OR subject = $1 OR acting_for = $1) AND ($2 = 0 OR site_id = $2) "
          "AND ($3 = '' OR resource = $3) AND time >= $4::timestamptz AND time < $5::timestamptz "
          "AND id < $6 ORDER BY id DESC LIMIT $7"));
}

}  // namespace

AccessService::AccessService(const ServiceContext& context, Directory* directory, AuditFeed* feed)
    : ctx_(context), directory_(directory), feed_(feed) {
  PrepareStatements(*ctx_.pool);
}

absl::Status AccessService::SiteExists(const Call& call, int64_t id) {
  if (id == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx_.peers->Channel("booking"));
  auto stub = booking::v1::BookingService::NewStub(channel);
  booking::v1::GetSiteRequest request;
  request.set_name(SiteName(id));
  absl::Status s = CallPeer<booking::v1::GetSiteRequest, booking::v1::Site>(
                       *stub, call, "GetSite", &booking::v1::BookingService::Stub::GetSite, request)
                       .status();
  if (s.code() == absl::StatusCode::kNotFound) {
    return WithField(Error(absl::StatusCode::kNotFound, "SITE_NOT_FOUND", "no such site"), "site");
  }
  if (!s.ok()) {
    return Error(absl::StatusCode::kUnavailable, "PEER_UNAVAILABLE",
                 "the booking module could not say whether the site exists; retry");
  }
  return absl::OkStatus();
}

grpc::Status AccessService::WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest*,
                                   v1::Caller* resp) {
  return ctx_.gate->Handle(context, "accueil.access.v1.AccessService.WhoAmI",
                           [&](Call& call) -> absl::Status {
                             resp->set_subject(call.caller().subject);
                             for (const auth::Grant& g : call.caller().grants) {
                               v1::RoleGrant* grant = resp->add_grants();
                               grant->set_role(g.role);
                               grant->set_site(SiteName(g.site_id));
                             }
                             return absl::OkStatus();
                           });
}

grpc::Status AccessService::GrantRole(grpc::ServerContext* context, const v1::GrantRoleRequest* req,
                                      v1::RoleBinding* resp) {
  return ctx_.gate->Handle(
      context, "accueil.access.v1.AccessService.GrantRole", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string subject, ParseSubject(req->subject()));
        v1::Role role = req->role();
        if (role != v1::LODGE_AGENT && role != v1::COUNTER_AGENT && role != v1::QUALITY_OFFICER &&
            role != v1::ADMINISTRATOR && role != v1::SERVICE) {
          return InvalidField("ROLE_NOT_GRANTABLE", "role",
                              "grant LODGE_AGENT, COUNTER_AGENT, QUALITY_OFFICER, "
                              "ADMINISTRATOR or SERVICE (devices get device tokens)");
        }
        ASSIGN_OR_RETURN(int64_t site, ParseSite(req->site(), "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        RETURN_IF_ERROR(SiteExists(call, site));
        std::string role_name = v1::Role_Name(role);
        // Granting what is already granted answers the existing binding, so a
        // retry is harmless.
        return RunChange(
            call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
            [&](pqxx::transaction_base& tx) -> absl::Status {
              pqxx::result r =
                  tx.exec_prepared("access_insert_binding", subject, role_name, site,
                                   call.caller().subject, db::SqlTime(ctx_.clock->Now()));
              if (r.empty())
                r = tx.exec_prepared("access_active_binding", subject, role_name, site);
              if (r.empty()) {
                return Error(absl::StatusCode::kAborted, "CONCURRENT_UPDATE", "retry the request");
              }
              BindingFromRow(r[0], resp);
              call.SetResource(resp->name(), site);
              return absl::OkStatus();
            });
      });
}

grpc::Status AccessService::RevokeRole(grpc::ServerContext* context,
                                       const v1::RevokeRoleRequest* req, v1::RoleBinding* resp) {
  return ctx_.gate->Handle(
      context, "accueil.access.v1.AccessService.RevokeRole", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req->name(), "roleBindings", "name"));
        return RunChange(
            call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
            [&](pqxx::transaction_base& tx) -> absl::Status {
              pqxx::result r = tx.exec_prepared("access_get_binding", id);
              if (r.empty()) {
                return WithField(
                    Error(absl::StatusCode::kNotFound, "ROLE_BINDING_NOT_FOUND", "no such binding"),
                    "name");
              }
              RETURN_IF_ERROR(call.AuthorizeSite(r[0]["site_id"].as<int64_t>()));
              r = tx.exec_prepared("access_revoke_binding", id, db::SqlTime(ctx_.clock->Now()));
              BindingFromRow(r[0], resp);
              call.SetResource(resp->name(), r[0]["site_id"].as<int64_t>());
              return absl::OkStatus();
            });
      });
}

grpc::Status AccessService::ListRoleBindings(grpc::ServerContext* context,
                                             const v1::ListRoleBindingsRequest* req,
                                             v1::ListRoleBindingsResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.access.v1.AccessService.ListRoleBindings", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, ParseSite(req->site(), "site"));
        if (!req->subject().empty()) RETURN_IF_ERROR(ParseSubject(req->subject()).status());
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        std::string scope =
            absl::StrCat("bindings:", req->subject(), ":", site, ":", req->include_revoked());
        ASSIGN_OR_RETURN(Page page, ParsePage(req->page_size(), req->page_token(), scope, 0));
        return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          pqxx::nontransaction tx(c);
          pqxx::result r = tx.exec_prepared("access_list_bindings", req->subject(), site,
                                            req->include_revoked(), page.after, page.size + 1);
          for (int i = 0; i < static_cast<int>(r.size()) && i < page.size; ++i) {
            BindingFromRow(r[i], resp->add_role_bindings());
          }
          if (static_cast<int>(r.size()) > page.size) {
            resp->set_next_page_token(
                input::EncodePageToken(scope, {r[page.size - 1]["id"].as<int64_t>()}));
          }
          return absl::OkStatus();
        });
      });
}

grpc::Status AccessService::CreateDeviceToken(grpc::ServerContext* context,
                                              const v1::CreateDeviceTokenRequest* req,
                                              v1::DeviceToken* resp) {
  return ctx_.gate->Handle(
      context, "accueil.access.v1.AccessService.CreateDeviceToken",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        ASSIGN_OR_RETURN(std::string name,
                         input::ParseFreeText(req->display_name(), "display_name", 200));
        if (name.empty()) {
          return InvalidField("INVALID_TEXT", "display_name", "name the device");
        }
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        RETURN_IF_ERROR(SiteExists(call, site));
        // Only the keyed hash is kept, so a retry cannot answer the same token:
        // it makes another one (revoke the unused one).
        return RunChange(
            call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
            [&](pqxx::transaction_base& tx) -> absl::Status {
              int64_t id =
                  tx.exec_prepared1("access_insert_device", site, name, call.caller().subject,
                                    db::SqlTime(ctx_.clock->Now()))["id"]
                      .as<int64_t>();
              Directory::DeviceSecret secret = directory_->NewDeviceToken(id);
              tx.exec_prepared("access_set_device_hash", id, secret.secret_hash, secret.key_id);
              pqxx::row row = tx.exec_prepared1("access_get_device", id);
              DeviceFromRow(row, resp);
              resp->set_token(secret.token);
              call.SetResource(resp->name(), site);
              return absl::OkStatus();
            });
      });
}

grpc::Status AccessService::RevokeDeviceToken(grpc::ServerContext* context,
                                              const v1::RevokeDeviceTokenRequest* req,
                                              v1::DeviceToken* resp) {
  return ctx_.gate->Handle(
      context, "accueil.access.v1.AccessService.RevokeDeviceToken",
      [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req->name(), "devices", "name"));
        return RunChange(call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
                         [&](pqxx::transaction_base& tx) -> absl::Status {
                           pqxx::result r = tx.exec_prepared("access_get_device", id);
                           if (r.empty()) {
                             return WithField(Error(absl::StatusCode::kNotFound, "DEVICE_NOT_FOUND",
                                                    "no such device"),
                                              "name");
                           }
                           RETURN_IF_ERROR(call.AuthorizeSite(r[0]["site_id"].as<int64_t>()));
                           pqxx::row row = tx.exec_prepared1("access_revoke_device", id,
                                                             db::SqlTime(ctx_.clock->Now()));
                           DeviceFromRow(row, resp);
                           call.SetResource(resp->name(), row["site_id"].as<int64_t>());
                           return absl::OkStatus();
                         });
      });
}

grpc::Status AccessService::ListDeviceTokens(grpc::ServerContext* context,
                                             const v1::ListDeviceTokensRequest* req,
                                             v1::ListDeviceTokensResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.access.v1.AccessService.ListDeviceTokens", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req->site(), "sites", "site"));
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        std::string scope = absl::StrCat("devices:", site);
        ASSIGN_OR_RETURN(Page page, ParsePage(req->page_size(), req->page_token(), scope, 0));
        return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          pqxx::nontransaction tx(c);
          pqxx::result r = tx.exec_prepared("access_list_devices", site, page.after, page.size + 1);
          for (int i = 0; i < static_cast<int>(r.size()) && i < page.size; ++i) {
            DeviceFromRow(r[i], resp->add_device_tokens());
          }
          if (static_cast<int>(r.size()) > page.size) {
            resp->set_next_page_token(
                input::EncodePageToken(scope, {r[page.size - 1]["id"].as<int64_t>()}));
          }
          return absl::OkStatus();
        });
      });
}

grpc::Status AccessService::ListAuditEvents(grpc::ServerContext* context,
                                            const v1::ListAuditEventsRequest* req,
                                            v1::ListAuditEventsResponse* resp) {
  return ctx_.gate->Handle(
      context, "accueil.access.v1.AccessService.ListAuditEvents", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t site, ParseSite(req->site(), "site"));
        if (req->resource().size() > 100) {
          return InvalidField("INVALID_RESOURCE_NAME", "resource", "at most 100 characters");
        }
        RETURN_IF_ERROR(call.AuthorizeSite(site));
        for (const auto& [ts, field] :
             {std::pair{&req->start_time(), "start_time"}, {&req->end_time(), "end_time"}}) {
          if (!IsValidTimestamp(*ts))
            return InvalidField("INVALID_TIME", field, "not a valid timestamp");
        }
        if (req->subject().size() > 200) {
          return InvalidField("INVALID_SUBJECT", "subject", "at most 200 characters");
        }
        absl::Time start = req->has_start_time() ? FromProto(req->start_time()) : absl::UnixEpoch();
        absl::Time end =
            req->has_end_time() ? FromProto(req->end_time()) : ctx_.clock->Now() + absl::Hours(24);
        if (end <= start) {
          return InvalidField("INVALID_TIME_RANGE", "end_time",
                              "end_time must be after start_time");
        }
        // The window as the client asked for it: an unset end means "a day from
        // now" on every page, an instant that moves between pages.
        std::string scope =
            absl::StrCat("audit:", req->subject(), ":", site, ":", req->resource(), ":",
                         absl::ToUnixMicros(start), ":",
                         req->has_end_time() ? absl::StrCat(absl::ToUnixMicros(end)) : "default");
        ASSIGN_OR_RETURN(Page page, ParsePage(req->page_size(), req->page_token(), scope,
                                              std::numeric_limits<int64_t>::max()));
        return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
          pqxx::nontransaction tx(c);
          pqxx::result r =
              tx.exec_prepared("access_list_audit", req->subject(), site, req->resource(),
                               db::SqlTime(start), db::SqlTime(end), page.after, page.size + 1);
          for (int i = 0; i < static_cast<int>(r.size()) && i < page.size; ++i) {
            AuditEventFromRow(r[i], resp->add_audit_events());
          }
          if (static_cast<int>(r.size()) > page.size) {
            resp->set_next_page_token(
                input::EncodePageToken(scope, {r[page.size - 1]["id"].as<int64_t>()}));
          }
          return absl::OkStatus();
        });
      });
}

grpc::ServerWriteReactor<v1::AuditEvent>* AccessService::WatchAuditEvents(
    grpc::CallbackServerContext* context, const v1::WatchAuditEventsRequest* request) {
  return OpenStream(new AuditTail(ctx_.gate, context, feed_, *request));
}

}  // namespace accueil::access
