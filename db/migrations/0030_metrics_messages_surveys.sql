-- Metrics: notify's facts (docs/indicators.md): the outcome of each message
-- (message.delivered, message.failed) and each satisfaction survey answered
-- (survey.answered), with their measures:
--   reminders.email_sent, reminders.sms_sent        a reminder's outcome
--                                                   known (delivered or not);
--   reminders.email_delivered, reminders.sms_delivered  of which delivered;
--   survey.delay, survey.courtesy, survey.availability, survey.clarity,
--   survey.comfort, survey.overall                  an item's score (1-4).
-- Both facts are final when they come: inserted, never updated (a message
-- has one outcome; a survey is answered once). Only reminders' outcomes are
-- kept: no indicator counts the others (one insert saved per message).

ALTER TABLE metrics.measures DROP CONSTRAINT measures_unit_check;
ALTER TABLE metrics.measures ADD CONSTRAINT measures_unit_check
  CHECK (unit IN ('count', 'seconds', 'hour', 'score'));
INSERT INTO metrics.measures (measure, unit, bounds) VALUES
  ('reminders.email_sent', 'count', '{}'),
  ('reminders.email_delivered', 'count', '{}'),
  ('reminders.sms_sent', 'count', '{}'),
  ('reminders.sms_delivered', 'count', '{}'),
  -- Scores 1 to 4: one bucket each.
  ('survey.delay', 'score', '{2,3,4}'),
  ('survey.courtesy', 'score', '{2,3,4}'),
  ('survey.availability', 'score', '{2,3,4}'),
  ('survey.clarity', 'score', '{2,3,4}'),
  ('survey.comfort', 'score', '{2,3,4}'),
  ('survey.overall', 'score', '{2,3,4}');

-- A message's outcome, on the local day it became known.
CREATE TABLE metrics.message_outcomes (
  message_id  bigint PRIMARY KEY,
  site_id     bigint NOT NULL,
  desk_id     bigint NOT NULL,
  local_date  date NOT NULL,
  template    text NOT NULL,
  channel     text NOT NULL,
  delivered   boolean NOT NULL
);
CREATE INDEX ON metrics.message_outcomes (site_id, desk_id, local_date);

-- A survey's answers (0: not answered), on the local day of the answer.
-- Nothing links an answer to a person or an appointment.
CREATE TABLE metrics.survey_answers (
  answer_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id       bigint NOT NULL,
  desk_id       bigint NOT NULL,
  local_date    date NOT NULL,
  delay         smallint NOT NULL CHECK (delay BETWEEN 0 AND 4),
  courtesy      smallint NOT NULL CHECK (courtesy BETWEEN 0 AND 4),
  availability  smallint NOT NULL CHECK (availability BETWEEN 0 AND 4),
  clarity       smallint NOT NULL CHECK (clarity BETWEEN 0 AND 4),
  comfort       smallint NOT NULL CHECK (comfort BETWEEN 0 AND 4),
  overall       smallint NOT NULL CHECK (overall BETWEEN 0 AND 4)
);
CREATE INDEX ON metrics.survey_answers (site_id, desk_id, local_date);

CREATE FUNCTION metrics.message_outcome_observations(m metrics.message_outcomes)
RETURNS SETOF metrics.observation LANGUAGE sql STABLE AS $$
  SELECT m.site_id, m.desk_id, m.local_date, o.measure, 1.0
  FROM (VALUES ('reminders.' || m.channel || '_sent', true),
               ('reminders.' || m.channel || '_delivered', m.delivered)) AS o(measure, holds)
  WHERE m.template = 'reminder' AND o.holds
$$;

CREATE FUNCTION metrics.survey_answer_observations(a metrics.survey_answers)
RETURNS SETOF metrics.observation LANGUAGE sql STABLE AS $$
  SELECT a.site_id, a.desk_id, a.local_date, 'survey.' || o.item, o.score::numeric
  FROM (VALUES ('delay', a.delay), ('courtesy', a.courtesy),
               ('availability', a.availability), ('clarity', a.clarity),
               ('comfort', a.comfort), ('overall', a.overall)) AS o(item, score)
  WHERE o.score > 0
$$;

CREATE OR REPLACE VIEW metrics.observations AS
  SELECT o.* FROM metrics.appointments a, metrics.appointment_observations(a) o
  UNION ALL SELECT o.* FROM metrics.visits v, metrics.visit_observations(v) o
  UNION ALL SELECT o.* FROM metrics.walk_ins w, metrics.walk_in_observations(w) o
  UNION ALL SELECT o.* FROM metrics.next_free_slots s, metrics.next_free_observations(s) o
  UNION ALL SELECT o.* FROM metrics.message_outcomes m, metrics.message_outcome_observations(m) o
  UNION ALL SELECT o.* FROM metrics.survey_answers a, metrics.survey_answer_observations(a) o;

