-- The event log: the contract between booking and the services that react to
-- it (reception, notify, metrics). Append-only, written in the same
-- transaction as the change it records (transactional outbox).
--
-- Gap-safe reading: positions are handed out before commit, so a later
-- position can commit first. Each row records its transaction id (xid8);
-- a consumer only reads rows whose transaction is older than the oldest
-- transaction still running (pg_snapshot_xmin), in (txid, position) order,
-- and remembers the last (txid, position) it processed. Any transaction that
-- commits later has a txid >= that xmin, so it sorts after the cursor: no
-- committed event is ever skipped. See docs/events.md.
CREATE SCHEMA events;

CREATE TABLE events.log (
  position      bigint GENERATED ALWAYS AS IDENTITY,
  txid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  type          text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  source        text NOT NULL,
  subject       text NOT NULL,
  site_id       bigint,
  occurred_time timestamptz NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (txid, position)
);

CREATE FUNCTION events.forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events.log is append-only';
END $$;

CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON events.log
  FOR EACH ROW EXECUTE FUNCTION events.forbid_change();

-- Where each consumer stands; updated in the consumer's own transaction.
CREATE TABLE events.cursors (
  consumer      text PRIMARY KEY,
  txid          xid8 NOT NULL DEFAULT '0',
  position      bigint NOT NULL DEFAULT 0,
  update_time   timestamptz NOT NULL DEFAULT now()
);
