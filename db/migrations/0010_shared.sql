-- The SQL every module uses, written once in schema `shared`: raising a
-- reasoned error, claiming a request id and replaying its first answer, and
-- appending an event with its source module. Booking moves onto it.
--
-- Rolling upgrade: pods of the previous release call booking.raise,
-- booking.claim_request, booking.finish_request and booking.append_event
-- (the administrative transactions of services/booking/mutation.cc) and the
-- booking functions below by name. Those keep their signatures and results:
-- the first four become thin wrappers over shared.*, the others are
-- re-created on shared.*, and booking.requests becomes a view of booking's
-- rows in shared.requests. Old and new pods therefore claim the same request
-- ids in the same table while the upgrade rolls. A later migration drops the
-- wrappers and the view.
CREATE SCHEMA shared;

-- shared.raise: the one way SQL reports a business error. The service maps
-- SQLSTATE AC4xx and 'REASON|field|text' to a status (services/common/db.h):
-- libpqxx 6 exposes no constraint names, so the reason comes from here.
CREATE FUNCTION shared.raise(p_state text, p_reason text, p_field text, p_text text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = p_state,
    MESSAGE = p_reason || '|' || p_field || '|' || p_text;
END $$;

-- Idempotency: the first answer to each request id of each module. Modules
-- name their own ids, so one id used by two modules is two requests.
CREATE TABLE shared.requests (
  module       text NOT NULL CHECK (module ~ '^[a-z][a-z_]*$'),
  request_id   text NOT NULL CHECK (char_length(request_id) BETWEEN 1 AND 100),
  payload_hash bytea NOT NULL,
  result       jsonb,
  create_time  timestamptz NOT NULL,
  PRIMARY KEY (module, request_id)
);

-- Booking's ids move in. The lock keeps a pod of the previous release from
-- claiming an id in the old table between the copy and the drop.
LOCK TABLE booking.requests IN ACCESS EXCLUSIVE MODE;
INSERT INTO shared.requests (module, request_id, payload_hash, result, create_time)
SELECT 'booking', request_id, payload_hash, result, create_time FROM booking.requests;
DROP TABLE booking.requests;
-- For readers of the previous release's table (compatibility, read only).
CREATE VIEW booking.requests AS
SELECT request_id, payload_hash, result, create_time
FROM shared.requests WHERE module = 'booking';

-- shared.claim_request records a module's request id, or returns the first
-- answer (NULL while the request is new). The same id with another payload
-- is REQUEST_ID_REUSED. A concurrent call with the same id waits on the
-- primary key until the first commits (then replays) or rolls back (then
-- proceeds). A request that fails rolls back its claim: a retry runs again.
CREATE FUNCTION shared.claim_request(p_module text, p_request_id text, p_hash bytea,
                                     p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_prev shared.requests;
BEGIN
  INSERT INTO shared.requests (module, request_id, payload_hash, create_time)
  VALUES (p_module, p_request_id, p_hash, p_now)
  ON CONFLICT (module, request_id) DO NOTHING;
  IF FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO v_prev FROM shared.requests
  WHERE module = p_module AND request_id = p_request_id;
  IF v_prev.payload_hash <> p_hash THEN
    PERFORM shared.raise('AC400', 'REQUEST_ID_REUSED', 'request_id',
      'this request_id was already used for a different request');
  END IF;
  RETURN v_prev.result;
END $$;

-- shared.finish_request records the answer a replay returns, in the same
-- transaction as the change.
CREATE FUNCTION shared.finish_request(p_module text, p_request_id text, p_result jsonb)
RETURNS void LANGUAGE sql AS $$
  UPDATE shared.requests SET result = p_result
  WHERE module = p_module AND request_id = p_request_id;
$$;

-- shared.append_event appends one event of module p_source to events.log, in
-- the caller's transaction (docs/events.md).
CREATE FUNCTION shared.append_event(p_source text, p_type text, p_subject text, p_site bigint,
                                    p_now timestamptz, p_payload jsonb)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO events.log (type, source, subject, site_id, occurred_time, payload)
  VALUES (p_type, p_source, p_subject, p_site, p_now, p_payload);
$$;

-- The previous release's names, as thin wrappers (see the top of this file).
CREATE OR REPLACE FUNCTION booking.raise(p_state text, p_reason text, p_field text, p_text text)
RETURNS void LANGUAGE sql AS $$
  SELECT shared.raise(p_state, p_reason, p_field, p_text);
$$;

CREATE OR REPLACE FUNCTION booking.claim_request(p_request_id text, p_hash bytea,
                                                 p_now timestamptz)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT shared.claim_request('booking', p_request_id, p_hash, p_now);
$$;

CREATE OR REPLACE FUNCTION booking.finish_request(p_request_id text, p_result jsonb)
RETURNS void LANGUAGE sql AS $$
  SELECT shared.finish_request('booking', p_request_id, p_result);
$$;

CREATE OR REPLACE FUNCTION booking.append_event(p_type text, p_subject text, p_site bigint,
                                                p_now timestamptz, p_payload jsonb)
RETURNS void LANGUAGE sql AS $$
  SELECT shared.append_event('booking', p_type, p_subject, p_site, p_now, p_payload);
$$;

-- Replaying an appointment, written once for every function that answers
-- with one: claim_appointment_request claims the request id and, on a
-- replay, returns the appointment of the first answer (no row while the
-- request is new); finish_appointment_request records the answer and
-- returns the appointment. A function answering with an appointment:
--
--   RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
--   IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
--   ... the change, its event ...
--   RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, v_id);
CREATE FUNCTION booking.claim_appointment_request(p_request_id text, p_hash bytea,
                                                  p_now timestamptz)
RETURNS SETOF booking.appointment_details LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
BEGIN
  v_prev := shared.claim_request('booking', p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN
    RETURN QUERY SELECT * FROM booking.appointment_details
      WHERE id = (v_prev->>'appointment_id')::bigint;
  END IF;
END $$;

-- Later statements of a function see its earlier writes: the answer comes
-- back in the same round trip.
CREATE FUNCTION booking.finish_appointment_request(p_request_id text, p_id bigint)
RETURNS SETOF booking.appointment_details LANGUAGE plpgsql AS $$
BEGIN
  PERFORM shared.finish_request('booking', p_request_id,
    jsonb_build_object('appointment_id', p_id));
  RETURN QUERY SELECT * FROM booking.appointment_details WHERE id = p_id;
END $$;

-- The booking functions of 0002, 0004, 0005 and 0006, unchanged in
-- signature, result and behaviour, on the shared blocks.

CREATE OR REPLACE FUNCTION booking.claim_slot(p_slot_id bigint, p_now timestamptz, p_field text)
RETURNS booking.slots LANGUAGE plpgsql AS $$
DECLARE
  v_slot booking.slots;
BEGIN
  UPDATE booking.slots SET booked = booked + 1
  WHERE id = p_slot_id AND booked < capacity
    AND release_time <= p_now AND start_time > p_now
  RETURNING * INTO v_slot;
  IF NOT FOUND THEN
    SELECT * INTO v_slot FROM booking.slots WHERE id = p_slot_id;
    IF NOT FOUND THEN
      PERFORM shared.raise('AC404', 'SLOT_NOT_FOUND', p_field, 'no such slot');
    ELSIF v_slot.start_time <= p_now THEN
      PERFORM shared.raise('AC412', 'SLOT_IN_PAST', p_field, 'the slot has already started');
    ELSIF v_slot.release_time > p_now THEN
      PERFORM shared.raise('AC412', 'SLOT_NOT_RELEASED', p_field, 'the slot is not open for booking yet');
    ELSE
      PERFORM shared.raise('AC412', 'SLOT_FULL', p_field, 'the slot has no remaining capacity');
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM booking.closures
             WHERE desk_id = v_slot.desk_id AND day = v_slot.local_date) THEN
    PERFORM shared.raise('AC412', 'DESK_CLOSED', p_field, 'the desk is closed that day');
  END IF;
  RETURN v_slot;
END $$;

-- As in 0006_key_rotation.sql, except that a drawn reference already in
-- use says so: REFERENCE_TAKEN (AC409), raised here, so that the service
-- draws another reference for that reason only instead of retrying any
-- database error (services/booking/appointments.cc). The insert does nothing
-- on a conflict with any unique index (the reference's, or the one active
-- appointment per person and desk) and then tells which, without an
-- exception block on the hot path: a concurrent booking that took the same
-- reference is waited for, so the check sees it. Pods of the previous
-- release pass a collision (one booking in 10^12) on to the client as
-- ALREADY_EXISTS instead of drawing again.
CREATE OR REPLACE FUNCTION booking.create_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_slot_id bigint, p_reference text, p_person_key bytea,
  p_given_name text, p_family_name text, p_email text, p_phone text,
  p_language text, p_need text, p_need_note text, p_companions integer,
  p_channel text, p_override_reason text, p_previous_keys bytea[])
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_slot booking.slots;
  v_site bigint;
  v_person bigint;
  v_id bigint;
