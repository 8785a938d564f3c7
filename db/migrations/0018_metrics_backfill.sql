-- metrics.backfill (docs/indicators.md#backfill): the facts and rollups of
-- metrics rebuilt set-based from the whole event log, the same as the
-- consumer `metrics.rollup` would have made them applying the same events
-- one by one (metrics.apply_event, 0017_metrics.sql), and rolled up through
-- the same view (metrics.observations) and functions (metrics.roll_dirty).
--
-- The events read are those up to a cursor (p_txid, p_position) in the
-- consumer's order, (txid, position): `accueil-server metrics-backfill`
-- (services/metrics/backfill.h) passes the newest event that is safe to read
-- (events::LastSafeEvent), and moves the consumer's cursor there in the same
-- transaction, so that the consumer goes on with the next event.
--
-- Each fact is what metrics.apply_event leaves after the events of its
-- appointment, visit or walk-in, in log order:
--   appointments: the first appointment.booked (a later one changes
--     nothing); of the events after it (those before it, or about an
--     appointment never booked, are ignored): the last rescheduled's start,
--     the last status event's status (cancelled, noshow, arrived,
--     in_service, fulfilled, not_served; booked when none), the last
--     cancellation's time and cause, the first arrival's time (arrived,
--     in_service, fulfilled or not_served), late and undid_noshow of any
--     arrival;
--   visits: the first event's site, kind, arrival time and zone; the first
--     called_time and start_time, and the desk of the first event carrying
--     each; the last event's desk, status, outcome and finish time;
--   walk-ins: the first walk_in.registered.
-- Zones: the event's time_zone, Europe/Paris when it has none (before 0011).
CREATE FUNCTION metrics.backfill(p_txid xid8, p_position bigint,
  OUT events_read bigint, OUT appointment_facts bigint, OUT visit_facts bigint,
  OUT walk_in_facts bigint, OUT day_rows bigint, OUT month_rows bigint)
