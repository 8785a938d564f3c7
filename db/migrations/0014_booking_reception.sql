-- What the reception module needs from booking (issue 10; docs/booking.md):
--   * the arrival window: arrivals only on the appointment's local day, from
--     a configurable time before the slot; after the desk's grace period
--     only by an agent's decision (late_accepted), recorded in the event;
--   * a final status `not_served` (arrived, not served) with its cause;
--   * undoing a no-show on its day (the person came after all);
--   * rebooking in one call (the visit ends and a new appointment is booked
--     for the same person, in one transaction);
--   * a closure cancels the day's booked appointments (cause `closure`,
--     actor `system`);
--   * the sweep of no-shows for reception's worker (cause `sweep`);
--   * the day's list and a search that forgives accents, case and
--     misspellings (unaccent behind an IMMUTABLE wrapper, pg_trgm).
-- Times come from the service (p_now), never now(); days are computed in the
-- site's zone.
--
-- Rolling upgrade: pods of the previous release call booking.transition with
-- its 0011 signature; it stays, as a wrapper without the arrival window
-- (their behaviour), and can be dropped by a later migration.

-- Both are trusted extensions (PostgreSQL 13+): the database owner may
-- create them. unaccent() is only STABLE (its dictionary could change), so
-- an index cannot use it directly: booking.fold pins the dictionary.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- booking.fold: lower case without accents ("Éloïse" -> "eloise"), for
-- searching names. IMMUTABLE so that an index can hold it.
CREATE FUNCTION booking.fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1))
$$;

-- The forgiving name search: word similarity of the query against the folded
-- full name (`%>`, pg_trgm.word_similarity_threshold, 0.6 by default).
CREATE INDEX persons_full_name_trgm ON booking.persons
  USING gin (booking.fold(given_name || ' ' || family_name) public.gin_trgm_ops);

-- A person's no-shows (noshow_count in the day's list).
CREATE INDEX appointments_noshow_person ON booking.appointments (person_key)
  WHERE status = 'noshow';

-- not_served: arrived, then not served (left, missed every call, sent away
-- at closing, rebooked at closing). Final.
ALTER TABLE booking.appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE booking.appointments ADD CONSTRAINT appointments_status_check
  CHECK (status IN ('booked', 'arrived', 'in_service', 'fulfilled', 'cancelled', 'noshow',
                    'not_served'));

-- The appointment this one replaced (RebookAppointment); no personal data.
ALTER TABLE booking.appointments ADD COLUMN rebooked_from bigint REFERENCES booking.appointments;

-- booking.append_status_event appends `appointment.<p_to>` for appointment
-- p_appt, given as it was before the change (its status is `from_status`),
-- with the fields every status event carries (events.proto) and p_extra.
CREATE FUNCTION booking.append_status_event(p_appt booking.appointments, p_to text,
                                            p_now timestamptz, p_actor text, p_extra jsonb)
RETURNS void LANGUAGE sql AS $$
  SELECT shared.append_event('booking', 'appointment.' || p_to, 'appointments/' || p_appt.id,
    p_appt.site_id, p_now,
    jsonb_build_object('appointment', p_appt.id, 'slot', p_appt.slot_id,
      'desk', p_appt.desk_id, 'site', p_appt.site_id, 'from_status', p_appt.status,
      'start_time', s.start_time, 'end_time', s.end_time, 'time_zone', t.time_zone,
      'actor', p_actor) || p_extra)
  FROM booking.slots s, booking.sites t
  WHERE s.id = p_appt.slot_id AND t.id = p_appt.site_id;
$$;

