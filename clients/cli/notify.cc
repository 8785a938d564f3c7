// Commands of accueil.notify.v1.NotifyService (docs/notify.md): what was
// sent about an appointment, for the agents of its site.
#include <iostream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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
  return kExitOk;
}

}  // namespace accueil::cli
