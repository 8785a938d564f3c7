-- Booking: sites, desks, opening hours, slots, appointments.
--
-- Invariants live here, not in C++:
--   * slots.booked never exceeds slots.capacity (CHECK + row lock in
--     booking.claim_slot);
--   * one active appointment per person and desk (partial unique index),
--     unless an agent recorded an override reason;
--   * no booking in the past, before release or on a closed day (checked
--     against the time the service passes in, never now());
--   * every mutation is idempotent by request_id (booking.requests);
--   * every change appends to events.log in the same transaction.
-- Business errors are raised with SQLSTATE AC4xx and 'REASON|field|text'
-- (see services/common/db.h).
CREATE SCHEMA booking;

CREATE TABLE booking.sites (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  address      text NOT NULL DEFAULT '' CHECK (char_length(address) <= 500),
  time_zone    text NOT NULL,
  create_time  timestamptz NOT NULL
);

CREATE TABLE booking.desks (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id           bigint NOT NULL REFERENCES booking.sites,
  display_name      text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  kind              text NOT NULL CHECK (kind IN ('first_application', 'renewal',
                      'collection', 'digital_access_point', 'other')),
  slot_minutes      integer NOT NULL CHECK (slot_minutes BETWEEN 5 AND 480),
  capacity_per_slot integer NOT NULL CHECK (capacity_per_slot BETWEEN 1 AND 100),
  -- [{"language": "fr", "documents": [...], "instructions": "..."}]
  instructions      jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX desks_site ON booking.desks (site_id);

-- Weekly opening ranges in the site's local time (minutes since midnight).
CREATE TABLE booking.opening_ranges (
  desk_id      bigint NOT NULL REFERENCES booking.desks,
  iso_weekday  integer NOT NULL CHECK (iso_weekday BETWEEN 1 AND 7),
  start_minute integer NOT NULL CHECK (start_minute BETWEEN 0 AND 1440),
  end_minute   integer NOT NULL CHECK (end_minute BETWEEN 0 AND 1440),
  CHECK (start_minute < end_minute),
  PRIMARY KEY (desk_id, iso_weekday, start_minute)
);

-- Days the desk is closed (local calendar days).
CREATE TABLE booking.closures (
  desk_id bigint NOT NULL REFERENCES booking.desks,
  day     date NOT NULL,
  reason  text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 200),
  PRIMARY KEY (desk_id, day)
);

CREATE TABLE booking.slots (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  desk_id      bigint NOT NULL REFERENCES booking.desks,
  start_time   timestamptz NOT NULL,
  end_time     timestamptz NOT NULL,
  -- Calendar day of start_time in the site's zone, for closures and reports.
  local_date   date NOT NULL,
  capacity     integer NOT NULL CHECK (capacity > 0),
  booked       integer NOT NULL DEFAULT 0,
  release_time timestamptz NOT NULL,
  CHECK (booked BETWEEN 0 AND capacity),
  CHECK (end_time > start_time),
  UNIQUE (desk_id, start_time)
);

-- Personal data lives here and only here, one row per appointment, so that
-- the retention purge and erasure requests have one table to clear.
CREATE TABLE booking.persons (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  given_name         text,
  family_name        text,
  email              text,
  phone              text,
  preferred_language text NOT NULL,
  accessibility_note text NOT NULL DEFAULT '',
  erase_time         timestamptz,
  CHECK (erase_time IS NOT NULL OR
         (given_name IS NOT NULL AND family_name IS NOT NULL AND
          (email IS NOT NULL OR phone IS NOT NULL)))
);

CREATE TABLE booking.appointments (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- 8 characters without 0/O/1/I.
  reference          text NOT NULL UNIQUE CHECK (reference ~ '^[2-9A-HJ-NP-Z]{8}$'),
  -- Access codes are HMAC(id, code_version): bumping the version revokes.
  code_version       integer NOT NULL DEFAULT 1,
  slot_id            bigint NOT NULL REFERENCES booking.slots,
  desk_id            bigint NOT NULL REFERENCES booking.desks,
  site_id            bigint NOT NULL REFERENCES booking.sites,
  person_id          bigint NOT NULL UNIQUE REFERENCES booking.persons,
  -- Keyed hash of the normalised phone (else e-mail): who the person is for
  -- the one-active-appointment rule, without holding the contact itself.
  person_key         bytea NOT NULL,
  status             text NOT NULL CHECK (status IN ('booked', 'arrived',
                       'in_service', 'fulfilled', 'cancelled', 'noshow')),
  channel            text NOT NULL CHECK (channel IN ('online', 'agent', 'convocation')),
  companions         integer NOT NULL CHECK (companions BETWEEN 0 AND 3),
  accessibility_need text NOT NULL CHECK (accessibility_need IN ('none',
                       'wheelchair', 'reduced_mobility', 'visual', 'hearing',
                       'cognitive', 'other')),
  -- Set when an agent books despite an active appointment.
  override_reason    text,
  -- Free text from the person: personal, erased by the purge.
  cancel_reason      text,
  create_time        timestamptz NOT NULL,
  update_time        timestamptz NOT NULL
);
CREATE INDEX appointments_slot ON booking.appointments (slot_id);

