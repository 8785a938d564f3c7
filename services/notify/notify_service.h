// NotifyService (proto/accueil/notify/v1/notify.proto; docs/notify.md):
// what agents see of the messages. Thread-safe: no mutable state.
#pragma once

#include <functional>
#include <string>

#include "accueil/notify/v1/notify.grpc.pb.h"
#include "services/common/gate.h"
#include "services/common/server.h"
#include "services/notify/booking_client.h"
#include "services/notify/contacts.h"
#include "services/notify/templates.h"

namespace accueil::notify {

namespace v1 = ::accueil::notify::v1;

// What the module can send with, and how to wake its senders (a notice or
// a lost-access request is queued by the service itself).
struct ServiceOptions {
  bool email = false, sms = false;
  std::function<void()> wake = [] {};
  const Contacts* contacts = nullptr;
  // What links and calendar files start with (notify_public_base_url), and
  // the domain of calendar events' UIDs (notify_mail_from's).
  std::string public_base_url, domain;
  // The message templates (the notices' built-in texts, listed beside a
  // desk's own).
  const Templates* templates = nullptr;
};

// Names of the templates as stored ("reminder") and in the API.
v1::Template TemplateOf(const std::string& name);
std::string TemplateName(v1::Template t);

// A message as the API shows it, from a row of kMessageColumns.
inline constexpr const char* kMessageColumns =
    "id, appointment_id, site_id, template, channel, state, coalesce(reason, '') AS reason, "
    "coalesce(language, '') AS language, "
    "(extract(epoch FROM due_time) * 1000000)::bigint AS due, "
    "(extract(epoch FROM create_time) * 1000000)::bigint AS created, "
    "(extract(epoch FROM update_time) * 1000000)::bigint AS updated";
void FillMessage(const pqxx::row& row, v1::Message* out);

// MessageFromLink: the id of "messages/{id}" (field `message`) when `token`
// is its token for `purpose` (tokens.h), else PERMISSION_DENIED WRONG_TOKEN
// on `token`. What every link a person follows is checked with.
absl::StatusOr<int64_t> MessageFromLink(const Secrets& secrets, absl::string_view purpose,
                                        const std::string& message, const std::string& token);

// ContactKeysOf: the contacts (contacts.h keys) an appointment's person gave.
std::vector<Contacts::Key> ContactKeysOf(const bv1::Person& person);

class NotifyService final : public v1::NotifyService::Service {
 public:
  NotifyService(const ServiceContext& context, BookingClient* booking, ServiceOptions options);

  grpc::Status ListMessages(grpc::ServerContext*, const v1::ListMessagesRequest*,
                            v1::ListMessagesResponse*) override;
  grpc::Status GetDeskNotifySettings(grpc::ServerContext*, const v1::GetDeskNotifySettingsRequest*,
                                     v1::DeskNotifySettings*) override;
  grpc::Status UpdateDeskNotifySettings(grpc::ServerContext*,
                                        const v1::UpdateDeskNotifySettingsRequest*,
                                        v1::DeskNotifySettings*) override;
  grpc::Status ListNoticeTemplates(grpc::ServerContext*, const v1::ListNoticeTemplatesRequest*,
                                   v1::ListNoticeTemplatesResponse*) override;
  grpc::Status UpdateNoticeTemplate(grpc::ServerContext*, const v1::UpdateNoticeTemplateRequest*,
                                    v1::NoticeTemplate*) override;
  grpc::Status SendNotice(grpc::ServerContext*, const v1::SendNoticeRequest*,
                          v1::SendNoticeResponse*) override;
  grpc::Status ResendAccess(grpc::ServerContext*, const v1::ResendAccessRequest*,
                            v1::ResendAccessResponse*) override;
  grpc::Status GetAttendance(grpc::ServerContext*, const v1::AttendanceRequest*,
                             v1::Attendance*) override;
  grpc::Status ConfirmAttendance(grpc::ServerContext*, const v1::AttendanceRequest*,
                                 v1::Attendance*) override;
  grpc::Status GetSurvey(grpc::ServerContext*, const v1::GetSurveyRequest*, v1::Survey*) override;
  grpc::Status SubmitSurveyResponse(grpc::ServerContext*, const v1::SubmitSurveyResponseRequest*,
                                    v1::SubmitSurveyResponseResponse*) override;
  grpc::Status GetContactPreferences(grpc::ServerContext*, const v1::GetContactPreferencesRequest*,
                                     v1::ContactPreferences*) override;
  grpc::Status UpdateContactPreferences(grpc::ServerContext*,
                                        const v1::UpdateContactPreferencesRequest*,
                                        v1::ContactPreferences*) override;
  grpc::Status GetCalendar(grpc::ServerContext*, const v1::GetCalendarRequest*,
                           v1::CalendarFile*) override;

 private:
  absl::Status DoListMessages(Call& call, const v1::ListMessagesRequest&,
                              v1::ListMessagesResponse*);
  absl::Status DoGetSettings(Call& call, const v1::GetDeskNotifySettingsRequest&,
                             v1::DeskNotifySettings*);
  absl::Status DoUpdateSettings(Call& call, const v1::UpdateDeskNotifySettingsRequest&,
                                v1::DeskNotifySettings*);
  // A desk's own notice texts (notice_templates.cc).
  void PrepareNoticeTemplates();
  absl::Status DoListNoticeTemplates(Call& call, const v1::ListNoticeTemplatesRequest&,
                                     v1::ListNoticeTemplatesResponse*);
  absl::Status DoUpdateNoticeTemplate(Call& call, const v1::UpdateNoticeTemplateRequest&,
                                      v1::NoticeTemplate*);
  // Notices and lost access (notices.cc).
  void PrepareNotices();
  absl::Status DoSendNotice(Call& call, const v1::SendNoticeRequest&, v1::SendNoticeResponse*);
  absl::Status DoResendAccess(Call& call, const v1::ResendAccessRequest&);
  // Opt-out (preferences.cc).
  absl::Status DoPreferences(Call& call, const std::string& message, const std::string& token,
                             const std::string& appointment,
                             const v1::UpdateContactPreferencesRequest* update,
                             v1::ContactPreferences* out);
  // Attendance (attendance.cc): read, or confirm.
  absl::Status DoAttendance(Call& call, const v1::AttendanceRequest& req, bool confirm,
                            v1::Attendance* out);
  // The survey (survey.cc): the survey message a link names.
  struct SurveyRow {
    int64_t id = 0, site = 0, desk = 0;
    absl::Time start, expire;
    bool answered = false;
  };
  absl::StatusOr<SurveyRow> FindSurvey(const std::string& message, const std::string& token);
  absl::Status DoSubmitSurvey(Call& call, const v1::SubmitSurveyResponseRequest& req);
  // ContactStatuses: the flags of the appointment's contacts, for agents.
  absl::Status ContactStatuses(Call& call, int64_t appointment, v1::ListMessagesResponse* out);
  const ServiceContext ctx_;
  BookingClient* booking_;
  const ServiceOptions options_;
};

}  // namespace accueil::notify
