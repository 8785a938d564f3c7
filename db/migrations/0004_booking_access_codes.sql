-- Booking: the lock against guessing access codes, and access-code resets.

-- Wrong access codes per reference. After kMaxFailures in a window the
-- reference is locked for a while; shared by every replica. References are
-- not personal data; rows expire with their window.
CREATE TABLE booking.code_failures (
  reference    text PRIMARY KEY,
  failures     integer NOT NULL,
  window_start timestamptz NOT NULL,
  locked_until timestamptz
);

-- booking.note_code_failure counts a wrong code and returns until when the
-- reference is locked (NULL: not locked). 5 failures in 15 minutes lock it
-- for 15 minutes.
CREATE FUNCTION booking.note_code_failure(p_reference text, p_now timestamptz)
RETURNS timestamptz LANGUAGE sql AS $$
  INSERT INTO booking.code_failures AS f (reference, failures, window_start)
  VALUES (p_reference, 1, p_now)
  ON CONFLICT (reference) DO UPDATE SET
    failures = CASE WHEN f.window_start < p_now - interval '15 minutes' THEN 1
                    ELSE f.failures + 1 END,
    window_start = CASE WHEN f.window_start < p_now - interval '15 minutes' THEN p_now
                        ELSE f.window_start END,
    locked_until = CASE WHEN f.window_start >= p_now - interval '15 minutes'
                             AND f.failures + 1 >= 5
                        THEN p_now + interval '15 minutes' ELSE f.locked_until END
  RETURNING CASE WHEN locked_until > p_now THEN locked_until END;
$$;

-- booking.reset_access_code gives the appointment a new access code (and
-- check-in token): the version in the keyed hash moves on, revoking the old.
CREATE FUNCTION booking.reset_access_code(
  p_request_id text, p_hash bytea, p_now timestamptz, p_id bigint)
RETURNS SETOF booking.appointment_details
LANGUAGE plpgsql AS $$
DECLARE
  v_prev jsonb;
  v_appt booking.appointments;
BEGIN
  v_prev := booking.claim_request(p_request_id, p_hash, p_now);
  IF v_prev IS NOT NULL THEN
    RETURN QUERY SELECT * FROM booking.appointment_details
      WHERE id = (v_prev->>'appointment_id')::bigint;
    RETURN;
  END IF;
  UPDATE booking.appointments SET code_version = code_version + 1, update_time = p_now
  WHERE id = p_id AND status IN ('booked', 'arrived')
  RETURNING * INTO v_appt;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM booking.appointments WHERE id = p_id) THEN
      PERFORM booking.raise('AC412', 'ILLEGAL_TRANSITION', 'status',
        'only a booked or arrived appointment gets a new access code');
    END IF;
    PERFORM booking.raise('AC404', 'APPOINTMENT_NOT_FOUND', 'name', 'no such appointment');
  END IF;
  PERFORM booking.finish_request(p_request_id, jsonb_build_object('appointment_id', p_id));
  PERFORM booking.append_event('appointment.access_reset', 'appointments/' || p_id,
    v_appt.site_id, p_now,
    jsonb_build_object('appointment', p_id, 'site', v_appt.site_id, 'desk', v_appt.desk_id));
  RETURN QUERY SELECT * FROM booking.appointment_details WHERE id = p_id;
END $$;
