// Commands of accueil.reception.v1.ReceptionService (docs/reception.md): the
// lodge (today's list, check-in, walk-ins), the counters (open, call, serve,
// finish), the queue (once or live), and their administration (counters,
// desk settings). The day list comes from booking's ListDayAppointments.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "clients/cli/commands.h"
#include "clients/cli/credentials.h"
#include "clients/cli/errors.h"
#include "clients/cli/output.h"
#include "clients/cli/session.h"

namespace accueil::cli {
namespace {

namespace bv1 = ::accueil::booking::v1;
namespace rv1 = ::accueil::reception::v1;
using Stub = rv1::ReceptionService::Stub;

// Position says where a waiting person stands in their desk's queue.
std::string Position(int ahead) {
  if (ahead == 0) return "next in line";
  return absl::StrCat(ahead, ahead == 1 ? " person" : " people", " ahead");
}

// CallLine is what the waiting-room display shows: "A-042 -> Guichet 3".
std::string CallLine(const std::string& ticket, const std::string& counter) {
  return absl::StrCat(ticket, " -> ", counter);
}

void PrintVisit(const rv1::Visit& visit) {
  std::vector<Field> fields = {
      {"ticket", visit.ticket()},
      {"visit", visit.name()},
      {"desk", visit.desk()},
      {"status", ToWord(VisitStatusWords(), visit.status())},
  };
  if (visit.status() == rv1::WAITING) fields.emplace_back("position", Position(visit.position()));
  if (!visit.counter_display_name().empty()) {
    fields.emplace_back("counter", visit.counter_display_name());
  }
  if (visit.call_count() > 0) fields.emplace_back("calls", absl::StrCat(visit.call_count()));
  if (visit.outcome() != rv1::VISIT_OUTCOME_UNSPECIFIED) {
    fields.emplace_back("outcome", ToWord(VisitOutcomeWords(), visit.outcome()));
  }
  if (visit.priority()) fields.emplace_back("priority", "yes (accessibility need)");
  if (visit.late()) fields.emplace_back("late", "yes, admitted by an agent");
  PrintFields(std::cout, fields);
}

// PrintCall prints a call as the display shows it, then the visit; a recall
// past the desk's recall count ends the visit (missed) instead.
void PrintCall(const rv1::Visit& visit) {
  if (visit.status() == rv1::CALLED) {
    std::cout << CallLine(visit.ticket(), visit.counter_display_name()) << "\n\n";
  }
  PrintVisit(visit);
}

void PrintCounter(const rv1::Counter& counter, const Zone& zone) {
  std::vector<Field> fields = {
      {"counter", counter.name()},
      {"name", counter.display_name()},
      {"site", counter.site()},
      {"desks", absl::StrJoin(counter.desks(), ", ")},
  };
  if (counter.open()) {
    fields.emplace_back("open", absl::StrCat("since ", FormatTime(counter.open_time(), zone), " (",
                                             zone.name, ")"));
    fields.emplace_back("serving today", absl::StrJoin(counter.open_desks(), ", "));
  } else {
    fields.emplace_back("open", "no");
  }
  if (!counter.current_visit().empty()) {
    fields.emplace_back("current visit", counter.current_visit());
  }
  PrintFields(std::cout, fields);
}

void PrintDeskSettings(const rv1::DeskSettings& settings) {
  PrintFields(std::cout, {{"desk", settings.desk()},
                          {"site", settings.site()},
                          {"ticket prefix", settings.ticket_prefix()},
                          {"recalls", absl::StrCat(settings.recall_count())},
                          {"priority first", settings.priority_first() ? "on" : "off"},
                          {"closing time", settings.closing_time()}});
}

// EstimatedWait shows docs/reception.md#estimated-wait as an order of
// magnitude; "-" when no counter is open for the desk.
std::string EstimatedWait(const rv1::DeskQueue& desk) {
  if (!desk.has_estimated_wait()) return "-";
  const int64_t minutes = (desk.estimated_wait().seconds() + 59) / 60;
  return absl::StrCat("about ", minutes, " min");
}

void PrintQueueState(const rv1::QueueState& state, const Zone& zone) {
  std::cout << "queue of " << state.site() << " on " << FormatDate(state.local_date()) << "\n\n";
  if (!state.desks().empty()) {
    Table desks({"DESK", "WAITING", "ESTIMATED WAIT"});
    for (const rv1::DeskQueue& desk : state.desks()) {
      desks.AddRow({desk.desk(), absl::StrCat(desk.waiting()), EstimatedWait(desk)});
    }
    desks.Print(std::cout);
    std::cout << '\n';
  }
  if (state.visits().empty()) {
    std::cout << "Nobody waiting.\n";
    return;
  }
  Table visits({"TICKET", "DESK", "STATUS", "COUNTER", absl::StrCat("ARRIVED (", zone.name, ")")});
  for (const rv1::Visit& visit : state.visits()) {
    visits.AddRow({visit.ticket(), visit.desk(), ToWord(VisitStatusWords(), visit.status()),
                   visit.counter_display_name().empty() ? "-" : visit.counter_display_name(),
                   absl::FormatTime("%H:%M", ToTime(visit.arrival_time()), zone.tz)});
  }
  visits.Print(std::cout);
}

// ChangeLine is one line of `queue --watch` for a change: calls as the
// display shows them, other changes by what happened.
std::string ChangeLine(const rv1::QueueChange& change) {
  if (change.kind() == "visit.called") {
    return CallLine(change.ticket(), change.counter_display_name());
  }
  if (change.kind() == "visit.recalled") {
    return absl::StrCat(CallLine(change.ticket(), change.counter_display_name()), " (call ",
                        change.call_count(), ")");
  }
  std::string line = change.kind();
  if (!change.ticket().empty()) absl::StrAppend(&line, " ", change.ticket());
  if (!change.desk().empty()) absl::StrAppend(&line, " ", change.desk());
  if (change.status() != rv1::VISIT_STATUS_UNSPECIFIED) {
    absl::StrAppend(&line, " ", ToWord(VisitStatusWords(), change.status()));
  }
  if (!change.counter_display_name().empty()) {
    absl::StrAppend(&line, " (", change.counter_display_name(), ")");
  }
  return line;
}

// Call runs one call of ReceptionService that changes something: `request`
// gets the request id (--request-id, else a random one), then Mutate.
template <typename Request, typename Response, typename Print>
int Call(const GlobalOptions& global, Request request, const std::string& request_id,
         grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
         Print print) {
  absl::StatusOr<std::string> id = RequestIdOrNew(request_id);
  if (!id.ok()) return Report(LocalError(id.status().message()));
  request.set_request_id(*id);
  return Mutate(global, *id, &Session::reception, method, request, print);
}

// PrintCounterIn prints a counter with its times in its site's zone.
void PrintCounterIn(Session& session, const rv1::Counter& counter) {
  PrintCounter(counter, session.DisplayZone(counter.site()));
}

// VisitCall runs one of the calls that take a visit (recall, start, left)
// and prints the visit with `print`.
int VisitCall(const GlobalOptions& global, const NameOptions& options,
              grpc::Status (Stub::*method)(grpc::ClientContext*, const rv1::VisitRequest&,
                                           rv1::Visit*),
              void (*print)(const rv1::Visit&)) {
  rv1::VisitRequest request;
  request.set_visit(ResourceName("visits", options.name));
  return Call(global, request, options.request_id, method,
              [print](Session&, const rv1::Visit& visit) { print(visit); });
}

// CounterCall runs one of the calls that take a counter (close, next).
template <typename Response, typename Print>
int CounterCall(const GlobalOptions& global, const NameOptions& options,
                grpc::Status (Stub::*method)(grpc::ClientContext*, const rv1::CounterRequest&,
                                             Response*),
                Print print) {
  rv1::CounterRequest request;
  request.set_counter(ResourceName("counters", options.name));
  return Call(global, request, options.request_id, method, print);
}

}  // namespace

std::string ResourceName(absl::string_view collection, absl::string_view text) {
  if (text.empty() || text.find('/') != absl::string_view::npos) return std::string(text);
  return absl::StrCat(collection, "/", text);
}

int RunLodgeToday(const GlobalOptions& global, const LodgeTodayOptions& options) {
  const std::string site = ResourceName("sites", options.site);
  Session session(global);
  // "Today" is the site's day, whatever --tz shows times in.
  bv1::Site found;
  grpc::Status status = session.GetSite(site, &found);
  if (!status.ok()) return session.Fail(status);
  absl::StatusOr<Zone> site_zone = LoadZone(found.time_zone());
  if (!site_zone.ok()) return Report(LocalError(site_zone.status().message()));
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), site_zone->tz);

  bv1::ListDayAppointmentsRequest request;
  request.set_site(site);
  *request.mutable_date() = ToDate(today);
  request.set_desk(ResourceName("desks", options.desk));
  request.set_query(options.query);
  request.set_page_size(kPageSize);
  bv1::ListDayAppointmentsResponse all;
  status = CollectPages(
      request,
      [&](const bv1::ListDayAppointmentsRequest& r, bv1::ListDayAppointmentsResponse* page) {
        grpc::ClientContext context;
        session.Prepare(&context);
        return session.stub().ListDayAppointments(&context, r, page);
      },
      [](bv1::ListDayAppointmentsResponse& r) { return r.mutable_appointments(); }, &all);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(all);

  const Zone zone = global.time_zone.empty() ? *site_zone : session.DisplayZone(site);
  if (all.appointments().empty()) {
    std::cout << "No appointments at " << site << " on " << absl::FormatCivilTime(today)
              << (options.query.empty() ? "" : " matching the query") << ".\n";
    return kExitOk;
  }
  std::cout << site << ", " << absl::FormatCivilTime(today) << "\n\n";
  Table table({absl::StrCat("TIME (", zone.name, ")"), "REFERENCE", "NAME", "DESK", "ACCESSIBILITY",
               "COMPANIONS", "STATUS", "NO-SHOWS"});
  for (const bv1::DayAppointment& day : all.appointments()) {
    const bv1::Appointment& a = day.appointment();
    const bv1::AccessibilityNeed need = a.accessibility().need();
    table.AddRow({absl::StrCat(absl::FormatTime("%H:%M", ToTime(a.start_time()), zone.tz), "-",
                               absl::FormatTime("%H:%M", ToTime(a.end_time()), zone.tz)),
                  a.reference(),
                  absl::StrCat(a.person().given_name(), " ", a.person().family_name()), a.desk(),
                  need == bv1::ACCESSIBILITY_NEED_UNSPECIFIED || need == bv1::NONE
                      ? "-"
                      : ToWord(AccessibilityWords(), need),
                  absl::StrCat(a.companions()), ToWord(StatusWords(), a.status()),
                  absl::StrCat(day.noshow_count())});
  }
  table.Print(std::cout);
  return kExitOk;
}

