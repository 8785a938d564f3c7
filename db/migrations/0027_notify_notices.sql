-- Notify: agents' notices (SendNotice) and lost-access requests
-- (ResendAccess), docs/notify.md#notices and #lost-access.
--
-- A notice is a message like the others, decided by the agent's request
-- (`decided_by` = 'notice:<request id>') instead of an event.
ALTER TABLE notify.messages DROP CONSTRAINT messages_template_check;
ALTER TABLE notify.messages ADD CONSTRAINT messages_template_check
  CHECK (template IN ('confirmation', 'reminder', 'cancellation', 'closure', 'move', 'noshow',
                      'convocation', 'documents_missing', 'permit_ready', 'access'));
-- The caps on lost-access messages count an appointment's recent ones.
CREATE INDEX messages_access ON notify.messages (appointment_id, create_time)
  WHERE template = 'access';

-- Lost-access requests, queued as they come (the answer must not depend on
-- whether anything is found) and worked by the senders: booking is asked
-- for the coming appointments with that reference, phone or e-mail, and
-- an 'access' message is decided for each (`decided_by` = 'access:<id>').
--
-- `value` is what the person typed, normalised: personal data, emptied as
-- soon as the request is worked. `value_key` (HMAC "person-key" of the
-- value, person_key.h) stays a day so that the requests for one contact
-- can be capped; nothing of it is kept longer (the retention purge deletes
-- worked requests after a day, and any request after the personal-data
-- horizon).
CREATE TABLE notify.access_requests (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('reference', 'phone', 'email')),
  value        text,
  value_key    bytea NOT NULL,
  create_time  timestamptz NOT NULL,
  -- Set once worked (then `value` is null), with how many messages it made.
  worked_time  timestamptz,
  messages     integer,
  CHECK ((worked_time IS NULL) = (value IS NOT NULL))
);
CREATE INDEX access_requests_pending ON notify.access_requests (id) WHERE worked_time IS NULL;
CREATE INDEX access_requests_key ON notify.access_requests (value_key, create_time);
