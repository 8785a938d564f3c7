-- The grace period of each desk (docs/booking.md#arrivals): how late after
-- its start an appointment is still checked in without an agent's decision,
-- and how long after its end a booked appointment becomes a no-show. It
-- decides the appointment's status, so booking keeps it with the desk;
-- callers that give none (the reception service) get the desk's. Pods of
-- the previous release do not read it: they keep the 15 minutes they passed.
ALTER TABLE booking.desks
  ADD COLUMN arrival_grace_seconds integer NOT NULL DEFAULT 900
    CHECK (arrival_grace_seconds BETWEEN 0 AND 7200);
