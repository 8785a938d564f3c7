-- Metrics (services/metrics, docs/indicators.md): the Qual-e-Pref
-- indicators, derived from the event log only.
--
--   events.log ──apply_event──► facts (appointments, visits, walk_ins)
--              ──observations (one view: every measure's definition)──►
--              day_measures (per site, desk, local day) ──► month_measures
--
-- The consumer `metrics.rollup` applies each batch of events to the facts,
-- which marks the (site, desk, day) keys it touched as dirty; at the end of
-- the batch every dirty key is rolled up again from the facts through the
-- observations view, in the same transaction. The backfill (metrics.backfill)
-- rebuilds the facts from the whole log set-based and rolls every key up
-- through the same view: one definition for both.
--
-- No personal data: ids, desks, times, statuses and causes.
CREATE SCHEMA metrics;

-- What metrics knows of each appointment. `booked_date`, `start_date` are
-- local days in the site's zone (the event's time_zone).
CREATE TABLE metrics.appointments (
  appointment_id   bigint PRIMARY KEY,
  site_id          bigint NOT NULL,
  desk_id          bigint NOT NULL,
  time_zone        text NOT NULL,
  channel          text NOT NULL,
  -- Booked at a counter to replace another (RebookAppointment): not a
  -- person's search for an appointment, so not in the delay to obtain one.
  rebooked         boolean NOT NULL,
  booked_time      timestamptz NOT NULL,
  booked_date      date NOT NULL,
  -- The slot obtained when booking (a later move is the person's choice).
  first_start_time timestamptz NOT NULL,
  start_time       timestamptz NOT NULL,
  start_date       date NOT NULL,
  status           text NOT NULL CHECK (status IN ('booked', 'arrived', 'in_service',
                     'fulfilled', 'cancelled', 'noshow', 'not_served')),
  cancel_time      timestamptz,
  cancel_cause     text,
  arrival_time     timestamptz,
  late             boolean NOT NULL DEFAULT false,
  noshow_undone    boolean NOT NULL DEFAULT false,
  CHECK ((status = 'cancelled') = (cancel_time IS NOT NULL))
);
CREATE INDEX ON metrics.appointments (site_id, desk_id, start_date);
CREATE INDEX ON metrics.appointments (site_id, desk_id, booked_date);

-- What metrics knows of each visit (reception): its local day is the
-- arrival's; the desks where it was first called and first served.
CREATE TABLE metrics.visits (
  visit_id          bigint PRIMARY KEY,
  site_id           bigint NOT NULL,
  desk_id           bigint NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('appointment', 'walk_in')),
  arrival_time      timestamptz NOT NULL,
  arrival_date      date NOT NULL,
  first_called_time timestamptz,
  called_desk_id    bigint,
  start_time        timestamptz,
  served_desk_id    bigint,
  finish_time       timestamptz,
  status            text NOT NULL,
  outcome           text
);
CREATE INDEX ON metrics.visits (site_id, called_desk_id, arrival_date);
CREATE INDEX ON metrics.visits (site_id, served_desk_id, arrival_date);

-- People received without an appointment; desk 0: none named.
CREATE TABLE metrics.walk_ins (
  walk_in_id bigint PRIMARY KEY,
  site_id    bigint NOT NULL,
  desk_id    bigint NOT NULL,
  outcome    text NOT NULL,
  local_date date NOT NULL,
  local_hour integer NOT NULL CHECK (local_hour BETWEEN 0 AND 23)
);
CREATE INDEX ON metrics.walk_ins (site_id, desk_id, local_date);

-- The next free slot of each desk as a person would see it, once a local
-- day (the first pass of the snapshot worker that day; NULL seconds: none
-- released ahead).
CREATE TABLE metrics.next_free_slots (
  site_id       bigint NOT NULL,
  desk_id       bigint NOT NULL,
  local_date    date NOT NULL,
  snapshot_time timestamptz NOT NULL,
  seconds       bigint CHECK (seconds >= 0),
  PRIMARY KEY (site_id, desk_id, local_date)
);

-- The measures and their histograms: a value v falls in bucket
-- width_bucket(v, bounds) (0: below bounds[1]; i: bounds[i] <= v <
-- bounds[i+1]), stored at index bucket + 1. Fixed, so that days merge
-- exactly into weeks and months. A measure without bounds is a count.
CREATE TABLE metrics.measures (
  measure text PRIMARY KEY CHECK (measure ~ '^[a-z_]+\.[a-z_]+$'),
  unit    text NOT NULL CHECK (unit IN ('count', 'seconds', 'hour')),
  bounds  numeric[] NOT NULL
);

