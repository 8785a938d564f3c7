-- A drawn reference that is already in use says so: REFERENCE_TAKEN
-- (AC409), raised by booking.create_appointment itself, so that the service
-- draws another reference for that reason only, instead of retrying any
-- database error (services/booking/appointments.cc).
--
-- The insert now does nothing on a conflict with any unique index (the
-- reference's, or the one active appointment per person and desk) and then
-- tells which, without an exception block on the hot path: a concurrent
-- booking that took the same reference is waited for, so the check sees it.
-- As in 0010_shared.sql otherwise; same signature and result, so pods of
-- the previous release keep working (the 0002 signature still calls this);
-- they pass a collision (one booking in 10^12) on to the client as
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
