-- Notify: attendance confirmation (docs/notify.md#attendance). Optional per
-- desk, off by default: a person with at least `confirm_after_noshows`
-- no-shows at the site (booking's window) is asked to confirm; without a
-- confirmation `confirm_before` the start, the appointment is released
-- (booking's ReleaseUnconfirmed: cancelled, cause not_confirmed).
ALTER TABLE notify.desk_settings
  ADD COLUMN confirm_after_noshows integer CHECK (confirm_after_noshows BETWEEN 1 AND 10),
  ADD COLUMN confirm_before interval NOT NULL DEFAULT '48 hours'
    CHECK (confirm_before BETWEEN '1 hour' AND '7 days');

ALTER TABLE notify.messages DROP CONSTRAINT messages_template_check;
ALTER TABLE notify.messages ADD CONSTRAINT messages_template_check
  CHECK (template IN ('confirmation', 'reminder', 'cancellation', 'closure', 'move', 'noshow',
                      'convocation', 'documents_missing', 'permit_ready', 'access', 'survey',
                      'attendance'));
ALTER TABLE notify.messages DROP CONSTRAINT messages_answer_check;
ALTER TABLE notify.messages ADD CONSTRAINT messages_answer_check
  CHECK (answer_time IS NULL OR template IN ('survey', 'attendance'));
-- An attendance request: the person answers before `respond_by`; then the
-- release worker decides (`release_time`, `release_outcome`): released (not
-- confirmed), confirmed, not_reached (no request reached the person: nothing
-- is released), changed (the appointment moved or ended first).
ALTER TABLE notify.messages
  ADD COLUMN respond_by timestamptz,
  ADD COLUMN release_time timestamptz,
  ADD COLUMN release_outcome text
    CHECK (release_outcome IN ('released', 'confirmed', 'not_reached', 'changed')),
  ADD CONSTRAINT messages_attendance_check
    CHECK ((template = 'attendance') = (respond_by IS NOT NULL)),
  ADD CONSTRAINT messages_release_check
    CHECK ((release_time IS NULL) = (release_outcome IS NULL));
CREATE INDEX messages_release ON notify.messages (respond_by)
  WHERE template = 'attendance' AND release_time IS NULL;
