// Slots released through the RPC around the clock changes: opening hours are
// local, slots are cut in real time, and each slot knows its local day.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

using Stub = v1::BookingService::Stub;

absl::Time At(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) {
    ADD_FAILURE() << "time zone " << name << " not installed";
  }
  return zone;
}

// "2026-03-29T00:30:00Z@2026-03-29": each slot's UTC start and local day.
std::vector<std::string> Describe(const std::vector<v1::Slot>& slots) {
  std::vector<std::string> out;
  for (const v1::Slot& s : slots) {
    out.push_back(Utc(s.start_time()) + "@" + DateText(s.local_date()));
  }
  return out;
}

// Checks what holds for every slot: its length, and that local_date is the
// day of its start in `zone`.
void ExpectWellFormed(const std::vector<v1::Slot>& slots, const absl::TimeZone& zone,
                      absl::Duration length) {
  for (const v1::Slot& s : slots) {
    SCOPED_TRACE(Utc(s.start_time()));
    EXPECT_EQ(FromTs(s.end_time()) - FromTs(s.start_time()), length);
    absl::CivilDay day = absl::ToCivilDay(FromTs(s.start_time()), zone);
    EXPECT_EQ(DateText(s.local_date()), DateText(Date(day)));
  }
}

struct Released {
  OpenedDesk open;
  int created = 0;
};

// A site in `zone` with one 30-minute desk: Mondays 09:00-10:00 and Sundays
// 01:00-04:00 local; the days [first, last] released at once.
Released Open(BookingWorld& world, const std::string& zone, absl::CivilDay first,
              absl::CivilDay last) {
  Released out;
  if (!RpcOk(world.CreateSite(zone, &out.open.site))) {
    ADD_FAILURE() << "CreateSite " << zone;
    return out;
  }
  EXPECT_EQ(out.open.site.time_zone(), zone);
  EXPECT_TRUE(RpcOk(world.CreateDesk(out.open.site.name(), 30, 1, &out.open.desk)));
  EXPECT_TRUE(
      RpcOk(world.SetHours(out.open.desk.name(), {Range(1, 9, 0, 10, 0), Range(7, 1, 0, 4, 0)})));
  v1::ReleaseSlotsResponse released;
  EXPECT_TRUE(RpcOk(world.Release(out.open.desk.name(), first, last, &released)));
  out.created = released.created_slot_count();
  absl::Time now = world.clock().Now();
  out.open.slots = world.ListAllSlots(out.open.desk.name(), now, now + absl::Hours(24 * 90));
  return out;
}

TEST(SlotReleaseDstTest, MarchChangeInParis) {
  BookingWorld world(At(2026, 3, 1, 8, 0));
  Released r = Open(world, "Europe/Paris", absl::CivilDay(2026, 3, 16), absl::CivilDay(2026, 4, 5));
  EXPECT_EQ(r.created, 22);
  EXPECT_EQ(Describe(r.open.slots),
            (std::vector<std::string>{
                // Monday 16 March, UTC+1: 09:00 Paris is 08:00Z.
                "2026-03-16T08:00:00Z@2026-03-16",
                "2026-03-16T08:30:00Z@2026-03-16",
                // Sunday 22 March, UTC+1: 01:00-04:00 is three hours, six slots.
                "2026-03-22T00:00:00Z@2026-03-22",
                "2026-03-22T00:30:00Z@2026-03-22",
                "2026-03-22T01:00:00Z@2026-03-22",
                "2026-03-22T01:30:00Z@2026-03-22",
                "2026-03-22T02:00:00Z@2026-03-22",
                "2026-03-22T02:30:00Z@2026-03-22",
                "2026-03-23T08:00:00Z@2026-03-23",
                "2026-03-23T08:30:00Z@2026-03-23",
                // Sunday 29 March: 02:00 becomes 03:00, 01:00-04:00 lasts two
                // hours: four slots, 01:00 and 01:30 +01, then 03:00 and 03:30 +02.
                "2026-03-29T00:00:00Z@2026-03-29",
                "2026-03-29T00:30:00Z@2026-03-29",
                "2026-03-29T01:00:00Z@2026-03-29",
                "2026-03-29T01:30:00Z@2026-03-29",
                // Monday 30 March, UTC+2: 09:00 Paris is 07:00Z.
                "2026-03-30T07:00:00Z@2026-03-30",
                "2026-03-30T07:30:00Z@2026-03-30",
                // Sunday 5 April, UTC+2: 01:00 Paris is 23:00Z the day before.
                "2026-04-04T23:00:00Z@2026-04-05",
                "2026-04-04T23:30:00Z@2026-04-05",
                "2026-04-05T00:00:00Z@2026-04-05",
                "2026-04-05T00:30:00Z@2026-04-05",
                "2026-04-05T01:00:00Z@2026-04-05",
                "2026-04-05T01:30:00Z@2026-04-05",
            }));
  ExpectWellFormed(r.open.slots, Zone("Europe/Paris"), absl::Minutes(30));
  // The database holds the same local days.
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots WHERE local_date = '2026-03-29'"),
            4);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots WHERE local_date = '2026-04-05'"),
            6);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots "
                           "WHERE local_date <> (start_time AT TIME ZONE 'Europe/Paris')::date"),
            0);
}

