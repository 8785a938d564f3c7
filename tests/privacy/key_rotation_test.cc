// Rotation of the secret key ring (docs/security.md#secrets): what the public
// and the devices hold keeps working through a rotation, the one-active-
// appointment rule holds across keys, and `rekey` moves person keys to the
// new signing key so that the old key can be retired.
#include "absl/strings/escaping.h"
#include <atomic>
#include <thread>

#include <pqxx/pqxx>

#include "services/booking/person_data_hooks.h"
#include "services/common/person_key.h"
#include "services/common/retention.h"
#include "tests/privacy/privacy_fixture.h"

namespace accueil::testing {
namespace {

Secrets Ring(const std::vector<std::string>& keys) {
  absl::StatusOr<Secrets> s = Secrets::FromKeys(keys);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

const std::string kOld(40, 'o');
const std::string kNew(40, 'n');

class KeyRotation : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.Restart(Ring({kOld}));
    DeskOptions options;
    options.last = absl::CivilDay(2026, 6, 9);
    open_ = world_.OpenDesk(options);
  }

  // Kiosk creates a device token for the desk's site.
  std::string Kiosk() {
    auto access = world_.server().AccessStub(world_.server().StaffToken());
    access::v1::CreateDeviceTokenRequest create;
    create.set_site(open_.site.name());
    create.set_display_name("Borne loge");
    access::v1::DeviceToken token;
    EXPECT_TRUE(RpcOk(
        CallOn(*access, &access::v1::AccessService::Stub::CreateDeviceToken, create, &token)));
    return token.token();
  }

  std::string StoredKey(const v1::Appointment& a) {
    return world_.Query(absl::StrCat(
        "SELECT encode(person_key, 'hex') FROM booking.appointments WHERE id = ", IdOf(a.name())));
  }

