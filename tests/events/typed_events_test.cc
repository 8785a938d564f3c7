// Every event type booking writes has a message in
// proto/accueil/events/v1/events.proto, and every payload written parses
// strictly into it: the real service writes them (test server, real
// PostgreSQL), the test reads them back from events.log. Lenient parsing,
// what production consumers use, ignores fields it does not know.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"

#include "absl/time/clock.h"
#include "accueil/events/v1/events.pb.h"
#include "services/common/db.h"
#include "services/common/errors.h"
#include "services/common/events.h"
#include "services/common/typed_events.h"
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

namespace ev = ::accueil::events::v1;
using events::ParseMode;
using Stub = v1::BookingService::Stub;

// ReadWholeLog reads events.log through events::ReadEvents, from the start
// until every event written so far is in (30 s at most: delivery waits for
// every older transaction of the shared cluster).
std::vector<events::Event> ReadWholeLog(BookingWorld& world) {
  const size_t written = world.QueryInt("SELECT count(*) FROM events.log");
  pqxx::connection c(world.server().database().url());
  std::vector<events::Event> log;
  events::Cursor cursor;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (log.size() < written && absl::Now() < deadline) {
    pqxx::work tx(c);
    std::vector<events::Event> batch = events::ReadEvents(tx, cursor, 1000);
    tx.commit();
    for (events::Event& e : batch) {
      cursor = e.cursor();
      log.push_back(std::move(e));
    }
    if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(log.size(), written) << "events still unreadable after 30 s";
  return log;
}

// Events is the log read back, each payload parsed strictly.
class Events {
 public:
  explicit Events(std::vector<events::Event> log) : log_(std::move(log)) {}
  const std::vector<events::Event>& log() const { return log_; }

  // The payload of the one event of M's type about `subject`.
  template <typename M>
  M Of(const std::string& subject) const {
    M out;
    int found = 0;
    for (const events::Event& e : log_) {
      if (e.subject != subject || e.type != TypeOf<M>()) continue;
      ++found;
      absl::Status s = events::ParsePayload(e, ParseMode::kStrict, &out);
      EXPECT_TRUE(s.ok()) << s;
    }
    EXPECT_EQ(found, 1) << TypeOf<M>() << " events about " << subject;
    return out;
  }

  // All payloads of M's type about `subject`, in log order.
  template <typename M>
  std::vector<M> AllOf(const std::string& subject) const {
    std::vector<M> out;
    for (const events::Event& e : log_) {
      if (e.subject != subject || e.type != TypeOf<M>()) continue;
      absl::Status s = events::ParsePayload(e, ParseMode::kStrict, &out.emplace_back());
      EXPECT_TRUE(s.ok()) << s;
    }
    return out;
  }

  template <typename M>
  static std::string TypeOf() {
    return M::descriptor()->options().GetExtension(ev::event_type, 0);
  }

 private:
  std::vector<events::Event> log_;
};

std::string Iso(const google::protobuf::Timestamp& t) { return Utc(t); }

// The types the reception module writes.
bool IsReceptionType(const std::string& type) {
  return absl::StartsWith(type, "visit.") || absl::StartsWith(type, "walk_in.") ||
         absl::StartsWith(type, "counter.") || absl::StartsWith(type, "reception.") ||
         type == "desk.reception_settings_changed";
}

bool IsNotifyType(const std::string& type) {
  return absl::StartsWith(type, "message.") || absl::StartsWith(type, "survey.");
}

// StatusEvent checks the fields every appointment status event carries and
// returns the payload, for the fields of its own type.
template <typename M>
M StatusEvent(const Events& log, const v1::Appointment& a, const v1::Slot& slot,
              const std::string& from_status, const std::string& actor) {
  M m = log.Of<M>(a.name());
  const std::string type = Events::TypeOf<M>();
  EXPECT_EQ(m.appointment(), IdOf(a.name())) << type;
  EXPECT_EQ(m.slot(), IdOf(slot.name())) << type;
  EXPECT_EQ(m.desk(), IdOf(slot.desk())) << type;
  EXPECT_EQ(m.site(), IdOf(a.site())) << type;
  EXPECT_EQ(m.from_status(), from_status) << type;
  EXPECT_EQ(Iso(m.start_time()), Utc(slot.start_time())) << type;
  EXPECT_EQ(Iso(m.end_time()), Utc(slot.end_time())) << type;
  EXPECT_EQ(m.time_zone(), "Europe/Paris") << type;
  EXPECT_EQ(m.actor(), actor) << type;
  return m;
}

TEST(TypedEvents, EveryMessageNamesATypeAndNoTypeHasTwoMessages) {
  const google::protobuf::FileDescriptor* file = ev::SiteCreated::descriptor()->file();
  std::set<std::string> named;
  for (int i = 0; i < file->message_type_count(); ++i) {
    const google::protobuf::MessageOptions& options = file->message_type(i)->options();
    EXPECT_GT(options.ExtensionSize(ev::event_type), 0)
        << file->message_type(i)->full_name() << " names no event type";
    for (int t = 0; t < options.ExtensionSize(ev::event_type); ++t) {
      const std::string& type = options.GetExtension(ev::event_type, t);
      EXPECT_FALSE(type.empty()) << file->message_type(i)->full_name();
      EXPECT_TRUE(named.insert(type).second) << type << " has two messages";
    }
  }
  std::vector<std::string> types = events::EventTypes();
  EXPECT_EQ(std::set<std::string>(types.begin(), types.end()), named);
}

TEST(TypedEvents, EveryTypeBookingWritesParsesStrictlyWithTheFieldsConsumersNeed) {
  BookingWorld world;
  TestServer& server = world.server();
  auto staff = server.BookingStub(server.StaffToken());
  auto service = server.BookingStub(server.Token("svc-reception", {{access::v1::SERVICE, 0}}));

  // Catalogue: site.created, desk.created, desk.hours_changed (no closures),
  // slots.released: 20 slots of 30 minutes on Tuesday 2026-06-02, 09:00 to
  // 19:00 in Paris (07:00Z to 17:00Z).
  DeskOptions options;
  OpenedDesk open = world.OpenDesk(options);
  ASSERT_EQ(open.slots.size(), 20u);
  const std::vector<v1::Slot>& s = open.slots;
  const std::string desk = open.desk.name();
  int64_t site_id = IdOf(open.site.name());
  int64_t desk_id = IdOf(desk);

  v1::UpdateDeskRequest update;
  update.mutable_desk()->set_name(desk);
  update.mutable_desk()->set_display_name("Renouvellement de titre");
  update.mutable_update_mask()->add_paths("display_name");
  v1::Desk updated;
  ASSERT_TRUE(RpcOk(world.Call(&Stub::UpdateDesk, update, &updated)));

  // A release that generates nothing (no hours on Mondays): times are null.
  v1::ReleaseSlotsResponse none;
  ASSERT_TRUE(
      RpcOk(world.Release(desk, absl::CivilDay(2026, 6, 8), absl::CivilDay(2026, 6, 8), &none)));
  ASSERT_EQ(none.created_slot_count(), 0);

  // Closures: two added, then one kept, one removed, one added.
  ASSERT_TRUE(RpcOk(world.SetHours(desk, options.weekly, {Date(2027, 1, 1), Date(2026, 12, 25)})));
  ASSERT_TRUE(RpcOk(world.SetHours(desk, options.weekly, {Date(2027, 1, 1), Date(2026, 7, 14)})));

  // a: booked by the person, moved, then cancelled with the access code.
  v1::Appointment a, moved, cancelled;
  ASSERT_TRUE(RpcOk(world.Book(s[0].name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world.Reschedule(a, s[1].name(), &moved)));
  ASSERT_TRUE(RpcOk(world.Cancel(moved, &cancelled)));

  // Two more Tuesdays: k is booked on June 9th, which then closes
  // (cancelled: cause closure, actor system); June 16th takes a rebooking.
  v1::ReleaseSlotsResponse later;
  ASSERT_TRUE(
      RpcOk(world.Release(desk, absl::CivilDay(2026, 6, 9), absl::CivilDay(2026, 6, 16), &later)));
  ASSERT_EQ(later.created_slot_count(), 40);
  std::vector<v1::Slot> june9, june16;
  for (const v1::Slot& slot : world.ListAllSlots(desk, kJune1, kJune1 + absl::Hours(24 * 30))) {
    if (slot.local_date().day() == 9) june9.push_back(slot);
    if (slot.local_date().day() == 16) june16.push_back(slot);
  }
  ASSERT_EQ(june9.size(), 20u);
  ASSERT_EQ(june16.size(), 20u);
  v1::Appointment k;
  ASSERT_TRUE(RpcOk(world.Book(june9[0].name(), 11, &k)));
  ASSERT_TRUE(RpcOk(world.SetHours(desk, options.weekly,
                                   {Date(2027, 1, 1), Date(2026, 7, 14), Date(2026, 6, 9)})));

  // b: booked by an agent, given a new code, then arrived, served, done
  // (through reception, on the day).
  v1::CreateAppointmentRequest agent_booking = BookingWorld::BookingRequest(s[2].name(), 2);
  agent_booking.set_channel(v1::AGENT);
  v1::Appointment b, out;
  ASSERT_TRUE(RpcOk(world.Book(agent_booking, &b)));
  v1::ResetAccessCodeRequest reset;
  reset.set_name(b.name());
  ASSERT_TRUE(RpcOk(world.Call(&Stub::ResetAccessCode, reset, &out)));
  // Book the others before the day starts.
  v1::Appointment c, d, f, e, g, h, i, j;
  ASSERT_TRUE(RpcOk(world.Book(s[3].name(), 3, &c)));
  ASSERT_TRUE(RpcOk(world.Book(s[4].name(), 4, &d)));
  ASSERT_TRUE(RpcOk(world.Book(s[5].name(), 5, &f)));
  ASSERT_TRUE(RpcOk(world.Book(s[6].name(), 6, &e)));
  ASSERT_TRUE(RpcOk(world.Book(s[7].name(), 7, &g)));
  ASSERT_TRUE(RpcOk(world.Book(s[8].name(), 8, &h)));
  ASSERT_TRUE(RpcOk(world.Book(s[9].name(), 9, &i)));
  ASSERT_TRUE(RpcOk(world.Book(s[10].name(), 10, &j)));
  world.clock().Set(FromTs(s[2].start_time()) - absl::Minutes(10));  // 07:50Z
  ASSERT_TRUE(RpcOk(world.Transition(&Stub::MarkArrived, b.name(), &out)));
  ASSERT_TRUE(RpcOk(world.Transition(&Stub::StartService, b.name(), &out)));
  ASSERT_TRUE(RpcOk(world.Transition(&Stub::CompleteAppointment, b.name(), &out)));

  // c: cancelled by an agent for the person, without the code.
  v1::CancelAppointmentRequest cancel_for;
  cancel_for.set_reference(c.reference());
  ASSERT_TRUE(RpcOk(CallOn(*staff, &Stub::CancelAppointment, cancel_for, &out, "Appel du public")));

  // d: marked arrived by a service token of another kind (a signed-in
  // account holding SERVICE).
  v1::TransitionAppointmentRequest arrive;
  arrive.set_name(d.name());
  ASSERT_TRUE(RpcOk(CallOn(*service, &Stub::MarkArrived, arrive, &out)));

  // f: the person checks in with the QR code, through reception.
  v1::CheckInAppointmentRequest check_in;
  check_in.set_check_in_token(f.check_in_token());
  ASSERT_TRUE(RpcOk(world.Call(&Stub::CheckInAppointment, check_in, &out)));

  // g: arrived, then left before being called (later that morning: the
  // arrival window opens two hours before the slot).
  world.clock().Set(FromTs(s[8].start_time()) - absl::Minutes(110));  // 09:10Z
  ASSERT_TRUE(RpcOk(world.Transition(&Stub::MarkArrived, g.name(), &out)));
  v1::MarkNotServedRequest not_served;
  not_served.set_name(g.name());
  not_served.set_cause(v1::LEFT);
  ASSERT_TRUE(RpcOk(world.Call(&Stub::MarkNotServed, not_served, &out)));

  // h: served, the file incomplete: rebooked on June 16th in the same call.
  ASSERT_TRUE(RpcOk(world.Transition(&Stub::MarkArrived, h.name(), &out)));
  ASSERT_TRUE(RpcOk(world.Transition(&Stub::StartService, h.name(), &out)));
  v1::RebookAppointmentRequest rebook;
  rebook.set_name(h.name());
  rebook.set_new_slot(june16[0].name());
  rebook.set_cause(v1::FILE_INCOMPLETE);
  v1::Appointment h2;
  ASSERT_TRUE(RpcOk(world.Call(&Stub::RebookAppointment, rebook, &h2)));

  // e: missed; marked once every slot has started; then the person came
  // after all, the same evening (an agent's decision). i: late, accepted.
  world.clock().Set(kJune1 + absl::Hours(34));  // 2026-06-02T18:00Z
  ASSERT_TRUE(RpcOk(world.Transition(&Stub::MarkNoShow, e.name(), &out)));
  v1::TransitionAppointmentRequest late;
  late.set_name(e.name());
  late.set_late_accepted(true);
  ASSERT_TRUE(RpcOk(
      world.CallAsService(&Stub::MarkArrived, late, &out, "lodge-agent", "Venue finalement")));
  late.set_name(i.name());
  ASSERT_TRUE(
      RpcOk(world.CallAsService(&Stub::MarkArrived, late, &out, "lodge-agent", "Train en retard")));

  // j: nobody came; reception's worker sweeps the day.
  v1::SweepNoShowsRequest sweep;
  sweep.set_desk(desk);
  *sweep.mutable_date() = Date(2026, 6, 2);
  v1::SweepNoShowsResponse swept;
  ASSERT_TRUE(RpcOk(world.Call(&Stub::SweepNoShows, sweep, &swept)));
  ASSERT_EQ(swept.marked_count(), 1);

  // Person 1 (a, cancelled) erased.
  v1::ErasePersonDataRequest erase;
  erase.set_site(open.site.name());
  erase.set_query(PhoneOf(1));
  v1::ErasePersonDataResponse erased;
  ASSERT_TRUE(
      RpcOk(CallOn(*staff, &Stub::ErasePersonData, erase, &erased, "Demande de la personne")));

  Events log(ReadWholeLog(world));

  // Every payload parses strictly into its message, and every type with a
  // message was written above.
  std::set<std::string> written;
  for (const events::Event& event : log.log()) {
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> parsed =
        events::ParsePayload(event, ParseMode::kStrict);
    EXPECT_TRUE(parsed.ok()) << event.type << " " << event.payload_json << ": " << parsed.status();
    written.insert(event.type);
  }
  // Reception's types are walked in tests/reception/events_test.cc,
  // notify's in tests/notify/requests_test.cc.
  std::set<std::string> booking_types;
  for (const std::string& type : events::EventTypes()) {
    if (!IsReceptionType(type) && !IsNotifyType(type)) booking_types.insert(type);
  }
  EXPECT_EQ(written, booking_types);

  // The catalogue.
  EXPECT_EQ(log.Of<ev::SiteCreated>(open.site.name()).site(), site_id);
  ev::DeskCreated desk_created = log.Of<ev::DeskCreated>(desk);
  EXPECT_EQ(desk_created.desk(), desk_id);
  EXPECT_EQ(desk_created.site(), site_id);
  EXPECT_EQ(log.Of<ev::DeskUpdated>(desk).desk(), desk_id);
  std::vector<ev::DeskHoursChanged> hours = log.AllOf<ev::DeskHoursChanged>(desk);
  ASSERT_EQ(hours.size(), 4u);
  EXPECT_EQ(hours[0].closures(), 0);
  EXPECT_TRUE(hours[0].closures_added().empty());
  EXPECT_TRUE(hours[0].closures_removed().empty());
  EXPECT_EQ(hours[1].closures(), 2);
  EXPECT_EQ(
      std::vector<std::string>(hours[1].closures_added().begin(), hours[1].closures_added().end()),
      (std::vector<std::string>{"2026-12-25", "2027-01-01"}));
  EXPECT_TRUE(hours[1].closures_removed().empty());
  EXPECT_EQ(hours[2].closures(), 2);
  EXPECT_EQ(
      std::vector<std::string>(hours[2].closures_added().begin(), hours[2].closures_added().end()),
      (std::vector<std::string>{"2026-07-14"}));
  EXPECT_EQ(std::vector<std::string>(hours[2].closures_removed().begin(),
                                     hours[2].closures_removed().end()),
            (std::vector<std::string>{"2026-12-25"}));
  for (const ev::DeskHoursChanged& h : hours) EXPECT_EQ(h.time_zone(), "Europe/Paris");

  std::vector<ev::SlotsReleased> releases = log.AllOf<ev::SlotsReleased>(desk);
  ASSERT_EQ(releases.size(), 3u);
  const ev::SlotsReleased& released = releases[0];
  EXPECT_EQ(released.desk(), desk_id);
  EXPECT_EQ(released.site(), site_id);
  EXPECT_EQ(released.created(), 20);
  EXPECT_EQ(Iso(released.first_start_time()), "2026-06-02T07:00:00Z");
  EXPECT_EQ(Iso(released.last_start_time()), "2026-06-02T16:30:00Z");
  EXPECT_EQ(Iso(released.last_end_time()), "2026-06-02T17:00:00Z");
  EXPECT_EQ(Iso(released.release_time()), "2026-06-01T08:00:00Z");
  EXPECT_EQ(released.time_zone(), "Europe/Paris");
  EXPECT_EQ(releases[1].created(), 0);
  EXPECT_FALSE(releases[1].has_first_start_time());
  EXPECT_FALSE(releases[1].has_last_start_time());
  EXPECT_FALSE(releases[1].has_last_end_time());
  EXPECT_EQ(releases[1].time_zone(), "Europe/Paris");

  // a: the person's doing throughout.
  ev::AppointmentBooked a_booked = log.Of<ev::AppointmentBooked>(a.name());
  EXPECT_EQ(a_booked.appointment(), IdOf(a.name()));
  EXPECT_EQ(a_booked.slot(), IdOf(s[0].name()));
  EXPECT_EQ(a_booked.desk(), desk_id);
  EXPECT_EQ(a_booked.site(), site_id);
  EXPECT_EQ(Iso(a_booked.start_time()), Utc(s[0].start_time()));
  EXPECT_EQ(Iso(a_booked.end_time()), Utc(s[0].end_time()));
  EXPECT_EQ(a_booked.time_zone(), "Europe/Paris");
  EXPECT_EQ(a_booked.channel(), "online");
  EXPECT_EQ(a_booked.accessibility_need(), "none");
  EXPECT_FALSE(a_booked.override());
  EXPECT_EQ(a_booked.actor(), "public");
  ev::AppointmentRescheduled a_moved = log.Of<ev::AppointmentRescheduled>(a.name());
  EXPECT_EQ(a_moved.from_slot(), IdOf(s[0].name()));
  EXPECT_EQ(a_moved.to_slot(), IdOf(s[1].name()));
  EXPECT_EQ(Iso(a_moved.from_start_time()), Utc(s[0].start_time()));
  EXPECT_EQ(Iso(a_moved.from_end_time()), Utc(s[0].end_time()));
  EXPECT_EQ(Iso(a_moved.start_time()), Utc(s[1].start_time()));
  EXPECT_EQ(Iso(a_moved.end_time()), Utc(s[1].end_time()));
  EXPECT_EQ(a_moved.time_zone(), "Europe/Paris");
  EXPECT_EQ(a_moved.actor(), "public");
  EXPECT_EQ(StatusEvent<ev::AppointmentCancelled>(log, a, s[1], "booked", "public").cause(),
            "person");

  // b: agents' work.
  ev::AppointmentBooked b_booked = log.Of<ev::AppointmentBooked>(b.name());
  EXPECT_EQ(b_booked.channel(), "agent");
  EXPECT_EQ(b_booked.actor(), "agent");
  ev::AppointmentAccessReset b_reset = log.Of<ev::AppointmentAccessReset>(b.name());
  EXPECT_EQ(b_reset.appointment(), IdOf(b.name()));
  EXPECT_EQ(b_reset.site(), site_id);
  EXPECT_EQ(b_reset.desk(), desk_id);
  EXPECT_EQ(b_reset.actor(), "agent");
  ev::AppointmentArrived b_arrived =
      StatusEvent<ev::AppointmentArrived>(log, b, s[2], "booked", "service");
  EXPECT_FALSE(b_arrived.late());
  EXPECT_FALSE(b_arrived.late_accepted());
  EXPECT_FALSE(b_arrived.undid_noshow());
  StatusEvent<ev::AppointmentInService>(log, b, s[2], "arrived", "service");
  EXPECT_EQ(StatusEvent<ev::AppointmentFulfilled>(log, b, s[2], "in_service", "service").outcome(),
            "");
  EXPECT_EQ(StatusEvent<ev::AppointmentCancelled>(log, c, s[3], "booked", "agent").cause(),
            "agent");
  StatusEvent<ev::AppointmentArrived>(log, d, s[4], "booked", "service");
  StatusEvent<ev::AppointmentArrived>(log, f, s[5], "booked", "service");  // the QR code
  EXPECT_EQ(StatusEvent<ev::AppointmentNoShow>(log, e, s[6], "booked", "agent").cause(), "marked");
  ev::AppointmentArrived e_back =
      StatusEvent<ev::AppointmentArrived>(log, e, s[6], "noshow", "service");
  EXPECT_TRUE(e_back.undid_noshow());
  EXPECT_TRUE(e_back.late_accepted());
  ev::AppointmentArrived i_late =
      StatusEvent<ev::AppointmentArrived>(log, i, s[9], "booked", "service");
  EXPECT_TRUE(i_late.late());
  EXPECT_TRUE(i_late.late_accepted());
  EXPECT_FALSE(i_late.undid_noshow());
  EXPECT_EQ(StatusEvent<ev::AppointmentNotServed>(log, g, s[7], "arrived", "service").cause(),
            "left");
  EXPECT_EQ(StatusEvent<ev::AppointmentFulfilled>(log, h, s[8], "in_service", "service").outcome(),
            "file_incomplete");
  ev::AppointmentBooked h2_booked = log.Of<ev::AppointmentBooked>(h2.name());
  EXPECT_EQ(h2_booked.rebooked_from(), IdOf(h.name()));
  EXPECT_EQ(h2_booked.slot(), IdOf(june16[0].name()));
  EXPECT_EQ(h2_booked.channel(), "agent");
  EXPECT_EQ(h2_booked.actor(), "service");
  EXPECT_EQ(StatusEvent<ev::AppointmentNoShow>(log, j, s[10], "booked", "service").cause(),
            "sweep");
  EXPECT_EQ(StatusEvent<ev::AppointmentCancelled>(log, k, june9[0], "booked", "system").cause(),
            "closure");

  ev::PersonErased person_erased = log.Of<ev::PersonErased>(open.site.name());
  EXPECT_EQ(person_erased.site(), site_id);
  EXPECT_EQ(person_erased.appointments(), 1);
  EXPECT_EQ(person_erased.erased(), 1);
}

// One desk with 20 slots, and appointment `a` booked by the person in the
// first.
class TypedEventsOfOneAppointment : public ::testing::Test {
 protected:
  void SetUp() override {
    open = world.OpenDesk(DeskOptions{});
    ASSERT_EQ(open.slots.size(), 20u);
    ASSERT_TRUE(RpcOk(world.Book(open.slots[0].name(), 1, &a)));
  }
  BookingWorld world;
  OpenedDesk open;
  v1::Appointment a;
};

// An actor or cause outside the documented lists is refused by the SQL that
// writes the event, and nothing is written.
TEST_F(TypedEventsOfOneAppointment, TheWriterRefusesAnUnknownActorOrCause) {
  pqxx::connection c(world.server().database().url());
  auto transition = [&](const std::string& actor, const std::string& cause) -> std::string {
    try {
      pqxx::nontransaction tx(c);
      tx.exec_params(
          "SELECT id FROM booking.transition('typed-events-bad', '\\x00'::bytea, "
          "'2026-06-01T08:00:00Z', $1, 'cancelled', NULL, $2, NULLIF($3, ''))",
          IdOf(a.name()), actor, cause);
      return "accepted";
    } catch (const pqxx::sql_error& e) {
      return ErrorReason(db::FromException(e));
    }
  };
  EXPECT_EQ(transition("robot", "person"), "INVALID_ACTOR");
  EXPECT_EQ(transition("public", "sweep"), "INVALID_CAUSE");
  EXPECT_EQ(transition("public", ""), "INVALID_CAUSE");
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM events.log WHERE type = 'appointment.cancelled'"),
            0);
  EXPECT_EQ(world.Query("SELECT status FROM booking.appointments WHERE id = " +
                        std::to_string(IdOf(a.name()))),
            "booked");
}

// While an upgrade rolls, pods of the previous release call the 0010
// signatures: their events still parse strictly, with the actor and cause
// unknown (null, read as ""). And the new pods need none of those
// signatures, so a later migration can drop them.
TEST_F(TypedEventsOfOneAppointment,
       ThePreviousReleasesSignaturesWriteNullActorsAndBookingNeedsNoneOfThem) {
  const std::string id = std::to_string(IdOf(a.name()));
  const std::string args = "'2026-06-01T08:00:00Z', " + id;
  world.Query("SELECT count(*) FROM booking.reschedule_appointment('old-move', '\\x01', " + args +
              ", " + std::to_string(IdOf(open.slots[1].name())) + ")");
  world.Query("SELECT count(*) FROM booking.reset_access_code('old-reset', '\\x02', " + args + ")");
  world.Query("SELECT count(*) FROM booking.transition('old-cancel', '\\x03', " + args +
              ", 'cancelled', NULL)");
  {
    Events log(ReadWholeLog(world));
    ev::AppointmentRescheduled moved = log.Of<ev::AppointmentRescheduled>(a.name());
    EXPECT_EQ(moved.to_slot(), IdOf(open.slots[1].name()));
    EXPECT_EQ(moved.time_zone(), "Europe/Paris");
    EXPECT_EQ(moved.actor(), "");
    EXPECT_EQ(log.Of<ev::AppointmentAccessReset>(a.name()).actor(), "");
    ev::AppointmentCancelled cancelled = log.Of<ev::AppointmentCancelled>(a.name());
    EXPECT_EQ(cancelled.actor(), "");
    EXPECT_EQ(cancelled.cause(), "");
  }

  world.Query(
      "DROP FUNCTION booking.create_appointment(text, bytea, timestamptz, bigint, text, bytea, "
      "  text, text, text, text, text, text, text, integer, text, text, bytea[]); "
      "DROP FUNCTION booking.transition(text, bytea, timestamptz, bigint, text, text); "
      "DROP FUNCTION booking.reschedule_appointment(text, bytea, timestamptz, bigint, bigint); "
      "DROP FUNCTION booking.reset_access_code(text, bytea, timestamptz, bigint)");
  v1::Appointment b, out;
  ASSERT_TRUE(RpcOk(world.Book(open.slots[2].name(), 2, &b)));
  ASSERT_TRUE(RpcOk(world.Reschedule(b, open.slots[3].name(), &out)));
  v1::ResetAccessCodeRequest reset;
  reset.set_name(b.name());
  ASSERT_TRUE(RpcOk(world.Call(&Stub::ResetAccessCode, reset, &out)));
  ASSERT_TRUE(RpcOk(world.ArriveOnTime(out, &out)));
  Events log(ReadWholeLog(world));
  EXPECT_EQ(log.Of<ev::AppointmentBooked>(b.name()).actor(), "public");
  EXPECT_EQ(log.Of<ev::AppointmentRescheduled>(b.name()).actor(), "public");
  EXPECT_EQ(log.Of<ev::AppointmentAccessReset>(b.name()).actor(), "agent");
  EXPECT_EQ(log.Of<ev::AppointmentArrived>(b.name()).actor(), "service");
}

events::Event SiteCreatedEvent(const std::string& payload) {
  events::Event e;
  e.txid = "1";
  e.position = 1;
  e.type = "site.created";
  e.source = "booking";
  e.subject = "sites/3";
  e.payload_json = payload;
  return e;
}

TEST(TypedEvents, LenientParsingIgnoresAFieldStrictParsingRefuses) {
  events::Event newer = SiteCreatedEvent(R"({"site": 3, "opening_year": 2027})");
  ev::SiteCreated lenient;
  ASSERT_TRUE(events::ParsePayload(newer, ParseMode::kLenient, &lenient).ok());
  EXPECT_EQ(lenient.site(), 3);
  ev::SiteCreated strict;
  absl::Status refused = events::ParsePayload(newer, ParseMode::kStrict, &strict);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(refused), "INVALID_EVENT_PAYLOAD");
}