int RunCheckIn(const GlobalOptions& global, const CheckInOptions& options) {
  if (options.reference.empty() == options.check_in_token.empty()) {
    return Report(UsageError(
        "give the person's REFERENCE or their --check-in-token (from the QR code), not both"));
  }
  // The reason for admitting a late person is the agent's, sent like every
  // agent reason (x-agent-reason-bin); this command's --reason wins over the
  // global one.
  GlobalOptions call_global = global;
  if (!options.reason.empty()) {
    absl::StatusOr<std::string> header = AgentReasonHeader(options.reason);
    if (!header.ok()) return Report(UsageError(header.status().message()));
    call_global.reason = *std::move(header);
  }
  if (options.late && call_global.reason.empty()) {
    return Report(UsageError("--late needs --reason: why the late arrival is admitted (audited)"));
  }
  rv1::CheckInVisitorRequest request;
  request.set_site(ResourceName("sites", options.site));
  request.set_reference(options.reference);
  request.set_check_in_token(options.check_in_token);
  request.set_late_accepted(options.late);
  return Call(call_global, request, options.request_id, &Stub::CheckInVisitor,
              [](Session&, const rv1::Visit& visit) { PrintVisit(visit); });
}

int RunWalkIn(const GlobalOptions& global, const WalkInOptions& options) {
  rv1::RegisterWalkInRequest request;
  request.set_site(ResourceName("sites", options.site));
  request.set_desk(ResourceName("desks", options.desk));
  request.set_reason(options.reason);
  request.set_outcome(FromWord(WalkInOutcomeWords(), options.outcome));
  return Call(global, request, options.request_id, &Stub::RegisterWalkIn,
              [](Session&, const rv1::WalkIn& walk_in) {
                std::vector<Field> fields = {
                    {"walk-in", walk_in.name()},
                    {"outcome", ToWord(WalkInOutcomeWords(), walk_in.outcome())},
                    {"desk", walk_in.desk().empty() ? "-" : walk_in.desk()},
                };
                if (walk_in.has_visit()) {
                  fields.emplace_back("ticket", walk_in.visit().ticket());
                  fields.emplace_back("visit", walk_in.visit().name());
                  fields.emplace_back("position", Position(walk_in.visit().position()));
                }
                PrintFields(std::cout, fields);
              });
}

