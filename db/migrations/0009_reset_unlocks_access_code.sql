-- A new access code (booking.reset_access_code bumps code_version) ends the
-- guessing lock of its reference (0004): the person an agent has just given
-- a new code can use it at once, and the wrong guesses counted were against
-- a code that no longer exists.
CREATE FUNCTION booking.forget_code_failures() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM booking.code_failures WHERE reference = NEW.reference;
  RETURN NULL;
END $$;

CREATE TRIGGER appointments_new_code_unlocks AFTER UPDATE OF code_version
  ON booking.appointments FOR EACH ROW
  WHEN (OLD.code_version IS DISTINCT FROM NEW.code_version)
  EXECUTE FUNCTION booking.forget_code_failures();
