#include "services/common/db.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace accueil::db {
namespace {

absl::StatusCode CodeOf(absl::string_view sqlstate) {
  if (sqlstate == "AC400") return absl::StatusCode::kInvalidArgument;
  if (sqlstate == "AC403") return absl::StatusCode::kPermissionDenied;
  if (sqlstate == "AC404") return absl::StatusCode::kNotFound;
  if (sqlstate == "AC409") return absl::StatusCode::kAlreadyExists;
  return absl::StatusCode::kFailedPrecondition;  // AC412 and future AC4xx
}

// BusinessError reads "ERROR:  REASON|field|text" from a RAISE in our SQL.
absl::Status BusinessError(const pqxx::sql_error& e) {
  absl::string_view text = e.what();
  text = text.substr(0, text.find('\n'));
  if (size_t colon = text.find(':');
      colon != absl::string_view::npos && absl::StartsWith(text, "ERROR")) {
    text.remove_prefix(colon + 1);
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('|', 2));
  parts.resize(3);
  absl::Status status = Error(CodeOf(e.sqlstate()), std::string(parts[0]), std::string(parts[2]));
  if (!parts[1].empty()) status = WithField(status, std::string(parts[1]));
  return status;
}

}  // namespace

bool IsRetryable(const std::exception& e) {
  // Only what PostgreSQL rolled back for sure. Not the other
  // transaction_rollback errors: statement_completion_unknown (40003) may have
  // committed, and running the statement again could do it twice.
  return dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr ||
         dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr;
}

absl::Status FromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return Error(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE",
                 "the database cannot be reached; retry later");
  }
  if (IsRetryable(e)) {
    return Error(absl::StatusCode::kAborted, "CONCURRENT_UPDATE",
                 "a concurrent change won; retry the request");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    if (absl::StartsWith(state, "AC")) return BusinessError(*sql);
    if (state == "57014") {
      return Error(absl::StatusCode::kDeadlineExceeded, "QUERY_CANCELLED",
                   "the database query was cancelled");
    }
    // Anything else is our bug or an operational problem: log the state,
    // not the statement text (it may hold personal data).
    log::Error("database.error", {{"sqlstate", state}});
    return Error(absl::StatusCode::kInternal, "DATABASE_ERROR",
                 absl::StrCat("database error ", state));
  }
  log::Error("internal.exception", {{"what", e.what()}});
  return Error(absl::StatusCode::kInternal, "INTERNAL", "internal error");
}

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(const std::string& url, int size) {
  std::unique_ptr<Pool> pool(new Pool(url));
  pool->size_ = size;
  for (int i = 0; i < size; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<pqxx::connection> c, pool->Open());
    absl::MutexLock lock(&pool->mu_);
    pool->idle_.push_back(Conn{std::move(c), 0});
  }
  return pool;
}

Pool::~Pool() = default;

absl::StatusOr<std::unique_ptr<pqxx::connection>> Pool::Open() {
  try {
    auto c = std::make_unique<pqxx::connection>(url_);
    pqxx::nontransaction tx(*c);
    tx.exec("SET TimeZone = 'UTC'");
    return c;
  } catch (const std::exception& e) {
    return FromException(pqxx::broken_connection(e.what()));
  }
}

void Pool::Prepare(const std::string& name, const std::string& sql) {
  absl::MutexLock lock(&mu_);
  statements_.emplace_back(name, sql);
}

absl::StatusOr<Pool::Conn> Pool::Take() {
  absl::MutexLock lock(&mu_);
  if (idle_.empty()) ++waits_;
  if (!mu_.AwaitWithTimeout(absl::Condition(
                                +[](std::deque<Conn>* idle) { return !idle->empty(); }, &idle_),
                            kAcquireTimeout)) {
    ++timeouts_;
    return Error(absl::StatusCode::kUnavailable, "DATABASE_BUSY",
                 "no database connection became free in time; retry later");
  }
  Conn c = std::move(idle_.front());
  idle_.pop_front();
  return c;
}

Pool::Stats Pool::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{size_, static_cast<int>(idle_.size()), waits_, timeouts_};
}

void Pool::Give(Conn c) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(c));
}

// Ready reopens a dropped connection and prepares statements registered
// since it was last used. Runs outside the lock: it talks to the server.
absl::Status Pool::Ready(Conn& c) {
  if (c.conn == nullptr || !c.conn->is_open()) {
    ASSIGN_OR_RETURN(c.conn, Open());
    c.prepared = 0;
  }
  std::vector<std::pair<std::string, std::string>> pending;
  {
    absl::MutexLock lock(&mu_);
    pending.assign(statements_.begin() + c.prepared, statements_.end());
  }
  for (const auto& [name, sql] : pending) c.conn->prepare(name, sql);
  c.prepared += pending.size();
  return absl::OkStatus();
}

}  // namespace accueil::db

namespace accueil::db {

std::string SqlTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string Micros(const std::string& column) {
  return absl::StrCat("(extract(epoch from ", column, ") * 1000000)::bigint");
}

}  // namespace accueil::db