int RunOpenCounter(const GlobalOptions& global, const OpenCounterOptions& options) {
  rv1::OpenCounterRequest request;
  request.set_counter(ResourceName("counters", options.counter));
  for (const std::string& desk : options.desks) request.add_desks(ResourceName("desks", desk));
  return Call(global, request, options.request_id, &Stub::OpenCounter, PrintCounterIn);
}

int RunCloseCounter(const GlobalOptions& global, const NameOptions& options) {
  return CounterCall(global, options, &Stub::CloseCounter, PrintCounterIn);
}

int RunCallNext(const GlobalOptions& global, const NameOptions& options) {
  return CounterCall(global, options, &Stub::CallNextVisitor,
                     [](Session&, const rv1::Visit& visit) { PrintCall(visit); });
}

int RunRecall(const GlobalOptions& global, const NameOptions& options) {
  return VisitCall(global, options, &Stub::RecallVisitor, &PrintCall);
}

int RunStartVisit(const GlobalOptions& global, const NameOptions& options) {
  return VisitCall(global, options, &Stub::StartVisit, &PrintVisit);
}

int RunVisitorLeft(const GlobalOptions& global, const NameOptions& options) {
  return VisitCall(global, options, &Stub::MarkVisitorLeft, &PrintVisit);
}

int RunFinishVisit(const GlobalOptions& global, const FinishVisitOptions& options) {
  rv1::FinishVisitRequest request;
  request.set_visit(ResourceName("visits", options.visit));
  request.set_outcome(FromWord(VisitOutcomeWords(), options.outcome));
  request.set_new_slot(ResourceName("slots", options.new_slot));
  return Call(global, request, options.request_id, &Stub::FinishVisit,
              [](Session& session, const rv1::FinishVisitResponse& response) {
                PrintVisit(response.visit());
                if (!response.has_new_appointment()) return;
                const bv1::Appointment& next = response.new_appointment();
                const Zone zone = session.DisplayZone(next.site(), next.desk());
                std::cout << '\n';
                PrintFields(
                    std::cout,
                    {{"new appointment", next.name()},
                     {"reference", next.reference()},
                     {"access code", next.access_code()},
                     {"time", absl::StrCat(FormatSpan(next.start_time(), next.end_time(), zone),
                                           " (", zone.name, ")")},
                     {"desk", next.desk()}});
                std::cout << "\nGive the person the new reference and access code.\n";
              });
}

