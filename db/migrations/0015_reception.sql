-- Reception (services/reception, docs/reception.md): the visit (ticket,
-- queue, calls, counter, service times, outcome), counters, per-desk
-- reception settings, walk-ins, the reception day of each desk.
--
-- No personal data: a visit names its appointment by id only. Desks and
-- sites are booking's ids; reception learns a desk's site from booking and
-- keeps it in its own rows (it never reads booking's schema).
CREATE SCHEMA reception;

-- Settings per desk. A desk has a row from its first use; the prefix of a new
-- row is the first letter no other desk of the site uses.
CREATE TABLE reception.desk_settings (
  desk_id        bigint PRIMARY KEY,
  site_id        bigint NOT NULL,
  ticket_prefix  text NOT NULL CHECK (ticket_prefix ~ '^[A-Z]{1,2}$'),
  recall_count   integer NOT NULL DEFAULT 2 CHECK (recall_count BETWEEN 0 AND 5),
  priority_first boolean NOT NULL DEFAULT true,
  closing_time   time NOT NULL DEFAULT '18:00',
  update_time    timestamptz NOT NULL,
  UNIQUE (site_id, ticket_prefix)
);

CREATE TABLE reception.counters (
  id           bigserial PRIMARY KEY,
  site_id      bigint NOT NULL,
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 40),
  desk_ids     bigint[] NOT NULL CHECK (cardinality(desk_ids) BETWEEN 1 AND 20),
  create_time  timestamptz NOT NULL,
  UNIQUE (site_id, display_name)
);

-- A counter open on a day, for some of its desks. Closing keeps the row.
CREATE TABLE reception.counter_days (
  counter_id  bigint NOT NULL REFERENCES reception.counters,
  local_date  date NOT NULL,
  desk_ids    bigint[] NOT NULL CHECK (cardinality(desk_ids) >= 1),
  open_time   timestamptz NOT NULL,
  close_time  timestamptz,
  PRIMARY KEY (counter_id, local_date)
);

-- The reception day of a desk: it exists once a ticket was issued or a
-- counter opened for the desk that day (the no-show sweep runs only there),
-- holds the ticket counter, and says whether and how the day closed.
CREATE TABLE reception.desk_days (
  desk_id      bigint NOT NULL,
  local_date   date NOT NULL,
  site_id      bigint NOT NULL,
  open_time    timestamptz NOT NULL,
  last_ticket  integer NOT NULL DEFAULT 0 CHECK (last_ticket BETWEEN 0 AND 999),
  close_time   timestamptz,
  closed_by    text CHECK (closed_by IN ('agent', 'automatic')),
  -- The day worker (day_worker.h): a committed lease while it works on the
  -- day (replicas skip it), and when it last asked booking for no-shows.
  lease_until  timestamptz,
  swept_time   timestamptz,
  CHECK ((close_time IS NULL) = (closed_by IS NULL)),
  PRIMARY KEY (desk_id, local_date)
);
CREATE INDEX desk_days_lease ON reception.desk_days (local_date, lease_until);

CREATE TABLE reception.visits (
  id             bigserial PRIMARY KEY,
  site_id        bigint NOT NULL,
  desk_id        bigint NOT NULL,
  local_date     date NOT NULL,
  ticket_number  integer NOT NULL CHECK (ticket_number BETWEEN 1 AND 999),
  ticket         text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('appointment', 'walk_in')),
  appointment_id bigint,
  status         text NOT NULL CHECK (status IN ('waiting', 'called', 'in_service', 'done',
                                                 'missed', 'left', 'sent_away')),
  priority       boolean NOT NULL,
  late           boolean NOT NULL DEFAULT false,
  arrival_time   timestamptz NOT NULL,
  -- Queue order: the appointment's start, the arrival for a walk-in.
  due_time       timestamptz NOT NULL,
  counter_id     bigint REFERENCES reception.counters,
  call_count     integer NOT NULL DEFAULT 0 CHECK (call_count >= 0),
  called_time    timestamptz,
  start_time     timestamptz,
  finish_time    timestamptz,
  outcome        text CHECK (outcome IN ('served', 'file_incomplete', 'redirected')),
  update_time    timestamptz NOT NULL,
  FOREIGN KEY (desk_id, local_date) REFERENCES reception.desk_days,
  CHECK ((kind = 'appointment') = (appointment_id IS NOT NULL)),
  CHECK ((status = 'done') = (outcome IS NOT NULL)),
  CHECK (status NOT IN ('called', 'in_service') OR (counter_id IS NOT NULL AND call_count > 0)),
  CHECK (status <> 'in_service' OR start_time IS NOT NULL),
  CHECK ((status IN ('done', 'missed', 'left', 'sent_away')) = (finish_time IS NOT NULL)),
  UNIQUE (desk_id, local_date, ticket_number)
);
-- One visit per appointment (a retry, or the reconciliation, finds it).
CREATE UNIQUE INDEX visits_appointment ON reception.visits (appointment_id)
  WHERE appointment_id IS NOT NULL;
-- A counter calls or serves one person at a time.
CREATE UNIQUE INDEX visits_one_per_counter ON reception.visits (counter_id)
  WHERE status IN ('called', 'in_service');
