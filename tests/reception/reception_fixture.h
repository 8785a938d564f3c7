// Shared set-up for the reception tests: the booking world (a site, a desk,
// released slots, booked people: tests/booking/booking_fixture.h) and
// reception's stubs for a lodge agent, a counter agent and an administrator
// of the site.
//
//   ReceptionWorld world;              // a desk open Tuesday 2 June 2026
//   v1::Visit visit;
//   ASSERT_TRUE(RpcOk(world.CheckIn(world.appointments[0].reference(), &visit)));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "accueil/access/v1/access.grpc.pb.h"
#include "accueil/reception/v1/reception.grpc.pb.h"
#include "tests/booking/booking_fixture.h"

namespace accueil::testing {

namespace rv1 = ::accueil::reception::v1;

// Tuesday 2 June 2026, 09:00 in Paris (07:00 UTC): the desk's first slot.
inline const absl::Time kJune2Opening =
    absl::FromCivil(absl::CivilSecond(2026, 6, 2, 7, 0, 0), absl::UTCTimeZone());

class ReceptionWorld {
  static TestServerOptions WithJune1(TestServerOptions options) {
    options.now = kJune1;
    return options;
  }

 public:
  // Opens the default desk (Tuesday 2 June, 20 slots of 30 min from 09:00
  // Paris, capacity `capacity`), books `people` appointments in slot order
  // (person i in slot i / capacity), then sets the clock to 09:00 that day.
  explicit ReceptionWorld(int people = 4, int capacity = 1, TestServerOptions options = {})
      : booking(WithJune1(std::move(options))) {
    DeskOptions desk_options;
    desk_options.capacity = capacity;
    desk = booking.OpenDesk(desk_options);
    for (int i = 0; i < people; ++i) {
      v1::Appointment a;
      if (!RpcOk(booking.Book(desk.slots[i / capacity].name(), i + 1, &a))) {
        ADD_FAILURE() << "booking person " << i + 1;
      }
      appointments.push_back(a);
    }
    booking.clock().Set(kJune2Opening);
    const int64_t site = IdOf(desk.site.name());
    lodge_ = rv1::ReceptionService::NewStub(booking.server().Channel(
        booking.server().Token("lodge-1", {{access::v1::LODGE_AGENT, site}})));
    counter_ = rv1::ReceptionService::NewStub(booking.server().Channel(
        booking.server().Token("counter-1", {{access::v1::COUNTER_AGENT, site}})));
    admin_ = rv1::ReceptionService::NewStub(booking.server().Channel(
        booking.server().Token("admin-1", {{access::v1::ADMINISTRATOR, site}})));
  }

  rv1::ReceptionService::Stub& lodge() { return *lodge_; }
  rv1::ReceptionService::Stub& counter() { return *counter_; }
  rv1::ReceptionService::Stub& admin() { return *admin_; }
  // A stub for `token` ("" for the public).
  std::unique_ptr<rv1::ReceptionService::Stub> Stub(const std::string& token) {
    return rv1::ReceptionService::NewStub(booking.server().Channel(token));
  }

  grpc::Status CheckIn(const std::string& reference, rv1::Visit* out, bool late_accepted = false,
                       const std::string& request_id = "") {
    rv1::CheckInVisitorRequest req;
    req.set_reference(reference);
    req.set_site(desk.site.name());
    req.set_late_accepted(late_accepted);
    req.set_request_id(request_id);
    return CallOn(*lodge_, &rv1::ReceptionService::Stub::CheckInVisitor, req, out,
                  late_accepted ? "arrived late: bus strike" : "");
  }

  // CreateCounter makes a counter serving `desks` (default: the desk) and
  // opens it for today.
  grpc::Status OpenCounter(const std::string& display_name, rv1::Counter* out,
                           std::vector<std::string> desks = {}) {
    if (desks.empty()) desks.push_back(desk.desk.name());
    rv1::CreateCounterRequest create;
    create.mutable_counter()->set_site(desk.site.name());
    create.mutable_counter()->set_display_name(display_name);
    for (const std::string& d : desks) create.mutable_counter()->add_desks(d);
    rv1::Counter made;
    grpc::Status s = CallOn(*admin_, &rv1::ReceptionService::Stub::CreateCounter, create, &made);
    if (!s.ok()) return s;
    rv1::OpenCounterRequest open;
    open.set_counter(made.name());
    return CallOn(*counter_, &rv1::ReceptionService::Stub::OpenCounter, open, out);
  }

  grpc::Status CallNext(const rv1::Counter& counter, rv1::Visit* out,
                        const std::string& request_id = "") {
    rv1::CounterRequest req;
    req.set_counter(counter.name());
    req.set_request_id(request_id);
    return CallOn(*counter_, &rv1::ReceptionService::Stub::CallNextVisitor, req, out);
  }

  using VisitMethod = grpc::Status (rv1::ReceptionService::Stub::*)(grpc::ClientContext*,
                                                                    const rv1::VisitRequest&,
                                                                    rv1::Visit*);
  grpc::Status OnVisit(VisitMethod method, const rv1::Visit& visit, rv1::Visit* out,
                       const std::string& request_id = "") {
    rv1::VisitRequest req;
    req.set_visit(visit.name());
    req.set_request_id(request_id);
    return CallOn(*counter_, method, req, out);
  }

  grpc::Status Finish(const rv1::Visit& visit, rv1::VisitOutcome outcome,
                      rv1::FinishVisitResponse* out, const std::string& new_slot = "") {
    rv1::FinishVisitRequest req;
    req.set_visit(visit.name());
    req.set_outcome(outcome);
    req.set_new_slot(new_slot);
    return CallOn(*counter_, &rv1::ReceptionService::Stub::FinishVisit, req, out);
  }

  // Access: the access service as the site's administrator (device tokens).
  std::unique_ptr<access::v1::AccessService::Stub> Access() {
    return booking.server().AccessStub(
        booking.server().Token("admin-1", {{access::v1::ADMINISTRATOR, IdOf(desk.site.name())}}));
  }
  // MakeDevice: a device token of the site (a lodge kiosk, a display).
  access::v1::DeviceToken MakeDevice(const std::string& display_name) {
    access::v1::CreateDeviceTokenRequest req;
    req.set_site(desk.site.name());
    req.set_display_name(display_name);
    access::v1::DeviceToken token;
    grpc::ClientContext context;
    if (!RpcOk(Access()->CreateDeviceToken(&context, req, &token))) {
      ADD_FAILURE() << "CreateDeviceToken";
    }
    return token;
  }

  // The appointment's status as booking holds it.
  std::string AppointmentStatus(const v1::Appointment& a) {
    return booking.Query(
        absl::StrCat("SELECT status FROM booking.appointments WHERE id = ", IdOf(a.name())));
  }

  BookingWorld booking;
  OpenedDesk desk;
  std::vector<v1::Appointment> appointments;

 private:
  std::unique_ptr<rv1::ReceptionService::Stub> lodge_, counter_, admin_;
};

}  // namespace accueil::testing