  BookingWorld world_;
  OpenedDesk open_;
};

TEST_F(KeyRotation, WhatThePublicHoldsSurvivesTheRotation) {
  v1::Appointment before, seen;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &before)));
  std::string kiosk = Kiosk();
  std::string device_hash =
      world_.Query("SELECT encode(secret_hash, 'hex') FROM access.device_tokens");
  EXPECT_EQ(world_.Query("SELECT key_id FROM access.device_tokens"), Ring({kOld}).KeyIds().front());

  // Step 1: the new key joins the ring, verifying only. Step 2: it signs.
  world_.Restart(Ring({kOld, kNew}));
  ASSERT_TRUE(RpcOk(world_.Get(before, &seen)));
  world_.Restart(Ring({kNew, kOld}));

  // The access code of the confirmation e-mail still opens the appointment;
  // what the service shows now is made under the new key, and opens it too.
  ASSERT_TRUE(RpcOk(world_.Get(before, &seen)));
  EXPECT_NE(seen.access_code(), before.access_code());
  EXPECT_NE(seen.check_in_token(), before.check_in_token());
  v1::Appointment again;
  ASSERT_TRUE(RpcOk(world_.Get(seen, &again)));

  // The kiosk's token still works, and its stored hash moves to the new key.
  auto device = world_.server().BookingStub(kiosk);
  v1::ListSitesResponse listed;
  ASSERT_TRUE(RpcOk(
      CallOn(*device, &v1::BookingService::Stub::ListSites, v1::ListSitesRequest(), &listed)));
  // The QR code of the e-mail checks in (through reception, on the day).
  v1::CheckInAppointmentRequest checkin;
  checkin.set_check_in_token(before.check_in_token());
  v1::Appointment arrived;
  world_.clock().Set(FromTs(before.start_time()) - absl::Minutes(10));
  ASSERT_TRUE(RpcOk(world_.Call(&v1::BookingService::Stub::CheckInAppointment, checkin, &arrived)));
  EXPECT_EQ(arrived.status(), v1::ARRIVED);
  EXPECT_NE(world_.Query("SELECT encode(secret_hash, 'hex') FROM access.device_tokens"),
            device_hash);
  EXPECT_EQ(world_.Query("SELECT key_id FROM access.device_tokens"), Ring({kNew}).KeyIds().front());

  // Step 4: the old key retired. The old code no longer opens; the new one
  // does; the kiosk, rehashed, still authenticates.
  world_.Restart(Ring({kNew}));
  EXPECT_TRUE(RpcFails(world_.Get(before, &again), grpc::StatusCode::PERMISSION_DENIED,
                       "WRONG_ACCESS_CODE", "access_code"))
      << "the old code must stop working with the retired key";
  ASSERT_TRUE(RpcOk(world_.Get(seen, &again)));
  device = world_.server().BookingStub(kiosk);
  v1::ListSitesResponse sites;
  EXPECT_TRUE(
      RpcOk(CallOn(*device, &v1::BookingService::Stub::ListSites, v1::ListSitesRequest(), &sites)));
  // The QR code of the first e-mail no longer checks in.
  EXPECT_TRUE(
      RpcFails(world_.Call(&v1::BookingService::Stub::CheckInAppointment, checkin, &arrived),
               grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CHECK_IN_TOKEN", "check_in_token"));
}

// Two replicas in the middle of step 2, one still signing with the old key
// and one with the new, book the same person at the same desk at the same
// time: the second waits for the first and is refused.
TEST_F(KeyRotation, MixedRingsDuringThePromotionStillAllowOneActive) {
  const std::string by_old = absl::BytesToHexString(PersonKey(Ring({kOld}), PhoneOf(1)));
  const std::string by_new = absl::BytesToHexString(PersonKey(Ring({kNew}), PhoneOf(1)));
  auto book = [&](pqxx::work& tx, const v1::Slot& slot, const std::string& reference,
                  const std::string& key, const std::string& previous) {
    tx.exec_params(
        "SELECT * FROM booking.create_appointment($1, decode($2, 'hex'), $3::timestamptz, $4, "
        "$5, decode($6, 'hex'), 'Camille', 'Durand-1', NULL, $7, 'fr', 'none', '', 0, "
        "'online', NULL, booking.keys_from_hex($8))",
        "mixed-" + reference, std::string(64, '0'), "2026-06-01T08:00:00Z", IdOf(slot.name()),
        reference, key, PhoneOf(1), previous);
  };
  pqxx::connection first_replica(world_.server().database().url());
  pqxx::connection second_replica(world_.server().database().url());
  pqxx::work first(first_replica);
  book(first, open_.slots[0], "MXXEDAAA", by_old, by_new);  // ring [old, new]
  std::string second_outcome;
  std::atomic<bool> second_done{false};
  const int second_pid = second_replica.backendpid();
  std::thread second([&] {
    try {
      pqxx::work tx(second_replica);
      book(tx, open_.slots[1], "MXXEDBBB", by_new, by_old);  // ring [new, old]
      tx.commit();
      second_outcome = "booked";
    } catch (const std::exception& e) {
      second_outcome = e.what();
    }
    second_done = true;
  });
  // The first stays open until the second waits for its lock (without the
  // lock the second would book meanwhile, and finish).
  bool waited = false;
  for (int i = 0; i < 2000 && !waited && !second_done; ++i) {
    waited = world_.Query(absl::StrCat("SELECT wait_event_type FROM pg_stat_activity "
                                       "WHERE pid = ",
                                       second_pid)) == "Lock";
    if (!waited) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(waited) << "the second booking did not wait for the first";
  first.commit();
  second.join();
  EXPECT_NE(second_outcome.find("ACTIVE_APPOINTMENT_EXISTS"), std::string::npos) << second_outcome;
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments"), 1);
}

// After a purge only the person key links a person to their appointments;
// under the ring [new, old] the administrator still finds them by phone.
TEST_F(KeyRotation, PersonRightsFindErasedAppointmentsUnderAnOlderKey) {
  v1::Appointment a, out;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &a)));
  ASSERT_TRUE(RpcOk(world_.Cancel(a, &out)));
  absl::StatusOr<std::unique_ptr<db::Pool>> pool =
      db::Pool::Create(world_.server().database().url(), 1);
  ASSERT_TRUE(pool.ok());
  const absl::Time september = absl::FromCivil(absl::CivilDay(2026, 9, 20), absl::UTCTimeZone());
  absl::StatusOr<retention::PurgeCounts> purged = retention::PurgeOnce(
      **pool, september, retention::Retention{}, world_.server().person_data());
  ASSERT_TRUE(purged.ok()) << purged.status();
  ASSERT_EQ(purged->erased, 1);

  auto exported = [&]() {
    auto admin = world_.server().BookingStub(world_.server().StaffToken());
    v1::ExportPersonDataRequest req;
    req.set_site(open_.site.name());
    req.set_query(PhoneOf(1));
    v1::ExportPersonDataResponse resp;
    EXPECT_TRUE(RpcOk(CallOn(*admin, &v1::BookingService::Stub::ExportPersonData, req, &resp,
                             "person's request")));
    return resp.appointments_size();
  };
  world_.Restart(Ring({kNew, kOld}));
  EXPECT_EQ(exported(), 1);
  // Retired without waiting for the history horizon: the link is lost
  // (docs/security.md#secrets says so).
  world_.Restart(Ring({kNew}));
  EXPECT_EQ(exported(), 0);
}

