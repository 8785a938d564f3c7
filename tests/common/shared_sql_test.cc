// The shared SQL building blocks (db/migrations/0010_shared.sql) against a
// real PostgreSQL: request ids keyed by module, replays of the first answer,
// events carrying their source module, and an upgrade from the previous
// schema whose booking request ids still replay.
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "services/common/db.h"
#include "services/common/errors.h"
#include "services/common/migrate.h"
#include "tests/support/test_database.h"

namespace accueil {
namespace {

constexpr char kNow[] = "'2026-06-01T08:00:00Z'";
constexpr char kLater[] = "'2026-06-01T09:00:00Z'";
// Tuesday 2026-06-02, 09:00 and 09:30 UTC.
constexpr char kStarts[] = "ARRAY[1780390800, 1780392600]::bigint[]";

// Sql runs statements on one connection of `db`.
class Sql {
 public:
  explicit Sql(const testing::TestDatabase& db) : conn_(db.url()) {
    pqxx::nontransaction tx(conn_);
    tx.exec("SET TimeZone = 'UTC'");
  }

  // One returns the first column of the first row as text ("" for no row or NULL).
  std::string One(const std::string& sql) {
    pqxx::nontransaction tx(conn_);
    pqxx::result r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

  // Status runs `sql` and returns how the service would see its outcome.
  absl::Status Status(const std::string& sql) {
    try {
      One(sql);
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return db::FromException(e);
    }
  }

 private:
  pqxx::connection conn_;
};

// A site, a desk of capacity 1 and two released slots; returns the first
// slot's id.
std::string OpenDesk(Sql& sql) {
  std::string site = sql.One(
      "INSERT INTO booking.sites (display_name, time_zone, create_time) "
      "VALUES ('Préfecture', 'Europe/Paris', now()) RETURNING id");
  std::string desk = sql.One(
      "INSERT INTO booking.desks (site_id, display_name, kind, slot_minutes, capacity_per_slot) "
      "VALUES (" +
      site + ", 'Accueil', 'other', 30, 1) RETURNING id");
  EXPECT_EQ(sql.One("SELECT created FROM booking.release_slots('release-1', '\\x01', " +
                    std::string(kNow) + ", " + desk + ", " + kStarts + ", '2026-05-01T00:00:00Z')"),
            "2");
  return sql.One("SELECT min(id) FROM booking.slots WHERE desk_id = " + desk);
}

// Book calls booking.create_appointment as the service does (the signature
// of the previous release and of this one) and returns "id reference".
std::string Book(Sql& sql, const std::string& request_id, const std::string& hash,
                 const std::string& slot, const std::string& reference, const char* now = kNow) {
  return sql.One("SELECT id || ' ' || reference FROM booking.create_appointment('" + request_id +
                 "', '" + hash + "', " + now + ", " + slot + ", '" + reference +
                 "', '\\x0a', 'Awa', 'Diallo', 'awa@example.org', NULL, 'fr', 'none', '', 0, "
                 "'online', NULL, '{}')");
}

::testing::AssertionResult Refused(const absl::Status& status, const std::string& reason,
                                   const std::string& field) {
  if (status.code() == absl::StatusCode::kInvalidArgument && ErrorReason(status) == reason &&
      ErrorField(status) == field) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << status << " reason=" << ErrorReason(status)
                                       << " field=" << ErrorField(status);
}

TEST(SharedSql, BookingRequestIdsOfThePreviousSchemaReplayAfterTheMigration) {
  // The schema of the previous release, used as its pods use it.
  auto db = testing::TestDatabase::Create(/*last_version=*/9);
  Sql sql(*db);
  ASSERT_EQ(sql.One("SELECT to_regnamespace('shared')::text"), "");
  std::string slot = OpenDesk(sql);
  std::string first = Book(sql, "book-1", "\\x02", slot, "ABCDEFGH");
  ASSERT_NE(first, "");
  // An administrative mutation (services/booking/mutation.cc of then).
  ASSERT_EQ(sql.One("SELECT booking.claim_request('site-1', '\\x03', " + std::string(kNow) + ")"),
            "");
  sql.One("SELECT booking.finish_request('site-1', '{\"id\": 7}')");

  absl::StatusOr<int> applied = db::Migrate(db->url());
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_GE(*applied, 1);

  EXPECT_EQ(sql.One("SELECT string_agg(request_id, ',' ORDER BY request_id) FROM shared.requests "
                    "WHERE module = 'booking'"),
            "book-1,release-1,site-1");
  // The retry of the booking gets the first answer: same appointment, same
  // reference, nothing booked twice, even an hour later and with another
  // reference drawn.
  EXPECT_EQ(Book(sql, "book-1", "\\x02", slot, "JKLMNPQR", kLater), first);
  EXPECT_EQ(sql.One("SELECT count(*) FROM booking.appointments"), "1");
  EXPECT_EQ(sql.One("SELECT count(*) FROM events.log WHERE type = 'appointment.booked'"), "1");
  EXPECT_EQ(sql.One("SELECT created FROM booking.release_slots('release-1', '\\x01', " +
                    std::string(kLater) + ", 1, ARRAY[1780394400]::bigint[], now())"),
            "2");
  EXPECT_EQ(sql.One("SELECT shared.claim_request('booking', 'site-1', '\\x03', " +
                    std::string(kLater) + ") ->> 'id'"),
            "7");
  EXPECT_TRUE(Refused(sql.Status("SELECT * FROM booking.create_appointment('book-1', '\\x09', " +
                                 std::string(kLater) + ", " + slot +
                                 ", 'JKLMNPQR', '\\x0a', 'Awa', 'Diallo', 'awa@example.org', "
                                 "NULL, 'fr', 'none', '', 0, 'online', NULL, '{}')"),
                      "REQUEST_ID_REUSED", "request_id"));

  // Pods of the previous release, still running while the upgrade rolls,
  // reach the same ids through the names they know.
  EXPECT_EQ(sql.One("SELECT booking.claim_request('book-1', '\\x02', " + std::string(kLater) +
                    ") ->> 'appointment_id'"),
            first.substr(0, first.find(' ')));
  EXPECT_EQ(sql.One("SELECT count(*) FROM booking.requests"), "3");
  EXPECT_TRUE(Refused(sql.Status("SELECT booking.claim_request('site-1', '\\x04', now())"),
                      "REQUEST_ID_REUSED", "request_id"));
  EXPECT_EQ(sql.One("SELECT booking.claim_request('site-2', '\\x04', now())"), "");
  sql.One("SELECT booking.finish_request('site-2', '{\"id\": 8}')");
  EXPECT_EQ(sql.One("SELECT shared.claim_request('booking', 'site-2', '\\x04', now()) ->> 'id'"),
            "8");
  EXPECT_TRUE(Refused(sql.Status("SELECT booking.raise('AC400', 'SAME_SLOT', 'new_slot', 'x')"),
                      "SAME_SLOT", "new_slot"));
}

TEST(SharedSql, ModulesKeepTheirOwnRequestIds) {
  auto db = testing::TestDatabase::Create();
  Sql sql(*db);
  std::string slot = OpenDesk(sql);

  // Another module claims "same-id" first, with another payload.
  EXPECT_EQ(sql.One("SELECT shared.claim_request('reception', 'same-id', '\\xaa', " +
                    std::string(kNow) + ")"),
            "");
  sql.One("SELECT shared.finish_request('reception', 'same-id', '{\"visit\": 1}')");
  // Booking's "same-id" is a new request of its own: booked, not refused.
  std::string first = Book(sql, "same-id", "\\x02", slot, "ABCDEFGH");
  ASSERT_NE(first, "");
  EXPECT_EQ(sql.One("SELECT count(*) FROM booking.appointments"), "1");

  // Each replays its own first answer and refuses its own reuse.
  EXPECT_EQ(Book(sql, "same-id", "\\x02", slot, "JKLMNPQR"), first);
  EXPECT_EQ(sql.One("SELECT shared.claim_request('reception', 'same-id', '\\xaa', now())"),
            "{\"visit\": 1}");
  EXPECT_TRUE(
      Refused(sql.Status("SELECT shared.claim_request('reception', 'same-id', '\\x02', now())"),
              "REQUEST_ID_REUSED", "request_id"));
  EXPECT_TRUE(
      Refused(sql.Status("SELECT shared.claim_request('booking', 'same-id', '\\xaa', now())"),
              "REQUEST_ID_REUSED", "request_id"));
  EXPECT_EQ(sql.One("SELECT count(*) FROM booking.appointments"), "1");
  EXPECT_EQ(sql.One("SELECT string_agg(module, ',' ORDER BY module) FROM shared.requests "
                    "WHERE request_id = 'same-id'"),
            "booking,reception");
  EXPECT_EQ(sql.One("SELECT count(*) FROM booking.requests WHERE request_id = 'same-id'"), "1");
  // A module name is a plain lower-case word.
  EXPECT_NE(sql.Status("SELECT shared.claim_request('Reception', 'x', '\\x01', now())").code(),
            absl::StatusCode::kOk);
}

TEST(SharedSql, EventsCarryTheirSourceModule) {
  auto db = testing::TestDatabase::Create();
  Sql sql(*db);
  std::string slot = OpenDesk(sql);
  // Booking's SQL writes through shared.append_event, not the previous
  // release's wrapper: without the wrapper its events still say 'booking'.
  sql.One("DROP FUNCTION booking.append_event(text, text, bigint, timestamptz, jsonb)");
  std::string appointment = Book(sql, "book-1", "\\x02", slot, "ABCDEFGH");
  ASSERT_NE(appointment, "");
  sql.One("SELECT shared.append_event('reception', 'visit.called', 'visits/1', 1, " +
          std::string(kNow) + ", '{\"visit\": 1}')");
  EXPECT_EQ(sql.One("SELECT string_agg(type || ':' || source, ',' ORDER BY position) "
                    "FROM events.log"),
            "slots.released:booking,appointment.booked:booking,visit.called:reception");
  EXPECT_EQ(sql.One("SELECT occurred_time = " + std::string(kNow) +
                    " AND site_id = 1 AND payload = '{\"visit\": 1}' FROM events.log "
                    "WHERE source = 'reception'"),
            "t");
}

TEST(SharedSql, ThePurgeForgetsBookingsOldRequestIdsOnly) {
  auto db = testing::TestDatabase::Create();
  Sql sql(*db);
  for (const char* module : {"booking", "reception"}) {
    for (const char* id : {"old", "recent"}) {
      std::string when = std::string(id) == "old" ? "'2026-01-01T00:00:00Z'" : kNow;
      sql.One("SELECT shared.claim_request('" + std::string(module) + "', '" + id + "', '\\x01', " +
              when + ")");
    }
  }
  EXPECT_EQ(
      sql.One("SELECT booking.purge_personal_data(" + std::string(kNow) + ", '90 days'::interval)"),
      "0");
  EXPECT_EQ(sql.One("SELECT string_agg(module || ':' || request_id, ',' "
                    "ORDER BY module, request_id) FROM shared.requests"),
            "booking:recent,reception:old,reception:recent");
}

}  // namespace
}  // namespace accueil