TEST(SlotReleaseDstTest, OctoberChangeInParis) {
  BookingWorld world(At(2026, 10, 1, 8, 0));
  Released r =
      Open(world, "Europe/Paris", absl::CivilDay(2026, 10, 19), absl::CivilDay(2026, 11, 1));
  EXPECT_EQ(r.created, 18);
  EXPECT_EQ(Describe(r.open.slots),
            (std::vector<std::string>{
                // Monday 19 October, UTC+2.
                "2026-10-19T07:00:00Z@2026-10-19",
                "2026-10-19T07:30:00Z@2026-10-19",
                // Sunday 25 October: 03:00 goes back to 02:00, 01:00-04:00 lasts
                // four hours, eight slots, from 23:00Z the day before.
                "2026-10-24T23:00:00Z@2026-10-25",
                "2026-10-24T23:30:00Z@2026-10-25",
                "2026-10-25T00:00:00Z@2026-10-25",
                "2026-10-25T00:30:00Z@2026-10-25",
                "2026-10-25T01:00:00Z@2026-10-25",
                "2026-10-25T01:30:00Z@2026-10-25",
                "2026-10-25T02:00:00Z@2026-10-25",
                "2026-10-25T02:30:00Z@2026-10-25",
                // Monday 26 October, UTC+1.
                "2026-10-26T08:00:00Z@2026-10-26",
                "2026-10-26T08:30:00Z@2026-10-26",
                // Sunday 1 November, UTC+1.
                "2026-11-01T00:00:00Z@2026-11-01",
                "2026-11-01T00:30:00Z@2026-11-01",
                "2026-11-01T01:00:00Z@2026-11-01",
                "2026-11-01T01:30:00Z@2026-11-01",
                "2026-11-01T02:00:00Z@2026-11-01",
                "2026-11-01T02:30:00Z@2026-11-01",
            }));
  ExpectWellFormed(r.open.slots, Zone("Europe/Paris"), absl::Minutes(30));
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots WHERE local_date = '2026-10-25'"),
            8);
}

// A range inside the March gap has no real time at all; the same range on
// other Sundays is an ordinary hour.
TEST(SlotReleaseDstTest, ARangeInsideTheMarchGapYieldsNothing) {
  BookingWorld world(At(2026, 3, 1, 8, 0));
  v1::Site site;
  ASSERT_TRUE(RpcOk(world.CreateSite("Europe/Paris", &site)));
  v1::Desk desk;
  ASSERT_TRUE(RpcOk(world.CreateDesk(site.name(), 30, 1, &desk)));
  ASSERT_TRUE(RpcOk(world.SetHours(desk.name(), {Range(7, 2, 0, 3, 0)})));
  v1::ReleaseSlotsResponse released;
  ASSERT_TRUE(RpcOk(world.Release(desk.name(), absl::CivilDay(2026, 3, 22),
                                  absl::CivilDay(2026, 4, 5), &released)));
  EXPECT_EQ(released.created_slot_count(), 4);
  std::vector<v1::Slot> slots =
      world.ListAllSlots(desk.name(), At(2026, 3, 1, 8, 0), At(2026, 5, 1, 0, 0));
  EXPECT_EQ(Describe(slots), (std::vector<std::string>{
                                 "2026-03-22T01:00:00Z@2026-03-22",
                                 "2026-03-22T01:30:00Z@2026-03-22",
                                 "2026-04-05T00:00:00Z@2026-04-05",
                                 "2026-04-05T00:30:00Z@2026-04-05",
                             }));
}

