-- Personal data: the retention purge and the person's rights (export,
-- erasure). See docs/security.md, "Personal data".
--
-- What is erased: the person's fields in booking.persons (names, e-mail,
-- phone, accessibility note; erase_time says when) and the person's free
-- text on the appointment (cancel_reason) and the agent's override reason,
-- which may name the person (kept as '' so the override still shows). What
-- stays, for the statistics:
-- the appointment row (status, times, slot, desk, site, channel, companions,
-- accessibility category, preferred language) and person_key, the keyed hash
-- behind "one active appointment per person and desk". The event log holds
-- no personal data.
--
-- Later services that hold personal data add their own purge function here
-- (a new migration) and call it from services/common/retention.cc.

-- booking.purge_personal_data erases the personal data of appointments that
-- ended more than p_retention before p_now and are no longer active
-- (fulfilled, cancelled, noshow). Returns the persons erased by this call; a
-- second call erases nothing more. Also forgets request ids older than the
-- retention (their hash is derived from the request, personal data
-- included); a retry that late is not a retry.
CREATE FUNCTION booking.purge_personal_data(p_now timestamptz, p_retention interval)
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

  DELETE FROM booking.requests WHERE create_time < p_now - p_retention;
  RETURN v_erased;
END $$;

-- booking.person_appointments: the appointments of one person at one site,
-- found by the keyed hash of the phone or e-mail the request gives, or by
-- that contact itself while it is still held (a person who gave both a phone
-- and an e-mail is keyed by the phone). Empty p_phone / p_email match nothing.
CREATE FUNCTION booking.person_appointments(p_site bigint, p_person_key bytea,
                                            p_phone text, p_email text)
RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
  SELECT a.id FROM booking.appointments a JOIN booking.persons p ON p.id = a.person_id
  WHERE a.site_id = p_site
    AND (a.person_key = p_person_key
         OR (p_phone <> '' AND p.phone = p_phone)
         OR (p_email <> '' AND p.email = p_email));
$$;

-- booking.erase_person erases now the personal data of every appointment of
-- one person at one site. Refused (ACTIVE_APPOINTMENT_EXISTS) while one is
-- still booked, arrived or in service: the administrator cancels it first.
-- Idempotent by request id; a second erasure erases nothing and says so.
-- Appends person.erased with counts only.
CREATE FUNCTION booking.erase_person(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_site bigint, p_person_key bytea, p_phone text, p_email text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_ids bigint[];
  v_erased integer;
BEGIN
  v_prev := booking.claim_request(p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN
    RETURN (v_prev->>'erased')::integer;
  END IF;
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids
  FROM booking.person_appointments(p_site, p_person_key, p_phone, p_email) AS id;
  -- Lock them so that no transition races the check below.
  PERFORM 1 FROM booking.appointments WHERE id = ANY (v_ids) ORDER BY id FOR UPDATE;
  IF EXISTS (SELECT 1 FROM booking.appointments WHERE id = ANY (v_ids)
             AND status IN ('booked', 'arrived', 'in_service')) THEN
    PERFORM booking.raise('AC412', 'ACTIVE_APPOINTMENT_EXISTS', 'query',
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
  PERFORM booking.finish_request(p_request_id, jsonb_build_object('erased', v_erased));
  PERFORM booking.append_event('person.erased', 'sites/' || p_site, p_site, p_now,
    jsonb_build_object('site', p_site, 'appointments', coalesce(array_length(v_ids, 1), 0),
      'erased', v_erased));
  RETURN v_erased;
END $$;