BEGIN
  RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
  IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
  v_slot := booking.claim_slot(p_slot_id, p_now, 'slot');
  SELECT site_id INTO v_site FROM booking.desks WHERE id = v_slot.desk_id;

  -- The unique index sees only keys under the signing key; an appointment
  -- still stored under an older key of the ring counts too. While a new
  -- signing key rolls out, replicas store under different keys: the same
  -- person's bookings then take one lock, on the least of their keys (the
  -- same for every replica of the ring), so that the check below sees the
  -- other's row.
  IF p_override_reason IS NULL AND cardinality(p_previous_keys) > 0 THEN
    PERFORM pg_advisory_xact_lock(4201, hashtext(encode(
      (SELECT k FROM unnest(p_previous_keys || p_person_key) AS k ORDER BY k LIMIT 1), 'hex')));
  END IF;
  IF p_override_reason IS NULL AND cardinality(p_previous_keys) > 0 AND EXISTS (
      SELECT 1 FROM booking.appointments
      WHERE desk_id = v_slot.desk_id AND person_key = ANY (p_previous_keys)
        AND status IN ('booked', 'arrived', 'in_service') AND override_reason IS NULL) THEN
    PERFORM shared.raise('AC412', 'ACTIVE_APPOINTMENT_EXISTS', 'person',
      'this person already has an appointment at this desk');
  END IF;

  INSERT INTO booking.persons (given_name, family_name, email, phone,
                               preferred_language, accessibility_note)
  VALUES (p_given_name, p_family_name, p_email, p_phone, p_language, p_need_note)
  RETURNING id INTO v_person;

  INSERT INTO booking.appointments (reference, slot_id, desk_id, site_id,
    person_id, person_key, status, channel, companions, accessibility_need,
    override_reason, create_time, update_time)
  VALUES (p_reference, p_slot_id, v_slot.desk_id, v_site, v_person,
    p_person_key, 'booked', p_channel, p_companions, p_need,
    p_override_reason, p_now, p_now)
  ON CONFLICT DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    -- A unique index refused the row: the reference (the service draws
    -- another and calls again) or the person's active appointment.
    IF EXISTS (SELECT 1 FROM booking.appointments WHERE reference = p_reference) THEN
      PERFORM shared.raise('AC409', 'REFERENCE_TAKEN', '',
        'the reference drawn for this appointment is already in use');
    END IF;
    PERFORM shared.raise('AC412', 'ACTIVE_APPOINTMENT_EXISTS', 'person',
      'this person already has an appointment at this desk');
  END IF;

  PERFORM shared.append_event('booking', 'appointment.booked', 'appointments/' || v_id, v_site,
    p_now,
    jsonb_build_object('appointment', v_id, 'slot', p_slot_id, 'desk', v_slot.desk_id,
      'site', v_site, 'start_time', v_slot.start_time, 'end_time', v_slot.end_time,
      'channel', p_channel, 'companions', p_companions,
      'accessibility_need', p_need, 'override', p_override_reason IS NOT NULL));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, v_id);
