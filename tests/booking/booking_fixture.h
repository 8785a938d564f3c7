// Shared set-up for the booking integration tests: an in-process server on a
// private database (tests/support/test_server.h), and helpers that build a
// site, a desk, opening hours and released slots through the real RPCs.
//
//   BookingWorld world;                       // clock at 2026-06-01T08:00Z
//   OpenedDesk open = world.OpenDesk(DeskOptions{});  // 20 slots, capacity 1
//   v1::Appointment a;
//   ASSERT_TRUE(RpcOk(world.Book(open.slots[0].name(), 1, &a)));
//   EXPECT_TRUE(RpcFails(world.Book(open.slots[0].name(), 2, &a),
//                        grpc::StatusCode::FAILED_PRECONDITION, "SLOT_FULL", "slot"));
//
// Helpers never abort: a failing RPC is reported with ADD_FAILURE and the
// helper returns what it has, so the test's own assertions then stop it.
#pragma once

#include <type_traits>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/common/errors.h"
#include "services/common/grpc_status.h"
#include "tests/support/test_server.h"

namespace accueil::testing {

namespace v1 = ::accueil::booking::v1;

// Monday 2026-06-01T08:00:00Z (10:00 in Paris), TestServer's default.
inline const absl::Time kJune1 = absl::FromUnixSeconds(1780300800);

// ------------------------------------------------------------------ errors

// RpcError is a gRPC status with its AIP-193 reason and field decoded.
struct RpcError {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string reason;
  std::string field;
  std::string message;
  bool ok() const { return code == grpc::StatusCode::OK; }
};

inline RpcError Explain(const grpc::Status& status) {
  RpcError out;
  out.code = status.error_code();
  out.message = status.error_message();
  absl::Status decoded = FromGrpcStatus(status);
  out.reason = ErrorReason(decoded);
  out.field = ErrorField(decoded);
  return out;
}

inline std::ostream& operator<<(std::ostream& os, const RpcError& e) {
  return os << "code=" << static_cast<int>(e.code) << " reason=" << e.reason << " field=" << e.field
            << " message=\"" << e.message << "\"";
}

inline ::testing::AssertionResult RpcOk(const grpc::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "RPC failed: " << Explain(status);
}

// RpcFails checks the code, the reason and the field ("" = no field).
// CallOn runs one unary RPC on `stub` with a 30-second deadline and, if
// given, the agent's reason (x-agent-reason).
template <typename Req, typename Resp, typename Stub>
grpc::Status CallOn(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp, const std::string& reason = "") {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!reason.empty()) ctx.AddMetadata("x-agent-reason", reason);
  return (stub.*method)(&ctx, req, resp);
}

inline ::testing::AssertionResult RpcFails(const grpc::Status& status, grpc::StatusCode code,
                                           const std::string& reason, const std::string& field) {
  RpcError e = Explain(status);
  if (e.code == code && e.reason == reason && e.field == field) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected code=" << static_cast<int>(code) << " reason=" << reason << " field=" << field
         << ", got " << e;
}

// ---------------------------------------------------------------- values