TEST(TypedEvents, AWronglyTypedFieldIsRefusedInBothModes) {
  events::Event wrong = SiteCreatedEvent(R"({"site": "three"})");
  for (ParseMode mode : {ParseMode::kStrict, ParseMode::kLenient}) {
    ev::SiteCreated out;
    EXPECT_EQ(ErrorReason(events::ParsePayload(wrong, mode, &out)), "INVALID_EVENT_PAYLOAD");
  }
}

TEST(TypedEvents, AnUnknownTypeOrAnotherTypesMessageIsAClearError) {
  events::Event unknown = SiteCreatedEvent(R"({"site": 3})");
  unknown.type = "site.renamed";
  EXPECT_EQ(ErrorReason(events::EventMessage(unknown.type).status()), "UNKNOWN_EVENT_TYPE");
  EXPECT_EQ(ErrorReason(events::ParsePayload(unknown, ParseMode::kLenient).status()),
            "UNKNOWN_EVENT_TYPE");
  ev::DeskCreated other;
  EXPECT_EQ(ErrorReason(events::ParsePayload(SiteCreatedEvent(R"({"site": 3})"),
                                             ParseMode::kLenient, &other)),
            "EVENT_TYPE_MISMATCH");
}

}  // namespace
}  // namespace accueil::testing