END $$;

-- The signature of 0002_booking.sql (pods from before 0006): the same
-- booking with no older key.
CREATE OR REPLACE FUNCTION booking.create_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_slot_id bigint, p_reference text, p_person_key bytea,
  p_given_name text, p_family_name text, p_email text, p_phone text,
  p_language text, p_need text, p_need_note text, p_companions integer,
  p_channel text, p_override_reason text)
RETURNS SETOF booking.appointment_details
LANGUAGE sql AS $$
  SELECT * FROM booking.create_appointment(p_request_id, p_hash, p_now, p_slot_id, p_reference,
    p_person_key, p_given_name, p_family_name, p_email, p_phone, p_language, p_need,
    p_need_note, p_companions, p_channel, p_override_reason, '{}'::bytea[]);
$$;

CREATE OR REPLACE FUNCTION booking.transition(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_to text, p_reason text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
  v_slot booking.slots;
  v_from text[];
BEGIN
  RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
  IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
  SELECT * INTO v_appt FROM booking.appointments WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM shared.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'name', 'no such appointment');
  END IF;
  v_from := CASE p_to
    WHEN 'arrived' THEN ARRAY['booked']
    WHEN 'in_service' THEN ARRAY['arrived']
    WHEN 'fulfilled' THEN ARRAY['in_service']
    WHEN 'cancelled' THEN ARRAY['booked']
    WHEN 'noshow' THEN ARRAY['booked']
  END;
  IF NOT (v_appt.status = ANY (v_from)) THEN
    PERFORM shared.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
      'an appointment that is ' || v_appt.status || ' cannot become ' || p_to);
  END IF;
  SELECT * INTO v_slot FROM booking.slots WHERE id = v_appt.slot_id;
  IF p_to = 'cancelled' THEN
    IF v_slot.start_time <= p_now THEN
      PERFORM shared.raise('AC412', 'APPOINTMENT_STARTED', 'reference',
        'the appointment has already started and can no longer be cancelled');
    END IF;
    UPDATE booking.slots SET booked = booked - 1 WHERE id = v_appt.slot_id;
  ELSIF p_to = 'noshow' AND v_slot.start_time > p_now THEN
    PERFORM shared.raise('AC412', 'APPOINTMENT_NOT_STARTED', 'name',
      'an appointment cannot be marked missed before it starts');
  END IF;
  UPDATE booking.appointments
  SET status = p_to, update_time = p_now,
      cancel_reason = CASE WHEN p_to = 'cancelled' THEN p_reason ELSE cancel_reason END
  WHERE id = p_id;

  PERFORM shared.append_event('booking', 'appointment.' || p_to, 'appointments/' || p_id,
    v_appt.site_id, p_now,
    jsonb_build_object('appointment', p_id, 'slot', v_appt.slot_id,
      'desk', v_appt.desk_id, 'site', v_appt.site_id, 'from_status', v_appt.status,
      'start_time', v_slot.start_time));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, p_id);
