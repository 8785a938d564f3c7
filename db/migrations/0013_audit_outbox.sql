-- The audit outbox: the audit record of an agent's, administrator's or
-- device's call, written by the module that served the call in the call's
-- own transaction (the action and its record commit together, or neither),
-- then moved into access.audit_log by the access module's consumer
-- (`access.audit`), which deletes what it moved.
--
-- Same columns as events.log, so that the same gap-safe reader serves both
-- (docs/events.md), but a separate table: these rows hold personal data (the
-- agent's identity and reason) and are deleted once moved, while events.log
-- holds none and is kept.
CREATE TABLE events.audit_outbox (
  position      bigint GENERATED ALWAYS AS IDENTITY,
  txid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  type          text NOT NULL CHECK (type = 'audit.recorded'),
  source        text NOT NULL,
  subject       text NOT NULL DEFAULT '',  -- the resource acted on
  site_id       bigint,
  occurred_time timestamptz NOT NULL,
  payload       jsonb NOT NULL,
  PRIMARY KEY (txid, position)
);
