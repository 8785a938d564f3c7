// BookingService: construction, prepared statements, and the gRPC handlers,
// each a one-line call through the Gate (access policy, error mapping, logs,
// audit) to the Do* implementation in catalog.cc or appointments.cc.
#include "services/booking/booking_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/input/resource.h"
#include "services/common/status_macros.h"

namespace accueil::booking {
namespace {

using db::Micros;

// Every SQL statement of the service, prepared once per connection. Rows are
// read by column name (proto_convert.h): computed columns get an alias.
void PrepareStatements(db::Pool& pool) {
  const std::string site_cols = absl::StrCat("id, display_name, address, time_zone, ",
                                             Micros("create_time"), " AS create_micros");
  const std::string desk_cols =
      "id, site_id, display_name, kind, slot_minutes, capacity_per_slot, "
      "instructions::text AS instructions, arrival_grace_seconds";
  // The columns of booking.appointment_details, which the appointment
  // functions also return.
  const std::string appointment_cols =
      "id, reference, code_version, status, slot_id, desk_id, site_id, start_micros, "
      "end_micros, given_name, family_name, email, phone, preferred_language, "
      "accessibility_need, accessibility_note, companions, channel, create_micros, "
      "update_micros, cancel_reason";
  pool.Prepare("booking_get_site",
               absl::StrCat("SELECT ", site_cols, " FROM booking.sites WHERE id = $1"));
  pool.Prepare("booking_list_sites", absl::StrCat("SELECT ", site_cols,
                                                  " FROM booking.sites WHERE id > $1 "
                                                  "ORDER BY id LIMIT $2"));
  pool.Prepare("booking_insert_site",
               "INSERT INTO booking.sites (display_name, address, time_zone, create_time) "
               "VALUES ($1, $2, $3, $4::timestamptz) RETURNING id");
  pool.Prepare("booking_get_desk",
               absl::StrCat("SELECT ", desk_cols, " FROM booking.desks WHERE id = $1"));
  pool.Prepare("booking_list_desks",
               absl::StrCat("SELECT ", desk_cols,
                            " FROM booking.desks "
                            "WHERE ($1 = 0 OR site_id = $1) AND id > $2 ORDER BY id LIMIT $3"));
  pool.Prepare("booking_insert_desk",
               "INSERT INTO booking.desks (site_id, display_name, kind, slot_minutes, "
               "capacity_per_slot, instructions, arrival_grace_seconds) "
               "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING id");
  pool.Prepare("booking_update_desk",
               "UPDATE booking.desks SET display_name = $2, kind = $3, slot_minutes = $4, "
               "capacity_per_slot = $5, instructions = $6::jsonb, arrival_grace_seconds = $7 "
               "WHERE id = $1 RETURNING site_id");
  pool.Prepare("booking_list_ranges",
               "SELECT iso_weekday, start_minute, end_minute FROM booking.opening_ranges "
               "WHERE desk_id = $1 ORDER BY iso_weekday, start_minute");
  pool.Prepare("booking_list_closures",
               "SELECT extract(year from day)::int AS year, extract(month from day)::int AS month, "
               "extract(day from day)::int AS day_of_month, reason FROM booking.closures "
               "WHERE desk_id = $1 ORDER BY day");
  pool.Prepare("booking_clear_ranges", "DELETE FROM booking.opening_ranges WHERE desk_id = $1");
  pool.Prepare("booking_clear_closures", "DELETE FROM booking.closures WHERE desk_id = $1");
  pool.Prepare(
      "booking_insert_range",
      "INSERT INTO booking.opening_ranges (desk_id, iso_weekday, start_minute, end_minute) "
      "VALUES ($1, $2, $3, $4)");
  pool.Prepare("booking_insert_closure",
               "INSERT INTO booking.closures (desk_id, day, reason) VALUES ($1, $2::date, $3)");
  // Bookable: released, in the future, not full, not on a closed day.
  // A desk's days with a bookable slot (ListSlots' rules), from $3 (empty:
  // today in the site's zone at $2) over $4 days.
  pool.Prepare(
      "booking_available_days",
      absl::StrCat("WITH f AS (SELECT coalesce(NULLIF($3, '')::date, "
                   "  ($2::timestamptz AT TIME ZONE si.time_zone)::date) AS first "
                   "  FROM booking.desks d JOIN booking.sites si ON si.id = d.site_id "
                   "  WHERE d.id = $1) "
                   "SELECT s.local_date::text AS local_date, count(*) AS free_slots, "
                   "sum(s.capacity - s.booked) AS free_places, min(",
                   Micros("s.start_time"),
                   ") AS first_micros FROM booking.slots s, f "
                   "WHERE s.desk_id = $1 AND s.release_time <= $2::timestamptz "
                   "  AND s.start_time > $2::timestamptz AND s.booked < s.capacity "
                   "  AND s.local_date >= f.first AND s.local_date < f.first + $4::integer "
                   "  AND NOT EXISTS (SELECT 1 FROM booking.closures c "
                   "                  WHERE c.desk_id = s.desk_id AND c.day = s.local_date) "
                   "GROUP BY s.local_date ORDER BY s.local_date"));
  pool.Prepare(
      "booking_list_slots",
      absl::StrCat("SELECT s.id, s.desk_id, ", Micros("s.start_time"), " AS start_micros, ",
                   Micros("s.end_time"),
                   " AS end_micros, s.local_date::text AS local_date, s.capacity, "
                   "s.capacity - s.booked AS remaining "
                   "FROM booking.slots s "
                   "WHERE s.desk_id = $1 AND s.release_time <= $2::timestamptz "
                   "  AND s.start_time > $2::timestamptz AND s.start_time >= $3::timestamptz "
                   "  AND s.start_time < $4::timestamptz AND s.booked < s.capacity "
                   "  AND (s.start_time, s.id) > ($5::timestamptz, $6) "
                   "  AND NOT EXISTS (SELECT 1 FROM booking.closures c "
                   "                  WHERE c.desk_id = s.desk_id AND c.day = s.local_date) "
                   "ORDER BY s.start_time, s.id LIMIT $7"));
  pool.Prepare(
      "booking_release_slots",
      absl::StrCat("SELECT created, ", Micros("release_time"),
                   " AS release_micros FROM booking.release_slots("
                   "$1, decode($2, 'hex'), $3::timestamptz, $4, $5::bigint[], $6::timestamptz)"));
  // Request ids and events under booking's module name (0010_shared.sql).
  pool.Prepare("booking_append_event",
               "SELECT shared.append_event('booking', $1, $2, $3, $4::timestamptz, $5::jsonb)");

  // Appointments: every statement returns booking.appointment_details rows
  // (AppointmentFromRow), so a mutation answers in its one round trip.
  pool.Prepare(
      "booking_get_appointment",
      absl::StrCat("SELECT ", appointment_cols, " FROM booking.appointment_details WHERE id = $1"));
  pool.Prepare("booking_get_appointments",
               absl::StrCat("SELECT ", appointment_cols,
                            " FROM booking.appointment_details WHERE id = ANY($1::bigint[])"));
  // Lost access (FindActiveAppointments): one statement per key, each an
  // index lookup (0026_booking_contact_lookup.sql).
  for (const char* key : {"reference", "phone", "email"}) {
    pool.Prepare(
        absl::StrCat("booking_find_active_by_", key),
        absl::StrCat("SELECT ", appointment_cols, " FROM booking.appointment_details WHERE ", key,
                     " = $1 AND status = 'booked' AND start_micros > $2 "
                     "ORDER BY start_micros, id LIMIT 10"));
  }
  // With until when its access code is locked against guessing (0: not
  // locked): one round trip for both.
  pool.Prepare(
      "booking_get_appointment_by_reference",
      absl::StrCat("SELECT ", appointment_cols, ", coalesce((SELECT ", Micros("f.locked_until"),
                   " FROM booking.code_failures f WHERE f.reference = d.reference "
                   "AND f.locked_until > $2::timestamptz), 0) AS locked_until_micros "
                   "FROM booking.appointment_details d WHERE d.reference = $1"));
  pool.Prepare("booking_create_appointment",
               absl::StrCat("SELECT ", appointment_cols,
                            " FROM booking.create_appointment("
                            "$1, decode($2, 'hex'), $3::timestamptz, $4, $5, decode($6, 'hex'), "
                            "$7, $8, NULLIF($9, ''), NULLIF($10, ''), $11, $12, $13, $14, $15, "
                            "NULLIF($16, ''), booking.keys_from_hex($17), $18)"));
  // $9: seconds an arrival may come before the slot (-1: not an arrival,
  // no window); $10: the grace period in seconds (-1: the desk's,
  // 0016_desk_arrival_grace.sql); $11: late_accepted; $12:
  // the field the window's errors name (0014_booking_reception.sql).
  pool.Prepare("booking_transition",
               absl::StrCat("SELECT ", appointment_cols,
                            " FROM booking.transition("
                            "$1, decode($2, 'hex'), $3::timestamptz, $4, $5, NULLIF($6, ''), $7, "
                            "NULLIF($8, ''), CASE WHEN $9::bigint < 0 THEN NULL "
                            "ELSE make_interval(secs => $9::bigint) END, "
                            "make_interval(secs => CASE WHEN $10::bigint >= 0 THEN $10::bigint "
                            "ELSE (SELECT d.arrival_grace_seconds FROM booking.appointments a "
                            "JOIN booking.desks d ON d.id = a.desk_id WHERE a.id = $4) END), "
                            "$11::boolean, $12)"));
  pool.Prepare("booking_rebook",
               absl::StrCat("SELECT ", appointment_cols,
                            " FROM booking.rebook_appointment("
                            "$1, decode($2, 'hex'), $3::timestamptz, $4, $5, $6, $7, $8)"));
  pool.Prepare("booking_sweep_noshows",
               "SELECT id FROM booking.sweep_noshows($1, decode($2, 'hex'), $3::timestamptz, $4, "
               "$5::date, make_interval(secs => CASE WHEN $6::bigint >= 0 THEN $6::bigint "
               "ELSE (SELECT arrival_grace_seconds FROM booking.desks WHERE id = $4) END), $7) "
               "AS id");
  pool.Prepare("booking_cancel_for_closure",
               "SELECT booking.cancel_for_closure($1, $2::date[], $3::timestamptz) AS cancelled");
  // Each person's no-shows at the appointment's site since $2 (notify's
  // attendance requests).
  pool.Prepare("booking_noshow_counts",
               "SELECT me.id, (SELECT count(*) FROM booking.appointments n "
               "  JOIN booking.slots ns ON ns.id = n.slot_id "
               "  WHERE n.person_key = me.person_key AND n.site_id = me.site_id "
               "    AND n.status = 'noshow' AND ns.start_time >= $2::timestamptz "
               "    AND ns.start_time <= $3::timestamptz) AS noshow_count "
               "FROM booking.appointments me WHERE me.id = ANY($1::bigint[])");
  // The lodge's day: one site's appointments on one local day (a desk, a
  // name or reference), with each person's no-shows at the site since $6.
  pool.Prepare(
      "booking_list_day",
      absl::StrCat("SELECT ", appointment_cols,
                   ", (SELECT count(*) FROM booking.appointments me "
                   "   JOIN booking.appointments n ON n.person_key = me.person_key "
                   "     AND n.site_id = me.site_id AND n.status = 'noshow' "
                   "   JOIN booking.slots ns ON ns.id = n.slot_id "
                   "   WHERE me.id = d.id AND ns.start_time >= $6::timestamptz "
                   "     AND ns.start_time <= $7::timestamptz) AS noshow_count "
                   "FROM booking.appointment_details d "
                   "WHERE d.site_id = $1 AND ($3 = 0 OR d.desk_id = $3) "
                   "AND EXISTS (SELECT 1 FROM booking.slots s WHERE s.id = d.slot_id "
                   "            AND s.local_date = $2::date) "
                   "AND ($4 = '' OR d.reference = $5 OR booking.name_matches(d.given_name, "
                   "d.family_name, $4)) "
                   "AND (d.start_micros, d.id) > ($8, $9) "
                   "ORDER BY d.start_micros, d.id LIMIT $10"));
  pool.Prepare("booking_reset_access_code",
               absl::StrCat("SELECT ", appointment_cols,
                            " FROM booking.reset_access_code("
                            "$1, decode($2, 'hex'), $3::timestamptz, $4, $5)"));
  pool.Prepare("booking_note_code_failure",
               absl::StrCat("SELECT ", Micros("l"),
                            " AS locked_until_micros "
                            "FROM booking.note_code_failure($1, $2::timestamptz) AS l"));
  // Agents' search: one site, from a start time, by exact phone, exact
  // e-mail, exact reference, or a name forgiving accents, case and
  // misspellings (booking.name_matches, 0014_booking_reception.sql).
  pool.Prepare("booking_search_appointments",
               absl::StrCat("SELECT ", appointment_cols,
                            " FROM booking.appointment_details d "
                            "WHERE d.site_id = $1 AND (d.start_micros, d.id) > ($5, $6) "
                            "AND (($2 <> '' AND d.phone = $2) OR ($3 <> '' AND d.email = $3) OR "
                            "($8 <> '' AND d.reference = $8) OR "
                            "($4 <> '' AND booking.name_matches(d.given_name, d.family_name, $4))) "
                            "ORDER BY d.start_micros, d.id LIMIT $7"));
  pool.Prepare("booking_slot_site",
               "SELECT d.site_id FROM booking.slots s JOIN booking.desks d ON d.id = s.desk_id "
               "WHERE s.id = $1");
  // Person rights: every appointment of one person at one site, by the
  // keyed hash of the contact or the contact itself (0005_retention.sql).
  pool.Prepare(
      "booking_person_appointments",
      absl::StrCat(
          "SELECT ", appointment_cols,
          " FROM booking.appointment_details "
          "WHERE id IN (SELECT booking.person_appointments($1, booking.keys_from_hex($2), $3, $4)) "
          "ORDER BY start_micros, id"));
  pool.Prepare("booking_erase_person",
               "SELECT booking.erase_person($1, decode($2, 'hex'), $3::timestamptz, $4, "
               "booking.keys_from_hex($5), $6, $7) AS erased");
  pool.Prepare("booking_reschedule",
               absl::StrCat("SELECT ", appointment_cols,
                            " FROM booking.reschedule_appointment("
                            "$1, decode($2, 'hex'), $3::timestamptz, $4, $5, $6)"));
}

}  // namespace

BookingService::BookingService(const ServiceContext& context, const BookingOptions& options)
    : ctx_(context), options_(options) {
  PrepareStatements(*ctx_.pool);
}

#define ACCUEIL_HANDLE(Method, Request, Response, Body)                                 \
  grpc::Status BookingService::Method(grpc::ServerContext* context, const Request* req, \
                                      Response* resp) {                                 \
    return ctx_.gate->Handle(context, "accueil.booking.v1.BookingService." #Method,     \
                             [&](Call& call) { return Body; });                         \
  }

ACCUEIL_HANDLE(ListSites, v1::ListSitesRequest, v1::ListSitesResponse,
               DoListSites(call, *req, resp))
ACCUEIL_HANDLE(GetSite, v1::GetSiteRequest, v1::Site, DoGetSite(call, *req, resp))
ACCUEIL_HANDLE(ListDesks, v1::ListDesksRequest, v1::ListDesksResponse,
               DoListDesks(call, *req, resp))
ACCUEIL_HANDLE(ListSlots, v1::ListSlotsRequest, v1::ListSlotsResponse,
               DoListSlots(call, *req, resp))
ACCUEIL_HANDLE(ListAvailableDays, v1::ListAvailableDaysRequest, v1::ListAvailableDaysResponse,
               DoListAvailableDays(call, *req, resp))
ACCUEIL_HANDLE(CreateSite, v1::CreateSiteRequest, v1::Site, DoCreateSite(call, *req, resp))
ACCUEIL_HANDLE(CreateDesk, v1::CreateDeskRequest, v1::Desk, DoCreateDesk(call, *req, resp))
ACCUEIL_HANDLE(UpdateDesk, v1::UpdateDeskRequest, v1::Desk, DoUpdateDesk(call, *req, resp))
ACCUEIL_HANDLE(SetOpeningHours, v1::SetOpeningHoursRequest, v1::OpeningHours,
               DoSetOpeningHours(call, *req, resp))
ACCUEIL_HANDLE(ReleaseSlots, v1::ReleaseSlotsRequest, v1::ReleaseSlotsResponse,
               DoReleaseSlots(call, *req, resp))
ACCUEIL_HANDLE(CreateAppointment, v1::CreateAppointmentRequest, v1::Appointment,
               DoCreateAppointment(call, *req, resp))
ACCUEIL_HANDLE(GetAppointment, v1::GetAppointmentRequest, v1::Appointment,
               DoGetAppointment(call, *req, resp))
ACCUEIL_HANDLE(CancelAppointment, v1::CancelAppointmentRequest, v1::Appointment,
               DoCancelAppointment(call, *req, resp))
ACCUEIL_HANDLE(RescheduleAppointment, v1::RescheduleAppointmentRequest, v1::Appointment,
               DoRescheduleAppointment(call, *req, resp))
ACCUEIL_HANDLE(SearchAppointments, v1::SearchAppointmentsRequest, v1::SearchAppointmentsResponse,
               DoSearchAppointments(call, *req, resp))
ACCUEIL_HANDLE(ResetAccessCode, v1::ResetAccessCodeRequest, v1::Appointment,
               DoResetAccessCode(call, *req, resp))
ACCUEIL_HANDLE(CheckInAppointment, v1::CheckInAppointmentRequest, v1::Appointment,
               DoCheckIn(call, *req, resp))
ACCUEIL_HANDLE(MarkArrived, v1::TransitionAppointmentRequest, v1::Appointment,
               DoTransition(call, "MarkArrived", "arrived", *req, resp))
ACCUEIL_HANDLE(StartService, v1::TransitionAppointmentRequest, v1::Appointment,
               DoTransition(call, "StartService", "in_service", *req, resp))
ACCUEIL_HANDLE(CompleteAppointment, v1::TransitionAppointmentRequest, v1::Appointment,
               DoTransition(call, "CompleteAppointment", "fulfilled", *req, resp))
ACCUEIL_HANDLE(MarkNoShow, v1::TransitionAppointmentRequest, v1::Appointment,
               DoTransition(call, "MarkNoShow", "noshow", *req, resp))
ACCUEIL_HANDLE(MarkNotServed, v1::MarkNotServedRequest, v1::Appointment,
               DoMarkNotServed(call, *req, resp))
ACCUEIL_HANDLE(RebookAppointment, v1::RebookAppointmentRequest, v1::Appointment,
               DoRebook(call, *req, resp))
ACCUEIL_HANDLE(SweepNoShows, v1::SweepNoShowsRequest, v1::SweepNoShowsResponse,
               DoSweepNoShows(call, *req, resp))
ACCUEIL_HANDLE(ListDayAppointments, v1::ListDayAppointmentsRequest, v1::ListDayAppointmentsResponse,
               DoListDayAppointments(call, *req, resp))
ACCUEIL_HANDLE(GetAppointmentContacts, v1::GetAppointmentContactsRequest,
               v1::GetAppointmentContactsResponse, DoGetAppointmentContacts(call, *req, resp))
ACCUEIL_HANDLE(ReleaseUnconfirmed, v1::TransitionAppointmentRequest, v1::Appointment,
               DoReleaseUnconfirmed(call, *req, resp))
ACCUEIL_HANDLE(FindActiveAppointments, v1::FindActiveAppointmentsRequest,
               v1::GetAppointmentContactsResponse, DoFindActiveAppointments(call, *req, resp))
ACCUEIL_HANDLE(ExportPersonData, v1::ExportPersonDataRequest, v1::ExportPersonDataResponse,
               DoExportPersonData(call, *req, resp))
ACCUEIL_HANDLE(ErasePersonData, v1::ErasePersonDataRequest, v1::ErasePersonDataResponse,
               DoErasePersonData(call, *req, resp))

grpc::Status BookingService::GetOpeningHours(grpc::ServerContext* context,
                                             const v1::GetOpeningHoursRequest* req,
                                             v1::OpeningHours* resp) {
  return ctx_.gate->Handle(
      context, "accueil.booking.v1.BookingService.GetOpeningHours", [&](Call&) -> absl::Status {
        ASSIGN_OR_RETURN(int64_t desk, input::ParseResourceId(req->desk(), "desks", "desk"));
        return DoGetOpeningHours(desk, resp);
      });
}

#undef ACCUEIL_HANDLE

}  // namespace accueil::booking