// Skipping step 1-3 (the old key retired at once) lets the same person hold
// two active appointments, one under each key; rekey, run with both keys,
// cannot merge them and counts the conflict.
TEST_F(KeyRotation, RekeyCountsWhatItCannotMove) {
  v1::Appointment a, b;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &a)));
  world_.Restart(Ring({kNew}));
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[1].name(), 1, &b)));
  absl::StatusOr<std::unique_ptr<db::Pool>> pool =
      db::Pool::Create(world_.server().database().url(), 1);
  ASSERT_TRUE(pool.ok());
  absl::StatusOr<RekeyCounts> counts = booking::PersonDataHooks().Rekey(**pool, Ring({kNew, kOld}));
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->examined, 2);
  EXPECT_EQ(counts->moved, 0);
  EXPECT_EQ(counts->conflicts, 1);
}

TEST_F(KeyRotation, OneActiveAppointmentAcrossKeysAndRekey) {
  v1::Appointment first, other, out;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[0].name(), 1, &first)));
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[1].name(), 2, &other)));
  std::string old_key = StoredKey(first);
  world_.Restart(Ring({kNew, kOld}));

  // Person 1's active appointment is stored under the old key: a second one
  // is refused all the same; nothing is written.
  int64_t count = world_.QueryInt("SELECT count(*) FROM booking.appointments");
  EXPECT_TRUE(RpcFails(world_.Book(open_.slots[2].name(), 1, &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ACTIVE_APPOINTMENT_EXISTS",
                       "person"));
  EXPECT_EQ(world_.QueryInt("SELECT count(*) FROM booking.appointments"), count);

  // A new person is stored under the new key.
  v1::Appointment third;
  ASSERT_TRUE(RpcOk(world_.Book(open_.slots[3].name(), 3, &third)));
  EXPECT_EQ(StoredKey(third), absl::BytesToHexString(PersonKey(Ring({kNew}), PhoneOf(3))));

  // The administrator still finds person 1 (here by the phone still held;
  // PersonRightsFindErasedAppointmentsUnderAnOlderKey finds by the old key).
  auto admin = world_.server().BookingStub(world_.server().StaffToken());
  v1::ExportPersonDataRequest exp;
  exp.set_site(open_.site.name());
  exp.set_query(PhoneOf(1));
  v1::ExportPersonDataResponse exported;
  ASSERT_TRUE(RpcOk(CallOn(*admin, &v1::BookingService::Stub::ExportPersonData, exp, &exported,
                           "person's request")));
  ASSERT_EQ(exported.appointments_size(), 1);

  // rekey moves persons 1 and 2 (their contacts are held), not person 3.
  absl::StatusOr<std::unique_ptr<db::Pool>> pool =
      db::Pool::Create(world_.server().database().url(), 1);
  ASSERT_TRUE(pool.ok());
  absl::StatusOr<RekeyCounts> counts = booking::PersonDataHooks().Rekey(**pool, Ring({kNew, kOld}));
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->examined, 3);
  EXPECT_EQ(counts->moved, 2);
  EXPECT_EQ(counts->conflicts, 0);
  EXPECT_NE(StoredKey(first), old_key);
  EXPECT_EQ(StoredKey(first), absl::BytesToHexString(PersonKey(Ring({kNew}), PhoneOf(1))));
  counts = booking::PersonDataHooks().Rekey(**pool, Ring({kNew, kOld}));
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->moved, 0);  // idempotent

  // With the old key retired, the database's own unique index refuses the
  // second appointment.
  world_.Restart(Ring({kNew}));
  EXPECT_TRUE(RpcFails(world_.Book(open_.slots[2].name(), 1, &out),
                       grpc::StatusCode::FAILED_PRECONDITION, "ACTIVE_APPOINTMENT_EXISTS",
                       "person"));
}

}  // namespace
}  // namespace accueil::testing
