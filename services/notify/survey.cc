// NotifyService: the satisfaction survey (GetSurvey, SubmitSurveyResponse).
// docs/notify.md#survey. The link in the survey e-mail carries the message
// and its token (tokens.h, kSurveyPurpose); the answers are stored without
// the message, so nothing links them back to the person.
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/common/change.h"
#include "services/common/errors.h"
#include "services/common/input/input.h"
#include "services/common/input/resource.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/notify/notify_service.h"
#include "services/notify/tokens.h"

namespace accueil::notify {
namespace {

// Answers are taken for this long after the survey was sent.
constexpr absl::Duration kSurveyOpen = absl::Hours(24 * 30);
constexpr int kCommentChars = 1000;

}  // namespace

absl::StatusOr<NotifyService::SurveyRow> NotifyService::FindSurvey(const std::string& message,
                                                                   const std::string& token) {
  ASSIGN_OR_RETURN(int64_t id, MessageFromLink(*ctx_.secrets, kSurveyPurpose, message, token));
  SurveyRow row;
  row.id = id;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_params(
        absl::StrCat("SELECT site_id, desk_id, ", db::Micros("start_time"), " AS start, ",
                     db::Micros("due_time"),
                     " AS due, answer_time IS NOT NULL AS answered FROM notify.messages "
                     "WHERE id = $1 AND template = 'survey'"),
        id);
    if (r.empty()) return absl::OkStatus();
    row.site = r[0]["site_id"].as<int64_t>();
    row.desk = r[0]["desk_id"].as<int64_t>();
    row.start = absl::FromUnixMicros(r[0]["start"].as<int64_t>());
    row.expire = absl::FromUnixMicros(r[0]["due"].as<int64_t>()) + kSurveyOpen;
    row.answered = r[0]["answered"].as<bool>();
    return absl::OkStatus();
  }));
  if (row.site == 0) {
    return WithField(
        Error(absl::StatusCode::kNotFound, "SURVEY_NOT_FOUND", "this survey is no longer kept"),
        "message");
  }
  return row;
}

grpc::Status NotifyService::GetSurvey(grpc::ServerContext* context, const v1::GetSurveyRequest* req,
                                      v1::Survey* resp) {
  return ctx_.gate->Handle(
      context, "accueil.notify.v1.NotifyService.GetSurvey", [&](Call& call) -> absl::Status {
        ASSIGN_OR_RETURN(SurveyRow row, FindSurvey(req->message(), req->token()));
        call.SetResource("surveys", row.site);
        ASSIGN_OR_RETURN(bv1::Site site, booking_->Site(call, row.site));
        ASSIGN_OR_RETURN(bv1::Desk desk, booking_->Desk(call, row.site, row.desk));
        resp->set_site_display_name(site.display_name());
        resp->set_desk_display_name(desk.display_name());
        resp->set_answered(row.answered);
        *resp->mutable_expire_time() = ToProto(row.expire);
        resp->set_time_zone(site.time_zone());
        return absl::OkStatus();
      });
}

grpc::Status NotifyService::SubmitSurveyResponse(grpc::ServerContext* context,
                                                 const v1::SubmitSurveyResponseRequest* req,
                                                 v1::SubmitSurveyResponseResponse*) {
  return ctx_.gate->Handle(context, "accueil.notify.v1.NotifyService.SubmitSurveyResponse",
                           [&](Call& call) { return DoSubmitSurvey(call, *req); });
}