CREATE UNIQUE INDEX appointments_one_active_per_person
  ON booking.appointments (desk_id, person_key)
  WHERE status IN ('booked', 'arrived', 'in_service') AND override_reason IS NULL;

-- Idempotency: the first answer to each request_id.
CREATE TABLE booking.requests (
  request_id   text PRIMARY KEY CHECK (char_length(request_id) BETWEEN 1 AND 100),
  payload_hash bytea NOT NULL,
  result       jsonb,
  create_time  timestamptz NOT NULL
);

-- What the API returns for an appointment, in one place: the service reads
-- these columns by position (services/booking/proto_convert.cc). Times are
-- epoch microseconds (libpqxx 6 has no timestamp conversion).
CREATE VIEW booking.appointment_details AS
SELECT a.id, a.reference, a.code_version, a.status, a.slot_id, a.desk_id, a.site_id,
       (extract(epoch from s.start_time) * 1000000)::bigint AS start_micros,
       (extract(epoch from s.end_time) * 1000000)::bigint AS end_micros,
       p.given_name, p.family_name, p.email, p.phone, p.preferred_language,
       a.accessibility_need, p.accessibility_note, a.companions, a.channel,
       (extract(epoch from a.create_time) * 1000000)::bigint AS create_micros,
       (extract(epoch from a.update_time) * 1000000)::bigint AS update_micros,
       a.cancel_reason
FROM booking.appointments a
JOIN booking.slots s ON s.id = a.slot_id
JOIN booking.persons p ON p.id = a.person_id;

