-- Metrics (docs/indicators.md): manual indicators, the published report and
-- its restatements.

-- Values the officer enters for indicators the system cannot record.
CREATE TABLE metrics.manual_values (
  site_id     bigint NOT NULL,
  month       date NOT NULL CHECK (extract(day FROM month) = 1),
  indicator   text NOT NULL CHECK (indicator ~ '^[a-z0-9_]{1,60}$'),
  value       double precision NOT NULL CHECK (value >= 0 AND value < 'Infinity'),
  update_time timestamptz NOT NULL,
  PRIMARY KEY (site_id, month, indicator)
);

-- A published month: its values are frozen in published_values; publishing
-- it again records a restatement for each value that changed, never a silent
-- change.
CREATE TABLE metrics.published_months (
  site_id            bigint NOT NULL,
  month              date NOT NULL CHECK (extract(day FROM month) = 1),
  first_publish_time timestamptz NOT NULL,
  publish_time       timestamptz NOT NULL CHECK (publish_time >= first_publish_time),
  -- How many times it was published (1: once).
  publications       integer NOT NULL DEFAULT 1 CHECK (publications >= 1),
  PRIMARY KEY (site_id, month)
);

CREATE TABLE metrics.published_values (
  site_id    bigint NOT NULL,
  month      date NOT NULL,
  indicator  text NOT NULL,
  value      double precision,  -- NULL: nothing observed
  count      bigint NOT NULL CHECK (count >= 0),
  -- The objective when published (NULL: none).
  objective  double precision,
  direction  text CHECK (direction IN ('at_most', 'at_least')),
  PRIMARY KEY (site_id, month, indicator),
  FOREIGN KEY (site_id, month) REFERENCES metrics.published_months
);

CREATE TABLE metrics.restatements (
  id           bigserial PRIMARY KEY,
  site_id      bigint NOT NULL,
  month        date NOT NULL,
  indicator    text NOT NULL,
  old_value    double precision,
  new_value    double precision,
  restate_time timestamptz NOT NULL,
  -- The publication that recorded it (published_months.publications).
  publication  integer NOT NULL CHECK (publication >= 2),
  reason       text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
  CHECK (old_value IS DISTINCT FROM new_value),
  FOREIGN KEY (site_id, month) REFERENCES metrics.published_months
);
CREATE INDEX ON metrics.restatements (site_id, month);
