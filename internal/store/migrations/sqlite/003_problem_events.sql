-- Every event counted for a problem within the delivery retention, so that
-- a redelivered or replayed event is a duplicate whichever event came in
-- between (remembering only the last one let two alternating captured
-- deliveries count and comment for ever). Pruned by counted_at_ms.
CREATE TABLE booty_problem_events (
    problem_key   TEXT   NOT NULL,
    event_id      TEXT   NOT NULL,
    counted_at_ms BIGINT NOT NULL,
    PRIMARY KEY (problem_key, event_id)
);
CREATE INDEX booty_problem_events_counted ON booty_problem_events (counted_at_ms);

-- The last event of each known problem was the dedup state so far.
INSERT INTO booty_problem_events (problem_key, event_id, counted_at_ms)
    SELECT key, last_event_id, last_seen_ms FROM booty_problems WHERE last_event_id <> '';
