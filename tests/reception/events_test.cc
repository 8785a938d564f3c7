// Reception's events against a real PostgreSQL: a day at the prefecture
// writes every reception type; each payload parses strictly into its
// message (proto/accueil/events/v1/events.proto) and carries no personal
// data.
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "accueil/events/v1/events.pb.h"
#include "services/common/events.h"
#include "services/common/typed_events.h"
#include "tests/reception/reception_fixture.h"

namespace accueil::testing {
namespace {

namespace ev = ::accueil::events::v1;

bool IsReceptionType(const std::string& type) {
  return absl::StartsWith(type, "visit.") || absl::StartsWith(type, "walk_in.") ||
         absl::StartsWith(type, "counter.") || absl::StartsWith(type, "reception.") ||
         type == "desk.reception_settings_changed";
}

TEST(ReceptionEvents, ADayWritesEveryTypeEachParsesStrictlyWithoutPersonalData) {
  ReceptionWorld world(4);
  v1::Desk other;
  ASSERT_TRUE(RpcOk(world.booking.CreateDesk(world.desk.site.name(), 30, 1, &other)));
  rv1::UpdateDeskSettingsRequest settings;
  settings.mutable_settings()->set_site(world.desk.site.name());
  settings.mutable_settings()->set_desk(world.desk.desk.name());
  settings.mutable_settings()->set_ticket_prefix("T");
  settings.mutable_settings()->set_recall_count(0);
  settings.mutable_settings()->set_priority_first(true);
  rv1::DeskSettings updated;
  ASSERT_TRUE(RpcOk(
      CallOn(world.admin(), &rv1::ReceptionService::Stub::UpdateDeskSettings, settings, &updated)));
  std::vector<rv1::Visit> v(4);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[i].reference(), &v[i])));
  }
  EXPECT_EQ(v[0].ticket(), "T-001");
  rv1::RegisterWalkInRequest walk_in;
  walk_in.set_site(world.desk.site.name());
  walk_in.set_outcome(rv1::INFORMED);
  rv1::WalkIn registered;
  ASSERT_TRUE(RpcOk(
      CallOn(world.lodge(), &rv1::ReceptionService::Stub::RegisterWalkIn, walk_in, &registered)));
  rv1::Counter counter;
  ASSERT_TRUE(RpcOk(world.OpenCounter("Guichet 1", &counter)));
  rv1::Visit called, started;
  // Served: called, started, finished.
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::StartVisit, called, &started)));
  rv1::FinishVisitResponse finished;
  ASSERT_TRUE(RpcOk(world.Finish(started, rv1::SERVED, &finished)));
  // Missed: called, no recall allowed here (recall_count 0), so the recall ends it.
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::RecallVisitor, called, &called)));
  EXPECT_EQ(called.status(), rv1::MISSED);
  // Recalled once at another desk's settings: transfer, then left.
  rv1::TransferVisitorRequest transfer;
  transfer.set_visit(v[2].name());
  transfer.set_desk(other.name());
  rv1::Visit moved;
  ASSERT_TRUE(RpcOk(
      CallOn(world.lodge(), &rv1::ReceptionService::Stub::TransferVisitor, transfer, &moved)));
  rv1::Visit left;
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::MarkVisitorLeft, moved, &left)));
  ASSERT_TRUE(RpcOk(world.CallNext(counter, &called)));  // the last one
  rv1::Visit recalled;
  rv1::CounterRequest close_counter;
  close_counter.set_counter(counter.name());
  // visit.recalled needs a recall left: the desk allows one again.
  settings.mutable_settings()->set_recall_count(1);
  ASSERT_TRUE(RpcOk(
      CallOn(world.admin(), &rv1::ReceptionService::Stub::UpdateDeskSettings, settings, &updated)));
  ASSERT_TRUE(RpcOk(world.OnVisit(&rv1::ReceptionService::Stub::RecallVisitor, called, &recalled)));
  EXPECT_EQ(recalled.status(), rv1::CALLED);
  rv1::SendAwayVisitorRequest send;
  send.set_visit(recalled.name());
  rv1::FinishVisitResponse sent;
  ASSERT_TRUE(
      RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::SendAwayVisitor, send, &sent)));
  rv1::Counter closed_counter;
  ASSERT_TRUE(RpcOk(CallOn(world.counter(), &rv1::ReceptionService::Stub::CloseCounter,
                           close_counter, &closed_counter)));
  rv1::CloseDayRequest close;
  close.set_site(world.desk.site.name());
  rv1::CloseDayResponse day;
  ASSERT_TRUE(RpcOk(CallOn(world.lodge(), &rv1::ReceptionService::Stub::CloseDay, close, &day)));

  // Read reception's events back (the test has no concurrent writer left).
  std::vector<events::Event> log;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::set<std::string> written;
  while (absl::Now() < deadline) {
    pqxx::connection c(world.booking.server().database().url());
    pqxx::work tx(c);
    log = events::ReadEvents(tx, events::Cursor{}, 100000);
    tx.commit();
    written.clear();
    for (const events::Event& e : log) {
      if (e.source == "reception") written.insert(e.type);
    }
    if (written.count("reception.day_closed") > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::set<std::string> expected;
  for (const std::string& type : events::EventTypes()) {
    if (IsReceptionType(type)) expected.insert(type);
  }
  EXPECT_EQ(written, expected);
  for (const events::Event& e : log) {
    if (e.source != "reception") continue;
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> parsed =
        events::ParsePayload(e, events::ParseMode::kStrict);
    EXPECT_TRUE(parsed.ok()) << e.type << " " << e.payload_json << ": " << parsed.status();
    // No personal data: the fixture's people are "Camille Durand-i",
    // personne.i@example.org, +3361...
    EXPECT_EQ(e.payload_json.find("Camille"), std::string::npos) << e.payload_json;
    EXPECT_EQ(e.payload_json.find("example.org"), std::string::npos) << e.payload_json;
    EXPECT_EQ(e.payload_json.find("+3361"), std::string::npos) << e.payload_json;
  }
  // One payload read field by field: the served visit's finish.
  for (const events::Event& e : log) {
    if (e.type != "visit.finished") continue;
    ev::VisitChanged m;
    ASSERT_TRUE(events::ParsePayload(e, events::ParseMode::kStrict, &m).ok());
    EXPECT_EQ(m.ticket(), "T-001");
    EXPECT_EQ(m.status(), "done");
    EXPECT_EQ(m.outcome(), "served");
    EXPECT_EQ(m.time_zone(), "Europe/Paris");
    EXPECT_EQ(m.appointment(), IdOf(world.appointments[0].name()));
    EXPECT_GT(m.finish_time().seconds(), 0);
  }
}

}  // namespace
}  // namespace accueil::testing
