// A catalogue of bad requests across the RPCs: each is refused with the
// right code, reason and field, and leaves the database exactly as it was.
#include <functional>

#include "absl/strings/ascii.h"

#include "tests/booking/booking_fixture.h"

namespace accueil::testing {
namespace {

using Stub = v1::BookingService::Stub;

// What the rows need to aim at: real resources, so that each request is
// wrong in one way only.
struct Scene {
  v1::Site site;
  v1::Desk desk;
  std::vector<v1::Slot> slots;
  v1::Appointment a;  // booked in slots[0]
  v1::Appointment b;  // booked in slots[1]
  std::string free_slot;
  std::string unknown_reference;  // well-formed, matches nothing
  std::string foreign_token;      // a real ListSlots token, for another window
};

struct BadRequest {
  std::string what;
  std::function<grpc::Status(BookingWorld&, const Scene&)> call;
  grpc::StatusCode code;
  std::string reason;
  std::string field;
};

constexpr grpc::StatusCode kInvalid = grpc::StatusCode::INVALID_ARGUMENT;
constexpr grpc::StatusCode kNotFound = grpc::StatusCode::NOT_FOUND;
constexpr grpc::StatusCode kDenied = grpc::StatusCode::PERMISSION_DENIED;

// ------------------------------------------------------------ valid bases

v1::CreateAppointmentRequest ValidBooking(const Scene& s) {
  v1::CreateAppointmentRequest req = BookingWorld::BookingRequest(s.free_slot, 900);
  req.mutable_accessibility()->set_need(v1::REDUCED_MOBILITY);
  req.mutable_accessibility()->set_note("Besoin d'une chaise");
  req.set_companions(1);
  return req;
}

v1::ListSlotsRequest ValidListing(const Scene& s) {
  v1::ListSlotsRequest req;
  req.set_desk(s.desk.name());
  *req.mutable_start_time() = Ts(kJune1);
  *req.mutable_end_time() = Ts(kJune1 + absl::Hours(24 * 7));
  req.set_page_size(5);
  return req;
}

v1::CreateSiteRequest ValidSite() {
  v1::CreateSiteRequest req;
  req.mutable_site()->set_display_name("Sous-préfecture de Saint-Denis");
  req.mutable_site()->set_address("Place du 8 Mai 1945");
  req.mutable_site()->set_time_zone("Europe/Paris");
  return req;
}

v1::CreateDeskRequest ValidDesk(const Scene& s) {
  v1::CreateDeskRequest req;
  req.set_parent(s.site.name());
  req.mutable_desk()->set_display_name("Remise de titres");
  req.mutable_desk()->set_kind(v1::RESIDENCE_PERMIT_COLLECTION);
  req.mutable_desk()->mutable_slot_duration()->set_seconds(15 * 60);
  req.mutable_desk()->set_capacity_per_slot(4);
  v1::DeskInstructions* fr = req.mutable_desk()->add_instructions();
  fr->set_language("fr");
  fr->add_documents("Passeport");
  fr->set_instructions("Venez à l'heure.\nApportez les originaux.");
  return req;
}

v1::UpdateDeskRequest ValidUpdate(const Scene& s) {
  v1::UpdateDeskRequest req;
  req.mutable_desk()->set_name(s.desk.name());
  req.mutable_desk()->set_display_name("Nouveau nom");
  req.mutable_update_mask()->add_paths("display_name");
  return req;
}

v1::SetOpeningHoursRequest ValidHours(const Scene& s) {
  v1::SetOpeningHoursRequest req;
  req.mutable_opening_hours()->set_desk(s.desk.name());
  *req.mutable_opening_hours()->add_weekly() = Range(2, 9, 0, 12, 0);
  *req.mutable_opening_hours()->add_weekly() = Range(2, 14, 0, 19, 0);
  v1::Closure* c = req.mutable_opening_hours()->add_closures();
  *c->mutable_date() = Date(2026, 7, 14);
  c->set_reason("Fête nationale");
  return req;
}

v1::ReleaseSlotsRequest ValidRelease(const Scene& s) {
  v1::ReleaseSlotsRequest req;
  req.set_desk(s.desk.name());
  *req.mutable_start_date() = Date(2026, 6, 9);
  *req.mutable_end_date() = Date(2026, 6, 9);
  return req;
}

// Row builders: a valid request, one edit, the RPC.
using Row = std::function<grpc::Status(BookingWorld&, const Scene&)>;

Row Booking(std::function<void(v1::CreateAppointmentRequest&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::CreateAppointmentRequest req = ValidBooking(s);
    edit(req);
    v1::Appointment out;
    return w.Book(req, &out);
  };
}

Row Listing(std::function<void(v1::ListSlotsRequest&, const Scene&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::ListSlotsRequest req = ValidListing(s);
    edit(req, s);
    v1::ListSlotsResponse out;
    return w.Call(&Stub::ListSlots, req, &out);
  };
}

Row Getting(std::function<void(v1::GetAppointmentRequest&, const Scene&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::GetAppointmentRequest req;
    req.set_reference(s.a.reference());
    req.set_access_code(s.a.access_code());
    edit(req, s);
    v1::Appointment out;
    return w.Call(&Stub::GetAppointment, req, &out);
  };
}

Row Cancelling(std::function<void(v1::CancelAppointmentRequest&, const Scene&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::CancelAppointmentRequest req;
    req.set_reference(s.a.reference());
    req.set_access_code(s.a.access_code());
    req.set_reason("Je ne peux pas venir");
    edit(req, s);
    v1::Appointment out;
    return w.Call(&Stub::CancelAppointment, req, &out);
  };
}

Row Moving(std::function<void(v1::RescheduleAppointmentRequest&, const Scene&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::RescheduleAppointmentRequest req;
    req.set_reference(s.a.reference());
    req.set_access_code(s.a.access_code());
    req.set_new_slot(s.free_slot);
    edit(req, s);
    v1::Appointment out;
    return w.Call(&Stub::RescheduleAppointment, req, &out);
  };
}

Row Transition(BookingWorld::TransitionMethod method, std::string name,
               std::string request_id = "") {
  return [method, name, request_id](BookingWorld& w, const Scene&) {
    v1::Appointment out;
    return w.Transition(method, name, &out, request_id);
  };
}

Row Site(std::function<void(v1::CreateSiteRequest&)> edit) {
  return [edit](BookingWorld& w, const Scene&) {
    v1::CreateSiteRequest req = ValidSite();
    edit(req);
    v1::Site out;
    return w.Call(&Stub::CreateSite, req, &out);
  };
}

Row Desk(std::function<void(v1::CreateDeskRequest&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::CreateDeskRequest req = ValidDesk(s);
    edit(req);
    v1::Desk out;
    return w.Call(&Stub::CreateDesk, req, &out);
  };
}

Row Update(std::function<void(v1::UpdateDeskRequest&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::UpdateDeskRequest req = ValidUpdate(s);
    edit(req);
    v1::Desk out;
    return w.Call(&Stub::UpdateDesk, req, &out);
  };
}

Row Hours(std::function<void(v1::SetOpeningHoursRequest&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::SetOpeningHoursRequest req = ValidHours(s);
    edit(req);
    v1::OpeningHours out;
    return w.Call(&Stub::SetOpeningHours, req, &out);
  };
}

Row Releasing(std::function<void(v1::ReleaseSlotsRequest&)> edit) {
  return [edit](BookingWorld& w, const Scene& s) {
    v1::ReleaseSlotsRequest req = ValidRelease(s);
    edit(req);
    v1::ReleaseSlotsResponse out;
    return w.Call(&Stub::ReleaseSlots, req, &out);
  };
}

std::string Repeat(const std::string& unit, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += unit;
  return out;
}

// Everything any request could touch.
std::string Snapshot(BookingWorld& world) {
  return world.Query(
      "SELECT concat_ws(' | ', "
      "(SELECT count(*) FROM booking.sites), (SELECT count(*) FROM booking.desks), "
      "(SELECT count(*) FROM booking.slots), (SELECT count(*) FROM booking.appointments), "
      "(SELECT count(*) FROM booking.persons), (SELECT count(*) FROM shared.requests), "
      "(SELECT count(*) FROM events.log), (SELECT count(*) FROM booking.opening_ranges), "
      "(SELECT count(*) FROM booking.closures), (SELECT sum(booked) FROM booking.slots), "
      "(SELECT md5(string_agg(d::text, ';' ORDER BY id)) FROM booking.desks d), "
      "(SELECT md5(string_agg(s::text, ';' ORDER BY id)) FROM booking.sites s), "
      "(SELECT md5(string_agg(s::text, ';' ORDER BY id)) FROM booking.slots s), "
      "(SELECT md5(string_agg(a::text, ';' ORDER BY id)) FROM booking.appointments a), "
      "(SELECT md5(string_agg(r::text, ';' ORDER BY desk_id, iso_weekday, start_minute)) "
      " FROM booking.opening_ranges r))");
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DeskOptions options;
    options.capacity = 2;
    OpenedDesk open = world_.OpenDesk(options);
    ASSERT_EQ(open.slots.size(), 20u);
    scene_.site = open.site;
    scene_.desk = open.desk;
    scene_.slots = open.slots;
    scene_.free_slot = open.slots[5].name();
    ASSERT_TRUE(RpcOk(world_.Book(open.slots[0].name(), 1, &scene_.a)));
    ASSERT_TRUE(RpcOk(world_.Book(open.slots[1].name(), 2, &scene_.b)));
    ASSERT_NE(scene_.a.access_code(), scene_.b.access_code());
    scene_.unknown_reference = "ZZZZZZZZ";
    if (scene_.unknown_reference == scene_.a.reference() ||
        scene_.unknown_reference == scene_.b.reference()) {
      scene_.unknown_reference = "YYYYYYYY";
    }
    v1::ListSlotsRequest other = ValidListing(scene_);
    *other.mutable_end_time() = Ts(kJune1 + absl::Hours(24 * 8));
    other.set_page_size(1);
    v1::ListSlotsResponse page;
    ASSERT_TRUE(RpcOk(world_.Call(&Stub::ListSlots, other, &page)));
    scene_.foreign_token = page.next_page_token();
    ASSERT_FALSE(scene_.foreign_token.empty());
  }