-- The queue, in call order.
CREATE INDEX visits_queue ON reception.visits (desk_id, local_date, (NOT priority), due_time,
  arrival_time, id) WHERE status = 'waiting';
CREATE INDEX visits_site_day ON reception.visits (site_id, local_date);

-- People without an appointment. `reason` is free text the agent is told to
-- keep free of personal data; the retention purge empties it anyway.
CREATE TABLE reception.walk_ins (
  id          bigserial PRIMARY KEY,
  site_id     bigint NOT NULL,
  desk_id     bigint,
  local_date  date NOT NULL,
  reason      text NOT NULL CHECK (char_length(reason) <= 200),
  outcome     text NOT NULL CHECK (outcome IN ('informed', 'oriented', 'booked_on_the_spot',
                                                'served_today')),
  visit_id    bigint REFERENCES reception.visits,
  create_time timestamptz NOT NULL,
  CHECK ((outcome = 'served_today') = (visit_id IS NOT NULL))
);
CREATE INDEX walk_ins_time ON reception.walk_ins (create_time);

-- The numbered changes of each site's queue (WatchQueue): every change
-- takes the next number under the row's lock and notifies
-- `reception_queue` in the same transaction, so that NOTIFYs arrive in
-- number order and a watcher that sees a gap knows it missed one.
CREATE TABLE reception.site_queues (
  site_id  bigint PRIMARY KEY,
  sequence bigint NOT NULL DEFAULT 0
);

-- reception.queue_changed: the next number of the site's queue, notified
-- with `p_change` (ticket numbers only, never names).
CREATE FUNCTION reception.queue_changed(p_site bigint, p_change jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint;
BEGIN
  INSERT INTO reception.site_queues AS q (site_id, sequence) VALUES (p_site, 1)
  ON CONFLICT (site_id) DO UPDATE SET sequence = q.sequence + 1
  RETURNING sequence INTO v_seq;
  PERFORM pg_notify('reception_queue',
                    (p_change || jsonb_build_object('site', p_site, 'sequence', v_seq))::text);
  RETURN v_seq;
END $$;

-- reception.desk_settings_of: the desk's settings row, created with the
-- defaults and a free prefix on first use.
CREATE FUNCTION reception.desk_settings_of(p_desk bigint, p_site bigint, p_now timestamptz)
RETURNS reception.desk_settings LANGUAGE plpgsql AS $$
DECLARE
  v reception.desk_settings;
  v_prefix text;
BEGIN
  SELECT * INTO v FROM reception.desk_settings WHERE desk_id = p_desk;
  IF FOUND THEN
    IF v.site_id <> p_site THEN
      PERFORM shared.raise('AC404', 'DESK_NOT_FOUND', 'desk', 'no such desk at this site');
    END IF;
    RETURN v;
  END IF;
  -- Serialise first uses within a site so that two desks never draw one prefix.
  PERFORM pg_advisory_xact_lock(hashtext('reception.desk_settings'), p_site::integer);
  SELECT chr(65 + n) INTO v_prefix FROM generate_series(0, 25) AS n
  WHERE chr(65 + n) NOT IN (SELECT ticket_prefix FROM reception.desk_settings WHERE site_id = p_site)
  ORDER BY n LIMIT 1;
  IF v_prefix IS NULL THEN
    v_prefix := 'Z' || chr(65 + (p_desk % 26)::integer);
  END IF;
  INSERT INTO reception.desk_settings (desk_id, site_id, ticket_prefix, update_time)
  VALUES (p_desk, p_site, v_prefix, p_now)
  ON CONFLICT (desk_id) DO NOTHING;
  SELECT * INTO v FROM reception.desk_settings WHERE desk_id = p_desk;
  RETURN v;
END $$;

-- A visit as the service returns it: times in microseconds, the counter's
-- name, and for a waiting visit the people ahead of it in its desk's queue
-- (call order: priority first, then due time, arrival, id).
CREATE VIEW reception.visit_details AS
SELECT v.id, v.site_id, v.desk_id, v.local_date, v.ticket, v.kind, v.appointment_id, v.status,
       v.priority, v.late, v.counter_id, coalesce(c.display_name, '') AS counter_display_name,
       v.call_count, v.outcome,
       (extract(epoch FROM v.arrival_time) * 1000000)::bigint AS arrival_micros,
       (extract(epoch FROM v.due_time) * 1000000)::bigint AS due_micros,
       (extract(epoch FROM v.called_time) * 1000000)::bigint AS called_micros,
       (extract(epoch FROM v.start_time) * 1000000)::bigint AS start_micros,
       (extract(epoch FROM v.finish_time) * 1000000)::bigint AS finish_micros,
       CASE WHEN v.status = 'waiting' THEN
         (SELECT count(*) FROM reception.visits w
          WHERE w.desk_id = v.desk_id AND w.local_date = v.local_date AND w.status = 'waiting'
            AND (NOT w.priority, w.due_time, w.arrival_time, w.id)
              < (NOT v.priority, v.due_time, v.arrival_time, v.id))
       ELSE 0 END AS position
FROM reception.visits v LEFT JOIN reception.counters c ON c.id = v.counter_id;