int RunTransfer(const GlobalOptions& global, const TransferOptions& options) {
  rv1::TransferVisitorRequest request;
  request.set_visit(ResourceName("visits", options.visit));
  request.set_desk(ResourceName("desks", options.desk));
  return Call(global, request, options.request_id, &Stub::TransferVisitor,
              [](Session&, const rv1::Visit& visit) { PrintVisit(visit); });
}

namespace {

// WatchQueue is `queue --watch`: the state, then one line per change (JSON
// Lines with --json), keep-alives silent, until interrupted or until the
// server ends the stream. A skipped change number means a change was lost:
// it watches again, from a new state.
int WatchQueue(const GlobalOptions& global, const std::string& site) {
  Session session(global);
  const Zone zone = session.DisplayZone(site);
  rv1::WatchQueueRequest request;
  request.set_site(site);
  while (true) {
    grpc::ClientContext context;
    session.Prepare(&context);
    context.set_deadline(std::chrono::system_clock::time_point::max());  // until interrupted
    std::unique_ptr<grpc::ClientReader<rv1::QueueUpdate>> reader =
        session.reception().WatchQueue(&context, request);
    rv1::QueueUpdate update;
    std::optional<int64_t> last;
    bool gap = false;
    while (reader->Read(&update)) {
      if (update.has_keep_alive()) continue;
      if (update.has_change() && last && update.sequence() != *last + 1) {
        std::cerr << "warning: changes " << *last + 1 << " to " << update.sequence() - 1
                  << " were missed; watching again\n";
        gap = true;
        context.TryCancel();
        break;
      }
      last = update.sequence();
      if (global.json) {
        PrintJson(std::cout, update, /*one_line=*/true);
      } else if (update.has_state()) {
        PrintQueueState(update.state(), zone);
        std::cout << '\n';
      } else if (update.has_change()) {
        std::cout << ChangeLine(update.change()) << '\n';
      }
      std::cout.flush();
    }
    grpc::Status status = reader->Finish();
    if (gap) continue;
    return status.ok() ? kExitOk : session.Fail(status);
  }
}

}  // namespace

int RunQueue(const GlobalOptions& global, const QueueOptions& options) {
  const std::string site = ResourceName("sites", options.site);
  if (options.watch) return WatchQueue(global, site);
  rv1::GetQueueRequest request;
  request.set_site(site);
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  rv1::QueueState state;
  grpc::Status status = session.reception().GetQueue(&context, request, &state);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(state);
  PrintQueueState(state, session.DisplayZone(site));
  return kExitOk;
}