absl::Status NotifyService::DoSubmitSurvey(Call& call, const v1::SubmitSurveyResponseRequest& req) {
  const std::pair<const char*, int> scores[] = {{"delay", req.delay()},
                                                {"courtesy", req.courtesy()},
                                                {"availability", req.availability()},
                                                {"clarity", req.clarity()},
                                                {"comfort", req.comfort()},
                                                {"overall", req.overall()}};
  int answered = 0;
  for (const auto& [field, score] : scores) {
    if (score < 0 || score > 4) {
      return InvalidField("INVALID_SCORE", field,
                          "1 (very dissatisfied) to 4 (very satisfied), "
                          "0 when not answered");
    }
    answered += score > 0;
  }
  if (answered == 0) return InvalidField("NO_ANSWER", "overall", "answer at least one question");
  // One paragraph: line breaks become spaces.
  ASSIGN_OR_RETURN(
      std::string comment,
      input::ParseFreeText(
          absl::StrReplaceAll(req.comment(), {{"\r\n", " "}, {"\n", " "}, {"\r", " "}}), "comment",
          kCommentChars));
  ASSIGN_OR_RETURN(SurveyRow row, FindSurvey(req.message(), req.token()));
  const absl::Time now = ctx_.clock->Now();
  if (row.answered) {
    return WithField(Error(absl::StatusCode::kAlreadyExists, "SURVEY_ANSWERED",
                           "this survey was answered already: thank you"),
                     "message");
  }
  if (now > row.expire) {
    return WithField(
        Error(absl::StatusCode::kFailedPrecondition, "SURVEY_EXPIRED", "this survey is closed"),
        "message");
  }
  ASSIGN_OR_RETURN(bv1::Site site, booking_->Site(call, row.site));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(site.time_zone(), &zone)) zone = absl::UTCTimeZone();
  const absl::CivilDay day = absl::ToCivilDay(now, zone);  // the answer's day
  // The only time kept of the answer, anywhere: its local day (an instant
  // shared by the mark and the answers would link them back).
  const std::string day_start = db::SqlTime(absl::FromCivil(day, zone));
  auto score = [](int s) { return s == 0 ? std::nullopt : std::optional<int>(s); };
  // 1. Single use, also between two submissions racing: the survey marked
  //    answered, committed on its own.
  bool marked = false;
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    marked = tx.exec_params(
                   "UPDATE notify.messages SET answer_time = $2::timestamptz "
                   "WHERE id = $1 AND answer_time IS NULL",
                   row.id, day_start)
                 .affected_rows() > 0;
    return absl::OkStatus();
  }));
  if (!marked) {
    return WithField(Error(absl::StatusCode::kAlreadyExists, "SURVEY_ANSWERED",
                           "this survey was answered already: thank you"),
                     "message");
  }
  // 2. The answers and their event, in a transaction of their own (not the
  //    mark's: nothing, not even a transaction id, ties them to the message).
  absl::Status stored = RunChange(
      call, *ctx_.pool, ctx_.commit_signal, Statements::kSeveral,
      [&](pqxx::transaction_base& tx) -> absl::Status {
        call.SetResource("surveys", row.site);
        tx.exec_params(
            "INSERT INTO notify.survey_responses (site_id, desk_id, local_date, delay, courtesy, "
            "availability, clarity, comfort, overall, comment, create_time) VALUES ($1, $2, "
            "$3::date, $4, $5, $6, $7, $8, $9, NULLIF($10, ''), $11::timestamptz)",
            row.site, row.desk, absl::FormatCivilTime(day), score(req.delay()),
            score(req.courtesy()), score(req.availability()), score(req.clarity()),
            score(req.comfort()), score(req.overall()), comment, day_start);
        nlohmann::json payload = {{"desk", row.desk},
                                  {"site", row.site},
                                  {"delay", req.delay()},
                                  {"courtesy", req.courtesy()},
                                  {"availability", req.availability()},
                                  {"clarity", req.clarity()},
                                  {"comfort", req.comfort()},
                                  {"overall", req.overall()},
                                  {"time_zone", site.time_zone()}};
        // The subject names the site, not the survey; the time is the day's.
        tx.exec_params(
            "SELECT shared.append_event('notify', 'survey.answered', $1, $2, $3::timestamptz, "
            "$4::jsonb)",
            absl::StrCat("sites/", row.site), row.site, day_start, payload.dump());
        return absl::OkStatus();
      });
  if (!stored.ok()) {
    // Not stored: the survey is open again, so that the person can retry.
    (void)ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      tx.exec_params("UPDATE notify.messages SET answer_time = NULL WHERE id = $1", row.id);
      return absl::OkStatus();
    });
  }
  return stored;
}

}  // namespace accueil::notify