-- booking.status_causes: the causes a move to p_to takes (empty: none).
CREATE FUNCTION booking.status_causes(p_to text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_to
    WHEN 'cancelled' THEN ARRAY['person', 'agent', 'closure', 'not_confirmed']
    WHEN 'noshow' THEN ARRAY['marked', 'sweep']
    WHEN 'not_served' THEN ARRAY['left', 'missed_calls', 'sent_away_at_closing',
                                 'rebooked_at_closing']
    ELSE '{}'::text[] END
$$;

-- booking.transition, with the arrival window. Moves:
--   booked -> arrived -> in_service -> fulfilled
--   arrived -> not_served (cause)
--   booked -> cancelled (before the start; frees the place at once)
--   booked -> noshow    (after the start)
--   noshow -> arrived   (on the appointment's day, by an agent's decision)
-- Arrivals (p_to = 'arrived', p_arrival_opens not NULL): on the slot's local
-- day only (ARRIVAL_OTHER_DAY), not before start - p_arrival_opens
-- (ARRIVAL_TOO_EARLY), not after start + p_grace unless p_late_accepted
-- (ARRIVAL_LATE), on field p_field. The service checked that a late
-- acceptance comes from an agent with a reason.
CREATE FUNCTION booking.transition(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_to text, p_reason text, p_actor text, p_cause text,
  p_arrival_opens interval, p_grace interval, p_late_accepted boolean, p_field text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
  v_slot booking.slots;
  v_window boolean := p_to = 'arrived' AND p_arrival_opens IS NOT NULL;
  v_today date;
  v_late boolean;
  v_from text[];
  v_extra jsonb := '{}';
BEGIN
  PERFORM booking.check_actor(p_actor, p_cause, booking.status_causes(p_to));
  RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
  IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
  SELECT * INTO v_appt FROM booking.appointments WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM shared.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'name', 'no such appointment');
  END IF;
  v_from := CASE p_to
    WHEN 'arrived' THEN CASE WHEN v_window THEN ARRAY['booked', 'noshow'] ELSE ARRAY['booked'] END
    WHEN 'in_service' THEN ARRAY['arrived']
    WHEN 'fulfilled' THEN ARRAY['in_service']
    WHEN 'cancelled' THEN ARRAY['booked']
    WHEN 'noshow' THEN ARRAY['booked']
    WHEN 'not_served' THEN ARRAY['arrived']
  END;
  IF v_from IS NULL THEN
    PERFORM shared.raise('AC400', 'INVALID_STATUS', 'status', 'no such status: ' || p_to);
  END IF;
  IF NOT (v_appt.status = ANY (v_from)) THEN
    PERFORM shared.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
      'an appointment that is ' || v_appt.status || ' cannot become ' || p_to);
  END IF;
  SELECT * INTO v_slot FROM booking.slots WHERE id = v_appt.slot_id;
  IF v_window THEN
    v_today := (p_now AT TIME ZONE (SELECT time_zone FROM booking.sites
                                    WHERE id = v_appt.site_id))::date;
    IF v_appt.status = 'noshow' THEN
      -- The person came after all: only on the day, and an agent decides.
      IF v_today <> v_slot.local_date OR NOT p_late_accepted THEN
        PERFORM shared.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
          'a missed appointment can only be reopened on its day, by an agent''s decision');
      END IF;
      v_extra := jsonb_build_object('late', true, 'late_accepted', true, 'undid_noshow', true);
    ELSE
      IF v_today <> v_slot.local_date THEN
        PERFORM shared.raise('AC412', 'ARRIVAL_OTHER_DAY', p_field,
          'the appointment is on another day');
      END IF;
      IF p_now < v_slot.start_time - p_arrival_opens THEN
        PERFORM shared.raise('AC412', 'ARRIVAL_TOO_EARLY', p_field,
          'too early for this appointment; come back closer to its time');
      END IF;
      v_late := p_now > v_slot.start_time + p_grace;
      IF v_late AND NOT p_late_accepted THEN
        PERFORM shared.raise('AC412', 'ARRIVAL_LATE', p_field,
          'the appointment time has passed: please see the lodge');
      END IF;
      v_extra := jsonb_build_object('late', v_late, 'late_accepted', v_late AND p_late_accepted,
                                    'undid_noshow', false);
    END IF;
  END IF;
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

  IF cardinality(booking.status_causes(p_to)) > 0 THEN
    v_extra := v_extra || jsonb_build_object('cause', p_cause);
  END IF;
  PERFORM booking.append_status_event(v_appt, p_to, p_now, p_actor, v_extra);
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, p_id);
END $$;

-- The signature of 0011 (the 0010 one calls it): no arrival window.
CREATE OR REPLACE FUNCTION booking.transition(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_to text, p_reason text, p_actor text, p_cause text)
RETURNS SETOF booking.appointment_details
LANGUAGE sql AS $$
  SELECT * FROM booking.transition(p_request_id, p_hash, p_now, p_id, p_to, p_reason, p_actor,
                                   p_cause, NULL, NULL, false, 'name');
$$;

-- booking.rebook_appointment ends appointment p_id and books p_new_slot for
-- the same person, in one transaction:
--   'file_incomplete':     in_service -> fulfilled (outcome file_incomplete);
--   'rebooked_at_closing': arrived -> not_served (cause rebooked_at_closing).
-- The new slot is at any desk of the same site (SLOT_OTHER_SITE) and must be
-- bookable as for a booking (booking.claim_slot, field new_slot). The new
-- appointment copies the person (a row of its own, for the purge), keys,
-- language, accessibility and companions; channel `agent`. Its reference
-- comes from the service (REFERENCE_TAKEN: draw again). The answer, and a
-- replay's, is the new appointment.
CREATE FUNCTION booking.rebook_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_id bigint, p_new_slot bigint, p_cause text, p_reference text, p_actor text)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
  v_to text;
  v_from text;
  v_slot booking.slots;
  v_site bigint;
  v_tz text;
  v_person bigint;
  v_id bigint;