-- booking.raise: the one way SQL reports a business error.
CREATE FUNCTION booking.raise(p_state text, p_reason text, p_field text, p_text text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = p_state,
    MESSAGE = p_reason || '|' || p_field || '|' || p_text;
END $$;

-- booking.claim_request records a request id, or returns the first answer
-- (NULL while it is new). The same id with another payload is an error.
-- A concurrent call with the same id waits on the primary key until the
-- first commits (then replays) or rolls back (then proceeds).
CREATE FUNCTION booking.claim_request(p_request_id text, p_hash bytea, p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_prev booking.requests;
BEGIN
  INSERT INTO booking.requests (request_id, payload_hash, create_time)
  VALUES (p_request_id, p_hash, p_now)
  ON CONFLICT (request_id) DO NOTHING;
  IF FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO v_prev FROM booking.requests WHERE request_id = p_request_id;
  IF v_prev.payload_hash <> p_hash THEN
    PERFORM booking.raise('AC400', 'REQUEST_ID_REUSED', 'request_id',
      'this request_id was already used for a different request');
  END IF;
  RETURN v_prev.result;
END $$;

CREATE FUNCTION booking.finish_request(p_request_id text, p_result jsonb)
RETURNS void LANGUAGE sql AS $$
  UPDATE booking.requests SET result = p_result WHERE request_id = p_request_id;
$$;

CREATE FUNCTION booking.append_event(p_type text, p_subject text, p_site bigint,
                                     p_now timestamptz, p_payload jsonb)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO events.log (type, source, subject, site_id, occurred_time, payload)
  VALUES (p_type, 'booking', p_subject, p_site, p_now, p_payload);
$$;

-- booking.claim_slot takes one place in a slot, or raises why it cannot.
-- The UPDATE locks the slot row, so concurrent claims queue and the
-- capacity check cannot be raced.
CREATE FUNCTION booking.claim_slot(p_slot_id bigint, p_now timestamptz, p_field text)
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
      PERFORM booking.raise('AC404', 'SLOT_NOT_FOUND', p_field, 'no such slot');
    ELSIF v_slot.start_time <= p_now THEN
      PERFORM booking.raise('AC412', 'SLOT_IN_PAST', p_field, 'the slot has already started');
    ELSIF v_slot.release_time > p_now THEN
      PERFORM booking.raise('AC412', 'SLOT_NOT_RELEASED', p_field, 'the slot is not open for booking yet');
    ELSE
      PERFORM booking.raise('AC412', 'SLOT_FULL', p_field, 'the slot has no remaining capacity');
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM booking.closures
             WHERE desk_id = v_slot.desk_id AND day = v_slot.local_date) THEN
    PERFORM booking.raise('AC412', 'DESK_CLOSED', p_field, 'the desk is closed that day');
  END IF;
  RETURN v_slot;
END $$;

-- booking.create_appointment is the whole booking path in one statement:
-- one round trip, one transaction, all or nothing.
CREATE FUNCTION booking.create_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_slot_id bigint, p_reference text, p_person_key bytea,
  p_given_name text, p_family_name text, p_email text, p_phone text,
  p_language text, p_need text, p_need_note text, p_companions integer,
  p_channel text, p_override_reason text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_slot booking.slots;
  v_site bigint;
  v_person bigint;
  v_id bigint;
BEGIN
  v_prev := booking.claim_request(p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN
    RETURN QUERY SELECT * FROM booking.appointment_details
      WHERE id = (v_prev->>'appointment_id')::bigint;
    RETURN;
  END IF;
  v_slot := booking.claim_slot(p_slot_id, p_now, 'slot');
  SELECT site_id INTO v_site FROM booking.desks WHERE id = v_slot.desk_id;

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
  ON CONFLICT (desk_id, person_key)
    WHERE status IN ('booked', 'arrived', 'in_service') AND override_reason IS NULL
    DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    PERFORM booking.raise('AC412', 'ACTIVE_APPOINTMENT_EXISTS', 'person',
      'this person already has an appointment at this desk');
  END IF;

  PERFORM booking.finish_request(p_request_id, jsonb_build_object('appointment_id', v_id));
  PERFORM booking.append_event('appointment.booked', 'appointments/' || v_id, v_site, p_now,
    jsonb_build_object('appointment', v_id, 'slot', p_slot_id, 'desk', v_slot.desk_id,
      'site', v_site, 'start_time', v_slot.start_time, 'end_time', v_slot.end_time,
      'channel', p_channel, 'companions', p_companions,
      'accessibility_need', p_need, 'override', p_override_reason IS NOT NULL));
  -- Later statements of a function see its earlier writes: the answer
  -- comes back in the same round trip.
  RETURN QUERY SELECT * FROM booking.appointment_details WHERE id = v_id;
END $$;

-- booking.transition moves an appointment along its lifecycle:
--   booked -> arrived -> in_service -> fulfilled
--   booked -> cancelled (before the start; frees the place at once)
--   booked -> noshow    (after the start)
CREATE FUNCTION booking.transition(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_to text, p_reason text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_appt booking.appointments;
  v_slot booking.slots;
  v_from text[];
BEGIN
  v_prev := booking.claim_request(p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN
    RETURN QUERY SELECT * FROM booking.appointment_details
      WHERE id = (v_prev->>'appointment_id')::bigint;
    RETURN;
  END IF;
  SELECT * INTO v_appt FROM booking.appointments WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM booking.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'name', 'no such appointment');
  END IF;
  v_from := CASE p_to
    WHEN 'arrived' THEN ARRAY['booked']
    WHEN 'in_service' THEN ARRAY['arrived']
    WHEN 'fulfilled' THEN ARRAY['in_service']
    WHEN 'cancelled' THEN ARRAY['booked']
    WHEN 'noshow' THEN ARRAY['booked']
  END;
  IF NOT (v_appt.status = ANY (v_from)) THEN
    PERFORM booking.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
      'an appointment that is ' || v_appt.status || ' cannot become ' || p_to);
  END IF;
  SELECT * INTO v_slot FROM booking.slots WHERE id = v_appt.slot_id;
  IF p_to = 'cancelled' THEN
    IF v_slot.start_time <= p_now THEN
      PERFORM booking.raise('AC412', 'APPOINTMENT_STARTED', 'reference',
        'the appointment has already started and can no longer be cancelled');
    END IF;
    UPDATE booking.slots SET booked = booked - 1 WHERE id = v_appt.slot_id;
  ELSIF p_to = 'noshow' AND v_slot.start_time > p_now THEN
    PERFORM booking.raise('AC412', 'APPOINTMENT_NOT_STARTED', 'name',
      'an appointment cannot be marked missed before it starts');
  END IF;
  UPDATE booking.appointments
  SET status = p_to, update_time = p_now,
      cancel_reason = CASE WHEN p_to = 'cancelled' THEN p_reason ELSE cancel_reason END
  WHERE id = p_id;

  PERFORM booking.finish_request(p_request_id, jsonb_build_object('appointment_id', p_id));
  PERFORM booking.append_event('appointment.' || p_to, 'appointments/' || p_id,
    v_appt.site_id, p_now,
    jsonb_build_object('appointment', p_id, 'slot', v_appt.slot_id,
      'desk', v_appt.desk_id, 'site', v_appt.site_id, 'from_status', v_appt.status,
      'start_time', v_slot.start_time));
  RETURN QUERY SELECT * FROM booking.appointment_details WHERE id = p_id;
END $$;

-- booking.reschedule_appointment moves a booked appointment to another slot
-- of the same desk, atomically: the new place is taken and the old one given
-- back in one transaction, or nothing changes.
CREATE FUNCTION booking.reschedule_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_new_slot bigint)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_appt booking.appointments;
  v_old booking.slots;
  v_new booking.slots;
BEGIN
  v_prev := booking.claim_request(p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN
    RETURN QUERY SELECT * FROM booking.appointment_details
      WHERE id = (v_prev->>'appointment_id')::bigint;
    RETURN;
  END IF;
  SELECT * INTO v_appt FROM booking.appointments WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM booking.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'reference', 'no such appointment');
  END IF;
  IF v_appt.status <> 'booked' THEN
    PERFORM booking.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
      'an appointment that is ' || v_appt.status || ' cannot be moved');
  END IF;
  IF v_appt.slot_id = p_new_slot THEN
    PERFORM booking.raise('AC400', 'SAME_SLOT', 'new_slot', 'the appointment is already in this slot');
  END IF;
  -- Lock both slots in id order so that two crossing moves cannot deadlock.
  PERFORM 1 FROM booking.slots WHERE id IN (v_appt.slot_id, p_new_slot)
    ORDER BY id FOR UPDATE;
  SELECT * INTO v_old FROM booking.slots WHERE id = v_appt.slot_id;
  IF v_old.start_time <= p_now THEN
    PERFORM booking.raise('AC412', 'APPOINTMENT_STARTED', 'reference',
      'the appointment has already started and can no longer be moved');
  END IF;
  IF EXISTS (SELECT 1 FROM booking.slots WHERE id = p_new_slot AND desk_id <> v_appt.desk_id) THEN
    PERFORM booking.raise('AC400', 'SLOT_OTHER_DESK', 'new_slot', 'the new slot belongs to another desk');
  END IF;
  v_new := booking.claim_slot(p_new_slot, p_now, 'new_slot');
  UPDATE booking.slots SET booked = booked - 1 WHERE id = v_old.id;
  UPDATE booking.appointments SET slot_id = p_new_slot, update_time = p_now WHERE id = p_id;

  PERFORM booking.finish_request(p_request_id, jsonb_build_object('appointment_id', p_id));
  PERFORM booking.append_event('appointment.rescheduled', 'appointments/' || p_id,
    v_appt.site_id, p_now,
    jsonb_build_object('appointment', p_id, 'desk', v_appt.desk_id, 'site', v_appt.site_id,
      'from_slot', v_old.id, 'to_slot', p_new_slot,
      'from_start_time', v_old.start_time, 'start_time', v_new.start_time,
      'end_time', v_new.end_time));
  RETURN QUERY SELECT * FROM booking.appointment_details WHERE id = p_id;
