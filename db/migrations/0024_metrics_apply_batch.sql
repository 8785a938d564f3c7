-- Metrics' rollups follow the facts by difference (docs/indicators.md#rollups).
--
-- Until now each batch of the consumer marked the (site, desk, local day) keys
-- it touched and rolled every one of them up again from all the facts of that
-- day (metrics.roll_dirty, 0017): a batch of 2,000 events touched about 150
-- desk-days (bookings reach weeks ahead), and rolling them up cost most of the
-- batch; the events themselves were applied one PL/pgSQL call at a time
-- (metrics.apply_event). The consumer fell to 3,115 events/s on a
-- 10-million-appointment history (docs/benchmarks.md).
--
-- Now:
--   * each fact's observations are one function of its row
--     (metrics.appointment_observations, visit_observations,
--     walk_in_observations, next_free_observations): the definitions, used by
--     everything below;
--   * a batch is applied set-based, one statement per fact table
--     (metrics.apply_events), like the backfill;
--   * the rollups lose the observations of the facts the batch changed, as
--     they were before it, and gain those of the same facts after it
--     (metrics.add_observations): counts, sums and histograms add exactly, so
--     a day, a month and a site's month stay equal to a recomputation, at a
--     cost that follows the batch, not the days it reaches;
--   * the backfill rebuilds the facts from the log (metrics.rebuild_facts)
--     and the rollups from all the facts' observations in one pass
--     (metrics.rebuild_rollups), which this migration also runs once.
--
-- Sums are of values rounded to the microsecond (numeric scale 6): sums made
-- by difference and by recomputation then print the same.

DROP FUNCTION metrics.apply_events(jsonb);
DROP FUNCTION metrics.apply_event(text, bigint, timestamptz, jsonb);
DROP FUNCTION metrics.backfill(xid8, bigint);
DROP FUNCTION metrics.roll_dirty();
DROP FUNCTION metrics.mark_dirty(bigint, bigint[], date[]);
DROP FUNCTION metrics.roll_days(bigint[], bigint[], date[]);
DROP FUNCTION metrics.roll_months(bigint[], bigint[], date[]);
DROP FUNCTION metrics.roll_site_months(bigint[], date[]);
DROP TABLE metrics.dirty_days;
DROP VIEW metrics.observations;

-- One observation of a measure: its value, on a local day of a desk.
CREATE TYPE metrics.observation AS (
  site_id bigint, desk_id bigint, local_date date, measure text, value numeric);