-- Bounds: minutes 1..60, then every 5 min to 3 h, every 30 min to 8 h; days
-- 1..90, then every 7 days to a year; hours of the day 1..23.
INSERT INTO metrics.measures (measure, unit, bounds)
SELECT m.measure, m.unit, CASE m.unit
    WHEN 'count' THEN '{}'::numeric[]
    WHEN 'hour' THEN ARRAY(SELECT h::numeric FROM generate_series(1, 23) h)
    WHEN 'seconds' THEN CASE WHEN m.measure IN ('booking.delay', 'slot.next_free')
      THEN ARRAY(SELECT d * 86400 FROM generate_series(1, 90) d
                 UNION ALL SELECT d * 86400 FROM generate_series(97, 370, 7) d ORDER BY 1)::numeric[]
      ELSE ARRAY(SELECT x * 60 FROM generate_series(1, 60) x
                 UNION ALL SELECT x * 60 FROM generate_series(65, 180, 5) x
                 UNION ALL SELECT x * 60 FROM generate_series(210, 480, 30) x ORDER BY 1)::numeric[]
      END
  END
FROM (VALUES
  ('appointments.scheduled', 'count'),
  ('appointments.cancelled', 'count'),
  ('appointments.cancelled_late', 'count'),
  ('appointments.closure_cancelled', 'count'),
  ('appointments.honoured', 'count'),
  ('appointments.noshow', 'count'),
  ('appointments.noshow_undone', 'count'),
  ('appointments.not_served', 'count'),
  ('appointments.unrecorded', 'count'),
  ('arrival.lateness', 'seconds'),
  ('arrival.late', 'count'),
  ('booking.delay', 'seconds'),
  ('slot.next_free', 'seconds'),
  ('visit.wait', 'seconds'),
  ('visit.service', 'seconds'),
  ('received.appointment', 'hour'),
  ('received.walk_in', 'hour')) AS m(measure, unit);