-- The batch's notify events: new facts, their observations added.
CREATE FUNCTION metrics.apply_notify_events(p_events jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_added metrics.observation[];
BEGIN
  WITH m AS (
    INSERT INTO metrics.message_outcomes (message_id, site_id, desk_id, local_date, template,
                                          channel, delivered)
    SELECT DISTINCT ON ((payload->>'message')::bigint) (payload->>'message')::bigint, site_id,
      coalesce((payload->>'desk')::bigint, 0), metrics.local_date(occurred_time, time_zone),
      payload->>'template', payload->>'channel', type = 'message.delivered'
    FROM metrics.batch_events(p_events, 'message.')
    WHERE payload->>'template' = 'reminder'
    ORDER BY (payload->>'message')::bigint, n
    ON CONFLICT (message_id) DO NOTHING
    RETURNING *),
  a AS (
    INSERT INTO metrics.survey_answers (site_id, desk_id, local_date, delay, courtesy,
                                        availability, clarity, comfort, overall)
    SELECT site_id, coalesce((payload->>'desk')::bigint, 0),
      metrics.local_date(occurred_time, time_zone),
      coalesce((payload->>'delay')::smallint, 0), coalesce((payload->>'courtesy')::smallint, 0),
      coalesce((payload->>'availability')::smallint, 0),
      coalesce((payload->>'clarity')::smallint, 0), coalesce((payload->>'comfort')::smallint, 0),
      coalesce((payload->>'overall')::smallint, 0)
    FROM metrics.batch_events(p_events, 'survey.') WHERE type = 'survey.answered'
    RETURNING *)
  SELECT ARRAY(
    SELECT o FROM m, metrics.message_outcome_observations(ROW(m.message_id, m.site_id,
      m.desk_id, m.local_date, m.template, m.channel, m.delivered)::metrics.message_outcomes) o
    UNION ALL
    SELECT o FROM a, metrics.survey_answer_observations(ROW(a.answer_id, a.site_id, a.desk_id,
      a.local_date, a.delay, a.courtesy, a.availability, a.clarity, a.comfort,
      a.overall)::metrics.survey_answers) o)
  INTO v_added;
  PERFORM metrics.add_observations('{}', v_added);
END $$;

CREATE OR REPLACE FUNCTION metrics.apply_events(p_events jsonb) RETURNS integer
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
  -- Notify's facts are new ones only: their observations are added.
  PERFORM metrics.apply_notify_events(p_events);
  RETURN cardinality(v_appointments) + cardinality(v_visits) + cardinality(v_walk_ins);
END $$;

-- The backfill (services/metrics/backfill.cc) rebuilds notify's facts from
-- the log after metrics.rebuild_facts, before the rollups.
CREATE FUNCTION metrics.rebuild_notify_facts(p_txid xid8, p_position bigint,
  OUT message_facts bigint, OUT survey_facts bigint)
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE metrics.message_outcomes, metrics.survey_answers;
  INSERT INTO metrics.message_outcomes (message_id, site_id, desk_id, local_date, template,
                                        channel, delivered)
  SELECT DISTINCT ON ((l.payload->>'message')::bigint) (l.payload->>'message')::bigint,
    coalesce(l.site_id, 0), coalesce((l.payload->>'desk')::bigint, 0),
    metrics.local_date(l.occurred_time,
                       coalesce(nullif(l.payload->>'time_zone', ''), 'Europe/Paris')),
    l.payload->>'template', l.payload->>'channel', l.type = 'message.delivered'
  FROM events.log l
  WHERE (l.txid, l.position) <= (p_txid, p_position)
    AND l.type IN ('message.delivered', 'message.failed') AND l.payload->>'template' = 'reminder'
  ORDER BY (l.payload->>'message')::bigint, l.txid, l.position;
  GET DIAGNOSTICS message_facts = ROW_COUNT;
  INSERT INTO metrics.survey_answers (site_id, desk_id, local_date, delay, courtesy,
                                      availability, clarity, comfort, overall)
  SELECT coalesce(l.site_id, 0), coalesce((l.payload->>'desk')::bigint, 0),
    metrics.local_date(l.occurred_time,
                       coalesce(nullif(l.payload->>'time_zone', ''), 'Europe/Paris')),
    coalesce((l.payload->>'delay')::smallint, 0), coalesce((l.payload->>'courtesy')::smallint, 0),
    coalesce((l.payload->>'availability')::smallint, 0),
    coalesce((l.payload->>'clarity')::smallint, 0), coalesce((l.payload->>'comfort')::smallint, 0),
    coalesce((l.payload->>'overall')::smallint, 0)
  FROM events.log l
  WHERE (l.txid, l.position) <= (p_txid, p_position) AND l.type = 'survey.answered'
  ORDER BY l.txid, l.position;
  GET DIAGNOSTICS survey_facts = ROW_COUNT;
  ANALYZE metrics.message_outcomes, metrics.survey_answers;
END $$;