LANGUAGE plpgsql AS $$
BEGIN
  -- The facts are metrics' own (the consumer stands blocked on them until
  -- this transaction ends); the rollups are deleted, not truncated, so that
  -- reports keep reading the previous figures meanwhile.
  TRUNCATE metrics.appointments, metrics.visits, metrics.walk_ins, metrics.dirty_days;
  DELETE FROM metrics.day_measures;
  DELETE FROM metrics.month_measures;

  SELECT count(*) INTO events_read FROM events.log
  WHERE (txid, position) <= (p_txid, p_position);

  INSERT INTO metrics.appointments (appointment_id, site_id, desk_id, time_zone, channel,
    rebooked, booked_time, booked_date, first_start_time, start_time, start_date, status,
    cancel_time, cancel_cause, arrival_time, late, noshow_undone)
  SELECT a.id, (a.booked->>'site')::bigint, (a.booked->>'desk')::bigint, a.tz,
    coalesce(a.booked->>'channel', ''), coalesce((a.booked->>'rebooked_from')::bigint, 0) <> 0,
    a.booked_time, metrics.local_date(a.booked_time, a.tz),
    (a.booked->>'start_time')::timestamptz, s.start_time, metrics.local_date(s.start_time, a.tz),
    coalesce(a.status, 'booked'), a.cancel_time, a.cancel_cause, a.arrival_time,
    coalesce(a.late, false), coalesce(a.noshow_undone, false)
  FROM (
    SELECT e.id,
      (array_agg(e.p ORDER BY e.txid, e.position)
         FILTER (WHERE e.type = 'appointment.booked'))[1] AS booked,
      (array_agg(e.t ORDER BY e.txid, e.position)
         FILTER (WHERE e.type = 'appointment.booked'))[1] AS booked_time,
      (array_agg(coalesce(nullif(e.p->>'time_zone', ''), 'Europe/Paris') ORDER BY e.txid, e.position)
         FILTER (WHERE e.type = 'appointment.booked'))[1] AS tz,
      bool_or(e.seen AND e.type = 'appointment.rescheduled') AS rescheduled,
      (array_agg((e.p->>'start_time')::timestamptz ORDER BY e.txid DESC, e.position DESC)
         FILTER (WHERE e.seen AND e.type = 'appointment.rescheduled'))[1] AS start_time,
      (array_agg(substr(e.type, 13) ORDER BY e.txid DESC, e.position DESC)
         FILTER (WHERE e.seen AND e.type IN ('appointment.cancelled', 'appointment.noshow',
           'appointment.arrived', 'appointment.in_service', 'appointment.fulfilled',
           'appointment.not_served')))[1] AS status,
      (array_agg(e.t ORDER BY e.txid DESC, e.position DESC)
         FILTER (WHERE e.seen AND e.type = 'appointment.cancelled'))[1] AS cancel_time,
      (array_agg(coalesce(e.p->>'cause', '') ORDER BY e.txid DESC, e.position DESC)
         FILTER (WHERE e.seen AND e.type = 'appointment.cancelled'))[1] AS cancel_cause,
      (array_agg(e.t ORDER BY e.txid, e.position)
         FILTER (WHERE e.seen AND e.type IN ('appointment.arrived', 'appointment.in_service',
           'appointment.fulfilled', 'appointment.not_served')))[1] AS arrival_time,
      bool_or(coalesce((e.p->>'late')::boolean, false))
         FILTER (WHERE e.seen AND e.type = 'appointment.arrived') AS late,
      bool_or(coalesce((e.p->>'undid_noshow')::boolean, false))
         FILTER (WHERE e.seen AND e.type = 'appointment.arrived') AS noshow_undone
    FROM (
      -- `seen`: an appointment.booked of the same appointment comes earlier
      -- in the log, so metrics knows the appointment when this event comes.
      SELECT (l.payload->>'appointment')::bigint AS id, l.type, l.occurred_time AS t,
        l.payload AS p, l.txid, l.position,
        coalesce(bool_or(l.type = 'appointment.booked') OVER (
          PARTITION BY (l.payload->>'appointment')::bigint ORDER BY l.txid, l.position
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS seen
      FROM events.log l
      WHERE (l.txid, l.position) <= (p_txid, p_position) AND l.type LIKE 'appointment.%'
    ) e
    GROUP BY e.id
    HAVING bool_or(e.type = 'appointment.booked')
  ) a
  CROSS JOIN LATERAL (SELECT CASE WHEN a.rescheduled THEN a.start_time
                                  ELSE (a.booked->>'start_time')::timestamptz END) AS s(start_time);
  GET DIAGNOSTICS appointment_facts = ROW_COUNT;

  INSERT INTO metrics.visits (visit_id, site_id, desk_id, kind, arrival_time, arrival_date,
    first_called_time, called_desk_id, start_time, served_desk_id, finish_time, status, outcome)
  SELECT v.id, v.site_id, v.desk_id, v.kind, v.arrival_time,
    metrics.local_date(v.arrival_time, v.tz), v.first_called_time, v.called_desk_id,
    v.start_time, v.served_desk_id, v.finish_time, v.status, v.outcome
  FROM (
    SELECT (l.payload->>'visit')::bigint AS id,
      (array_agg(coalesce(l.site_id, 0) ORDER BY l.txid, l.position))[1] AS site_id,
      (array_agg(l.payload->>'kind' ORDER BY l.txid, l.position))[1] AS kind,
      (array_agg((l.payload->>'arrival_time')::timestamptz ORDER BY l.txid, l.position))[1]
        AS arrival_time,
      (array_agg(coalesce(nullif(l.payload->>'time_zone', ''), 'Europe/Paris')
         ORDER BY l.txid, l.position))[1] AS tz,
      (array_agg((l.payload->>'called_time')::timestamptz ORDER BY l.txid, l.position)
         FILTER (WHERE l.payload->>'called_time' IS NOT NULL))[1] AS first_called_time,
      (array_agg((l.payload->>'desk')::bigint ORDER BY l.txid, l.position)
         FILTER (WHERE l.payload ? 'called_time' AND l.payload->>'desk' IS NOT NULL))[1]
        AS called_desk_id,
      (array_agg((l.payload->>'start_time')::timestamptz ORDER BY l.txid, l.position)
         FILTER (WHERE l.payload->>'start_time' IS NOT NULL))[1] AS start_time,
      (array_agg((l.payload->>'desk')::bigint ORDER BY l.txid, l.position)
         FILTER (WHERE l.payload ? 'start_time' AND l.payload->>'desk' IS NOT NULL))[1]
        AS served_desk_id,
      (array_agg((l.payload->>'desk')::bigint ORDER BY l.txid DESC, l.position DESC))[1]
        AS desk_id,
      (array_agg((l.payload->>'finish_time')::timestamptz ORDER BY l.txid DESC, l.position DESC))[1]
        AS finish_time,
      (array_agg(l.payload->>'status' ORDER BY l.txid DESC, l.position DESC))[1] AS status,
      (array_agg(l.payload->>'outcome' ORDER BY l.txid DESC, l.position DESC))[1] AS outcome
    FROM events.log l
    WHERE (l.txid, l.position) <= (p_txid, p_position) AND l.type LIKE 'visit.%'
    GROUP BY 1
  ) v;
  GET DIAGNOSTICS visit_facts = ROW_COUNT;

  INSERT INTO metrics.walk_ins (walk_in_id, site_id, desk_id, outcome, local_date, local_hour)
  SELECT DISTINCT ON ((l.payload->>'walk_in')::bigint) (l.payload->>'walk_in')::bigint,
    coalesce(l.site_id, 0), coalesce((l.payload->>'desk')::bigint, 0), l.payload->>'outcome',
    (l.payload->>'local_date')::date,
    extract(hour FROM l.occurred_time AT TIME ZONE
      coalesce(nullif(l.payload->>'time_zone', ''), 'Europe/Paris'))::integer
  FROM events.log l
  WHERE (l.txid, l.position) <= (p_txid, p_position) AND l.type = 'walk_in.registered'
  ORDER BY (l.payload->>'walk_in')::bigint, l.txid, l.position;
  GET DIAGNOSTICS walk_in_facts = ROW_COUNT;

  -- The tables were just emptied and filled: plan the rollups on their
  -- real sizes.
  ANALYZE metrics.appointments, metrics.visits, metrics.walk_ins;

  -- Every key observed, rolled up as the consumer rolls up a batch's keys.
  INSERT INTO metrics.dirty_days (site_id, desk_id, local_date)
  SELECT DISTINCT site_id, desk_id, local_date FROM metrics.observations
  WHERE site_id IS NOT NULL AND desk_id IS NOT NULL AND local_date IS NOT NULL;
  PERFORM metrics.roll_dirty();

  SELECT count(*) INTO day_rows FROM metrics.day_measures;
  SELECT count(*) INTO month_rows FROM metrics.month_measures;
END $$;