  BookingWorld world_;
  Scene scene_;
};

std::vector<BadRequest> Catalogue() {
  using R = v1::CreateAppointmentRequest;
  return {
      // ------------------------------------------------ CreateAppointment
      {"given name empty", Booking([](R& r) { r.mutable_person()->set_given_name(""); }), kInvalid,
       "INVALID_NAME", "person.given_name"},
      {"given name only spaces", Booking([](R& r) { r.mutable_person()->set_given_name("   "); }),
       kInvalid, "INVALID_NAME", "person.given_name"},
      {"family name of 101 characters",
       Booking([](R& r) { r.mutable_person()->set_family_name(std::string(101, 'a')); }), kInvalid,
       "INVALID_NAME", "person.family_name"},
      {"family name of 101 accented characters",
       Booking([](R& r) { r.mutable_person()->set_family_name(Repeat("é", 101)); }), kInvalid,
       "INVALID_NAME", "person.family_name"},
      {"given name with a tab",
       Booking([](R& r) { r.mutable_person()->set_given_name("Ca\tmille"); }), kInvalid,
       "INVALID_NAME", "person.given_name"},
      {"given name with a line feed",
       Booking([](R& r) { r.mutable_person()->set_given_name("Camille\nDROP"); }), kInvalid,
       "INVALID_NAME", "person.given_name"},
      {"family name with a NUL byte",
       Booking([](R& r) { r.mutable_person()->set_family_name(std::string("Du\0rand", 7)); }),
       kInvalid, "INVALID_NAME", "person.family_name"},
      {"family name with a right-to-left override",
       Booking([](R& r) { r.mutable_person()->set_family_name("Dur\u202Eand"); }), kInvalid,
       "INVALID_NAME", "person.family_name"},
      {"given name with a C1 control (U+0085)",
       Booking([](R& r) { r.mutable_person()->set_given_name("Cam\u0085ille"); }), kInvalid,
       "INVALID_NAME", "person.given_name"},
      {"e-mail without @",
       Booking([](R& r) { r.mutable_person()->set_email("personne.example.org"); }), kInvalid,
       "INVALID_EMAIL", "person.email"},
      {"e-mail with two @", Booking([](R& r) { r.mutable_person()->set_email("a@b@example.org"); }),
       kInvalid, "INVALID_EMAIL", "person.email"},
      {"e-mail without a domain dot",
       Booking([](R& r) { r.mutable_person()->set_email("camille@localhost"); }), kInvalid,
       "INVALID_EMAIL", "person.email"},
      {"e-mail with an inner space",
       Booking([](R& r) { r.mutable_person()->set_email("cam ille@example.org"); }), kInvalid,
       "INVALID_EMAIL", "person.email"},
      {"landline phone", Booking([](R& r) { r.mutable_person()->set_phone("01 42 76 40 40"); }),
       kInvalid, "PHONE_NOT_MOBILE", "person.phone"},
      {"garbage phone", Booking([](R& r) { r.mutable_person()->set_phone("garbage"); }), kInvalid,
       "INVALID_PHONE_NUMBER", "person.phone"},
      {"too short phone", Booking([](R& r) { r.mutable_person()->set_phone("06 12"); }), kInvalid,
       "INVALID_PHONE_NUMBER", "person.phone"},
      {"phone with letters", Booking([](R& r) { r.mutable_person()->set_phone("06 12 34 AB CD"); }),
       kInvalid, "INVALID_PHONE_NUMBER", "person.phone"},
      {"no contact at all", Booking([](R& r) {
         r.mutable_person()->clear_email();
         r.mutable_person()->clear_phone();
       }),
       kInvalid, "CONTACT_REQUIRED", "person"},
      {"unsupported language",
       Booking([](R& r) { r.mutable_person()->set_preferred_language("xx"); }), kInvalid,
       "UNSUPPORTED_LANGUAGE", "person.preferred_language"},
      {"language with a region",
       Booking([](R& r) { r.mutable_person()->set_preferred_language("fr-FR"); }), kInvalid,
       "UNSUPPORTED_LANGUAGE", "person.preferred_language"},
      {"4 companions", Booking([](R& r) { r.set_companions(4); }), kInvalid, "INVALID_COMPANIONS",
       "companions"},
      {"-1 companions", Booking([](R& r) { r.set_companions(-1); }), kInvalid, "INVALID_COMPANIONS",
       "companions"},
      {"accessibility note of 201 characters",
       Booking([](R& r) { r.mutable_accessibility()->set_note(std::string(201, 'n')); }), kInvalid,
       "INVALID_TEXT", "accessibility.note"},
      {"accessibility note with a line break",
       Booking([](R& r) { r.mutable_accessibility()->set_note("ligne 1\r\nligne 2"); }), kInvalid,
       "INVALID_TEXT", "accessibility.note"},
      {"unknown accessibility need", Booking([](R& r) {
         r.mutable_accessibility()->set_need(static_cast<v1::AccessibilityNeed>(99));
       }),
       kInvalid, "INVALID_ACCESSIBILITY_NEED", "accessibility.need"},
      {"unknown channel", Booking([](R& r) { r.set_channel(static_cast<v1::Channel>(9)); }),
       kInvalid, "INVALID_CHANNEL", "channel"},
      {"online booking with an override reason",
       Booking([](R& r) { r.set_override_reason("urgent"); }), kInvalid, "OVERRIDE_NOT_ALLOWED",
       "override_reason"},
      {"slot \"slots/abc\"", Booking([](R& r) { r.set_slot("slots/abc"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "slot"},
      {"a desk given as slot", Booking([](R& r) { r.set_slot("desks/1"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "slot"},
      {"empty slot", Booking([](R& r) { r.set_slot(""); }), kInvalid, "INVALID_RESOURCE_NAME",
       "slot"},
      {"slot 0", Booking([](R& r) { r.set_slot("slots/0"); }), kInvalid, "INVALID_RESOURCE_NAME",
       "slot"},
      {"negative slot", Booking([](R& r) { r.set_slot("slots/-5"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "slot"},
      {"slot id overflowing int64", Booking([](R& r) { r.set_slot("slots/99999999999999999999"); }),
       kInvalid, "INVALID_RESOURCE_NAME", "slot"},
      {"slot with a trailing slash", Booking([](R& r) { r.set_slot("slots/3/"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "slot"},
      {"unknown slot", Booking([](R& r) { r.set_slot("slots/999999"); }), kNotFound,
       "SLOT_NOT_FOUND", "slot"},
      {"request_id with spaces", Booking([](R& r) { r.set_request_id("my request"); }), kInvalid,
       "INVALID_REQUEST_ID", "request_id"},
      {"request_id of 101 characters",
       Booking([](R& r) { r.set_request_id(std::string(101, 'r')); }), kInvalid,
       "INVALID_REQUEST_ID", "request_id"},
      {"request_id not ASCII", Booking([](R& r) { r.set_request_id("requête-1"); }), kInvalid,
       "INVALID_REQUEST_ID", "request_id"},

      // -------------------------------------------------------- ListSlots
      {"negative page_size", Listing([](auto& r, auto&) { r.set_page_size(-1); }), kInvalid,
       "INVALID_PAGE_SIZE", "page_size"},
      {"forged page_token", Listing([](auto& r, auto&) { r.set_page_token("djF8c2xvdHM6MXww"); }),
       kInvalid, "INVALID_PAGE_TOKEN", "page_token"},
      {"page_token that is not base64",
       Listing([](auto& r, auto&) { r.set_page_token("not a token!"); }), kInvalid,
       "INVALID_PAGE_TOKEN", "page_token"},
      {"page_token of another listing",
       Listing([](auto& r, const Scene& s) { r.set_page_token(s.foreign_token); }), kInvalid,
       "INVALID_PAGE_TOKEN", "page_token"},
      {"end before start",
       Listing([](auto& r, auto&) { *r.mutable_end_time() = Ts(kJune1 - absl::Hours(1)); }),
       kInvalid, "INVALID_TIME_RANGE", "end_time"},
      {"end equal to start", Listing([](auto& r, auto&) { *r.mutable_end_time() = Ts(kJune1); }),
       kInvalid, "INVALID_TIME_RANGE", "end_time"},
      {"window of 401 days",
       Listing([](auto& r, auto&) { *r.mutable_end_time() = Ts(kJune1 + absl::Hours(24 * 401)); }),
       kInvalid, "INVALID_TIME_RANGE", "end_time"},
      {"start_time with negative nanos",
       Listing([](auto& r, auto&) { r.mutable_start_time()->set_nanos(-1); }), kInvalid,
       "INVALID_TIME", "start_time"},
      {"desk \"desks/abc\"", Listing([](auto& r, auto&) { r.set_desk("desks/abc"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "desk"},
      {"a slot given as desk", Listing([](auto& r, auto&) { r.set_desk("slots/1"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "desk"},
      {"unknown desk", Listing([](auto& r, auto&) { r.set_desk("desks/999999"); }), kNotFound,
       "DESK_NOT_FOUND", ""},

      // --------------------------------------------------- GetAppointment
      {"reference too short", Getting([](auto& r, auto&) { r.set_reference("ABC"); }), kInvalid,
       "INVALID_REFERENCE", "reference"},
      {"reference with 0 and O", Getting([](auto& r, auto&) { r.set_reference("AB0OCDEF"); }),
       kInvalid, "INVALID_REFERENCE", "reference"},
      {"reference of 40 characters",
       Getting([](auto& r, auto&) { r.set_reference(std::string(40, 'A')); }), kInvalid,
       "INVALID_REFERENCE", "reference"},
      {"access code too short", Getting([](auto& r, auto&) { r.set_access_code("123"); }), kInvalid,
       "INVALID_ACCESS_CODE", "access_code"},
      {"access code with I and 1", Getting([](auto& r, auto&) { r.set_access_code("ABCDEFI1"); }),
       kInvalid, "INVALID_ACCESS_CODE", "access_code"},
      {"wrong access code",
       Getting([](auto& r, const Scene& s) { r.set_access_code(s.b.access_code()); }), kDenied,
       "WRONG_ACCESS_CODE", "access_code"},
      {"unknown reference",
       Getting([](auto& r, const Scene& s) { r.set_reference(s.unknown_reference); }), kNotFound,
       "APPOINTMENT_NOT_FOUND", "reference"},

      // ------------------------------------------------ CancelAppointment
      {"cancel with the wrong access code",
       Cancelling([](auto& r, const Scene& s) { r.set_access_code(s.b.access_code()); }), kDenied,
       "WRONG_ACCESS_CODE", "access_code"},
      {"cancel reason with a line break",
       Cancelling([](auto& r, auto&) { r.set_reason("raison\nsecrète"); }), kInvalid,
       "INVALID_TEXT", "reason"},
      {"cancel reason of 201 characters",
       Cancelling([](auto& r, auto&) { r.set_reason(std::string(201, 'x')); }), kInvalid,
       "INVALID_TEXT", "reason"},
      {"cancel with a bad reference",
       Cancelling([](auto& r, auto&) { r.set_reference("12345678"); }), kInvalid,
       "INVALID_REFERENCE", "reference"},
      {"cancel with a request_id with spaces",
       Cancelling([](auto& r, auto&) { r.set_request_id("a b"); }), kInvalid, "INVALID_REQUEST_ID",
       "request_id"},

      // -------------------------------------------- RescheduleAppointment
      {"move to \"slots/x\"", Moving([](auto& r, auto&) { r.set_new_slot("slots/x"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "new_slot"},
      {"move to a desk name", Moving([](auto& r, auto&) { r.set_new_slot("desks/1"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "new_slot"},
      {"move with the wrong access code",
       Moving([](auto& r, const Scene& s) { r.set_access_code(s.b.access_code()); }), kDenied,
       "WRONG_ACCESS_CODE", "access_code"},
      {"move to an unknown slot", Moving([](auto& r, auto&) { r.set_new_slot("slots/999999"); }),
       kNotFound, "SLOT_NOT_FOUND", "new_slot"},
      {"move into its own slot",
       Moving([](auto& r, const Scene& s) { r.set_new_slot(s.a.slot()); }), kInvalid, "SAME_SLOT",
       "new_slot"},

      // ------------------------------------------------------ transitions
      {"MarkArrived on \"appointments/x\"", Transition(&Stub::MarkArrived, "appointments/x"),
       kInvalid, "INVALID_RESOURCE_NAME", "name"},
      {"StartService on a slot name", Transition(&Stub::StartService, "slots/1"), kInvalid,
       "INVALID_RESOURCE_NAME", "name"},
      {"CompleteAppointment on an unknown appointment",
       Transition(&Stub::CompleteAppointment, "appointments/999999"), kNotFound,
       "APPOINTMENT_NOT_FOUND", "name"},
      {"MarkNoShow with a request_id with spaces",
       Transition(&Stub::MarkNoShow, "appointments/1", "no show"), kInvalid, "INVALID_REQUEST_ID",
       "request_id"},

      // ------------------------------------------------------- CreateSite
      {"unknown time zone",
       Site([](auto& r) { r.mutable_site()->set_time_zone("Mars/Olympus_Mons"); }), kInvalid,
       "INVALID_TIME_ZONE", "site.time_zone"},
      {"empty time zone", Site([](auto& r) { r.mutable_site()->set_time_zone(""); }), kInvalid,
       "INVALID_TIME_ZONE", "site.time_zone"},
      {"time zone as a path",
       Site([](auto& r) { r.mutable_site()->set_time_zone("../../etc/passwd"); }), kInvalid,
       "INVALID_TIME_ZONE", "site.time_zone"},
      {"time zone with a trailing space",
       Site([](auto& r) { r.mutable_site()->set_time_zone("Europe/Paris "); }), kInvalid,
       "INVALID_TIME_ZONE", "site.time_zone"},
      {"site without a name", Site([](auto& r) { r.mutable_site()->set_display_name(" "); }),
       kInvalid, "INVALID_TEXT", "site.display_name"},
      {"site name of 201 characters",
       Site([](auto& r) { r.mutable_site()->set_display_name(std::string(201, 's')); }), kInvalid,
       "INVALID_TEXT", "site.display_name"},
      {"site address of 501 characters",
       Site([](auto& r) { r.mutable_site()->set_address(std::string(501, 'a')); }), kInvalid,
       "INVALID_TEXT", "site.address"},

      // ------------------------------------------------------- CreateDesk
      {"desk kind unspecified",
       Desk([](auto& r) { r.mutable_desk()->set_kind(v1::DESK_KIND_UNSPECIFIED); }), kInvalid,
       "INVALID_DESK_KIND", "desk.kind"},
      {"unknown desk kind",
       Desk([](auto& r) { r.mutable_desk()->set_kind(static_cast<v1::DeskKind>(42)); }), kInvalid,
       "INVALID_DESK_KIND", "desk.kind"},
      {"slot duration of 3 minutes",
       Desk([](auto& r) { r.mutable_desk()->mutable_slot_duration()->set_seconds(180); }), kInvalid,
       "INVALID_SLOT_DURATION", "desk.slot_duration"},
      {"slot duration of 7.5 minutes",
       Desk([](auto& r) { r.mutable_desk()->mutable_slot_duration()->set_seconds(450); }), kInvalid,
       "INVALID_SLOT_DURATION", "desk.slot_duration"},
      {"slot duration of 15 minutes and 1 ns",
       Desk([](auto& r) { r.mutable_desk()->mutable_slot_duration()->set_nanos(1); }), kInvalid,
       "INVALID_SLOT_DURATION", "desk.slot_duration"},
      {"slot duration of 481 minutes",
       Desk([](auto& r) { r.mutable_desk()->mutable_slot_duration()->set_seconds(481 * 60); }),
       kInvalid, "INVALID_SLOT_DURATION", "desk.slot_duration"},
      {"capacity 0", Desk([](auto& r) { r.mutable_desk()->set_capacity_per_slot(0); }), kInvalid,
       "INVALID_CAPACITY", "desk.capacity_per_slot"},
      {"capacity 101", Desk([](auto& r) { r.mutable_desk()->set_capacity_per_slot(101); }),
       kInvalid, "INVALID_CAPACITY", "desk.capacity_per_slot"},
      {"desk parent \"sites/abc\"", Desk([](auto& r) { r.set_parent("sites/abc"); }), kInvalid,
       "INVALID_RESOURCE_NAME", "parent"},
      {"desk on an unknown site", Desk([](auto& r) { r.set_parent("sites/999999"); }), kNotFound,
       "SITE_NOT_FOUND", ""},
      {"desk without a name", Desk([](auto& r) { r.mutable_desk()->set_display_name(""); }),
       kInvalid, "INVALID_TEXT", "desk.display_name"},
      {"instructions in an unsupported language",
       Desk([](auto& r) { r.mutable_desk()->mutable_instructions(0)->set_language("xx"); }),
       kInvalid, "UNSUPPORTED_LANGUAGE", "desk.instructions[0].language"},
      {"instructions twice for one language",
       Desk([](auto& r) { r.mutable_desk()->add_instructions()->set_language("FR"); }), kInvalid,
       "DUPLICATE_LANGUAGE", "desk.instructions[1].language"},
      {"document with a control character", Desk([](auto& r) {
         r.mutable_desk()->mutable_instructions(0)->set_documents(0, "Pass\x1bport");
       }),
       kInvalid, "INVALID_TEXT", "desk.instructions[0].documents[0]"},

      // ------------------------------------------------------- UpdateDesk
      {"update_mask with an unknown path",
       Update([](auto& r) { r.mutable_update_mask()->add_paths("site"); }), kInvalid,
       "INVALID_UPDATE_MASK", "update_mask"},
      {"empty update_mask", Update([](auto& r) { r.clear_update_mask(); }), kInvalid,
       "INVALID_UPDATE_MASK", "update_mask"},
      {"update capacity to 0", Update([](auto& r) {
         r.mutable_update_mask()->add_paths("capacity_per_slot");
         r.mutable_desk()->set_capacity_per_slot(0);
       }),
       kInvalid, "INVALID_CAPACITY", "desk.capacity_per_slot"},
      {"update slot duration to 7.5 minutes", Update([](auto& r) {
         r.mutable_update_mask()->add_paths("slot_duration");
         r.mutable_desk()->mutable_slot_duration()->set_seconds(450);
       }),
       kInvalid, "INVALID_SLOT_DURATION", "desk.slot_duration"},
      {"update kind to unspecified",
       Update([](auto& r) { r.mutable_update_mask()->add_paths("kind"); }), kInvalid,
       "INVALID_DESK_KIND", "desk.kind"},
      {"update an unknown desk",
       Update([](auto& r) { r.mutable_desk()->set_name("desks/999999"); }), kNotFound,
       "DESK_NOT_FOUND", ""},
      {"update a site name", Update([](auto& r) { r.mutable_desk()->set_name("sites/1"); }),
       kInvalid, "INVALID_RESOURCE_NAME", "desk.name"},

      // -------------------------------------------------- SetOpeningHours
      {"overlapping opening ranges", Hours([](auto& r) {
         *r.mutable_opening_hours()->mutable_weekly(1) = Range(2, 11, 30, 15, 0);
       }),
       kInvalid, "OVERLAPPING_RANGES", "opening_hours.weekly[1]"},
      {"weekday 0",
       Hours([](auto& r) { r.mutable_opening_hours()->mutable_weekly(0)->set_iso_weekday(0); }),
       kInvalid, "INVALID_OPENING_HOURS", "opening_hours.weekly[0]"},
      {"weekday 8",
       Hours([](auto& r) { r.mutable_opening_hours()->mutable_weekly(1)->set_iso_weekday(8); }),
       kInvalid, "INVALID_OPENING_HOURS", "opening_hours.weekly[1]"},
      {"range ending before it starts", Hours([](auto& r) {
         *r.mutable_opening_hours()->mutable_weekly(0) = Range(2, 12, 0, 9, 0);
       }),
       kInvalid, "INVALID_OPENING_HOURS", "opening_hours.weekly[0]"},
      {"range ending after midnight",
       Hours([](auto& r) { r.mutable_opening_hours()->mutable_weekly(1)->set_end_minute(1441); }),
       kInvalid, "INVALID_OPENING_HOURS", "opening_hours.weekly[1]"},
      {"closure on 2026-02-30", Hours([](auto& r) {
         *r.mutable_opening_hours()->mutable_closures(0)->mutable_date() = Date(2026, 2, 30);
       }),
       kInvalid, "INVALID_DATE", "opening_hours.closures[0].date"},
      {"closure without a date",
       Hours([](auto& r) { r.mutable_opening_hours()->mutable_closures(0)->clear_date(); }),
       kInvalid, "INVALID_DATE", "opening_hours.closures[0].date"},
      {"closure reason with a line break",
       Hours([](auto& r) { r.mutable_opening_hours()->mutable_closures(0)->set_reason("a\nb"); }),
       kInvalid, "INVALID_TEXT", "opening_hours.closures[0].reason"},
      {"hours of an unknown desk",
       Hours([](auto& r) { r.mutable_opening_hours()->set_desk("desks/999999"); }), kNotFound,
       "DESK_NOT_FOUND", ""},
      {"hours of \"desks/\"", Hours([](auto& r) { r.mutable_opening_hours()->set_desk("desks/"); }),
       kInvalid, "INVALID_RESOURCE_NAME", "opening_hours.desk"},

      // ----------------------------------------------------- ReleaseSlots
      {"release range of 367 days",
       Releasing([](auto& r) { *r.mutable_end_date() = Date(2027, 6, 11); }), kInvalid,
       "INVALID_DATE_RANGE", "end_date"},
      {"release ending before it starts",
       Releasing([](auto& r) { *r.mutable_end_date() = Date(2026, 6, 8); }), kInvalid,
       "INVALID_DATE_RANGE", "end_date"},
      {"release from month 13",
       Releasing([](auto& r) { *r.mutable_start_date() = Date(2026, 13, 1); }), kInvalid,
       "INVALID_DATE", "start_date"},
      {"release until 2026-02-29 (not a leap year)",
       Releasing([](auto& r) { *r.mutable_end_date() = Date(2026, 2, 29); }), kInvalid,
       "INVALID_DATE", "end_date"},
      {"negative release window",
       Releasing([](auto& r) { r.mutable_release_window()->set_seconds(-1); }), kInvalid,
       "INVALID_RELEASE_WINDOW", "release_window"},
      {"release window of 31 days",
       Releasing([](auto& r) { r.mutable_release_window()->set_seconds(31 * 24 * 3600); }),
       kInvalid, "INVALID_RELEASE_WINDOW", "release_window"},
      {"release_time with nanos out of range",
       Releasing([](auto& r) { r.mutable_release_time()->set_nanos(1000000000); }), kInvalid,
       "INVALID_TIME", "release_time"},
      {"release on an unknown desk", Releasing([](auto& r) { r.set_desk("desks/999999"); }),
       kNotFound, "DESK_NOT_FOUND", ""},

      // ------------------------------------------ other lists and reads
      {"ListSites with a negative page_size",
       [](BookingWorld& w, const Scene&) {
         v1::ListSitesRequest req;
         req.set_page_size(-5);
         v1::ListSitesResponse out;
         return w.Call(&Stub::ListSites, req, &out);
       },
       kInvalid, "INVALID_PAGE_SIZE", "page_size"},
      {"ListSites with a forged page_token",
       [](BookingWorld& w, const Scene&) {
         v1::ListSitesRequest req;
         req.set_page_token("djF8c2l0ZXN8eA");  // "v1|sites|x"
         v1::ListSitesResponse out;
         return w.Call(&Stub::ListSites, req, &out);
       },
       kInvalid, "INVALID_PAGE_TOKEN", "page_token"},
      {"ListDesks under a desk",
       [](BookingWorld& w, const Scene&) {
         v1::ListDesksRequest req;
         req.set_parent("desks/1");
         v1::ListDesksResponse out;
         return w.Call(&Stub::ListDesks, req, &out);
       },
       kInvalid, "INVALID_RESOURCE_NAME", "parent"},
      {"GetOpeningHours without a desk",
       [](BookingWorld& w, const Scene&) {
         v1::GetOpeningHoursRequest req;
         v1::OpeningHours out;
         return w.Call(&Stub::GetOpeningHours, req, &out);
       },
       kInvalid, "INVALID_RESOURCE_NAME", "desk"},
      {"GetOpeningHours of an unknown desk",
       [](BookingWorld& w, const Scene&) {
         v1::GetOpeningHoursRequest req;
         req.set_desk("desks/999999");
         v1::OpeningHours out;
         return w.Call(&Stub::GetOpeningHours, req, &out);
       },
       kNotFound, "DESK_NOT_FOUND", ""},
  };
}

TEST_F(BadInputTest, EveryBadRequestIsRefusedPreciselyAndChangesNothing) {
  const std::vector<BadRequest> catalogue = Catalogue();
  ASSERT_GE(catalogue.size(), 30u);
  const std::string before = Snapshot(world_);
  ASSERT_FALSE(before.empty());
  for (const BadRequest& row : catalogue) {
    SCOPED_TRACE(row.what);
    EXPECT_TRUE(RpcFails(row.call(world_, scene_), row.code, row.reason, row.field));
    EXPECT_EQ(Snapshot(world_), before);
  }
  // The people whose appointments were aimed at still have them.
  v1::Appointment a;
  ASSERT_TRUE(RpcOk(world_.Get(scene_.a, &a)));
  EXPECT_EQ(a.status(), v1::BOOKED);
  EXPECT_EQ(a.slot(), scene_.slots[0].name());
}

// Each row above is one edit away from a valid request: the unedited
// requests succeed, so the refusals come from the edits.
TEST_F(BadInputTest, TheValidBasesAreAccepted) {
  v1::Appointment booked;
  ASSERT_TRUE(RpcOk(world_.Book(ValidBooking(scene_), &booked)));
  EXPECT_EQ(booked.accessibility().need(), v1::REDUCED_MOBILITY);
  EXPECT_EQ(booked.companions(), 1);
  v1::ListSlotsResponse slots;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::ListSlots, ValidListing(scene_), &slots)));
  EXPECT_EQ(slots.slots_size(), 5);
  v1::Appointment got;
  v1::GetAppointmentRequest get;
  get.set_reference(absl::AsciiStrToLower(scene_.a.reference()).insert(4, "-"));
  get.set_access_code(absl::AsciiStrToLower(scene_.a.access_code()).insert(4, " "));
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::GetAppointment, get, &got)));  // typed loosely
  EXPECT_EQ(got.name(), scene_.a.name());
  v1::Appointment moved;
  v1::RescheduleAppointmentRequest move;
  move.set_reference(scene_.b.reference());
  move.set_access_code(scene_.b.access_code());
  move.set_new_slot(scene_.free_slot);
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::RescheduleAppointment, move, &moved)));
  v1::Appointment cancelled;
  v1::CancelAppointmentRequest cancel;
  cancel.set_reference(scene_.a.reference());
  cancel.set_access_code(scene_.a.access_code());
  cancel.set_reason(std::string(200, 'x'));
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::CancelAppointment, cancel, &cancelled)));
  v1::Site site;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::CreateSite, ValidSite(), &site)));
  v1::Desk desk;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::CreateDesk, ValidDesk(scene_), &desk)));
  EXPECT_EQ(desk.instructions_size(), 1);
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::UpdateDesk, ValidUpdate(scene_), &desk)));
  EXPECT_EQ(desk.display_name(), "Nouveau nom");
  v1::OpeningHours hours;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::SetOpeningHours, ValidHours(scene_), &hours)));
  EXPECT_EQ(hours.weekly_size(), 2);
  v1::ReleaseSlotsResponse released;
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::ReleaseSlots, ValidRelease(scene_), &released)));
  EXPECT_EQ(released.created_slot_count(), 16);  // Tuesday 9-12 and 14-19, 30 min

  // Limits are inclusive: 100-character names, 200-character notes,
  // 3 companions, 5- and 480-minute slots, capacity 100, a 366-day release.
  v1::CreateAppointmentRequest edge = BookingWorld::BookingRequest(scene_.slots[9].name(), 901);
  edge.mutable_person()->set_given_name(Repeat("é", 100));
  edge.mutable_person()->set_family_name(std::string(100, 'z'));
  edge.mutable_accessibility()->set_note(std::string(200, 'n'));
  edge.set_companions(3);
  edge.set_request_id(std::string(100, 'r'));
  ASSERT_TRUE(RpcOk(world_.Book(edge, &booked)));
  EXPECT_EQ(booked.person().given_name(), Repeat("é", 100));
  v1::CreateDeskRequest five = ValidDesk(scene_);
  five.mutable_desk()->mutable_slot_duration()->set_seconds(5 * 60);
  five.mutable_desk()->set_capacity_per_slot(100);
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::CreateDesk, five, &desk)));
  v1::CreateDeskRequest long_slots = ValidDesk(scene_);
  long_slots.mutable_desk()->mutable_slot_duration()->set_seconds(480 * 60);
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::CreateDesk, long_slots, &desk)));
  ASSERT_TRUE(RpcOk(world_.SetHours(desk.name(), {Range(1, 8, 0, 16, 0)})));
  v1::ReleaseSlotsRequest year = ValidRelease(scene_);
  year.set_desk(desk.name());
  *year.mutable_start_date() = Date(2026, 6, 1);
  *year.mutable_end_date() = Date(2027, 6, 2);  // 366 days later
  ASSERT_TRUE(RpcOk(world_.Call(&Stub::ReleaseSlots, year, &released)));
  EXPECT_EQ(released.created_slot_count(), 53);  // one 8-hour slot each Monday
}

