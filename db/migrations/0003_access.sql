-- Access: role bindings, device tokens and the audit log. See
-- docs/security.md.
CREATE SCHEMA access;

-- Who holds which role where. Roles come from here, not from the identity
-- provider's token: ProConnect says who the agent is, the prefecture says
-- what they may do.
CREATE TABLE access.role_bindings (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subject     text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
  role        text NOT NULL CHECK (role IN ('LODGE_AGENT', 'COUNTER_AGENT',
                'QUALITY_OFFICER', 'ADMINISTRATOR', 'SERVICE')),
  -- NULL: every site.
  site_id     bigint,
  granted_by  text NOT NULL,
  grant_time  timestamptz NOT NULL,
  revoke_time timestamptz
);
CREATE UNIQUE INDEX role_bindings_active
  ON access.role_bindings (subject, role, coalesce(site_id, 0))
  WHERE revoke_time IS NULL;

-- Long-lived tokens of waiting-room displays and lodge kiosks. Only a keyed
-- hash of the token's secret is kept.
CREATE TABLE access.device_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site_id      bigint NOT NULL,
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  secret_hash  bytea NOT NULL,
  created_by   text NOT NULL,
  create_time  timestamptz NOT NULL,
  revoke_time  timestamptz
);

-- Every agent's and administrator's action. Append-only.
CREATE TABLE access.audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time        timestamptz NOT NULL,
  subject     text NOT NULL,
  roles       text NOT NULL,
  method      text NOT NULL,
  resource    text NOT NULL DEFAULT '',
  site_id     bigint,
  reason      text NOT NULL DEFAULT '',
  outcome     text NOT NULL
);
CREATE INDEX audit_log_time ON access.audit_log (time);
CREATE INDEX audit_log_resource ON access.audit_log (resource) WHERE resource <> '';

CREATE FUNCTION access.forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'access.audit_log is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON access.audit_log
  FOR EACH ROW EXECUTE FUNCTION access.forbid_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON access.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION access.forbid_change();
