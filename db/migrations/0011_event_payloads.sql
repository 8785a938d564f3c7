-- What event consumers need and the payloads lacked (docs/events.md; the
-- contract is proto/accueil/events/v1/events.proto):
--   * the site's time zone (`time_zone`) and the end of the slot wherever a
--     time is given;
--   * who acted (`actor`: public, agent, service, system) on every
--     appointment status event, on appointment.rescheduled and on
--     appointment.access_reset, and why an appointment was cancelled or
--     missed (`cause`).
-- The actor comes from the service, which knows the caller: the functions
-- that write those events take it as a new last parameter (and the cause,
-- for booking.transition).
--
-- Rolling upgrade: pods of the previous release call these functions with
-- their 0010 signatures. Those stay, as thin wrappers over the new ones
-- passing a NULL actor and cause (unknown: written as null, which consumers
-- read as unset). A later migration drops them.

-- booking.check_actor: the actor and cause a writer passes are from the
-- lists above (NULL: from a previous release's wrapper). p_causes are the
-- causes allowed for the event (empty: none).
CREATE FUNCTION booking.check_actor(p_actor text, p_cause text, p_causes text[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_actor NOT IN ('public', 'agent', 'service', 'system') THEN
    PERFORM shared.raise('AC400', 'INVALID_ACTOR', 'actor',
      'the actor is one of public, agent, service, system');
  END IF;
  IF p_cause IS NOT NULL AND NOT (p_cause = ANY (p_causes)) THEN
    PERFORM shared.raise('AC400', 'INVALID_CAUSE', 'cause', 'this change takes no such cause');
  END IF;
  IF p_actor IS NOT NULL AND p_cause IS NULL AND cardinality(p_causes) > 0 THEN
    PERFORM shared.raise('AC400', 'INVALID_CAUSE', 'cause', 'this change needs a cause');
  END IF;
END $$;

-- As in 0010_shared.sql, with the site's zone and the actor in the event.
CREATE FUNCTION booking.create_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_slot_id bigint, p_reference text, p_person_key bytea,
  p_given_name text, p_family_name text, p_email text, p_phone text,
  p_language text, p_need text, p_need_note text, p_companions integer,
  p_channel text, p_override_reason text, p_previous_keys bytea[], p_actor text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_slot booking.slots;
  v_site bigint;
  v_tz text;
  v_person bigint;
  v_id bigint;
BEGIN
  PERFORM booking.check_actor(p_actor, NULL, '{}');
  RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
  IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
  v_slot := booking.claim_slot(p_slot_id, p_now, 'slot');
  SELECT d.site_id, s.time_zone INTO v_site, v_tz
  FROM booking.desks d JOIN booking.sites s ON s.id = d.site_id WHERE d.id = v_slot.desk_id;

  -- Older keys of the ring: see 0010_shared.sql.
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
    -- The reference (the service draws again) or the active appointment.
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
      'time_zone', v_tz, 'channel', p_channel, 'companions', p_companions,
      'accessibility_need', p_need, 'override', p_override_reason IS NOT NULL,
      'actor', p_actor));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, v_id);
END $$;

-- The signature of 0006 and 0010 (the 0002 one calls it): no actor.
CREATE OR REPLACE FUNCTION booking.create_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_slot_id bigint, p_reference text, p_person_key bytea,
  p_given_name text, p_family_name text, p_email text, p_phone text,
  p_language text, p_need text, p_need_note text, p_companions integer,
  p_channel text, p_override_reason text, p_previous_keys bytea[])
RETURNS SETOF booking.appointment_details
LANGUAGE sql AS $$
  SELECT * FROM booking.create_appointment(p_request_id, p_hash, p_now, p_slot_id, p_reference,
    p_person_key, p_given_name, p_family_name, p_email, p_phone, p_language, p_need,
    p_need_note, p_companions, p_channel, p_override_reason, p_previous_keys, NULL);
$$;