END $$;

CREATE OR REPLACE FUNCTION booking.reschedule_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_new_slot bigint)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
  v_old booking.slots;
  v_new booking.slots;
BEGIN
  RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
  IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
  SELECT * INTO v_appt FROM booking.appointments WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM shared.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'reference', 'no such appointment');
  END IF;
  IF v_appt.status <> 'booked' THEN
    PERFORM shared.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
      'an appointment that is ' || v_appt.status || ' cannot be moved');
  END IF;
  IF v_appt.slot_id = p_new_slot THEN
    PERFORM shared.raise('AC400', 'SAME_SLOT', 'new_slot', 'the appointment is already in this slot');
  END IF;
  -- Lock both slots in id order so that two crossing moves cannot deadlock.
  PERFORM 1 FROM booking.slots WHERE id IN (v_appt.slot_id, p_new_slot)
    ORDER BY id FOR UPDATE;
  SELECT * INTO v_old FROM booking.slots WHERE id = v_appt.slot_id;
  IF v_old.start_time <= p_now THEN
    PERFORM shared.raise('AC412', 'APPOINTMENT_STARTED', 'reference',
      'the appointment has already started and can no longer be moved');
  END IF;
  IF EXISTS (SELECT 1 FROM booking.slots WHERE id = p_new_slot AND desk_id <> v_appt.desk_id) THEN
    PERFORM shared.raise('AC400', 'SLOT_OTHER_DESK', 'new_slot', 'the new slot belongs to another desk');
  END IF;
  v_new := booking.claim_slot(p_new_slot, p_now, 'new_slot');
  UPDATE booking.slots SET booked = booked - 1 WHERE id = v_old.id;
  UPDATE booking.appointments SET slot_id = p_new_slot, update_time = p_now WHERE id = p_id;

  PERFORM shared.append_event('booking', 'appointment.rescheduled', 'appointments/' || p_id,
    v_appt.site_id, p_now,
    jsonb_build_object('appointment', p_id, 'desk', v_appt.desk_id, 'site', v_appt.site_id,
      'from_slot', v_old.id, 'to_slot', p_new_slot,
      'from_start_time', v_old.start_time, 'start_time', v_new.start_time,
      'end_time', v_new.end_time));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, p_id);