TEST(SlotReleaseDstTest, ZonesWithoutDaylightSaving) {
  BookingWorld world(At(2026, 3, 1, 8, 0));

  // La Réunion, UTC+4 all year: the same hours in March and October, and a
  // Sunday's first slots fall on Saturday in UTC.
  Released reunion =
      Open(world, "Indian/Reunion", absl::CivilDay(2026, 3, 23), absl::CivilDay(2026, 3, 30));
  EXPECT_EQ(reunion.created, 10);
  EXPECT_EQ(Describe(reunion.open.slots), (std::vector<std::string>{
                                              "2026-03-23T05:00:00Z@2026-03-23",
                                              "2026-03-23T05:30:00Z@2026-03-23",
                                              "2026-03-28T21:00:00Z@2026-03-29",
                                              "2026-03-28T21:30:00Z@2026-03-29",
                                              "2026-03-28T22:00:00Z@2026-03-29",
                                              "2026-03-28T22:30:00Z@2026-03-29",
                                              "2026-03-28T23:00:00Z@2026-03-29",
                                              "2026-03-28T23:30:00Z@2026-03-29",
                                              "2026-03-30T05:00:00Z@2026-03-30",
                                              "2026-03-30T05:30:00Z@2026-03-30",
                                          }));
  ExpectWellFormed(reunion.open.slots, Zone("Indian/Reunion"), absl::Minutes(30));
  v1::ReleaseSlotsResponse october;
  ASSERT_TRUE(RpcOk(world.Release(reunion.open.desk.name(), absl::CivilDay(2026, 10, 25),
                                  absl::CivilDay(2026, 10, 26), &october)));
  EXPECT_EQ(october.created_slot_count(), 8);
  std::vector<v1::Slot> autumn =
      world.ListAllSlots(reunion.open.desk.name(), At(2026, 10, 24, 0, 0), At(2026, 10, 27, 0, 0));
  ASSERT_EQ(autumn.size(), 8u);
  EXPECT_EQ(Utc(autumn.front().start_time()), "2026-10-24T21:00:00Z");
  EXPECT_EQ(DateText(autumn.front().local_date()), "2026-10-25");
  EXPECT_EQ(Utc(autumn.back().start_time()), "2026-10-26T05:30:00Z");
  ExpectWellFormed(autumn, Zone("Indian/Reunion"), absl::Minutes(30));

  // Guyane, UTC-3: an evening range ends after midnight UTC, the local day
  // stays Monday.
  v1::Site cayenne;
  ASSERT_TRUE(RpcOk(world.CreateSite("America/Cayenne", &cayenne)));
  v1::Desk desk;
  ASSERT_TRUE(RpcOk(world.CreateDesk(cayenne.name(), 45, 2, &desk)));
  ASSERT_TRUE(RpcOk(world.SetHours(desk.name(), {Range(1, 19, 30, 22, 30)})));
  v1::ReleaseSlotsResponse released;
  ASSERT_TRUE(RpcOk(world.Release(desk.name(), absl::CivilDay(2026, 3, 29),
                                  absl::CivilDay(2026, 3, 30), &released)));
  EXPECT_EQ(released.created_slot_count(), 4);
  std::vector<v1::Slot> evening =
      world.ListAllSlots(desk.name(), At(2026, 3, 1, 8, 0), At(2026, 5, 1, 0, 0));
  EXPECT_EQ(Describe(evening), (std::vector<std::string>{
                                   "2026-03-30T22:30:00Z@2026-03-30",
                                   "2026-03-30T23:15:00Z@2026-03-30",
                                   "2026-03-31T00:00:00Z@2026-03-30",
                                   "2026-03-31T00:45:00Z@2026-03-30",
                               }));
  ExpectWellFormed(evening, Zone("America/Cayenne"), absl::Minutes(45));
  for (const v1::Slot& s : evening) EXPECT_EQ(s.capacity(), 2);
}

