// NotifyService: agents' notices (SendNotice) and lost-access requests
// (ResendAccess). docs/notify.md#notices, #lost-access.
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/idempotency.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/person_key.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/notify/notify_service.h"

namespace accueil::notify {
namespace {

// Requests for one contact (or reference) a day; beyond, they are accepted
// and dropped, the same answer.
constexpr int kAccessRequestsPerKey = 3;

std::string ChannelName(v1::Channel c) { return c == v1::SMS ? "sms" : "email"; }

}  // namespace

void NotifyService::PrepareNotices() {
  ctx_.pool->Prepare(
      "notify_add_notice",
      absl::StrCat("INSERT INTO notify.messages (appointment_id, site_id, desk_id, template, "
                   "channel, start_time, end_time, decided_by, create_time, due_time, "
                   "update_time) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, "
                   "$8, $9::timestamptz, $9::timestamptz, $9::timestamptz) "
                   // A retry of the same request: the message it made.
                   "ON CONFLICT (decided_by, template, channel) DO UPDATE "
                   "SET decided_by = EXCLUDED.decided_by RETURNING ",
                   kMessageColumns));
  ctx_.pool->Prepare("notify_add_access_request",
                     "INSERT INTO notify.access_requests (kind, value, value_key, create_time) "
                     "SELECT $1, $2, decode($3, 'hex'), $4::timestamptz WHERE (SELECT count(*) "
                     "FROM notify.access_requests WHERE value_key = decode($3, 'hex') AND "
                     "create_time > $4::timestamptz - interval '1 day') < $5");
}

grpc::Status NotifyService::SendNotice(grpc::ServerContext* context,
                                       const v1::SendNoticeRequest* req,
                                       v1::SendNoticeResponse* resp) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.SendNotice",
                           [&](Call& call) { return DoSendNotice(call, *req, resp); });
}

grpc::Status NotifyService::ResendAccess(grpc::ServerContext* context,
                                         const v1::ResendAccessRequest* req,
                                         v1::ResendAccessResponse*) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.ResendAccess",
                           [&](Call& call) { return DoResendAccess(call, *req); });
}