END $$;

-- As in 0004_booking_access_codes.sql.
CREATE OR REPLACE FUNCTION booking.reset_access_code(
  p_request_id text, p_hash bytea, p_now timestamptz, p_id bigint)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
BEGIN
  RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
  IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
  UPDATE booking.appointments SET code_version = code_version + 1, update_time = p_now
  WHERE id = p_id AND status IN ('booked', 'arrived')
  RETURNING * INTO v_appt;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM booking.appointments WHERE id = p_id) THEN
      PERFORM shared.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
        'only a booked or arrived appointment gets a new access code');
    END IF;
    PERFORM shared.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'name', 'no such appointment');
  END IF;
  PERFORM shared.append_event('booking', 'appointment.access_reset', 'appointments/' || p_id,
    v_appt.site_id, p_now,
    jsonb_build_object('appointment', p_id, 'site', v_appt.site_id, 'desk', v_appt.desk_id));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, p_id);
END $$;

-- The first answer of a release is its count and instant, not an appointment.
CREATE OR REPLACE FUNCTION booking.release_slots(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_desk_id bigint, p_starts bigint[], p_release_time timestamptz)
RETURNS TABLE (created integer, release_time timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_desk booking.desks;
  v_tz text;
  v_created integer;
BEGIN
  v_prev := shared.claim_request('booking', p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN  -- a replay: the first answer, nothing changes
    RETURN QUERY SELECT (v_prev->>'created')::integer, (v_prev->>'release_time')::timestamptz;
    RETURN;
  END IF;
  SELECT * INTO v_desk FROM booking.desks WHERE id = p_desk_id;
  IF NOT FOUND THEN
    PERFORM shared.raise('AC404', 'DESK_NOT_FOUND', 'desk', 'no such desk');
  END IF;
  SELECT time_zone INTO v_tz FROM booking.sites WHERE id = v_desk.site_id;
  INSERT INTO booking.slots (desk_id, start_time, end_time, local_date, capacity, release_time)
  SELECT p_desk_id, to_timestamp(s), to_timestamp(s) + make_interval(mins => v_desk.slot_minutes),
         (to_timestamp(s) AT TIME ZONE v_tz)::date, v_desk.capacity_per_slot, p_release_time
  FROM unnest(p_starts) AS s
  ON CONFLICT (desk_id, start_time) DO NOTHING;
  GET DIAGNOSTICS v_created = ROW_COUNT;
  PERFORM shared.finish_request('booking', p_request_id,
    jsonb_build_object('created', v_created, 'release_time', p_release_time));
  PERFORM shared.append_event('booking', 'slots.released', 'desks/' || p_desk_id, v_desk.site_id,
    p_now,
    jsonb_build_object('desk', p_desk_id, 'site', v_desk.site_id, 'created', v_created,
      'first_start_time', to_timestamp(p_starts[1]),
      'last_start_time', to_timestamp(p_starts[array_length(p_starts, 1)]),
      'release_time', p_release_time));
  RETURN QUERY SELECT v_created, p_release_time;
END $$;

-- As in 0006_key_rotation.sql. The first answer is the count erased.
CREATE OR REPLACE FUNCTION booking.erase_person(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_site bigint, p_person_keys bytea[], p_phone text, p_email text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_ids bigint[];
  v_erased integer;
BEGIN
  v_prev := shared.claim_request('booking', p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN  -- a replay: the first answer, nothing changes
    RETURN (v_prev->>'erased')::integer;
  END IF;
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids
  FROM booking.person_appointments(p_site, p_person_keys, p_phone, p_email) AS id;
  -- Lock them so that no transition races the check below.
  PERFORM 1 FROM booking.appointments WHERE id = ANY (v_ids) ORDER BY id FOR UPDATE;
  IF EXISTS (SELECT 1 FROM booking.appointments WHERE id = ANY (v_ids)
             AND status IN ('booked', 'arrived', 'in_service')) THEN
    PERFORM shared.raise('AC412', 'ACTIVE_APPOINTMENT_EXISTS', 'query',
      'this person still has an active appointment at this site; cancel it first');
  END IF;
  UPDATE booking.appointments
  SET cancel_reason = NULL,
      override_reason = CASE WHEN override_reason IS NULL THEN NULL ELSE '' END
  WHERE id = ANY (v_ids) AND (cancel_reason IS NOT NULL OR override_reason <> '');
  UPDATE booking.persons p
  SET given_name = NULL, family_name = NULL, email = NULL, phone = NULL,
      accessibility_note = '', erase_time = p_now
  FROM booking.appointments a
  WHERE a.id = ANY (v_ids) AND p.id = a.person_id AND p.erase_time IS NULL;
  GET DIAGNOSTICS v_erased = ROW_COUNT;
  PERFORM shared.finish_request('booking', p_request_id, jsonb_build_object('erased', v_erased));
  PERFORM shared.append_event('booking', 'person.erased', 'sites/' || p_site, p_site, p_now,
    jsonb_build_object('site', p_site, 'appointments', coalesce(array_length(v_ids, 1), 0),
      'erased', v_erased));
  RETURN v_erased;
END $$;

-- The signature of 0005_retention.sql (pods from before 0006): one key.
CREATE OR REPLACE FUNCTION booking.erase_person(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_site bigint, p_person_key bytea, p_phone text, p_email text)
RETURNS integer LANGUAGE sql AS $$
  SELECT booking.erase_person(p_request_id, p_hash, p_now, p_site, ARRAY[p_person_key],
                              p_phone, p_email);
$$;

-- As in 0005_retention.sql; forgets booking's request ids only (other
-- modules purge their own).
CREATE OR REPLACE FUNCTION booking.purge_personal_data(p_now timestamptz, p_retention interval)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_erased integer;
BEGIN
  UPDATE booking.appointments a
  SET cancel_reason = NULL,
      override_reason = CASE WHEN a.override_reason IS NULL THEN NULL ELSE '' END
  FROM booking.slots s
  WHERE s.id = a.slot_id AND s.end_time < p_now - p_retention
    AND a.status NOT IN ('booked', 'arrived', 'in_service')
    AND (a.cancel_reason IS NOT NULL OR a.override_reason <> '');

  UPDATE booking.persons p
  SET given_name = NULL, family_name = NULL, email = NULL, phone = NULL,
      accessibility_note = '', erase_time = p_now
  FROM booking.appointments a JOIN booking.slots s ON s.id = a.slot_id
  WHERE a.person_id = p.id AND p.erase_time IS NULL
    AND s.end_time < p_now - p_retention
    AND a.status NOT IN ('booked', 'arrived', 'in_service');
  GET DIAGNOSTICS v_erased = ROW_COUNT;

  DELETE FROM shared.requests
  WHERE module = 'booking' AND create_time < p_now - p_retention;
  RETURN v_erased;
END $$;
