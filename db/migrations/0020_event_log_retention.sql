-- The event log's retention (docs/events.md#retention): it holds no personal
-- data, so the personal-data purge never touches it; it is kept
-- `event_log_retention_days` (3 years by default), as long as a published
-- month's figures may be recomputed and restated, then pruned by the same
-- hourly passes. events.prune_log is the one way rows leave the log: only
-- events older than the limit that every consumer has read.
CREATE INDEX log_occurred_time ON events.log (occurred_time);

-- The log each cursor reads: the event log waits for its own consumers only.
ALTER TABLE events.cursors ADD COLUMN log text NOT NULL DEFAULT 'events.log'
  CHECK (log IN ('events.log', 'events.audit_outbox'));
UPDATE events.cursors SET log = 'events.audit_outbox' WHERE consumer = 'access.audit';

CREATE OR REPLACE FUNCTION events.forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('accueil.pruning_log', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events.log is append-only';
END $$;

-- events.prune_log deletes, 10000 at a time, the events that occurred
-- before p_before and that every consumer's cursor has passed; returns how
-- many.
CREATE FUNCTION events.prune_log(p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_total bigint := 0;
  v_n bigint;
BEGIN
  PERFORM set_config('accueil.pruning_log', 'on', true);
  LOOP
    DELETE FROM events.log l
    WHERE (l.txid, l.position) IN (
      SELECT o.txid, o.position FROM events.log o
      WHERE o.occurred_time < p_before
        AND NOT EXISTS (SELECT 1 FROM events.cursors c WHERE c.log = 'events.log'
                          AND (c.txid, c.position) < (o.txid, o.position))
      LIMIT 10000);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    EXIT WHEN v_n < 10000;
  END LOOP;
  PERFORM set_config('accueil.pruning_log', 'off', true);
  RETURN v_total;
END $$;