-- As in 0010_shared.sql, with the slot's end, the site's zone, the actor
-- and, for a cancellation or a no-show, the cause. Causes: cancelled -
-- 'person' (with the person's access code), 'agent' (an agent without it),
-- 'closure', 'not_confirmed' (workers); noshow - 'marked' (an agent or
-- service), 'sweep' (a worker). Other statuses take none.
CREATE FUNCTION booking.transition(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_to text, p_reason text, p_actor text, p_cause text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
  v_slot booking.slots;
  v_tz text;
  v_from text[];
  v_payload jsonb;
BEGIN
  PERFORM booking.check_actor(p_actor, p_cause, CASE p_to
    WHEN 'cancelled' THEN ARRAY['person', 'agent', 'closure', 'not_confirmed']
    WHEN 'noshow' THEN ARRAY['marked', 'sweep']
    ELSE '{}' END);
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

  SELECT time_zone INTO v_tz FROM booking.sites WHERE id = v_appt.site_id;
  v_payload := jsonb_build_object('appointment', p_id, 'slot', v_appt.slot_id,
    'desk', v_appt.desk_id, 'site', v_appt.site_id, 'from_status', v_appt.status,
    'start_time', v_slot.start_time, 'end_time', v_slot.end_time, 'time_zone', v_tz,
    'actor', p_actor);
  IF p_to IN ('cancelled', 'noshow') THEN
    v_payload := v_payload || jsonb_build_object('cause', p_cause);
  END IF;
  PERFORM shared.append_event('booking', 'appointment.' || p_to, 'appointments/' || p_id,
    v_appt.site_id, p_now, v_payload);
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, p_id);
END $$;

CREATE OR REPLACE FUNCTION booking.transition(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_to text, p_reason text)
RETURNS SETOF booking.appointment_details
LANGUAGE sql AS $$
  SELECT * FROM booking.transition(p_request_id, p_hash, p_now, p_id, p_to, p_reason, NULL, NULL);
$$;

-- As in 0010_shared.sql, with the old slot's end, the site's zone and the
-- actor.
CREATE FUNCTION booking.reschedule_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_new_slot bigint, p_actor text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
  v_old booking.slots;
  v_new booking.slots;
BEGIN
  PERFORM booking.check_actor(p_actor, NULL, '{}');
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
      'from_start_time', v_old.start_time, 'from_end_time', v_old.end_time,
      'start_time', v_new.start_time, 'end_time', v_new.end_time,
      'time_zone', (SELECT time_zone FROM booking.sites WHERE id = v_appt.site_id),
      'actor', p_actor));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, p_id);
END $$;

CREATE OR REPLACE FUNCTION booking.reschedule_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_new_slot bigint)
RETURNS SETOF booking.appointment_details
LANGUAGE sql AS $$
  SELECT * FROM booking.reschedule_appointment(p_request_id, p_hash, p_now, p_id, p_new_slot,
                                               NULL);
$$;

-- As in 0010_shared.sql, with the actor.
CREATE FUNCTION booking.reset_access_code(
  p_request_id text, p_hash bytea, p_now timestamptz, p_id bigint, p_actor text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
BEGIN
  PERFORM booking.check_actor(p_actor, NULL, '{}');
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
    jsonb_build_object('appointment', p_id, 'site', v_appt.site_id, 'desk', v_appt.desk_id,
      'actor', p_actor));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, p_id);
END $$;

CREATE OR REPLACE FUNCTION booking.reset_access_code(
  p_request_id text, p_hash bytea, p_now timestamptz, p_id bigint)
RETURNS SETOF booking.appointment_details
LANGUAGE sql AS $$
  SELECT * FROM booking.reset_access_code(p_request_id, p_hash, p_now, p_id, NULL);
$$;

-- As in 0010_shared.sql (same signature), with the end of the last slot
-- generated and the site's zone.
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
  v_last timestamptz;
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
  v_last := to_timestamp(p_starts[array_length(p_starts, 1)]);
  PERFORM shared.append_event('booking', 'slots.released', 'desks/' || p_desk_id, v_desk.site_id,
    p_now,
    jsonb_build_object('desk', p_desk_id, 'site', v_desk.site_id, 'created', v_created,
      'first_start_time', to_timestamp(p_starts[1]), 'last_start_time', v_last,
      'last_end_time', v_last + make_interval(mins => v_desk.slot_minutes),
      'release_time', p_release_time, 'time_zone', v_tz));
  RETURN QUERY SELECT v_created, p_release_time;
END $$;
