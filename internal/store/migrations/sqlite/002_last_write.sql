-- The cooldown was stored as a deadline, so a changed OBSV_COOLDOWN_HOURS
-- never applied to known problems. Store when booty last decided a write
-- instead, and count the cooldown from it with the configuration in force.
--
-- The configuration in force when a deadline was set is not recorded, so
-- the last write is rebuilt with the default cooldown of 6 hours (exact for
-- most installations), and never before the problem was first seen (its
-- create). With another cooldown, each known problem's quiet period is off
-- by the difference once, until its next write.
ALTER TABLE booty_problems ADD COLUMN last_write_ms BIGINT NOT NULL DEFAULT 0;
UPDATE booty_problems SET last_write_ms =
    CASE WHEN cooldown_until_ms = 0 THEN 0
         ELSE max(first_seen_ms, cooldown_until_ms - 21600000) END;
ALTER TABLE booty_problems DROP COLUMN cooldown_until_ms;

-- When GitHub says the issue was closed (0: open, or not known). A
-- regression needs an event later than that.
ALTER TABLE booty_problems ADD COLUMN issue_closed_at_ms BIGINT NOT NULL DEFAULT 0;