BEGIN
  PERFORM booking.check_actor(p_actor, NULL, '{}');
  IF p_cause = 'file_incomplete' THEN
    v_from := 'in_service';
    v_to := 'fulfilled';
  ELSIF p_cause = 'rebooked_at_closing' THEN
    v_from := 'arrived';
    v_to := 'not_served';
  ELSE
    PERFORM shared.raise('AC400', 'INVALID_CAUSE', 'cause', 'this change takes no such cause');
  END IF;
  RETURN QUERY SELECT * FROM booking.claim_appointment_request(p_request_id, p_hash, p_now);
  IF FOUND THEN RETURN; END IF;  -- a replay: the first answer, nothing changes
  SELECT * INTO v_appt FROM booking.appointments WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM shared.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'name', 'no such appointment');
  END IF;
  IF v_appt.status <> v_from THEN
    PERFORM shared.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
      'an appointment that is ' || v_appt.status || ' cannot be rebooked for this cause');
  END IF;
  SELECT d.site_id, s.time_zone INTO v_site, v_tz
  FROM booking.slots sl JOIN booking.desks d ON d.id = sl.desk_id
  JOIN booking.sites s ON s.id = d.site_id WHERE sl.id = p_new_slot;
  IF FOUND AND v_site <> v_appt.site_id THEN
    PERFORM shared.raise('AC400', 'SLOT_OTHER_SITE', 'new_slot',
      'the new slot belongs to another site');
  END IF;
  v_slot := booking.claim_slot(p_new_slot, p_now, 'new_slot');

  -- The visit ends first, so that the one-active-appointment rule sees the
  -- person without an active appointment at this desk.
  UPDATE booking.appointments SET status = v_to, update_time = p_now WHERE id = p_id;
  PERFORM booking.append_status_event(v_appt, v_to, p_now, p_actor,
    CASE v_to WHEN 'fulfilled' THEN jsonb_build_object('outcome', 'file_incomplete')
              ELSE jsonb_build_object('cause', 'rebooked_at_closing') END);

  INSERT INTO booking.persons (given_name, family_name, email, phone,
                               preferred_language, accessibility_note)
  SELECT given_name, family_name, email, phone, preferred_language, accessibility_note
  FROM booking.persons WHERE id = v_appt.person_id
  RETURNING id INTO v_person;

  INSERT INTO booking.appointments (reference, slot_id, desk_id, site_id,
    person_id, person_key, status, channel, companions, accessibility_need,
    override_reason, create_time, update_time, rebooked_from)
  VALUES (p_reference, p_new_slot, v_slot.desk_id, v_site, v_person,
    v_appt.person_key, 'booked', 'agent', v_appt.companions, v_appt.accessibility_need,
    NULL, p_now, p_now, p_id)
  ON CONFLICT DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    IF EXISTS (SELECT 1 FROM booking.appointments WHERE reference = p_reference) THEN
      PERFORM shared.raise('AC409', 'REFERENCE_TAKEN', '',
        'the reference drawn for this appointment is already in use');
    END IF;
    PERFORM shared.raise('AC412', 'ACTIVE_APPOINTMENT_EXISTS', 'new_slot',
      'this person already has an appointment at that desk');
  END IF;

  PERFORM shared.append_event('booking', 'appointment.booked', 'appointments/' || v_id, v_site,
    p_now,
    jsonb_build_object('appointment', v_id, 'slot', p_new_slot, 'desk', v_slot.desk_id,
      'site', v_site, 'start_time', v_slot.start_time, 'end_time', v_slot.end_time,
      'time_zone', v_tz, 'channel', 'agent', 'companions', v_appt.companions,
      'accessibility_need', v_appt.accessibility_need, 'override', false,
      'actor', p_actor, 'rebooked_from', p_id));
  RETURN QUERY SELECT * FROM booking.finish_appointment_request(p_request_id, v_id);
END $$;