absl::Status NotifyService::DoSendNotice(Call& call, const v1::SendNoticeRequest& req,
                                         v1::SendNoticeResponse* resp) {
  ASSIGN_OR_RETURN(int64_t id,
                   input::ParseResourceId(req.appointment(), "appointments", "appointment"));
  if (req.notice() != v1::CONVOCATION && req.notice() != v1::DOCUMENTS_MISSING &&
      req.notice() != v1::PERMIT_READY) {
    return InvalidField("INVALID_NOTICE", "notice",
                        "CONVOCATION, DOCUMENTS_MISSING or PERMIT_READY");
  }
  std::set<v1::Channel> asked;
  for (int i = 0; i < req.channels_size(); ++i) {
    const v1::Channel c = req.channels(i);
    if ((c != v1::EMAIL && c != v1::SMS) || !asked.insert(c).second) {
      return InvalidField("INVALID_CHANNEL", absl::StrCat("channels[", i, "]"),
                          "EMAIL or SMS, each once");
    }
  }
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("SendNotice", req));
  ASSIGN_OR_RETURN(auto found, booking_->Contacts(call, {id}));
  auto it = found.find(id);
  if (it == found.end()) {
    return WithField(
        Error(absl::StatusCode::kNotFound, "APPOINTMENT_NOT_FOUND", "no such appointment"),
        "appointment");
  }
  const bv1::Appointment& a = it->second;
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(a.site(), "sites", "site"));
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(a.desk(), "desks", "desk"));
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  // A convocation, or documents to bring, make sense only before the visit;
  // a permit is collected after it.
  if (req.notice() != v1::PERMIT_READY &&
      (a.status() != bv1::BOOKED || FromProto(a.start_time()) <= ctx_.clock->Now())) {
    return WithField(Error(absl::StatusCode::kFailedPrecondition, "NOT_BOOKED",
                           "this notice is about an appointment still to come"),
                     "notice");
  }
  std::vector<v1::Channel> channels;
  for (v1::Channel c : asked.empty() ? std::set<v1::Channel>{v1::EMAIL, v1::SMS} : asked) {
    const bool provider = c == v1::SMS ? options_.sms : options_.email;
    const bool contact = !(c == v1::SMS ? a.person().phone() : a.person().email()).empty();
    if (asked.empty() && (!provider || !contact)) continue;  // the channels that can go
    if (!provider) {
      return WithField(Error(absl::StatusCode::kFailedPrecondition, "NO_PROVIDER",
                             absl::StrCat("no ", ChannelName(c), " provider is configured")),
                       "channels");
    }
    if (!contact) {
      return WithField(Error(absl::StatusCode::kFailedPrecondition, "NO_CONTACT",
                             absl::StrCat("the person gave no ", c == v1::SMS ? "phone" : "e-mail",
                                          " for this appointment")),
                       "channels");
    }
    channels.push_back(c);
  }
  if (channels.empty()) {
    return WithField(Error(absl::StatusCode::kFailedPrecondition, "NO_CONTACT",
                           "the person has no contact notify can send to"),
                     "appointment");
  }
  const absl::Time now = ctx_.clock->Now();
  RETURN_IF_ERROR(RunChange(
      call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
      [&](pqxx::transaction_base& tx) -> absl::Status {
        call.SetResource(req.appointment(), site);
        resp->Clear();
        for (v1::Channel c : channels) {
          const pqxx::row r = tx.exec_prepared1(
              "notify_add_notice", id, site, desk, TemplateName(req.notice()), ChannelName(c),
              db::SqlTime(FromProto(a.start_time())), db::SqlTime(FromProto(a.end_time())),
              absl::StrCat("notice:", idem.request_id), db::SqlTime(now));
          // The same id used before for another appointment: refused (the
          // transaction, and what it wrote, rolls back).
          if (r["appointment_id"].as<int64_t>() != id) {
            return InvalidField("REQUEST_ID_REUSED", "request_id",
                                "this request_id was used for another notice");
          }
          FillMessage(r, resp->add_messages());
        }
        return absl::OkStatus();
      }));
  options_.wake();
  return absl::OkStatus();
}

absl::Status NotifyService::DoResendAccess(Call& call, const v1::ResendAccessRequest& req) {
  const int given = !req.reference().empty() + !req.phone().empty() + !req.email().empty();
  if (given != 1) {
    return InvalidField("ONE_KEY_REQUIRED", "reference", "give one of reference, phone, email");
  }
  std::string kind, value;
  if (!req.reference().empty()) {
    kind = "reference";
    ASSIGN_OR_RETURN(value, input::ParseReference(req.reference(), "reference"));
  } else if (!req.phone().empty()) {
    kind = "phone";
    ASSIGN_OR_RETURN(value, input::ParseMobilePhone(req.phone(), "phone"));
  } else {
    kind = "email";
    ASSIGN_OR_RETURN(value, input::ParseEmail(req.email(), "email"));
  }
  // Queued whatever it finds, nothing looked up now: the answer and its
  // time are the same for a contact on file and for one unknown. Beyond the
  // cap the request is not kept (the same answer again).
  const std::string key = PersonKey(*ctx_.secrets, absl::StrCat(kind, ":", value));
  const std::string key_hex = absl::BytesToHexString(key);
  RETURN_IF_ERROR(RunChange(
      call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
      [&](pqxx::transaction_base& tx) -> absl::Status {
        call.SetResource("access_requests", 0);
        // Requests for one key counted one at a time (parallel calls would
        // otherwise all see room under the cap).
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('notify.access:' || $1))", key_hex);
        tx.exec_prepared("notify_add_access_request", kind, value, key_hex,
                         db::SqlTime(ctx_.clock->Now()), kAccessRequestsPerKey);
        return absl::OkStatus();
      }));
  options_.wake();
  return absl::OkStatus();
}

}  // namespace accueil::notify
