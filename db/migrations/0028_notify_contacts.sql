-- Notify: what it knows of a person's contacts (docs/notify.md#opt-out):
-- the channels they stopped, and the addresses and numbers that bounce.
--
-- A contact is its keyed hash (person_key.h: HMAC "person-key" of the E.164
-- phone or the lower-cased e-mail), never the contact itself. Rows are
-- found under every key of the ring; one found under an older key moves to
-- the signing key when next written (notify holds no contact to rekey
-- with). The retention purge deletes a row unused for the history horizon;
-- a person's erasure deletes theirs.
CREATE TABLE notify.contacts (
  contact_key     bytea NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
  -- Set: the person stopped the messages they did not ask for.
  opted_out_time  timestamptz,
  -- Set: the provider refused it for good, or reported a message
  -- undelivered; cleared by a later delivery.
  bounce_time     timestamptz,
  bounce_reason   text,
  update_time     timestamptz NOT NULL,
  PRIMARY KEY (contact_key, channel),
  CHECK ((bounce_time IS NULL) = (bounce_reason IS NULL))
);
CREATE INDEX contacts_purge ON notify.contacts (update_time);
