-- Notify (services/notify, docs/notify.md): the messages sent to people about
-- their appointments (confirmations, reminders, cancellations, moves), as an
-- outbox decided from the event log and worked by the senders.
--
-- No contact and no rendered body is stored: a message names its
-- appointment, template, channel and language; the sender asks booking for
-- the contact and the management details at send time and renders then (a
-- body would hold the access code). What a provider answered may quote an
-- address, so `attempts.detail` is personal data: messages and their
-- attempts are deleted with the appointment's personal data (retention
-- purge, erasure).
CREATE SCHEMA notify;

-- Reminder offsets per desk; a desk without a row has the defaults.
CREATE TABLE notify.desk_settings (
  desk_id          bigint PRIMARY KEY,
  site_id          bigint NOT NULL,
  -- E-mail reminder this long before the start; null: none.
  email_before     interval DEFAULT '48 hours'
                   CHECK (email_before BETWEEN '1 hour' AND '14 days'),
  -- SMS reminder this many days before, at this local time; null: none.
  sms_days_before  integer DEFAULT 1 CHECK (sms_days_before BETWEEN 0 AND 7),
  sms_local_time   time NOT NULL DEFAULT '10:00'
                   CHECK (sms_local_time BETWEEN '08:00' AND '19:59'),
  update_time      timestamptz NOT NULL
);

CREATE TABLE notify.messages (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  appointment_id  bigint NOT NULL,
  site_id         bigint NOT NULL,
  desk_id         bigint NOT NULL,
  -- What the message says (its template's name).
  template        text NOT NULL CHECK (template IN ('confirmation', 'reminder',
                    'cancellation', 'closure', 'move', 'noshow')),
  channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
  -- The appointment's start when decided (a move replaces the message), and
  -- its end: the purge's horizon.
  start_time      timestamptz NOT NULL,
  end_time        timestamptz NOT NULL,
  -- The event that decided it: one message per event, template and channel
  -- whatever the number of times the batch is applied.
  decided_by      text NOT NULL,
  create_time     timestamptz NOT NULL,
  -- Not sent before; a reminder is not sent after `start_time`.
  due_time        timestamptz NOT NULL,
  --   pending    waits for due_time (or for a retry);
  --   sending    claimed by a sender until lease_until (then claimable again:
  --              a sender that died mid-send may have sent it, the only case
  --              of a duplicate);
  --   accepted   the provider took it; delivered: a delivery report said so;
  --   failed     the provider refused it or retries ran out (dead letter);
  --   withdrawn  the appointment changed before it went (cancelled, moved,
  --              arrived, ...);
  --   dropped    too late (the appointment started or is no longer booked
  --              when its turn came), or nobody to send it to (no contact
  --              on this channel).
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending',
                    'accepted', 'delivered', 'failed', 'withdrawn', 'dropped')),
  lease_until     timestamptz,
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- The language it was rendered in (the person's, or French); set at send.
  language        text,
  -- Machine-readable: why it failed, was dropped or withdrawn.
  reason          text,
  -- The provider's id of the message (SMS), for its delivery report.
  provider_id     text,
  update_time     timestamptz NOT NULL,
  CHECK ((state = 'sending') = (lease_until IS NOT NULL)),
  UNIQUE (decided_by, template, channel)
);
-- The senders' claim: due pending messages, and expired leases.
CREATE INDEX messages_due ON notify.messages (due_time) WHERE state = 'pending';
CREATE INDEX messages_leased ON notify.messages (lease_until) WHERE state = 'sending';
CREATE INDEX messages_appointment ON notify.messages (appointment_id);
CREATE INDEX messages_purge ON notify.messages (end_time);

-- Every try at handing a message to its provider.
CREATE TABLE notify.attempts (
  message_id   bigint NOT NULL REFERENCES notify.messages ON DELETE CASCADE,
  attempt      integer NOT NULL CHECK (attempt >= 1),
  start_time   timestamptz NOT NULL,
  finish_time  timestamptz NOT NULL,
  --   accepted, retry (temporary failure: tried again later), failed
  --   (permanent), dropped (not sent: too late, no contact).
  outcome      text NOT NULL CHECK (outcome IN ('accepted', 'retry', 'failed', 'dropped')),
  -- What the provider answered, shortened; may quote an address.
  detail       text NOT NULL DEFAULT '',
  PRIMARY KEY (message_id, attempt)
);
