-- The event log is append-only (0001): its row trigger refuses UPDATE and
-- DELETE; TRUNCATE fires no row trigger, so refuse it too.
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON events.log
  FOR EACH STATEMENT EXECUTE FUNCTION events.forbid_change();
