-- Events of past activity loaded in bulk (`accueil-server demo-history`,
-- services/common/history.h): true for every event a module's history
-- loader writes, false for everything that happens. Figures count them like
-- any event; consumers that act in the world (messages to people, surveys)
-- skip them, so that nobody is reminded of an appointment of last spring
-- (docs/events.md#history).
ALTER TABLE events.log ADD COLUMN history boolean NOT NULL DEFAULT false;
