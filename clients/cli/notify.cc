// Commands of accueil.notify.v1.NotifyService (docs/notify.md): what was
// sent about an appointment, for the agents of its site.
#include <iostream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "accueil/notify/v1/notify.grpc.pb.h"
#include "clients/cli/commands.h"
#include "clients/cli/output.h"
#include "clients/cli/session.h"

namespace accueil::cli {
namespace {

namespace nv1 = ::accueil::notify::v1;

std::string Lower(const std::string& enum_name) { return absl::AsciiStrToLower(enum_name); }

}  // namespace

int RunNotifyList(const GlobalOptions& global, const NameOptions& options) {
  nv1::ListMessagesRequest request;
  request.set_appointment(ResourceName("appointments", options.name));
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  nv1::ListMessagesResponse response;
  grpc::Status status = session.notify().ListMessages(&context, request, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  // Messages name no site: times in --tz or the default zone, named.
  const Zone zone = session.DisplayZone("");
  Table table({"MESSAGE", "TEMPLATE", "CHANNEL", "STATE", "REASON", "DUE (" + zone.name + ")",
               "LANGUAGE", "ATTEMPTS"});
  for (const nv1::Message& m : response.messages()) {
    std::string attempts;
    for (const nv1::Attempt& a : m.attempts()) {
      absl::StrAppend(&attempts, attempts.empty() ? "" : ", ", a.outcome(), " ",
                      FormatTime(a.finish_time(), zone));
    }
    table.AddRow({m.name(), Lower(nv1::Template_Name(m.template_())),
                  Lower(nv1::Channel_Name(m.channel())), Lower(nv1::MessageState_Name(m.state())),
                  m.reason(), FormatTime(m.due_time(), zone), m.language(), attempts});
  }
  table.Print(std::cout);
  for (const nv1::ContactStatus& c : response.contacts()) {
    if (!c.opted_out() && !c.has_bounce_time()) continue;
    std::cout << Lower(nv1::Channel_Name(c.channel())) << ":" << (c.opted_out() ? " opted out" : "")
              << (c.has_bounce_time()
                      ? absl::StrCat(" bouncing since ", FormatTime(c.bounce_time(), zone), " (",
                                     c.bounce_reason(), ")")
                      : "")
              << "\n";
  }
  return kExitOk;
}

int RunSendNotice(const GlobalOptions& global, const NoticeOptions& options) {
  nv1::SendNoticeRequest request;
  request.set_appointment(ResourceName("appointments", options.appointment));
  nv1::Template notice = nv1::TEMPLATE_UNSPECIFIED;
  nv1::Template_Parse(absl::AsciiStrToUpper(absl::StrReplaceAll(options.notice, {{"-", "_"}})),
                      &notice);
  request.set_notice(notice);
  for (const std::string& c : options.channels) {
    request.add_channels(c == "sms" ? nv1::SMS : nv1::EMAIL);
  }
  request.set_request_id(options.request_id);
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  nv1::SendNoticeResponse response;
  grpc::Status status = session.notify().SendNotice(&context, request, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  for (const nv1::Message& m : response.messages()) {
    std::cout << m.name() << " " << Lower(nv1::Channel_Name(m.channel())) << " "
              << Lower(nv1::MessageState_Name(m.state())) << "\n";
  }
  return kExitOk;
}

int RunResendAccess(const GlobalOptions& global, const ResendAccessOptions& options) {
  nv1::ResendAccessRequest request;
  request.set_reference(options.reference);
  request.set_phone(options.phone);
  request.set_email(options.email);
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  nv1::ResendAccessResponse response;
  grpc::Status status = session.notify().ResendAccess(&context, request, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  std::cout << "If an appointment to come matches, its details were sent to the contact it was "
               "booked with.\n";
  return kExitOk;
}

int RunSurvey(const GlobalOptions& global, const SurveyOptions& options) {
  nv1::SubmitSurveyResponseRequest request;
  const size_t dash = options.link.find('-');
  request.set_message(absl::StrCat("messages/", options.link.substr(0, dash)));
  if (dash != std::string::npos) request.set_token(options.link.substr(dash + 1));
  request.set_delay(options.delay);
  request.set_courtesy(options.courtesy);
  request.set_availability(options.availability);
  request.set_clarity(options.clarity);
  request.set_comfort(options.comfort);
  request.set_overall(options.overall);
  request.set_comment(options.comment);
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  nv1::SubmitSurveyResponseResponse response;
  grpc::Status status = session.notify().SubmitSurveyResponse(&context, request, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  std::cout << "Thank you: your answers were recorded.\n";
  return kExitOk;
}

}  // namespace accueil::cli
