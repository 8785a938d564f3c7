-- Retention of person-keyed histories (docs/security.md, "Personal data").
--
-- person_key links a person's appointments without holding their contact:
-- the one-active-appointment rule, and histories that outlive the personal
-- data (who booked before, no-shows per person). It is still pseudonymous
-- personal data, so it has its own, longer horizon (history_retention_days,
-- default 365): after it, booking.unlink_person_keys replaces the key by a
-- hash of the appointment's own id, which links it to no other appointment
-- and to no phone or e-mail. Statistics keep the row; counts of distinct
-- persons over periods older than the horizon count each such appointment
-- as its own person.

ALTER TABLE booking.appointments
  ADD COLUMN person_key_unlinked boolean NOT NULL DEFAULT false;

-- booking.unlink_person_keys unlinks the person key of every appointment that
-- ended more than p_history before p_now and is no longer active (an active
-- one needs its key for the one-active rule). Returns the appointments
-- unlinked by this call; a second call unlinks nothing more.
CREATE FUNCTION booking.unlink_person_keys(p_now timestamptz, p_history interval)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_unlinked integer;
BEGIN
  UPDATE booking.appointments a
  SET person_key = sha256(convert_to('unlinked:' || a.id, 'UTF8')),
      person_key_unlinked = true
  FROM booking.slots s
  WHERE s.id = a.slot_id AND NOT a.person_key_unlinked
    AND s.end_time < p_now - p_history
    AND a.status NOT IN ('booked', 'arrived', 'in_service');
  GET DIAGNOSTICS v_unlinked = ROW_COUNT;
  RETURN v_unlinked;
END $$;