TEST(SlotReleaseDstTest, PagingReturnsEverySlotOnceInOrder) {
  BookingWorld world(At(2026, 3, 1, 8, 0));
  Released r = Open(world, "Europe/Paris", absl::CivilDay(2026, 3, 2), absl::CivilDay(2026, 4, 26));
  ASSERT_GT(r.created, 50);
  // A second desk at the same hours interleaves in time but must not leak
  // into the listing.
  DeskOptions same_hours;
  same_hours.weekly = {Range(1, 9, 0, 10, 0)};
  same_hours.first = absl::CivilDay(2026, 3, 2);
  same_hours.last = absl::CivilDay(2026, 4, 26);
  OpenedDesk other = world.OpenDeskAt(r.open.site, same_hours);
  const std::string desk = r.open.desk.name();
  const absl::Time from = At(2026, 3, 1, 8, 0), to = At(2026, 5, 1, 0, 0);

  int pages = 0;
  std::vector<v1::Slot> paged = world.ListAllSlots(desk, from, to, 7, &pages);
  std::vector<v1::Slot> whole = world.ListAllSlots(desk, from, to, 500);
  ASSERT_EQ(static_cast<int>(whole.size()), r.created);
  EXPECT_EQ(world.QueryInt("SELECT count(*) FROM booking.slots WHERE desk_id = " +
                           std::to_string(IdOf(desk))),
            r.created);
  ASSERT_EQ(paged.size(), whole.size());
  EXPECT_EQ(pages, (r.created + 6) / 7);
  std::set<std::string> seen;
  for (size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i].name(), whole[i].name()) << i;
    EXPECT_EQ(paged[i].desk(), desk);
    EXPECT_TRUE(seen.insert(paged[i].name()).second) << "twice: " << paged[i].name();
    if (i > 0) {
      EXPECT_LT(FromTs(paged[i - 1].start_time()), FromTs(paged[i].start_time())) << i;
    }
  }
  ExpectWellFormed(paged, Zone("Europe/Paris"), absl::Minutes(30));

  // Each page holds 7 but the last, and only the last has no token.
  v1::ListSlotsRequest req;
  req.set_desk(desk);
  *req.mutable_start_time() = Ts(from);
  *req.mutable_end_time() = Ts(to);
  req.set_page_size(7);
  int remaining = r.created;
  for (int page = 0; page < pages; ++page) {
    v1::ListSlotsResponse resp;
    ASSERT_TRUE(RpcOk(world.Call(&Stub::ListSlots, req, &resp)));
    EXPECT_EQ(resp.slots_size(), std::min(7, remaining));
    remaining -= resp.slots_size();
    EXPECT_EQ(resp.next_page_token().empty(), remaining == 0) << "page " << page;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(remaining, 0);

  // Booking a slot between pages does not shift what the next page holds.
  req.clear_page_token();
  v1::ListSlotsResponse first, second;
  ASSERT_TRUE(RpcOk(world.Call(&Stub::ListSlots, req, &first)));
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world.Book(first.slots(2).name(), 1, &a)));
  req.set_page_token(first.next_page_token());
  ASSERT_TRUE(RpcOk(world.Call(&Stub::ListSlots, req, &second)));
  ASSERT_GT(second.slots_size(), 0);
  EXPECT_EQ(second.slots(0).name(), whole[7].name());

  // The window is [start_time, end_time): a slot starting exactly at the end
  // is left out, one starting exactly at the start is in.
  const absl::Time s3 = FromTs(whole[3].start_time());
  const absl::Time s6 = FromTs(whole[6].start_time());
  std::vector<v1::Slot> window = world.ListAllSlots(desk, s3, s6);
  ASSERT_EQ(window.size(), 3u);
  EXPECT_EQ(window[0].name(), whole[3].name());
  EXPECT_EQ(window[2].name(), whole[5].name());
  EXPECT_EQ(other.slots.size(), 16u);
}