inline google::type::Date Date(int y, int m, int d) {
  google::type::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

inline google::type::Date Date(absl::CivilDay day) {
  return Date(static_cast<int>(day.year()), day.month(), day.day());
}

inline std::string DateText(const google::type::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

inline google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

inline absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

inline std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

inline std::string Utc(const google::protobuf::Timestamp& t) { return Utc(FromTs(t)); }

inline v1::WeeklyRange Range(int iso_weekday, int start_hour, int start_min, int end_hour,
                             int end_min) {
  v1::WeeklyRange r;
  r.set_iso_weekday(iso_weekday);
  r.set_start_minute(start_hour * 60 + start_min);
  r.set_end_minute(end_hour * 60 + end_min);
  return r;
}

// Person i: distinct French mobile number and e-mail address.
inline v1::Person PersonNumber(int i) {
  v1::Person p;
  p.set_given_name("Camille");
  p.set_family_name(absl::StrCat("Durand-", i));
  p.set_email(absl::StrFormat("personne.%d@example.org", i));
  p.set_phone(absl::StrFormat("+3361%07d", i));
  p.set_preferred_language("fr");
  return p;
}

// The E.164 form the service stores for PersonNumber(i).phone().
inline std::string PhoneOf(int i) { return absl::StrFormat("+3361%07d", i); }

// Id of a resource name ("slots/12" -> 12), or -1.
inline int64_t IdOf(const std::string& name) {
  size_t slash = name.find('/');
  int64_t id = -1;
  if (slash == std::string::npos || !absl::SimpleAtoi(name.substr(slash + 1), &id)) {
    return -1;
  }
  return id;
}

// RunConcurrently calls task(0..tasks-1) on `threads` threads that start
// together (a spin barrier), so the calls really overlap.
inline void RunConcurrently(int threads, int tasks, const std::function<void(int)>& task) {
  std::atomic<int> ready{0};
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      for (int i = next.fetch_add(1); i < tasks; i = next.fetch_add(1)) task(i);
    });
  }
  for (std::thread& th : pool) th.join();
}

// ------------------------------------------------------------------ world

struct DeskOptions {
  std::string time_zone = "Europe/Paris";
  int slot_minutes = 30;
  int capacity = 1;
  // Default: Tuesday 09:00-19:00 local, i.e. 20 slots of 30 minutes.
  std::vector<v1::WeeklyRange> weekly = {Range(2, 9, 0, 19, 0)};
  // Days released (inclusive); default Tuesday 2026-06-02 only.
  absl::CivilDay first = absl::CivilDay(2026, 6, 2);
  absl::CivilDay last = absl::CivilDay(2026, 6, 2);
};

struct OpenedDesk {
  v1::Site site;
  v1::Desk desk;
  std::vector<v1::Slot> slots;  // as listed right after the release
};

class BookingWorld {
 public:
  explicit BookingWorld(absl::Time now = kJune1, int pool_size = 8)
      : server_(TestServer::Start(now, pool_size)),
        stub_(server_->BookingStub()),
        staff_stub_(server_->BookingStub(server_->StaffToken())) {}

  explicit BookingWorld(TestServerOptions options)
      : server_(TestServer::Start(std::move(options))),
        stub_(server_->BookingStub()),
        staff_stub_(server_->BookingStub(server_->StaffToken())) {}

  TestServer& server() { return *server_; }
  // Restart restarts the server with another secret key ring (a rotation)
  // and reconnects.
  void Restart(Secrets secrets) {
    server_->Restart(std::move(secrets));
    stub_ = server_->BookingStub();
    staff_stub_ = server_->BookingStub(server_->StaffToken());
  }
  v1::BookingService::Stub& stub() { return *stub_; }
  ManualClock& clock() { return server_->clock(); }

  // Query returns the first column of the first row ("" for none or NULL).
  std::string Query(const std::string& sql) { return server_->database().Query(sql); }

  int64_t QueryInt(const std::string& sql) {
    std::string text = Query(sql);
    int64_t value = 0;
    if (!absl::SimpleAtoi(text, &value)) {
      ADD_FAILURE() << "not an integer: \"" << text << "\" from " << sql;
      return -1;
    }
    return value;
  }