-- booking.cancel_for_closure cancels the booked appointments of desk p_desk
-- on the local days p_days (cause `closure`, actor `system`), giving their
-- places back; SetOpeningHours calls it, in its transaction, for the days it
-- closes. The slots are locked first (id order, as booking does), so a
-- booking racing the closure either commits before (and is cancelled here)
-- or sees the closure (DESK_CLOSED). Returns the count cancelled.
CREATE FUNCTION booking.cancel_for_closure(p_desk bigint, p_days date[], p_now timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_appt booking.appointments;
  v_count integer := 0;
BEGIN
  PERFORM 1 FROM booking.slots WHERE desk_id = p_desk AND local_date = ANY (p_days)
    ORDER BY id FOR UPDATE;
  FOR v_appt IN
    SELECT a.* FROM booking.appointments a JOIN booking.slots s ON s.id = a.slot_id
    WHERE a.desk_id = p_desk AND s.local_date = ANY (p_days) AND a.status = 'booked'
    ORDER BY a.id FOR UPDATE OF a
  LOOP
    UPDATE booking.appointments SET status = 'cancelled', update_time = p_now
    WHERE id = v_appt.id;
    UPDATE booking.slots SET booked = booked - 1 WHERE id = v_appt.slot_id;
    PERFORM booking.append_status_event(v_appt, 'cancelled', p_now, 'system',
                                        jsonb_build_object('cause', 'closure'));
    v_count := v_count + 1;
  END LOOP;
  RETURN v_count;
END $$;

-- booking.sweep_noshows marks as no-show (cause `sweep`) every booked
-- appointment of desk p_desk on local day p_day whose slot ended at least
-- p_grace before p_now; nothing on a closed day; a day after today (in the
-- site's zone) is DATE_IN_FUTURE. Returns the ids marked; a replay of the
-- request returns the first answer, and a new request marks only what is
-- still booked (an arrival racing the sweep wins or loses whole: rows are
-- locked and checked again).
CREATE FUNCTION booking.sweep_noshows(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_desk bigint, p_day date, p_grace interval, p_actor text)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_site bigint;
  v_tz text;
  v_appt booking.appointments;
  v_ids bigint[] := '{}';
BEGIN
  PERFORM booking.check_actor(p_actor, 'sweep', booking.status_causes('noshow'));
  v_prev := shared.claim_request('booking', p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN  -- a replay: the first answer, nothing changes
    RETURN QUERY SELECT jsonb_array_elements_text(v_prev->'swept')::bigint;
    RETURN;
  END IF;
  SELECT d.site_id, s.time_zone INTO v_site, v_tz
  FROM booking.desks d JOIN booking.sites s ON s.id = d.site_id WHERE d.id = p_desk;
  IF NOT FOUND THEN
    PERFORM shared.raise('AC404', 'DESK_NOT_FOUND', 'desk', 'no such desk');
  END IF;
  IF p_day > (p_now AT TIME ZONE v_tz)::date THEN
    PERFORM shared.raise('AC400', 'DATE_IN_FUTURE', 'date', 'that day has not come yet');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM booking.closures WHERE desk_id = p_desk AND day = p_day) THEN
    FOR v_appt IN
      SELECT a.* FROM booking.appointments a JOIN booking.slots s ON s.id = a.slot_id
      WHERE a.desk_id = p_desk AND s.local_date = p_day AND a.status = 'booked'
        AND s.end_time + p_grace <= p_now
      ORDER BY s.start_time, a.id FOR UPDATE OF a
    LOOP
      UPDATE booking.appointments SET status = 'noshow', update_time = p_now
      WHERE id = v_appt.id;
      PERFORM booking.append_status_event(v_appt, 'noshow', p_now, p_actor,
                                          jsonb_build_object('cause', 'sweep'));
      v_ids := v_ids || v_appt.id;
    END LOOP;
  END IF;
  PERFORM shared.finish_request('booking', p_request_id,
                                jsonb_build_object('swept', to_jsonb(v_ids)));
  RETURN QUERY SELECT unnest(v_ids);
END $$;

-- booking.name_matches: does query p_query name the person (p_given,
-- p_family)? The start of the family name, or the name with accents, case
-- and a misspelling forgiven (word similarity of the folded texts, pg_trgm's
-- `%>`: "eloize dupre" and "ELOISE" find "Éloïse Dupré"). STABLE like the
-- trigram operators (they read pg_trgm's thresholds), so that the planner
-- inlines it and can use persons_full_name_trgm. `%` and `_` are literal.
CREATE FUNCTION booking.name_matches(p_given text, p_family text, p_query text)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT booking.fold(p_family) LIKE replace(replace(replace(booking.fold(p_query),
           '\', '\\'), '%', '\%'), '_', '\_') || '%'
      OR booking.fold(p_given || ' ' || p_family) OPERATOR(public.%>) booking.fold(p_query)
$$;