// Without start_time the window starts "now" (and ends 42 days later): a
// page token must still work on the next call, when "now" has moved on.
TEST(SlotReleaseDstTest, PagingTheDefaultWindowSurvivesTheClockMoving) {
  BookingWorld world(At(2026, 3, 1, 8, 0));
  Released r = Open(world, "Europe/Paris", absl::CivilDay(2026, 3, 2), absl::CivilDay(2026, 3, 29));
  ASSERT_EQ(r.created, 30);  // 4 Mondays x 2 + 3 Sundays x 6 + 4 on 29 March
  v1::ListSlotsRequest req;
  req.set_desk(r.open.desk.name());
  req.set_page_size(7);
  std::vector<std::string> names;
  for (int page = 0; page < 10; ++page) {
    v1::ListSlotsResponse resp;
    ASSERT_TRUE(RpcOk(world.Call(&Stub::ListSlots, req, &resp))) << "page " << page;
    for (const v1::Slot& s : resp.slots()) names.push_back(s.name());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
    world.clock().Advance(absl::Seconds(3));  // the person reads the page
  }
  std::vector<std::string> expected;
  for (const v1::Slot& s : r.open.slots) expected.push_back(s.name());
  EXPECT_EQ(names, expected);
}

// A booking page's calendar (ListAvailableDays): each local day with a free
// slot, as ListSlots lists them (the March change included); a full day is
// absent, a day less full counts one slot less; bad requests name their
// field.
TEST(SlotReleaseDstTest, AvailableDaysCountWhatListSlotsLists) {
  BookingWorld world(At(2026, 3, 1, 8, 0));
  Released r = Open(world, "Europe/Paris", absl::CivilDay(2026, 3, 2), absl::CivilDay(2026, 3, 29));
  ASSERT_EQ(r.created, 30);
  std::map<std::string, int> want;
  std::map<std::string, std::string> first;
  for (const v1::Slot& slot : r.open.slots) {
    const std::string day = DateText(slot.local_date());
    if (want[day]++ == 0) first[day] = Utc(slot.start_time());
  }
  v1::ListAvailableDaysRequest req;
  req.set_desk(r.open.desk.name());
  v1::ListAvailableDaysResponse resp;
  ASSERT_TRUE(RpcOk(world.Call(&Stub::ListAvailableDays, req, &resp)));
  std::map<std::string, int> got;
  for (const v1::AvailableDay& d : resp.days()) {
    got[DateText(d.date())] = d.free_slots();
    EXPECT_EQ(d.free_places(), d.free_slots());  // capacity 1
    EXPECT_EQ(Utc(d.first_start_time()), first[DateText(d.date())]);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(got["2026-03-29"], 4);  // 01:00 to 04:00 less the skipped hour

  // Booking the only two slots of Monday 2 March: the day is gone.
  const auto monday = std::find_if(r.open.slots.begin(), r.open.slots.end(), [](const v1::Slot& s) {
    return DateText(s.local_date()) == "2026-03-02";
  });
  ASSERT_NE(monday, r.open.slots.end());
  v1::Appointment a, b;
  ASSERT_TRUE(RpcOk(world.Book(monday->name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world.Book((monday + 1)->name(), 2, &b)));
  // One day from 2 March: nothing left that day.
  *req.mutable_start_date() = Date(absl::CivilDay(2026, 3, 2));
  req.set_days(1);
  ASSERT_TRUE(RpcOk(world.Call(&Stub::ListAvailableDays, req, &resp)));
  EXPECT_EQ(resp.days_size(), 0);
  req.set_days(7);  // 2 to 8 March: Sunday 8 only
  ASSERT_TRUE(RpcOk(world.Call(&Stub::ListAvailableDays, req, &resp)));
  ASSERT_EQ(resp.days_size(), 1);
  EXPECT_EQ(DateText(resp.days(0).date()), "2026-03-08");

  v1::ListAvailableDaysRequest bad = req;
  bad.set_days(93);
  EXPECT_TRUE(RpcFails(world.Call(&Stub::ListAvailableDays, bad, &resp),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_DAYS", "days"));
  bad = req;
  bad.mutable_start_date()->set_month(13);
  EXPECT_TRUE(RpcFails(world.Call(&Stub::ListAvailableDays, bad, &resp),
                       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_DATE", "start_date"));
  bad = req;
  bad.set_desk("desks/999999");
  EXPECT_TRUE(RpcFails(world.Call(&Stub::ListAvailableDays, bad, &resp),
                       grpc::StatusCode::NOT_FOUND, "DESK_NOT_FOUND", "desk"));
}

}  // namespace
}  // namespace accueil::testing
