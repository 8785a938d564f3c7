#include "services/reception/day_worker.h"

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"
#include "services/reception/visits.h"

namespace accueil::reception {
namespace {

// How long a claimed day stays with the replica working on it.
constexpr absl::Duration kLease = absl::Seconds(60);
// How often booking is asked for a day's no-shows.
constexpr absl::Duration kSweepEvery = absl::Minutes(1);

}  // namespace

DayWorker::DayWorker(const ServiceContext& context, ReceptionService* service,
                     absl::Duration interval)
    : ctx_(context), service_(service), interval_(interval) {}

DayWorker::~DayWorker() { Stop(); }

void DayWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void DayWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void DayWorker::Run() {
  for (;;) {
    const bool ok = Pass();
    if (healthy_.exchange(ok) != ok) {
      if (ok) log::Info("reception_day.recovered", {});
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    if (stopping_) return;
  }
}

bool DayWorker::Pass() {
  struct Due {
    int64_t site, desk;
    absl::CivilDay day;
    bool closed;
    absl::Time swept;
  };
  std::vector<Due> due;
  const absl::Time now = ctx_.clock->Now();
  // Our leases end then; a release clears only a lease that still says so.
  const std::string lease_until = db::SqlTime(now + kLease);
  absl::Status claimed = ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    due.clear();
    pqxx::work tx(c);
    // The days of the last three UTC dates cover every zone's today and
    // yesterday; a day is worked on until it is closed and a day old.
    for (const auto& row : tx.exec_params(
             "UPDATE reception.desk_days d SET lease_until = $2::timestamptz "
             "FROM (SELECT desk_id, local_date FROM reception.desk_days "
             "      WHERE local_date >= ($1::timestamptz AT TIME ZONE 'UTC')::date - 2 "
             "        AND (lease_until IS NULL OR lease_until < $1::timestamptz) "
             "      ORDER BY local_date, desk_id LIMIT 100 FOR UPDATE SKIP LOCKED) due "
             "WHERE d.desk_id = due.desk_id AND d.local_date = due.local_date "
             "RETURNING d.site_id, d.desk_id, d.local_date::text, d.close_time IS NOT NULL, "
             "coalesce((extract(epoch FROM d.swept_time) * 1000000)::bigint, 0)",
             db::SqlTime(now), lease_until)) {
      absl::CivilDay day;
      (void)absl::ParseCivilTime(row[2].as<std::string>(), &day);
      due.push_back({row[0].as<int64_t>(), row[1].as<int64_t>(), day, row[3].as<bool>(),
                     absl::FromUnixMicros(row[4].as<int64_t>())});
    }
    tx.commit();  // the leases, before any call to booking
    return absl::OkStatus();
  });
  if (!claimed.ok()) {
    log::Warn("reception_day.claim_failed", {{"reason", ErrorReason(claimed)}});
    return false;
  }
  bool ok = true;
  for (const Due& d : due) {
    absl::Status s = Work(d.site, d.desk, d.day, d.closed, d.swept);
    if (!s.ok()) {
      ok = false;
      log::Warn("reception_day.failed", {{"desk", absl::StrCat(d.desk)},
                                         {"code", CodeName(s.code())},
                                         {"reason", ErrorReason(s)}});
    }
    // Done (or failed): the lease goes, so the next pass looks again; only
    // ours, in case it ran out and another replica holds the day now.
    (void)ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      tx.exec_params(
          "UPDATE reception.desk_days SET lease_until = NULL WHERE desk_id = $1 "
          "AND local_date = $2::date AND lease_until = $3::timestamptz",
          d.desk, SqlDate(d.day), lease_until);
      return absl::OkStatus();
    });
  }
  return ok;
}

absl::Status DayWorker::Work(int64_t site, int64_t desk, absl::CivilDay day, bool closed,
                             absl::Time swept) {
  const absl::Time now = ctx_.clock->Now();
  const std::string parent = absl::StrCat("reception-day-", desk, "-", SqlDate(day));
  Call call = ctx_.gate->WorkerCall(parent);
  ASSIGN_OR_RETURN(absl::TimeZone zone, service_->booking().SiteZone(call, site));
  const absl::CivilDay today = absl::ToCivilDay(now, zone);
  if (day > today) return absl::OkStatus();
  // No-shows first: the closing below must not hide them.
  if (now - swept >= kSweepEvery) {
    booking::v1::SweepNoShowsRequest sweep;
    sweep.set_desk(Name("desks", desk));
    sweep.mutable_date()->set_year(static_cast<int>(day.year()));
    sweep.mutable_date()->set_month(day.month());
    sweep.mutable_date()->set_day(day.day());
    // One request id per sweep instant: a retry of the same pass replays.
    sweep.set_request_id(
        DerivedRequestId(parent, absl::StrCat("sweep-", absl::ToUnixSeconds(now))));
    RETURN_IF_ERROR(service_->booking().SweepNoShows(call, sweep).status());
    RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::nontransaction tx(c);
      tx.exec_params(
          "UPDATE reception.desk_days SET swept_time = $3::timestamptz "
          "WHERE desk_id = $1 AND local_date = $2::date",
          desk, SqlDate(day), db::SqlTime(now));
      return absl::OkStatus();
    }));
  }
  if (closed) return absl::OkStatus();
  if (day == today) {
    ASSIGN_OR_RETURN(int repaired, service_->RepairArrivals(call, site, desk, day,
                                                            DerivedRequestId(parent, "repair")));
    if (repaired > 0) log::Info("reception_day.repaired", {{"visits", absl::StrCat(repaired)}});
  }
  // Closing time, in the site's zone (the closing time of a day gone by has
  // passed too).
  std::string closing = "18:00";
  RETURN_IF_ERROR(ctx_.pool->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_params(
        "SELECT to_char(closing_time, 'HH24:MI') FROM reception.desk_settings WHERE desk_id = $1",
        desk);
    if (!r.empty()) closing = r[0][0].as<std::string>();
    return absl::OkStatus();
  }));
  absl::CivilMinute at;
  (void)absl::ParseCivilTime(absl::StrCat(SqlDate(day), "T", closing), &at);
  if (now < absl::FromCivil(at, zone)) return absl::OkStatus();
  return service_
      ->CloseDeskDays(call, site, day, {desk}, /*automatic=*/true, /*send_away=*/true,
                      DerivedRequestId(parent, "close"))
      .status();
}

}  // namespace accueil::reception
