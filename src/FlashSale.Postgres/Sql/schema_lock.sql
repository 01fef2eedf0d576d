-- Held until the migration's transaction ends: of several processes starting at once, one migrates and the
-- others wait here and then find nothing to do.
SELECT pg_advisory_xact_lock(7274031);
