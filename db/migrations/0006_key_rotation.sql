-- Key rotation (docs/security.md#secrets). The server's key ring has one
-- signing key and up to three older keys that only verify. Person keys are
-- stored under the signing key; until `accueil-server rekey` has moved every
-- appointment to it, some are stored under an older key, so:
--   - booking.create_appointment also refuses a second active appointment
--     whose first is stored under an older key (p_previous_keys);
--   - the person-rights functions take the person's key under every key.
-- Keys travel from the service as comma-separated hexadecimal text
-- (booking.keys_from_hex), like every other bytea parameter.
--
-- The functions of 0002 and 0005 stay, with their old signatures, beside the
-- new ones: pods of the previous release keep working while an upgrade rolls
-- (docs/operations.md, "Upgrade"). A later migration drops them.

CREATE FUNCTION booking.keys_from_hex(p_hex text) RETURNS bytea[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(array_agg(decode(k, 'hex')), '{}')
  FROM unnest(string_to_array(nullif(p_hex, ''), ',')) AS k;
$$;

-- As in 0002_booking.sql, with the check above.
CREATE FUNCTION booking.create_appointment(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_slot_id bigint, p_reference text, p_person_key bytea,
  p_given_name text, p_family_name text, p_email text, p_phone text,
  p_language text, p_need text, p_need_note text, p_companions integer,
  p_channel text, p_override_reason text, p_previous_keys bytea[])
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
    PERFORM booking.raise('AC412', 'ACTIVE_APPOINTMENT_EXISTS', 'person',
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

-- As in 0005_retention.sql, with the person's keys under every key.
CREATE FUNCTION booking.person_appointments(p_site bigint, p_person_keys bytea[],
                                            p_phone text, p_email text)
RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
  SELECT a.id FROM booking.appointments a JOIN booking.persons p ON p.id = a.person_id
  WHERE a.site_id = p_site
    AND (a.person_key = ANY (p_person_keys)
         OR (p_phone <> '' AND p.phone = p_phone)
         OR (p_email <> '' AND p.email = p_email));
$$;

CREATE FUNCTION booking.erase_person(
  p_request_id text, p_hash bytea, p_now timestamptz,
  p_site bigint, p_person_keys bytea[], p_phone text, p_email text)
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
  FROM booking.person_appointments(p_site, p_person_keys, p_phone, p_email) AS id;
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

-- booking.rekey_candidates: the appointments whose contact is still held,
-- after `p_after` in id order, for `accueil-server rekey` to recompute their
-- person key under the signing key.
CREATE FUNCTION booking.rekey_candidates(p_after bigint, p_limit integer)
RETURNS TABLE (id bigint, person_key bytea, phone text, email text)
LANGUAGE sql STABLE AS $$
  SELECT a.id, a.person_key, p.phone, p.email
  FROM booking.appointments a JOIN booking.persons p ON p.id = a.person_id
  WHERE a.id > p_after AND p.erase_time IS NULL
  ORDER BY a.id LIMIT p_limit;
$$;

-- Which key of the ring made a device token's hash (Secrets::KeyIds, 8
-- hexadecimal digits; NULL: made before key ids): the tokens still under an
-- old key are those to re-issue before the key retires.
ALTER TABLE access.device_tokens ADD COLUMN key_id text;