END $$;

-- booking.release_slots creates the slots starting at p_starts (epoch
-- seconds, computed by the service from the opening hours in the site's
-- zone); slots that already exist are left alone.
CREATE FUNCTION booking.release_slots(
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
  v_prev := booking.claim_request(p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN
    RETURN QUERY SELECT (v_prev->>'created')::integer, (v_prev->>'release_time')::timestamptz;
    RETURN;
  END IF;
  SELECT * INTO v_desk FROM booking.desks WHERE id = p_desk_id;
  IF NOT FOUND THEN
    PERFORM booking.raise('AC404', 'DESK_NOT_FOUND', 'desk', 'no such desk');
  END IF;
  SELECT time_zone INTO v_tz FROM booking.sites WHERE id = v_desk.site_id;
  INSERT INTO booking.slots (desk_id, start_time, end_time, local_date, capacity, release_time)
  SELECT p_desk_id, to_timestamp(s), to_timestamp(s) + make_interval(mins => v_desk.slot_minutes),
         (to_timestamp(s) AT TIME ZONE v_tz)::date, v_desk.capacity_per_slot, p_release_time
  FROM unnest(p_starts) AS s
  ON CONFLICT (desk_id, start_time) DO NOTHING;
  GET DIAGNOSTICS v_created = ROW_COUNT;
  PERFORM booking.finish_request(p_request_id,
    jsonb_build_object('created', v_created, 'release_time', p_release_time));
  PERFORM booking.append_event('slots.released', 'desks/' || p_desk_id, v_desk.site_id, p_now,
    jsonb_build_object('desk', p_desk_id, 'site', v_desk.site_id, 'created', v_created,
      'first_start_time', to_timestamp(p_starts[1]),
      'last_start_time', to_timestamp(p_starts[array_length(p_starts, 1)]),
      'release_time', p_release_time));
  RETURN QUERY SELECT v_created, p_release_time;
END $$;
