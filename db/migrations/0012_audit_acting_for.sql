-- The agent (or device) a service acted for: a call between modules made
-- during an agent's call is recorded under the service's subject, and names
-- the agent here (x-acting-agent, docs/security.md#service-identity).
-- '' when the subject acted for itself, as for every row written before.
ALTER TABLE access.audit_log ADD COLUMN acting_for text NOT NULL DEFAULT '';