int RunCreateCounter(const GlobalOptions& global, const CreateCounterOptions& options) {
  rv1::CreateCounterRequest request;
  rv1::Counter& counter = *request.mutable_counter();
  counter.set_site(ResourceName("sites", options.site));
  counter.set_display_name(options.display_name);
  for (const std::string& desk : options.desks) counter.add_desks(ResourceName("desks", desk));
  return Call(global, request, options.request_id, &Stub::CreateCounter, PrintCounterIn);
}

int RunCounters(const GlobalOptions& global, const std::string& site_text) {
  rv1::ListCountersRequest request;
  request.set_site(ResourceName("sites", site_text));
  Session session(global);
  grpc::ClientContext context;
  session.Prepare(&context);
  rv1::ListCountersResponse response;
  grpc::Status status = session.reception().ListCounters(&context, request, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  if (response.counters().empty()) {
    std::cout << "No counters.\n";
    return kExitOk;
  }
  Table table({"COUNTER", "NAME", "DESKS", "OPEN FOR", "CURRENT VISIT"});
  for (const rv1::Counter& counter : response.counters()) {
    table.AddRow({counter.name(), counter.display_name(), absl::StrJoin(counter.desks(), ","),
                  counter.open() ? absl::StrJoin(counter.open_desks(), ",") : "closed",
                  counter.current_visit().empty() ? "-" : counter.current_visit()});
  }
  table.Print(std::cout);
  return kExitOk;
}

namespace {

grpc::Status ListDeskSettings(Session& session, const std::string& site,
                              rv1::ListDeskSettingsResponse* response) {
  rv1::ListDeskSettingsRequest request;
  request.set_site(site);
  grpc::ClientContext context;
  session.Prepare(&context);
  return session.reception().ListDeskSettings(&context, request, response);
}

}  // namespace

int RunDeskSettings(const GlobalOptions& global, const std::string& site_text) {
  const std::string site = ResourceName("sites", site_text);
  Session session(global);
  rv1::ListDeskSettingsResponse response;
  grpc::Status status = ListDeskSettings(session, site, &response);
  if (!status.ok()) return session.Fail(status);
  if (global.json) return PrintJsonMessage(response);
  if (response.settings().empty()) {
    std::cout << "No desks.\n";
    return kExitOk;
  }
  Table table({"DESK", "PREFIX", "RECALLS", "PRIORITY FIRST", "CLOSING"});
  for (const rv1::DeskSettings& settings : response.settings()) {
    table.AddRow({settings.desk(), settings.ticket_prefix(), absl::StrCat(settings.recall_count()),
                  settings.priority_first() ? "on" : "off", settings.closing_time()});
  }
  table.Print(std::cout);
  return kExitOk;
}

int RunUpdateDeskSettings(const GlobalOptions& global, const DeskSettingsOptions& options) {
  if (!options.ticket_prefix && !options.recall_count && !options.priority &&
      !options.closing_time) {
    return Report(
        UsageError("nothing to update: give --prefix, --recalls, --priority or --closing"));
  }
  absl::StatusOr<std::string> id = RequestIdOrNew(options.request_id);
  if (!id.ok()) return Report(LocalError(id.status().message()));
  const std::string site = ResourceName("sites", options.site);
  const std::string desk = ResourceName("desks", options.desk);

  // UpdateDeskSettings replaces every setting: start from the current ones.
  Session session(global);
  rv1::ListDeskSettingsResponse current;
  grpc::Status status = ListDeskSettings(session, site, &current);
  if (!status.ok()) return session.Fail(status);
  rv1::UpdateDeskSettingsRequest request;
  rv1::DeskSettings* settings = nullptr;
  for (const rv1::DeskSettings& s : current.settings()) {
    if (s.desk() == desk) {
      *request.mutable_settings() = s;
      settings = request.mutable_settings();
    }
  }
  if (settings == nullptr) {
    return Report(ErrorReport{kExitNotFound, absl::StrCat("error: ", desk, " is not a desk of ",
                                                          site, " (DESK_NOT_FOUND)\n")});
  }
  settings->clear_update_time();
  if (options.ticket_prefix) settings->set_ticket_prefix(*options.ticket_prefix);
  if (options.recall_count) settings->set_recall_count(*options.recall_count);
  if (options.priority) settings->set_priority_first(*options.priority == "on");
  if (options.closing_time) settings->set_closing_time(*options.closing_time);
  request.set_request_id(*id);

  grpc::ClientContext context;
  session.Prepare(&context);
  rv1::DeskSettings saved;
  status = session.reception().UpdateDeskSettings(&context, request, &saved);
  if (!status.ok()) return session.FailMutation(status, *id);
  if (global.json) return PrintJsonMessage(saved);
  PrintDeskSettings(saved);
  return kExitOk;
}

}  // namespace accueil::cli