-- metrics.observations: every measure's definition, one row per
-- observation (docs/indicators.md#measures). Each branch names its local day
-- and desk as plain columns, so that a filter on them reaches the indexes.
CREATE VIEW metrics.observations AS
  -- Appointments, on the appointment's day.
  SELECT a.site_id, a.desk_id, a.start_date AS local_date, o.measure, o.value
  FROM metrics.appointments a
  CROSS JOIN LATERAL (VALUES
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
  -- The delay to obtain an appointment, on the day it was booked.
  SELECT site_id, desk_id, booked_date, 'booking.delay',
         greatest(0.0, extract(epoch FROM first_start_time - booked_time)::numeric)
  FROM metrics.appointments WHERE NOT rebooked
UNION ALL
  -- Waiting: arrival to the first call, at the desk that called.
  SELECT site_id, called_desk_id, arrival_date, 'visit.wait',
         greatest(0.0, extract(epoch FROM first_called_time - arrival_time)::numeric)
  FROM metrics.visits WHERE first_called_time IS NOT NULL
UNION ALL
  -- Service: start to finish of a finished visit, at the desk that served.
  SELECT site_id, served_desk_id, arrival_date, 'visit.service',
         greatest(0.0, extract(epoch FROM finish_time - start_time)::numeric)
  FROM metrics.visits WHERE status = 'done' AND start_time IS NOT NULL AND finish_time IS NOT NULL
UNION ALL
  SELECT site_id, desk_id, local_date, 'received.walk_in', local_hour::numeric
  FROM metrics.walk_ins
UNION ALL
  -- The next free slot, on the day of the look (none released ahead: not
  -- observed).
  SELECT site_id, desk_id, local_date, 'slot.next_free', seconds::numeric
  FROM metrics.next_free_slots WHERE seconds IS NOT NULL;

-- The rollups: count, sum and histogram of each measure per site, desk
-- (0: none) and local day, and the same per month (the sum of its days).
CREATE TABLE metrics.day_measures (
  site_id    bigint NOT NULL,
  desk_id    bigint NOT NULL,
  local_date date NOT NULL,
  measure    text NOT NULL REFERENCES metrics.measures,
  count      bigint NOT NULL CHECK (count > 0),
  sum        numeric NOT NULL,
  histogram  bigint[] NOT NULL,
  PRIMARY KEY (site_id, local_date, desk_id, measure)
);

CREATE TABLE metrics.month_measures (
  site_id    bigint NOT NULL,
  desk_id    bigint NOT NULL,
  month      date NOT NULL CHECK (extract(day FROM month) = 1),
  measure    text NOT NULL REFERENCES metrics.measures,
  count      bigint NOT NULL CHECK (count > 0),
  sum        numeric NOT NULL,
  histogram  bigint[] NOT NULL,
  PRIMARY KEY (site_id, month, desk_id, measure)
);

-- The keys a batch touched, rolled up again at its end (same transaction).
CREATE TABLE metrics.dirty_days (
  site_id    bigint NOT NULL,
  desk_id    bigint NOT NULL,
  local_date date NOT NULL,
  PRIMARY KEY (site_id, desk_id, local_date)
);

-- metrics.histogram: the dense histogram of `size` buckets from sparse
-- (bucket, count) pairs.
CREATE FUNCTION metrics.histogram(p_buckets integer[], p_counts bigint[], p_size integer)
RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(coalesce(u.n, 0) ORDER BY i)
  FROM generate_series(0, p_size - 1) i
  LEFT JOIN unnest(p_buckets, p_counts) AS u(b, n) ON u.b = i
$$;

-- metrics.day_rollup: the rollup rows of the observations `o` (a query over
-- metrics.observations), grouped by site, desk, day and measure.
-- metrics.roll_days rolls up the days of `p_keys` again from the facts.
CREATE FUNCTION metrics.roll_days(p_sites bigint[], p_desks bigint[], p_dates date[])
RETURNS void LANGUAGE sql AS $$
  DELETE FROM metrics.day_measures d
  USING unnest(p_sites, p_desks, p_dates) AS k(site_id, desk_id, local_date)
  WHERE d.site_id = k.site_id AND d.desk_id = k.desk_id AND d.local_date = k.local_date;
  INSERT INTO metrics.day_measures (site_id, desk_id, local_date, measure, count, sum, histogram)
  SELECT site_id, desk_id, local_date, measure, sum(n), sum(s),
         metrics.histogram(array_agg(bucket), array_agg(n), size)
  FROM (SELECT o.site_id, o.desk_id, o.local_date, o.measure,
               width_bucket(o.value, m.bounds) AS bucket, cardinality(m.bounds) + 1 AS size,
               count(*) AS n, sum(o.value) AS s
        FROM unnest(p_sites, p_desks, p_dates) AS k(site_id, desk_id, local_date)
        JOIN metrics.observations o
          ON o.site_id = k.site_id AND o.desk_id = k.desk_id AND o.local_date = k.local_date
        JOIN metrics.measures m ON m.measure = o.measure
        GROUP BY 1, 2, 3, 4, 5, 6) b
  GROUP BY site_id, desk_id, local_date, measure, size;
$$;

-- metrics.sum_histograms: the element-wise sum of histograms of one measure.
CREATE FUNCTION metrics.add_histograms(p_a bigint[], p_b bigint[])
RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_a IS NULL THEN p_b ELSE ARRAY(
    SELECT coalesce(p_a[i], 0) + coalesce(p_b[i], 0)
    FROM generate_series(1, greatest(cardinality(p_a), cardinality(p_b))) i) END
$$;
CREATE AGGREGATE metrics.sum_histograms(bigint[]) (
  SFUNC = metrics.add_histograms, STYPE = bigint[]);

-- metrics.roll_months: the months of the given days again, from their days.
CREATE FUNCTION metrics.roll_months(p_sites bigint[], p_desks bigint[], p_dates date[])
RETURNS void LANGUAGE sql AS $$
  DELETE FROM metrics.month_measures mm
  USING unnest(p_sites, p_desks, p_dates) AS k(site_id, desk_id, local_date)
  WHERE mm.site_id = k.site_id AND mm.desk_id = k.desk_id
    AND mm.month = date_trunc('month', k.local_date)::date;
  INSERT INTO metrics.month_measures (site_id, desk_id, month, measure, count, sum, histogram)
  SELECT d.site_id, d.desk_id, k.month, d.measure, sum(d.count), sum(d.sum),
         metrics.sum_histograms(d.histogram)
  FROM (SELECT DISTINCT site_id, desk_id, date_trunc('month', local_date)::date AS month
        FROM unnest(p_sites, p_desks, p_dates) AS u(site_id, desk_id, local_date)) k
  JOIN metrics.day_measures d
    ON d.site_id = k.site_id AND d.desk_id = k.desk_id
   AND d.local_date >= k.month AND d.local_date < k.month + interval '1 month'
  GROUP BY d.site_id, d.desk_id, k.month, d.measure;
$$;

-- metrics.roll_dirty rolls up every dirty day and its month, and forgets
-- them. Serialised: the consumer and the snapshot worker may roll the same
-- day in two transactions.
CREATE FUNCTION metrics.roll_dirty() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_sites bigint[];
  v_desks bigint[];
  v_dates date[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('metrics.roll_dirty'));
  WITH gone AS (DELETE FROM metrics.dirty_days RETURNING *)
  SELECT array_agg(site_id), array_agg(desk_id), array_agg(local_date)
  INTO v_sites, v_desks, v_dates FROM gone;
  IF v_sites IS NULL THEN RETURN 0; END IF;
  PERFORM metrics.roll_days(v_sites, v_desks, v_dates);
  PERFORM metrics.roll_months(v_sites, v_desks, v_dates);
  RETURN cardinality(v_sites);
END $$;

CREATE FUNCTION metrics.local_date(p_time timestamptz, p_zone text)
RETURNS date LANGUAGE sql IMMUTABLE AS $$ SELECT (p_time AT TIME ZONE p_zone)::date $$;

CREATE FUNCTION metrics.mark_dirty(p_site bigint, p_desks bigint[], p_dates date[])
RETURNS void LANGUAGE sql AS $$
  INSERT INTO metrics.dirty_days (site_id, desk_id, local_date)
  SELECT DISTINCT p_site, d, t FROM unnest(p_desks) d, unnest(p_dates) t
  WHERE d IS NOT NULL AND t IS NOT NULL
  ON CONFLICT DO NOTHING
$$;

-- metrics.apply_event applies one event of the log to the facts and marks
-- the days it changed. Events about an appointment or visit metrics never
-- saw booked or issued (older than the log's retention) change nothing.
-- Events before 0011 carry no time_zone: Europe/Paris.
CREATE FUNCTION metrics.apply_event(p_type text, p_site bigint, p_time timestamptz, p jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_tz text := coalesce(nullif(p->>'time_zone', ''), 'Europe/Paris');
  v_a metrics.appointments;
  v_v metrics.visits;
  v_id bigint;
BEGIN
  IF p_type = 'appointment.booked' THEN
    INSERT INTO metrics.appointments (appointment_id, site_id, desk_id, time_zone, channel,
      rebooked, booked_time, booked_date, first_start_time, start_time, start_date, status)
    VALUES ((p->>'appointment')::bigint, (p->>'site')::bigint, (p->>'desk')::bigint, v_tz,
      coalesce(p->>'channel', ''), coalesce((p->>'rebooked_from')::bigint, 0) <> 0,
      p_time, metrics.local_date(p_time, v_tz), (p->>'start_time')::timestamptz,
      (p->>'start_time')::timestamptz, metrics.local_date((p->>'start_time')::timestamptz, v_tz),
      'booked')
    ON CONFLICT (appointment_id) DO NOTHING
    RETURNING * INTO v_a;
    IF FOUND THEN
      PERFORM metrics.mark_dirty(v_a.site_id, ARRAY[v_a.desk_id],
                                 ARRAY[v_a.booked_date, v_a.start_date]);
    END IF;
  ELSIF p_type LIKE 'appointment.%' THEN
    SELECT * INTO v_a FROM metrics.appointments
    WHERE appointment_id = (p->>'appointment')::bigint FOR UPDATE;
    IF NOT FOUND THEN RETURN; END IF;
    PERFORM metrics.mark_dirty(v_a.site_id, ARRAY[v_a.desk_id], ARRAY[v_a.start_date]);
    IF p_type = 'appointment.rescheduled' THEN
      UPDATE metrics.appointments SET start_time = (p->>'start_time')::timestamptz,
        start_date = metrics.local_date((p->>'start_time')::timestamptz, time_zone)
      WHERE appointment_id = v_a.appointment_id RETURNING * INTO v_a;
      PERFORM metrics.mark_dirty(v_a.site_id, ARRAY[v_a.desk_id], ARRAY[v_a.start_date]);
    ELSIF p_type = 'appointment.cancelled' THEN
      UPDATE metrics.appointments SET status = 'cancelled', cancel_time = p_time,
        cancel_cause = coalesce(p->>'cause', '')
      WHERE appointment_id = v_a.appointment_id;
    ELSIF p_type = 'appointment.noshow' THEN
      UPDATE metrics.appointments SET status = 'noshow'
      WHERE appointment_id = v_a.appointment_id;
    ELSIF p_type = 'appointment.arrived' THEN
      UPDATE metrics.appointments SET status = 'arrived',
        arrival_time = coalesce(arrival_time, p_time),
        late = late OR coalesce((p->>'late')::boolean, false),
        noshow_undone = noshow_undone OR coalesce((p->>'undid_noshow')::boolean, false)
      WHERE appointment_id = v_a.appointment_id;
    ELSIF p_type IN ('appointment.in_service', 'appointment.fulfilled',
                     'appointment.not_served') THEN
      UPDATE metrics.appointments SET status = substr(p_type, 13),
        arrival_time = coalesce(arrival_time, p_time)
      WHERE appointment_id = v_a.appointment_id;
    END IF;
  ELSIF p_type LIKE 'visit.%' THEN
    v_id := (p->>'visit')::bigint;
    SELECT * INTO v_v FROM metrics.visits WHERE visit_id = v_id FOR UPDATE;
    IF FOUND THEN
      PERFORM metrics.mark_dirty(v_v.site_id,
        ARRAY[v_v.desk_id, v_v.called_desk_id, v_v.served_desk_id], ARRAY[v_v.arrival_date]);
    END IF;
    INSERT INTO metrics.visits AS v (visit_id, site_id, desk_id, kind, arrival_time,
      arrival_date, first_called_time, called_desk_id, start_time, served_desk_id,
      finish_time, status, outcome)
    VALUES (v_id, p_site, (p->>'desk')::bigint, p->>'kind', (p->>'arrival_time')::timestamptz,
      metrics.local_date((p->>'arrival_time')::timestamptz, v_tz),
      (p->>'called_time')::timestamptz,
      CASE WHEN p ? 'called_time' THEN (p->>'desk')::bigint END,
      (p->>'start_time')::timestamptz,
      CASE WHEN p ? 'start_time' THEN (p->>'desk')::bigint END,
      (p->>'finish_time')::timestamptz, p->>'status', p->>'outcome')
    ON CONFLICT (visit_id) DO UPDATE SET
      desk_id = excluded.desk_id,
      first_called_time = coalesce(v.first_called_time, excluded.first_called_time),
      called_desk_id = coalesce(v.called_desk_id, excluded.called_desk_id),
      start_time = coalesce(v.start_time, excluded.start_time),
      served_desk_id = coalesce(v.served_desk_id, excluded.served_desk_id),
      finish_time = excluded.finish_time,
      status = excluded.status,
      outcome = excluded.outcome
    RETURNING * INTO v_v;
    PERFORM metrics.mark_dirty(v_v.site_id,
      ARRAY[v_v.desk_id, v_v.called_desk_id, v_v.served_desk_id], ARRAY[v_v.arrival_date]);
  ELSIF p_type = 'walk_in.registered' THEN
    INSERT INTO metrics.walk_ins (walk_in_id, site_id, desk_id, outcome, local_date, local_hour)
    VALUES ((p->>'walk_in')::bigint, p_site, coalesce((p->>'desk')::bigint, 0), p->>'outcome',
      (p->>'local_date')::date, extract(hour FROM p_time AT TIME ZONE v_tz)::integer)
    ON CONFLICT (walk_in_id) DO NOTHING;
    PERFORM metrics.mark_dirty(p_site, ARRAY[coalesce((p->>'desk')::bigint, 0)],
                               ARRAY[(p->>'local_date')::date]);
  END IF;
END $$;

-- metrics.apply_events applies a batch, `[{"type", "site", "time",
-- "payload"}, ...]` in log order, then rolls up the days it touched.
CREATE FUNCTION metrics.apply_events(p_events jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  e jsonb;
BEGIN
  FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    PERFORM metrics.apply_event(e->>'type', (e->>'site')::bigint,
                                (e->>'time')::timestamptz, e->'payload');
  END LOOP;
  RETURN metrics.roll_dirty();
END $$;

-- A site's objective for an indicator (docs/indicators.md#objectives).
CREATE TABLE metrics.objectives (
  site_id     bigint NOT NULL,
  indicator   text NOT NULL CHECK (indicator ~ '^[a-z0-9_]{1,60}$'),
  value       numeric NOT NULL CHECK (value >= 0),
  direction   text NOT NULL CHECK (direction IN ('at_most', 'at_least')),
  update_time timestamptz NOT NULL,
  PRIMARY KEY (site_id, indicator)
);
