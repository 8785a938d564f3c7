// The day's work for reception: the sweep of no-shows (its worker) and the
// list of a site's appointments of one day (the lodge).
#include "absl/strings/str_cat.h"
#include "services/booking/booking_service.h"
#include "services/booking/proto_convert.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/idempotency.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/status_macros.h"

namespace accueil::booking {

absl::Status BookingService::DoSweepNoShows(Call& call, const v1::SweepNoShowsRequest& req,
                                            v1::SweepNoShowsResponse* resp) {
  ASSIGN_OR_RETURN(Idempotency idem, ForRequest("SweepNoShows", req));
  ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  ASSIGN_OR_RETURN(absl::CivilDay day, DayFromProto(req.date(), "date"));
  ASSIGN_OR_RETURN(
      absl::Duration grace,
      GracePeriodFromProto(req.has_grace_period() ? &req.grace_period() : nullptr, "grace_period"));
  v1::Desk current;
  RETURN_IF_ERROR(AuthorizeDesk(call, desk, &current).status());
  absl::Time now = ctx_.clock->Now();
  return RunChange(
      call, *ctx_.pool, ctx_.commit_signal, Statements::kOne,
      [&](pqxx::transaction_base& tx) -> absl::Status {
        resp->Clear();
        for (const auto& row :
             tx.exec_prepared("booking_sweep_noshows", idem.request_id, idem.hash_hex,
                              db::SqlTime(now), desk, absl::FormatCivilTime(day),
                              absl::ToInt64Seconds(grace), std::string(call.ActorKind()))) {
          resp->add_appointments(absl::StrCat("appointments/", row["id"].as<int64_t>()));
        }
        resp->set_marked_count(resp->appointments_size());
        return absl::OkStatus();
      });
}

absl::Status BookingService::DoListDayAppointments(Call& call,
                                                   const v1::ListDayAppointmentsRequest& req,
                                                   v1::ListDayAppointmentsResponse* resp) {
  ASSIGN_OR_RETURN(int64_t site, input::ParseResourceId(req.site(), "sites", "site"));
  ASSIGN_OR_RETURN(absl::CivilDay day, DayFromProto(req.date(), "date"));
  int64_t desk = 0;
  if (!req.desk().empty()) {
    ASSIGN_OR_RETURN(desk, input::ParseResourceId(req.desk(), "desks", "desk"));
  }
  std::string name, reference;
  if (!req.query().empty()) {
    ASSIGN_OR_RETURN(name, input::ParseName(req.query(), "query"));
    reference = input::ParseReference(req.query(), "query").value_or("");
  }
  ASSIGN_OR_RETURN(int size, input::ParsePageSize(req.page_size(), 50, 500, "page_size"));
  std::string scope =
      absl::StrCat("day:", site, ":", absl::FormatCivilTime(day), ":", desk, ":", name);
  int64_t after_micros = -1, after_id = 0;
  if (!req.page_token().empty()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> keys,
                     input::DecodePageToken(req.page_token(), scope, 2, "page_token"));
    after_micros = keys[0];
    after_id = keys[1];
  }
  // A listing: the gate writes its one audit record (the agent, or the
  // agent a service acts for), naming the site.
  RETURN_IF_ERROR(call.AuthorizeSite(site));
  call.SetResource(absl::StrCat("sites/", site), site);
  RETURN_IF_ERROR(SiteExists(site));
  if (desk != 0) {
    v1::Desk found;
    absl::Status s = GetDesk(desk, &found);
    if (s.code() == absl::StatusCode::kNotFound) return WithField(s, "desk");
    RETURN_IF_ERROR(s);
    if (found.site() != absl::StrCat("sites/", site)) {
      return InvalidField("DESK_OTHER_SITE", "desk", "the desk belongs to another site");
    }
  }
  absl::Time now = ctx_.clock->Now();
  absl::Time since = now - absl::Hours(24) * options_.noshow_window_days;
  return ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    resp->Clear();
    pqxx::result r = tx.exec_prepared("booking_list_day", site, absl::FormatCivilTime(day), desk,
                                      name, reference, db::SqlTime(since), db::SqlTime(now),
                                      after_micros, after_id, size + 1);
    // Without access codes or check-in tokens, as in SearchAppointments.
    for (int i = 0; i < static_cast<int>(r.size()) && i < size; ++i) {
      v1::DayAppointment* item = resp->add_appointments();
      AppointmentFromRow(r[i], item->mutable_appointment());
      item->set_noshow_count(r[i]["noshow_count"].as<int>());
    }
    if (static_cast<int>(r.size()) > size) {
      const auto& last = r[size - 1];
      resp->set_next_page_token(input::EncodePageToken(
          scope, {last["start_micros"].as<int64_t>(), last["id"].as<int64_t>()}));
    }
    return absl::OkStatus();
  });
}

}  // namespace accueil::booking
