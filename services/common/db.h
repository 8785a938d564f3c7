// The one PostgreSQL connection pool, and the mapping of database errors.
//
// libpqxx has no pool: this keeps `size` connections, prepares every
// registered statement once per connection, sets TimeZone to UTC, and hands
// connections out one call at a time. Run() retries serialization failures
// and deadlocks a bounded number of times, then answers ABORTED; a broken
// connection is replaced and the call retried once (callers make mutations
// idempotent with a request_id, so a replay is harmless).
//
// SQL functions report business errors with RAISE ... USING
// ERRCODE = 'AC4xx', MESSAGE = 'REASON|field|human text'; Run() turns them
// into an accueil::Error with that reason and field (see errors.h):
//   AC400 INVALID_ARGUMENT, AC404 NOT_FOUND, AC409 ALREADY_EXISTS,
//   AC412 FAILED_PRECONDITION, AC403 PERMISSION_DENIED.
//
//   pool->Prepare("get_site", "SELECT ... WHERE id = $1");
//   absl::StatusOr<std::string> name = pool->Run(
//       [&](pqxx::connection& c) -> absl::StatusOr<std::string> {
//         pqxx::nontransaction tx(c);
//         pqxx::result r = tx.exec_prepared("get_site", id);
//         ...
//       });
#pragma once

#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <pqxx/pqxx>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace accueil::db {

// FromException maps an exception thrown by libpqxx (or anything else) to a
// status. Business errors raised by our SQL functions keep reason and field.
absl::Status FromException(const std::exception& e);

// IsRetryable is true for a serialization failure or a deadlock.
bool IsRetryable(const std::exception& e);

// Pool is thread-safe.
class Pool {
 public:
  // Create opens `size` connections to `url`; fails with UNAVAILABLE if the
  // database cannot be reached.
  static absl::StatusOr<std::unique_ptr<Pool>> Create(const std::string& url, int size);
  ~Pool();

  // Prepare registers a named statement on every connection, now and after
  // any reconnection. Names are global to the pool: prefix them per service.
  void Prepare(const std::string& name, const std::string& sql);

  // Run calls fn(pqxx::connection&) with a connection of its own and returns
  // what fn returns (absl::Status or absl::StatusOr<T>); exceptions are
  // mapped by FromException after bounded retries.
  template <typename Fn>
  auto Run(Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>()));

  // OpenDedicated opens a connection outside the pool, with the pool's
  // settings, for a long-lived use that must not hold a pooled one (LISTEN,
  // a session-level advisory lock).
  absl::StatusOr<std::unique_ptr<pqxx::connection>> OpenDedicated() { return Open(); }

  // Acquire timeout: a call waits at most this long for a free connection.
  static constexpr absl::Duration kAcquireTimeout = absl::Seconds(5);
  static constexpr int kMaxAttempts = 4;

  // Stats is what the pool's metrics report (metrics.h).
  struct Stats {
    int size = 0;          // connections the pool keeps
    int idle = 0;          // of which free now
    int64_t waits = 0;     // acquisitions that found none free and waited, since start
    int64_t timeouts = 0;  // of which gave up after kAcquireTimeout (DATABASE_BUSY)
  };
  Stats stats() const;

 private:
  struct Conn {
    std::unique_ptr<pqxx::connection> conn;
    size_t prepared = 0;  // statements_[0, prepared) are prepared on it
  };

  Pool(std::string url) : url_(std::move(url)) {}
  absl::StatusOr<Conn> Take();
  void Give(Conn c);
  absl::Status Ready(Conn& c);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Open();

  const std::string url_;
  int size_ = 0;
  mutable absl::Mutex mu_;
  std::deque<Conn> idle_ ABSL_GUARDED_BY(mu_);
  int64_t waits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t timeouts_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<std::string, std::string>> statements_ ABSL_GUARDED_BY(mu_);
};

template <typename Fn>
auto Pool::Run(Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>())) {
  absl::Status last;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    absl::StatusOr<Conn> c = Take();
    if (!c.ok()) return c.status();
    bool broken = false;
    try {
      if (absl::Status s = Ready(*c); !s.ok()) {
        broken = true;
        last = s;
      } else {
        auto result = fn(*c->conn);
        Give(std::move(*c));
        return result;
      }
    } catch (const pqxx::broken_connection& e) {
      broken = true;
      last = FromException(e);
    } catch (const std::exception& e) {
      last = FromException(e);
      if (!IsRetryable(e)) {
        Give(std::move(*c));
        return last;
      }
    }
    if (broken) c->conn.reset();  // Take() reopens it
    Give(std::move(*c));
    if (broken && attempt >= 2) break;
  }
  return last;
}

}  // namespace accueil::db

namespace accueil::db {

// SqlTime formats an instant for a `$n::timestamptz` parameter (UTC).
std::string SqlTime(absl::Time t);

// Micros returns the SQL expression reading a timestamptz column as epoch
// microseconds (libpqxx 6 has no chrono conversion).
std::string Micros(const std::string& column);

}  // namespace accueil::db
