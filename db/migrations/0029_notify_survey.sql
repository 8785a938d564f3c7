-- Notify: the satisfaction survey after a fulfilled visit
-- (docs/notify.md#survey), and the events of messages' outcomes.
ALTER TABLE notify.messages DROP CONSTRAINT messages_template_check;
ALTER TABLE notify.messages ADD CONSTRAINT messages_template_check
  CHECK (template IN ('confirmation', 'reminder', 'cancellation', 'closure', 'move', 'noshow',
                      'convocation', 'documents_missing', 'permit_ready', 'access', 'survey'));
-- A survey's answer was taken: its link is single-use.
ALTER TABLE notify.messages ADD COLUMN answer_time timestamptz;
ALTER TABLE notify.messages ADD CONSTRAINT messages_answer_check
  CHECK (answer_time IS NULL OR template = 'survey');

-- The answers, without the message, the appointment or anything that names
-- the person: the site, the desk, the local day of the answer, the scores. The comment is free text and may name someone: the
-- retention purge empties it with the personal data.
CREATE TABLE notify.survey_responses (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id       bigint NOT NULL,
  desk_id       bigint NOT NULL,
  local_date    date NOT NULL,
  delay         smallint CHECK (delay BETWEEN 1 AND 4),
  courtesy      smallint CHECK (courtesy BETWEEN 1 AND 4),
  availability  smallint CHECK (availability BETWEEN 1 AND 4),
  clarity       smallint CHECK (clarity BETWEEN 1 AND 4),
  comfort       smallint CHECK (comfort BETWEEN 1 AND 4),
  overall       smallint CHECK (overall BETWEEN 1 AND 4),
  comment       text CHECK (char_length(comment) <= 1000),
  create_time   timestamptz NOT NULL,
  CHECK (num_nonnulls(delay, courtesy, availability, clarity, comfort, overall) > 0)
);
CREATE INDEX survey_responses_site ON notify.survey_responses (site_id, local_date);
CREATE INDEX survey_responses_purge ON notify.survey_responses (create_time)
  WHERE comment IS NOT NULL;