-- An appointment's observations: on the appointment's day, and the delay to
-- obtain it on the day it was booked (not for one booked at a counter to
-- replace another: not a person's search for an appointment).
CREATE FUNCTION metrics.appointment_observations(a metrics.appointments)
RETURNS SETOF metrics.observation LANGUAGE sql STABLE AS $$
  SELECT a.site_id, a.desk_id, a.start_date, o.measure, round(o.value, 6)
  FROM (VALUES
    ('appointments.scheduled', 1.0, a.cancel_cause IS DISTINCT FROM 'closure'),
    ('appointments.cancelled', 1.0, a.status = 'cancelled' AND a.cancel_cause <> 'closure'),
    ('appointments.cancelled_late', 1.0, a.status = 'cancelled' AND a.cancel_cause <> 'closure'
       AND a.cancel_time > a.start_time - interval '24 hours'),
    ('appointments.closure_cancelled', 1.0, a.cancel_cause = 'closure'),
    ('appointments.honoured', 1.0, a.status IN ('arrived', 'in_service', 'fulfilled', 'not_served')),
    ('appointments.noshow', 1.0, a.status = 'noshow'),
    ('appointments.noshow_undone', 1.0, a.noshow_undone AND a.status <> 'noshow'),
    ('appointments.not_served', 1.0, a.status = 'not_served'),
    ('appointments.unrecorded', 1.0, a.status = 'booked'),
    ('arrival.lateness',
       greatest(0.0, extract(epoch FROM a.arrival_time - a.start_time)::numeric),
       a.arrival_time IS NOT NULL AND a.status <> 'noshow'),
    ('arrival.late', 1.0, a.late AND a.status <> 'noshow'),
    ('received.appointment',
       extract(hour FROM a.arrival_time AT TIME ZONE a.time_zone)::numeric,
       a.arrival_time IS NOT NULL AND a.status <> 'noshow')
  ) AS o(measure, value, holds)
  WHERE o.holds
  UNION ALL
  SELECT a.site_id, a.desk_id, a.booked_date, 'booking.delay',
         round(greatest(0.0, extract(epoch FROM a.first_start_time - a.booked_time)::numeric), 6)
  WHERE NOT a.rebooked
$$;

-- A visit's: waiting (arrival to the first call) at the desk that called,
-- service (start to finish of a finished visit) at the desk that served, on
-- the arrival's day.
CREATE FUNCTION metrics.visit_observations(v metrics.visits)
RETURNS SETOF metrics.observation LANGUAGE sql STABLE AS $$
  SELECT v.site_id, v.called_desk_id, v.arrival_date, 'visit.wait',
         round(greatest(0.0, extract(epoch FROM v.first_called_time - v.arrival_time)::numeric), 6)
  WHERE v.first_called_time IS NOT NULL
  UNION ALL
  SELECT v.site_id, v.served_desk_id, v.arrival_date, 'visit.service',
         round(greatest(0.0, extract(epoch FROM v.finish_time - v.start_time)::numeric), 6)
  WHERE v.status = 'done' AND v.start_time IS NOT NULL AND v.finish_time IS NOT NULL
$$;

-- A walk-in's: received without an appointment, at its local hour.
CREATE FUNCTION metrics.walk_in_observations(w metrics.walk_ins)
RETURNS SETOF metrics.observation LANGUAGE sql STABLE AS $$
  SELECT w.site_id, w.desk_id, w.local_date, 'received.walk_in', round(w.local_hour::numeric, 6)
$$;

-- A next-free-slot snapshot's, on the day of the look (none released ahead:
-- not observed).
CREATE FUNCTION metrics.next_free_observations(s metrics.next_free_slots)
RETURNS SETOF metrics.observation LANGUAGE sql STABLE AS $$
  SELECT s.site_id, s.desk_id, s.local_date, 'slot.next_free', round(s.seconds::numeric, 6)
  WHERE s.seconds IS NOT NULL
$$;

-- Every observation of every fact.
CREATE VIEW metrics.observations AS
  SELECT o.* FROM metrics.appointments a, metrics.appointment_observations(a) o
  UNION ALL SELECT o.* FROM metrics.visits v, metrics.visit_observations(v) o
  UNION ALL SELECT o.* FROM metrics.walk_ins w, metrics.walk_in_observations(w) o
  UNION ALL SELECT o.* FROM metrics.next_free_slots s, metrics.next_free_observations(s) o;

-- The observations of the given facts, as they are now.
CREATE FUNCTION metrics.fact_observations(p_appointments bigint[], p_visits bigint[],
                                          p_walk_ins bigint[])
RETURNS SETOF metrics.observation LANGUAGE sql STABLE AS $$
  SELECT o.* FROM metrics.appointments a, metrics.appointment_observations(a) o
  WHERE a.appointment_id = ANY (p_appointments)
  UNION ALL
  SELECT o.* FROM metrics.visits v, metrics.visit_observations(v) o
  WHERE v.visit_id = ANY (p_visits)
  UNION ALL
  SELECT o.* FROM metrics.walk_ins w, metrics.walk_in_observations(w) o
  WHERE w.walk_in_id = ANY (p_walk_ins)
$$;