  // Call runs one unary RPC with a 30-second deadline. Administration,
  // no-shows and agent bookings go as staff (administrator, lodge and
  // counter agent on every site, with a reason); what only the reception
  // service may do (arrivals, service, rebooking, the sweep) as the server's
  // own service identity; what a person does as the public.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::BookingService::Stub::*method)(grpc::ClientContext*,
                                                                     const Req&, Resp*),
                    const Req& req, Resp* resp) {
    if (IsServiceRequest(req)) return CallAsService(method, req, resp);
    bool staff = IsStaffRequest(req);
    return CallOn(staff ? *staff_stub_ : *stub_, method, req, resp, staff ? "test fixture" : "");
  }

  // CallAsService calls as the reception service does: a service token
  // and, when given, the agent it acts for and their reason.
  template <typename Req, typename Resp>
  grpc::Status CallAsService(grpc::Status (v1::BookingService::Stub::*method)(grpc::ClientContext*,
                                                                              const Req&, Resp*),
                             const Req& req, Resp* resp, const std::string& agent = "",
                             const std::string& reason = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ctx.AddMetadata("authorization", "Bearer " + server_->ServiceToken());
    if (!agent.empty()) ctx.AddMetadata("x-acting-agent", agent);
    // As Call::Downstream passes it: UTF-8, in binary metadata.
    if (!reason.empty()) ctx.AddMetadata("x-agent-reason-bin", reason);
    return ((*stub_).*method)(&ctx, req, resp);
  }

  template <typename Req>
  static bool IsServiceRequest(const Req&) {
    return std::is_same_v<Req, v1::TransitionAppointmentRequest> ||
           std::is_same_v<Req, v1::CheckInAppointmentRequest> ||
           std::is_same_v<Req, v1::MarkNotServedRequest> ||
           std::is_same_v<Req, v1::RebookAppointmentRequest> ||
           std::is_same_v<Req, v1::SweepNoShowsRequest>;
  }

  template <typename Req>
  static bool IsStaffRequest(const Req& req) {
    if constexpr (std::is_same_v<Req, v1::CreateAppointmentRequest>) {
      return req.channel() == v1::AGENT || req.channel() == v1::CONVOCATION;
    }
    return std::is_same_v<Req, v1::CreateSiteRequest> ||
           std::is_same_v<Req, v1::CreateDeskRequest> ||
           std::is_same_v<Req, v1::UpdateDeskRequest> ||
           std::is_same_v<Req, v1::SetOpeningHoursRequest> ||
           std::is_same_v<Req, v1::ReleaseSlotsRequest> ||
           std::is_same_v<Req, v1::ResetAccessCodeRequest> ||
           std::is_same_v<Req, v1::ListDayAppointmentsRequest>;
  }

  // ------------------------------------------------------------ catalogue

  grpc::Status CreateSite(const std::string& time_zone, v1::Site* out,
                          const std::string& request_id = "") {
    v1::CreateSiteRequest req;
    req.mutable_site()->set_display_name("Préfecture de test");
    req.mutable_site()->set_address("1 rue de la Paix, 75002 Paris");
    req.mutable_site()->set_time_zone(time_zone);
    req.set_request_id(request_id);
    return Call(&v1::BookingService::Stub::CreateSite, req, out);
  }

  grpc::Status CreateDesk(const std::string& site, int slot_minutes, int capacity, v1::Desk* out) {
    v1::CreateDeskRequest req;
    req.set_parent(site);
    req.mutable_desk()->set_display_name("Titres de séjour");
    req.mutable_desk()->set_kind(v1::RESIDENCE_PERMIT_RENEWAL);
    req.mutable_desk()->mutable_slot_duration()->set_seconds(int64_t{slot_minutes} * 60);
    req.mutable_desk()->set_capacity_per_slot(capacity);
    return Call(&v1::BookingService::Stub::CreateDesk, req, out);
  }

  grpc::Status SetHours(const std::string& desk, const std::vector<v1::WeeklyRange>& weekly,
                        const std::vector<google::type::Date>& closures = {},
                        v1::OpeningHours* out = nullptr) {
    v1::SetOpeningHoursRequest req;
    req.mutable_opening_hours()->set_desk(desk);
    for (const v1::WeeklyRange& r : weekly) *req.mutable_opening_hours()->add_weekly() = r;
    for (const google::type::Date& d : closures) {
      v1::Closure* c = req.mutable_opening_hours()->add_closures();
      *c->mutable_date() = d;
      c->set_reason("Fermeture exceptionnelle");
    }
    v1::OpeningHours ignored;
    return Call(&v1::BookingService::Stub::SetOpeningHours, req, out ? out : &ignored);
  }

  grpc::Status Release(const std::string& desk, absl::CivilDay first, absl::CivilDay last,
                       v1::ReleaseSlotsResponse* out,
                       std::optional<absl::Time> release_time = std::nullopt) {
    v1::ReleaseSlotsRequest req;
    req.set_desk(desk);
    *req.mutable_start_date() = Date(first);
    *req.mutable_end_date() = Date(last);
    if (release_time) *req.mutable_release_time() = Ts(*release_time);
    return Call(&v1::BookingService::Stub::ReleaseSlots, req, out);
  }

  // ListAllSlots follows next_page_token; reports a failure and returns what
  // it has if a page fails.
  std::vector<v1::Slot> ListAllSlots(const std::string& desk, absl::Time start, absl::Time end,
                                     int page_size = 500, int* pages = nullptr) {
    std::vector<v1::Slot> out;
    std::string token;
    int count = 0;
    do {
      v1::ListSlotsRequest req;
      req.set_desk(desk);
      *req.mutable_start_time() = Ts(start);
      *req.mutable_end_time() = Ts(end);
      req.set_page_size(page_size);
      req.set_page_token(token);
      v1::ListSlotsResponse resp;
      grpc::Status s = Call(&v1::BookingService::Stub::ListSlots, req, &resp);
      if (!s.ok()) {
        ADD_FAILURE() << "ListSlots: " << Explain(s);
        break;
      }
      for (const v1::Slot& slot : resp.slots()) out.push_back(slot);
      token = resp.next_page_token();
      if (++count > 10000) {
        ADD_FAILURE() << "ListSlots never ends";
        break;
      }
    } while (!token.empty());
    if (pages != nullptr) *pages = count;
    return out;
  }

  // OpenDesk creates a site and a desk, sets the weekly hours and releases
  // the days at once; returns the slots listed afterwards.
  OpenedDesk OpenDesk(const DeskOptions& options) {
    OpenedDesk out;
    grpc::Status s = CreateSite(options.time_zone, &out.site);
    if (!s.ok()) {
      ADD_FAILURE() << "CreateSite: " << Explain(s);
      return out;
    }
    return OpenDeskAt(out.site, options);
  }

  // OpenDeskAt is OpenDesk on an existing site.
  OpenedDesk OpenDeskAt(const v1::Site& site, const DeskOptions& options) {
    OpenedDesk out;
    out.site = site;
    grpc::Status s = CreateDesk(site.name(), options.slot_minutes, options.capacity, &out.desk);
    if (!s.ok()) {
      ADD_FAILURE() << "CreateDesk: " << Explain(s);
      return out;
    }
    s = SetHours(out.desk.name(), options.weekly);
    if (!s.ok()) {
      ADD_FAILURE() << "SetOpeningHours: " << Explain(s);
      return out;
    }
    v1::ReleaseSlotsResponse released;
    s = Release(out.desk.name(), options.first, options.last, &released);
    if (!s.ok()) {
      ADD_FAILURE() << "ReleaseSlots: " << Explain(s);
      return out;
    }
    absl::Time now = clock().Now();
    out.slots = ListAllSlots(out.desk.name(), now, now + absl::Hours(24 * 400));
    if (static_cast<int>(out.slots.size()) != released.created_slot_count()) {
      ADD_FAILURE() << "released " << released.created_slot_count() << " slots, listed "
                    << out.slots.size();
    }
    return out;
  }

  // --------------------------------------------------------- appointments

  static v1::CreateAppointmentRequest BookingRequest(const std::string& slot, int person,
                                                     const std::string& request_id = "") {
    v1::CreateAppointmentRequest req;
    req.set_slot(slot);
    *req.mutable_person() = PersonNumber(person);
    req.mutable_accessibility()->set_need(v1::NONE);
    req.set_channel(v1::ONLINE);
    req.set_request_id(request_id);
    return req;
  }

  grpc::Status Book(const v1::CreateAppointmentRequest& req, v1::Appointment* out) {
    return Call(&v1::BookingService::Stub::CreateAppointment, req, out);
  }

  grpc::Status Book(const std::string& slot, int person, v1::Appointment* out) {
    return Book(BookingRequest(slot, person), out);
  }

  grpc::Status Get(const v1::Appointment& a, v1::Appointment* out) {
    v1::GetAppointmentRequest req;
    req.set_reference(a.reference());
    req.set_access_code(a.access_code());
    return Call(&v1::BookingService::Stub::GetAppointment, req, out);
  }

  grpc::Status Cancel(const v1::Appointment& a, v1::Appointment* out,
                      const std::string& request_id = "", const std::string& reason = "") {
    v1::CancelAppointmentRequest req;
    req.set_reference(a.reference());
    req.set_access_code(a.access_code());
    req.set_reason(reason);
    req.set_request_id(request_id);
    return Call(&v1::BookingService::Stub::CancelAppointment, req, out);
  }

  grpc::Status Reschedule(const v1::Appointment& a, const std::string& new_slot,
                          v1::Appointment* out, const std::string& request_id = "") {
    v1::RescheduleAppointmentRequest req;
    req.set_reference(a.reference());
    req.set_access_code(a.access_code());
    req.set_new_slot(new_slot);
    req.set_request_id(request_id);
    return Call(&v1::BookingService::Stub::RescheduleAppointment, req, out);
  }

  using TransitionMethod = grpc::Status (v1::BookingService::Stub::*)(
      grpc::ClientContext*, const v1::TransitionAppointmentRequest&, v1::Appointment*);

  // Transition: MarkNoShow as an agent (staff), the others as the reception
  // service.
  grpc::Status Transition(TransitionMethod method, const std::string& name, v1::Appointment* out,
                          const std::string& request_id = "") {
    v1::TransitionAppointmentRequest req;
    req.set_name(name);
    req.set_request_id(request_id);
    if (method == &v1::BookingService::Stub::MarkNoShow) {
      return CallOn(*staff_stub_, method, req, out, "test fixture");
    }
    return Call(method, req, out);
  }

  // ArriveOnTime sets the clock 10 minutes before `a`'s slot (inside its
  // arrival window) and marks it arrived.
  grpc::Status ArriveOnTime(const v1::Appointment& a, v1::Appointment* out) {
    clock().Set(FromTs(a.start_time()) - absl::Minutes(10));
    return Transition(&v1::BookingService::Stub::MarkArrived, a.name(), out);
  }

  // Serve: a whole visit on the clock: arrived 10 minutes before the slot,
  // served from 5 minutes after its start, done 20 minutes after it.
  grpc::Status Serve(const v1::Appointment& a, v1::Appointment* out) {
    grpc::Status s = ArriveOnTime(a, out);
    if (!s.ok()) return s;
    clock().Set(FromTs(a.start_time()) + absl::Minutes(5));
    s = Transition(&v1::BookingService::Stub::StartService, a.name(), out);
    if (!s.ok()) return s;
    clock().Set(FromTs(a.start_time()) + absl::Minutes(20));
    return Transition(&v1::BookingService::Stub::CompleteAppointment, a.name(), out);
  }

  // --------------------------------------------------------- invariants

  // Slots whose `booked` differs from the appointments holding a place in
  // them (every status but cancelled: a fulfilled or missed appointment
  // used its place), plus slots booked beyond capacity. 0 when the books
  // balance.
  int64_t InconsistentSlots() {
    return QueryInt(
        "SELECT count(*) FROM booking.slots s WHERE s.booked > s.capacity OR s.booked <> "
        "(SELECT count(*) FROM booking.appointments a WHERE a.slot_id = s.id "
        " AND a.status <> 'cancelled')");
  }

 private:
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::BookingService::Stub> stub_;
  std::unique_ptr<v1::BookingService::Stub> staff_stub_;
};

}  // namespace accueil::testing
