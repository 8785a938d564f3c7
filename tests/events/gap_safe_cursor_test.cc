// The event cursor never skips an event that commits after a later-numbered
// one, and never delivers one twice.
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/events.h"
#include "tests/support/test_database.h"

namespace accueil::events {
namespace {

void Append(pqxx::transaction_base& tx, const std::string& subject) {
  tx.exec_params(
      "INSERT INTO events.log (type, source, subject, occurred_time) "
      "VALUES ('test.happened', 'test', $1, now())",
      subject);
}

// Drain reads everything currently safe to read, advancing `cursor`.
std::vector<std::string> Drain(pqxx::connection& c, Cursor* cursor) {
  std::vector<std::string> subjects;
  for (;;) {
    pqxx::work tx(c);
    std::vector<Event> batch = ReadEvents(tx, *cursor, 50);
    tx.commit();
    if (batch.empty()) return subjects;
    for (const Event& e : batch) {
      subjects.push_back(e.subject);
      *cursor = e.cursor();
    }
  }
}

// DrainAtLeast reads until `n` events arrived (or 30 s pass). Delivery waits
// for the oldest transaction running anywhere on the cluster, and other
// tests share the cluster, so "committed" does not mean "readable at once".
std::vector<std::string> DrainAtLeast(pqxx::connection& c, Cursor* cursor, size_t n) {
  std::vector<std::string> subjects;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (subjects.size() < n && absl::Now() < deadline) {
    std::vector<std::string> got = Drain(c, cursor);
    subjects.insert(subjects.end(), got.begin(), got.end());
    if (subjects.size() < n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return subjects;
}

TEST(GapSafeCursor, WaitsForAnEarlierTransactionThatCommitsLast) {
  auto db = testing::TestDatabase::Create();
  pqxx::connection slow_conn(db->url()), fast_conn(db->url()), reader(db->url());

  pqxx::work slow(slow_conn);
  Append(slow, "slow");  // takes position 1 and the older txid
  {
    pqxx::work fast(fast_conn);
    Append(fast, "fast");  // position 2, commits first
    fast.commit();
  }
  Cursor cursor;
  // A position-based reader would deliver "fast" now and skip "slow" later.
  EXPECT_TRUE(Drain(reader, &cursor).empty());
  slow.commit();
  EXPECT_EQ(DrainAtLeast(reader, &cursor, 2), (std::vector<std::string>{"slow", "fast"}));
  EXPECT_TRUE(Drain(reader, &cursor).empty());
}

TEST(GapSafeCursor, TheLastSafeEventIsWhereReadingStops) {
  auto db = testing::TestDatabase::Create();
  pqxx::connection slow_conn(db->url()), fast_conn(db->url()), reader(db->url());
  {
    pqxx::work tx(reader);
    EXPECT_FALSE(LastSafeEvent(tx).has_value());  // an empty log
  }
  {
    pqxx::work first(fast_conn);
    Append(first, "first");
    first.commit();
  }
  pqxx::work slow(slow_conn);
  Append(slow, "slow");  // the older txid, still running
  {
    pqxx::work fast(fast_conn);
    Append(fast, "fast");  // committed, but after "slow" in the log's order
    fast.commit();
  }
  // Until "slow" ends, reading stops after "first": so does LastSafeEvent
  // (other tests' transactions may hold it back further).
  std::optional<Cursor> last;
  Cursor cursor;
  std::vector<std::string> read;
  {
    pqxx::work tx(reader);
    last = LastSafeEvent(tx);
    tx.commit();
  }
  read = Drain(reader, &cursor);
  EXPECT_LE(read.size(), 1u);
  if (last) {
    EXPECT_EQ(read, (std::vector<std::string>{"first"}));
    EXPECT_EQ(last->txid, cursor.txid);
    EXPECT_EQ(last->position, cursor.position);
  }
  slow.commit();
  // Once everything is readable, the last safe event is the last one read.
  read = DrainAtLeast(reader, &cursor, 3 - read.size());
  pqxx::work tx(reader);
  last = LastSafeEvent(tx);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(read.back(), "fast");
  EXPECT_EQ(last->txid, cursor.txid);
  EXPECT_EQ(last->position, cursor.position);
}

TEST(GapSafeCursor, RolledBackEventsNeverAppear) {
  auto db = testing::TestDatabase::Create();
  pqxx::connection w(db->url()), reader(db->url());
  {
    pqxx::work tx(w);
    Append(tx, "rolled-back");
    tx.abort();
  }
  {
    pqxx::work tx(w);
    Append(tx, "kept");
    tx.commit();
  }
  Cursor cursor;
  EXPECT_EQ(DrainAtLeast(reader, &cursor, 1), (std::vector<std::string>{"kept"}));
}

TEST(GapSafeCursor, ConcurrentWritersEveryEventExactlyOnce) {
  auto db = testing::TestDatabase::Create();
  constexpr int kWriters = 8;
  constexpr int kPerWriter = 60;
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      pqxx::connection c(db->url());
      std::mt19937 rng(w);
      for (int i = 0; i < kPerWriter; ++i) {
        pqxx::work tx(c);
        Append(tx, absl::StrCat(w, "-", i));
        // Hold some transactions open so that commits overtake each other.
        if (rng() % 3 == 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
        }
        if (rng() % 10 == 0) {
          tx.abort();
          Append(*std::make_unique<pqxx::work>(c), "never");  // aborted on scope exit
          continue;
        }
        tx.commit();
      }
    });
  }
  std::vector<std::string> seen;
  std::thread reader([&] {
    pqxx::connection c(db->url());
    Cursor cursor;
    while (!done.load()) {
      std::vector<std::string> got = Drain(c, &cursor);
      seen.insert(seen.end(), got.begin(), got.end());
    }
    // Delivery waits for the oldest running transaction of the whole
    // cluster (other tests may share it): keep reading until caught up.
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    for (;;) {
      std::vector<std::string> rest = Drain(c, &cursor);
      seen.insert(seen.end(), rest.begin(), rest.end());
      pqxx::nontransaction count_tx(c);
      size_t total = count_tx.exec1("SELECT count(*) FROM events.log")[0].as<size_t>();
      if (seen.size() >= total || absl::Now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (std::thread& t : writers) t.join();
  done = true;
  reader.join();

  pqxx::connection c(db->url());
  pqxx::nontransaction tx(c);
  std::multiset<std::string> committed;
  for (const auto& row : tx.exec("SELECT subject FROM events.log")) {
    committed.insert(row[0].as<std::string>());
  }
  std::multiset<std::string> delivered(seen.begin(), seen.end());
  EXPECT_EQ(delivered.size(), seen.size());
  EXPECT_EQ(committed.count("never"), 0u);
  EXPECT_GT(committed.size(), static_cast<size_t>(kWriters * kPerWriter / 2));
  EXPECT_EQ(delivered, committed);  // nothing missed, nothing twice
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
}

// Transaction ids are compared as numbers, not as their text: "10" sorts
// after "9". (Sorted as text, a cluster whose transaction ids reach 10^n
// delivered "10" first and then skipped "9".)
TEST(GapSafeCursor, ReadsTransactionsInNumericOrder) {
  auto db = testing::TestDatabase::Create();
  pqxx::connection c(db->url());
  {
    pqxx::work tx(c);
    // Ids older than any running transaction, written out of order.
    for (const char* txid : {"10", "9"}) {
      tx.exec_params(
          "INSERT INTO events.log (txid, type, source, subject, occurred_time) "
          "VALUES ($1::xid8, 'test.happened', 'test', $2, now())",
          txid, txid);
    }
    tx.commit();
  }
  Cursor cursor;
  std::vector<std::string> subjects;
  for (int i = 0; i < 3; ++i) {
    pqxx::work tx(c);
    for (const Event& e : ReadEvents(tx, cursor, 1)) {
      subjects.push_back(e.subject);
      cursor = e.cursor();
    }
  }
  EXPECT_EQ(subjects, (std::vector<std::string>{"9", "10"}));
}

TEST(GapSafeCursor, ConsumerCursorPersists) {
  auto db = testing::TestDatabase::Create();
  pqxx::connection a(db->url()), b(db->url());
  {
    pqxx::work tx(a);
    Append(tx, "one");
    tx.commit();
  }
  Cursor start;
  ASSERT_EQ(DrainAtLeast(a, &start, 1).size(), 1u);  // readable now
  {
    pqxx::work tx(a);
    Cursor cursor = LoadCursor(tx, "tester");
    EXPECT_EQ(cursor.position, 0);
    std::vector<Event> batch = ReadEvents(tx, cursor, 10);
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_TRUE(AdvanceCursor(tx, "tester", cursor, batch.back().cursor(), absl::Now()));
    tx.commit();
  }
  pqxx::work tx(b);
  Cursor cursor = LoadCursor(tx, "tester");
  EXPECT_GT(cursor.position, 0);
  EXPECT_TRUE(ReadEvents(tx, cursor, 10).empty());
}

TEST(EventLog, IsAppendOnly) {
  auto db = testing::TestDatabase::Create();
  pqxx::connection c(db->url());
  {
    pqxx::work tx(c);
    Append(tx, "kept");
    tx.commit();
  }
  for (const char* sql : {"UPDATE events.log SET subject = 'changed'", "DELETE FROM events.log",
                          "TRUNCATE events.log"}) {
    pqxx::work tx(c);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  EXPECT_EQ(db->Query("SELECT string_agg(subject, ',') FROM events.log"), "kept");
}

}  // namespace
}  // namespace accueil::events