// Invalid UTF-8 cannot even reach the service: proto3 strings must be UTF-8,
// so the server's protobuf parser refuses the message before any handler
// runs. Whatever the transport answers, it is an error and nothing changes.
TEST_F(BadInputTest, InvalidUtf8IsRefusedBeforeTheService) {
  const std::string before = Snapshot(world_);
  for (const std::string& bad : {std::string("Ca\xC3\x28mille"), std::string("\xFF\xFE"),
                                 std::string("\xC0\xAF"), std::string("\xED\xA0\x80")}) {
    v1::CreateAppointmentRequest req = ValidBooking(scene_);
    req.mutable_person()->set_given_name(bad);
    v1::Appointment out;
    grpc::Status status = world_.Book(req, &out);
    EXPECT_FALSE(status.ok());
    RpcError e = Explain(status);
    // Today gRPC answers INTERNAL without details (the handler never ran);
    // should the service ever see the bytes, it must say INVALID_NAME.
    EXPECT_TRUE(
        (e.code == grpc::StatusCode::INTERNAL && e.reason.empty()) ||
        (e.code == kInvalid && e.reason == "INVALID_NAME" && e.field == "person.given_name"))
        << e;
    EXPECT_EQ(Snapshot(world_), before);
  }
}

}  // namespace
}  // namespace accueil::testing
