-- The GitHub write budget of the whole deployment, in one row: the spacing's
-- next free moment, the hourly bucket's theoretical arrival time (when it
-- would be whole again) and the end of a rate limit pause. Every replica
-- takes its writes from this row, so two replicas write no faster than one.
-- Times are Unix nanoseconds, not the milliseconds of the other tables: a
-- lifted pace spaces writes microseconds apart, and the bucket adds up
-- shares of an hour that a millisecond would round.
CREATE TABLE booty_write_budget (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    next_write_ns   BIGINT  NOT NULL DEFAULT 0,
    hour_full_ns    BIGINT  NOT NULL DEFAULT 0,
    paused_until_ns BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO booty_write_budget (id) VALUES (1);