-- The rollups are sums: a count, a sum and a histogram per site, desk (0:
-- none), local day (or month) and measure. A value v falls in bucket
-- width_bucket(v, bounds), stored at index bucket + 1 (0017).
--
-- metrics.add_observations takes `p_removed` out of the rollups and puts
-- `p_added` in: the days', the desks' months' and the sites' months'. A row
-- whose count falls to 0 is deleted: nothing observed; one below 0 (taking
-- out what was never put in) is written, and refused by CHECK (count > 0):
-- the batch fails rather than the figures drifting. Serialised: the
-- consumer and the snapshot worker both add.
CREATE FUNCTION metrics.add_observations(p_removed metrics.observation[],
                                         p_added metrics.observation[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(p_removed) = 0 AND cardinality(p_added) = 0 THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('metrics.rollups'));
  WITH o AS (
    SELECT r.*, -1 AS sign FROM unnest(p_removed) r
    UNION ALL
    SELECT a.*, 1 FROM unnest(p_added) a),
  buckets AS (
    SELECT o.site_id, o.desk_id, o.local_date, o.measure,
           width_bucket(o.value, m.bounds) AS bucket, cardinality(m.bounds) + 1 AS size,
           sum(o.sign) AS n, sum(o.sign * o.value) AS s
    FROM o JOIN metrics.measures m ON m.measure = o.measure
    GROUP BY 1, 2, 3, 4, 5, 6
    -- An observation out and in unchanged moves nothing: no row to rewrite.
    HAVING sum(o.sign) <> 0 OR sum(o.sign * o.value) <> 0),
  day AS (
    SELECT site_id, desk_id, local_date, measure, sum(n) AS count, sum(s) AS sum,
           metrics.histogram(array_agg(bucket), array_agg(n), size) AS histogram
    FROM buckets GROUP BY site_id, desk_id, local_date, measure, size),
  month AS (
    SELECT site_id, desk_id, date_trunc('month', local_date)::date AS month, measure,
           sum(count) AS count, sum(sum) AS sum, metrics.sum_histograms(histogram) AS histogram
    FROM day GROUP BY 1, 2, 3, 4),
  site AS (
    SELECT site_id, month, measure, sum(count) AS count, sum(sum) AS sum,
           metrics.sum_histograms(histogram) AS histogram
    FROM month GROUP BY 1, 2, 3),
  new_day AS (
    SELECT x.site_id, x.desk_id, x.local_date, x.measure,
           coalesce(r.count, 0) + x.count AS count, coalesce(r.sum, 0) + x.sum AS sum,
           metrics.add_histograms(r.histogram, x.histogram) AS histogram
    FROM day x LEFT JOIN metrics.day_measures r
      ON r.site_id = x.site_id AND r.local_date = x.local_date AND r.desk_id = x.desk_id
     AND r.measure = x.measure),
  new_month AS (
    SELECT x.site_id, x.desk_id, x.month, x.measure,
           coalesce(r.count, 0) + x.count AS count, coalesce(r.sum, 0) + x.sum AS sum,
           metrics.add_histograms(r.histogram, x.histogram) AS histogram
    FROM month x LEFT JOIN metrics.month_measures r
      ON r.site_id = x.site_id AND r.month = x.month AND r.desk_id = x.desk_id
     AND r.measure = x.measure),
  new_site AS (
    SELECT x.site_id, x.month, x.measure,
           coalesce(r.count, 0) + x.count AS count, coalesce(r.sum, 0) + x.sum AS sum,
           metrics.add_histograms(r.histogram, x.histogram) AS histogram
    FROM site x LEFT JOIN metrics.site_month_measures r
      ON r.site_id = x.site_id AND r.month = x.month AND r.measure = x.measure),
  day_gone AS (
    DELETE FROM metrics.day_measures r USING new_day x
    WHERE x.count = 0 AND r.site_id = x.site_id AND r.local_date = x.local_date
      AND r.desk_id = x.desk_id AND r.measure = x.measure),
  day_put AS (
    INSERT INTO metrics.day_measures (site_id, desk_id, local_date, measure, count, sum, histogram)
    SELECT * FROM new_day WHERE count <> 0
    ON CONFLICT (site_id, local_date, desk_id, measure) DO UPDATE
    SET count = excluded.count, sum = excluded.sum, histogram = excluded.histogram),
  month_gone AS (
    DELETE FROM metrics.month_measures r USING new_month x
    WHERE x.count = 0 AND r.site_id = x.site_id AND r.month = x.month
      AND r.desk_id = x.desk_id AND r.measure = x.measure),
  month_put AS (
    INSERT INTO metrics.month_measures (site_id, desk_id, month, measure, count, sum, histogram)
    SELECT * FROM new_month WHERE count <> 0
    ON CONFLICT (site_id, month, desk_id, measure) DO UPDATE
    SET count = excluded.count, sum = excluded.sum, histogram = excluded.histogram),
  site_gone AS (
    DELETE FROM metrics.site_month_measures r USING new_site x
    WHERE x.count = 0 AND r.site_id = x.site_id AND r.month = x.month
      AND r.measure = x.measure)
  INSERT INTO metrics.site_month_measures (site_id, month, measure, count, sum, histogram)
  SELECT * FROM new_site WHERE count <> 0
  ON CONFLICT (site_id, month, measure) DO UPDATE
  SET count = excluded.count, sum = excluded.sum, histogram = excluded.histogram;
END $$;

-- metrics.rebuild_rollups: every rollup again from every fact's observations,
-- in one pass (the backfill; this migration). Deleted, not truncated: reports
-- keep reading the previous figures until the transaction commits.
CREATE FUNCTION metrics.rebuild_rollups(OUT day_rows bigint, OUT month_rows bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('metrics.rollups'));
  DELETE FROM metrics.day_measures;
  DELETE FROM metrics.month_measures;
  DELETE FROM metrics.site_month_measures;
  INSERT INTO metrics.day_measures (site_id, desk_id, local_date, measure, count, sum, histogram)
  SELECT site_id, desk_id, local_date, measure, sum(n), sum(s),
         metrics.histogram(array_agg(bucket), array_agg(n), size)
  FROM (SELECT o.site_id, o.desk_id, o.local_date, o.measure,
               width_bucket(o.value, m.bounds) AS bucket, cardinality(m.bounds) + 1 AS size,
               count(*) AS n, sum(o.value) AS s
        FROM metrics.observations o JOIN metrics.measures m ON m.measure = o.measure
        GROUP BY 1, 2, 3, 4, 5, 6) b
  GROUP BY site_id, desk_id, local_date, measure, size;
  GET DIAGNOSTICS day_rows = ROW_COUNT;
  INSERT INTO metrics.month_measures (site_id, desk_id, month, measure, count, sum, histogram)
  SELECT site_id, desk_id, date_trunc('month', local_date)::date, measure, sum(count), sum(sum),
         metrics.sum_histograms(histogram)
  FROM metrics.day_measures GROUP BY 1, 2, 3, 4;
  GET DIAGNOSTICS month_rows = ROW_COUNT;
  INSERT INTO metrics.site_month_measures (site_id, month, measure, count, sum, histogram)
  SELECT site_id, month, measure, sum(count), sum(sum), metrics.sum_histograms(histogram)
  FROM metrics.month_measures GROUP BY 1, 2, 3;
END $$;

-- metrics.rebuild_facts: the facts rebuilt set-based from the log up to the
-- cursor (p_txid, p_position), as the consumer leaves them applying the same
-- events batch after batch (the rules are 0018's, unchanged). The caller
-- (services/metrics/backfill.cc) then rebuilds the rollups and moves the
-- consumer's cursor in the same transaction.
CREATE FUNCTION metrics.rebuild_facts(p_txid xid8, p_position bigint,
  OUT events_read bigint, OUT appointment_facts bigint, OUT visit_facts bigint,
  OUT walk_in_facts bigint)
LANGUAGE plpgsql AS $$
BEGIN
  -- The facts are metrics' own (the consumer stands blocked on them until
  -- this transaction ends).
  TRUNCATE metrics.appointments, metrics.visits, metrics.walk_ins;

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

  -- The tables were just emptied and filled: plan on their real sizes.
  ANALYZE metrics.appointments, metrics.visits, metrics.walk_ins;
END $$;

-- The events of the batch, `[{"type", "site", "time", "payload"}, ...]` in
-- log order, whose type starts with `p_prefix`, as rows numbered from 1.
-- Events before 0011 carry no time_zone: Europe/Paris. PL/pgSQL, with the
-- size of a consumer's batch as its estimate: a query over an inlined
-- jsonb_array_elements is planned for a handful of rows, and joined the
-- batch to itself by nested loop (130 ms a batch of 2,000 events).
CREATE FUNCTION metrics.batch_events(p_events jsonb, p_prefix text)
RETURNS TABLE (n bigint, type text, site_id bigint, occurred_time timestamptz, time_zone text,
               payload jsonb)
LANGUAGE plpgsql STABLE ROWS 2000 AS $$
BEGIN
  RETURN QUERY
  SELECT b.n, b.x->>'type', (b.x->>'site')::bigint, (b.x->>'time')::timestamptz,
         coalesce(nullif(b.x->'payload'->>'time_zone', ''), 'Europe/Paris'), b.x->'payload'
  FROM jsonb_array_elements(p_events) WITH ORDINALITY AS b(x, n)
  WHERE starts_with(b.x->>'type', p_prefix);
END $$;

CREATE FUNCTION metrics.apply_appointment_events(p_events jsonb) RETURNS void
LANGUAGE sql AS $$
  WITH e AS (
    SELECT n, type, occurred_time, payload AS p, (payload->>'appointment')::bigint AS id
    FROM metrics.batch_events(p_events, 'appointment.')),
  -- Every appointment the batch may change, from the event on which it does
  -- (`since`): known before the batch (all its events), or created by the
  -- batch's first appointment.booked of it (the events after that one).
  base AS (
    SELECT a.appointment_id, a.site_id, a.desk_id, a.time_zone, a.channel, a.rebooked,
           a.booked_time, a.booked_date, a.first_start_time, a.start_time, a.start_date,
           a.status, a.cancel_time, a.cancel_cause, a.arrival_time, a.late, a.noshow_undone,
           true AS existed, 0::bigint AS since
    FROM metrics.appointments a WHERE a.appointment_id IN (SELECT id FROM e)
    UNION ALL
    (SELECT DISTINCT ON (e.id) e.id, (e.p->>'site')::bigint, (e.p->>'desk')::bigint, z.tz,
           coalesce(e.p->>'channel', ''), coalesce((e.p->>'rebooked_from')::bigint, 0) <> 0,
           e.occurred_time, metrics.local_date(e.occurred_time, z.tz),
           (e.p->>'start_time')::timestamptz, (e.p->>'start_time')::timestamptz,
           metrics.local_date((e.p->>'start_time')::timestamptz, z.tz),
           'booked', NULL::timestamptz, NULL::text, NULL::timestamptz, false, false,
           false, e.n
    FROM e CROSS JOIN LATERAL (
      SELECT coalesce(nullif(e.p->>'time_zone', ''), 'Europe/Paris')) AS z(tz)
    WHERE e.type = 'appointment.booked'
      AND NOT EXISTS (SELECT 1 FROM metrics.appointments a WHERE a.appointment_id = e.id)
    ORDER BY e.id, e.n)),
  changes AS (
    SELECT b.appointment_id,
      (array_agg((e.p->>'start_time')::timestamptz ORDER BY e.n DESC)
         FILTER (WHERE e.type = 'appointment.rescheduled'))[1] AS start_time,
      (array_agg(substr(e.type, 13) ORDER BY e.n DESC)
         FILTER (WHERE e.type IN ('appointment.cancelled', 'appointment.noshow',
           'appointment.arrived', 'appointment.in_service', 'appointment.fulfilled',
           'appointment.not_served')))[1] AS status,
      (array_agg(e.occurred_time ORDER BY e.n DESC)
         FILTER (WHERE e.type = 'appointment.cancelled'))[1] AS cancel_time,
      (array_agg(coalesce(e.p->>'cause', '') ORDER BY e.n DESC)
         FILTER (WHERE e.type = 'appointment.cancelled'))[1] AS cancel_cause,
      (array_agg(e.occurred_time ORDER BY e.n)
         FILTER (WHERE e.type IN ('appointment.arrived', 'appointment.in_service',
           'appointment.fulfilled', 'appointment.not_served')))[1] AS arrival_time,
      coalesce(bool_or(coalesce((e.p->>'late')::boolean, false))
         FILTER (WHERE e.type = 'appointment.arrived'), false) AS late,
      coalesce(bool_or(coalesce((e.p->>'undid_noshow')::boolean, false))
         FILTER (WHERE e.type = 'appointment.arrived'), false) AS noshow_undone
    FROM base b JOIN e ON e.id = b.appointment_id AND e.n > b.since
    GROUP BY b.appointment_id),
  final AS (
    SELECT b.appointment_id, b.site_id, b.desk_id, b.time_zone, b.channel, b.rebooked,
      b.booked_time, b.booked_date, b.first_start_time,
      coalesce(c.start_time, b.start_time) AS start_time,
      CASE WHEN c.start_time IS NULL THEN b.start_date
           ELSE metrics.local_date(c.start_time, b.time_zone) END AS start_date,
      coalesce(c.status, b.status) AS status,
      coalesce(c.cancel_time, b.cancel_time) AS cancel_time,
      coalesce(c.cancel_cause, b.cancel_cause) AS cancel_cause,
      coalesce(b.arrival_time, c.arrival_time) AS arrival_time,
      b.late OR coalesce(c.late, false) AS late,
      b.noshow_undone OR coalesce(c.noshow_undone, false) AS noshow_undone,
      b.existed
    FROM base b LEFT JOIN changes c ON c.appointment_id = b.appointment_id),
  updated AS (
    UPDATE metrics.appointments a SET start_time = f.start_time, start_date = f.start_date,
      status = f.status, cancel_time = f.cancel_time, cancel_cause = f.cancel_cause,
      arrival_time = f.arrival_time, late = f.late, noshow_undone = f.noshow_undone
    FROM final f
    WHERE f.existed AND a.appointment_id = f.appointment_id
      AND (a.start_time, a.status, a.cancel_time, a.cancel_cause, a.arrival_time, a.late,
           a.noshow_undone)
          IS DISTINCT FROM (f.start_time, f.status, f.cancel_time, f.cancel_cause,
                            f.arrival_time, f.late, f.noshow_undone))
  INSERT INTO metrics.appointments (appointment_id, site_id, desk_id, time_zone, channel,
    rebooked, booked_time, booked_date, first_start_time, start_time, start_date, status,
    cancel_time, cancel_cause, arrival_time, late, noshow_undone)
  SELECT appointment_id, site_id, desk_id, time_zone, channel, rebooked, booked_time,
    booked_date, first_start_time, start_time, start_date, status, cancel_time, cancel_cause,
    arrival_time, late, noshow_undone
  FROM final WHERE NOT existed
$$;

CREATE FUNCTION metrics.apply_visit_events(p_events jsonb) RETURNS void
LANGUAGE sql AS $$
  WITH e AS (
    SELECT n, site_id, time_zone, payload AS p, (payload->>'visit')::bigint AS id,
           (payload->>'desk')::bigint AS desk
    FROM metrics.batch_events(p_events, 'visit.')),
  batch AS (
    SELECT e.id,
      (array_agg(e.site_id ORDER BY e.n))[1] AS site_id,
      (array_agg(e.p->>'kind' ORDER BY e.n))[1] AS kind,
      (array_agg((e.p->>'arrival_time')::timestamptz ORDER BY e.n))[1] AS arrival_time,
      (array_agg(e.time_zone ORDER BY e.n))[1] AS time_zone,
      (array_agg((e.p->>'called_time')::timestamptz ORDER BY e.n)
         FILTER (WHERE e.p->>'called_time' IS NOT NULL))[1] AS first_called_time,
      (array_agg(e.desk ORDER BY e.n)
         FILTER (WHERE e.p ? 'called_time' AND e.desk IS NOT NULL))[1] AS called_desk_id,
      (array_agg((e.p->>'start_time')::timestamptz ORDER BY e.n)
         FILTER (WHERE e.p->>'start_time' IS NOT NULL))[1] AS start_time,
      (array_agg(e.desk ORDER BY e.n)
         FILTER (WHERE e.p ? 'start_time' AND e.desk IS NOT NULL))[1] AS served_desk_id,
      (array_agg(e.desk ORDER BY e.n DESC))[1] AS desk_id,
      (array_agg((e.p->>'finish_time')::timestamptz ORDER BY e.n DESC))[1] AS finish_time,
      (array_agg(e.p->>'status' ORDER BY e.n DESC))[1] AS status,
      (array_agg(e.p->>'outcome' ORDER BY e.n DESC))[1] AS outcome
    FROM e GROUP BY e.id),
  before AS (
    SELECT v.* FROM metrics.visits v WHERE v.visit_id IN (SELECT id FROM batch)),
  final AS (
    SELECT b.id AS visit_id, coalesce(o.site_id, b.site_id) AS site_id, b.desk_id,
      coalesce(o.kind, b.kind) AS kind, coalesce(o.arrival_time, b.arrival_time) AS arrival_time,
      coalesce(o.arrival_date, metrics.local_date(b.arrival_time, b.time_zone)) AS arrival_date,
      coalesce(o.first_called_time, b.first_called_time) AS first_called_time,
      coalesce(o.called_desk_id, b.called_desk_id) AS called_desk_id,
      coalesce(o.start_time, b.start_time) AS start_time,
      coalesce(o.served_desk_id, b.served_desk_id) AS served_desk_id,
      b.finish_time, b.status, b.outcome
    FROM batch b LEFT JOIN before o ON o.visit_id = b.id)
  INSERT INTO metrics.visits AS v (visit_id, site_id, desk_id, kind, arrival_time,
    arrival_date, first_called_time, called_desk_id, start_time, served_desk_id,
    finish_time, status, outcome)
  SELECT visit_id, site_id, desk_id, kind, arrival_time, arrival_date, first_called_time,
    called_desk_id, start_time, served_desk_id, finish_time, status, outcome
  FROM final
  ON CONFLICT (visit_id) DO UPDATE SET desk_id = excluded.desk_id,
    first_called_time = excluded.first_called_time, called_desk_id = excluded.called_desk_id,
    start_time = excluded.start_time, served_desk_id = excluded.served_desk_id,
    finish_time = excluded.finish_time, status = excluded.status, outcome = excluded.outcome
$$;

CREATE FUNCTION metrics.apply_walk_in_events(p_events jsonb) RETURNS void
LANGUAGE sql AS $$
  WITH e AS (
    SELECT DISTINCT ON ((payload->>'walk_in')::bigint) (payload->>'walk_in')::bigint AS id,
      site_id, coalesce((payload->>'desk')::bigint, 0) AS desk_id, payload->>'outcome' AS outcome,
      (payload->>'local_date')::date AS local_date,
      extract(hour FROM occurred_time AT TIME ZONE time_zone)::integer AS local_hour
    FROM metrics.batch_events(p_events, 'walk_in.') WHERE type = 'walk_in.registered'
    ORDER BY (payload->>'walk_in')::bigint, n)
  INSERT INTO metrics.walk_ins (walk_in_id, site_id, desk_id, outcome, local_date, local_hour)
  SELECT id, site_id, desk_id, outcome, local_date, local_hour FROM e
  ON CONFLICT (walk_in_id) DO NOTHING
$$;

-- metrics.apply_events applies a batch to the facts it names (each its own
-- fold, above), and moves those facts' observations in the rollups: out as
-- they were before the batch, in as they are after it. Returns the number of
-- facts named.
CREATE FUNCTION metrics.apply_events(p_events jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_appointments bigint[];
  v_visits bigint[];
  v_walk_ins bigint[];
  v_before metrics.observation[];
BEGIN
  -- The facts the batch names, in one pass over it.
  SELECT coalesce(array_agg(DISTINCT (x->'payload'->>'appointment')::bigint)
           FILTER (WHERE starts_with(x->>'type', 'appointment.')), '{}'),
         coalesce(array_agg(DISTINCT (x->'payload'->>'visit')::bigint)
           FILTER (WHERE starts_with(x->>'type', 'visit.')), '{}'),
         coalesce(array_agg(DISTINCT (x->'payload'->>'walk_in')::bigint)
           FILTER (WHERE x->>'type' = 'walk_in.registered'), '{}')
  INTO v_appointments, v_visits, v_walk_ins
  FROM jsonb_array_elements(p_events) x;
  v_before := ARRAY(
    SELECT o FROM metrics.fact_observations(v_appointments, v_visits, v_walk_ins) o);
  PERFORM metrics.apply_appointment_events(p_events);
  PERFORM metrics.apply_visit_events(p_events);
  PERFORM metrics.apply_walk_in_events(p_events);
  PERFORM metrics.add_observations(v_before, ARRAY(
    SELECT o FROM metrics.fact_observations(v_appointments, v_visits, v_walk_ins) o));
  RETURN cardinality(v_appointments) + cardinality(v_visits) + cardinality(v_walk_ins);
END $$;

-- The rollups of the facts already there, again, the same way.
SELECT metrics.rebuild_rollups();
