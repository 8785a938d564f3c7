-- A desk's own text of an agents' notice (docs/notify.md#notice-templates),
-- per language and channel; without a row the built-in template is used.
-- Checked by notify before it is written (it parses, fits its channel).
CREATE TABLE notify.notice_texts (
  desk_id      bigint NOT NULL,
  site_id      bigint NOT NULL,
  template     text NOT NULL
               CHECK (template IN ('convocation', 'documents_missing', 'permit_ready')),
  language     text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
  channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
  body         text NOT NULL CHECK (octet_length(body) BETWEEN 1 AND 4000),
  update_time  timestamptz NOT NULL,
  PRIMARY KEY (desk_id, template, language, channel)
);
