-- Problems: one row per Sentry issue booty has seen, with what it wrote to
-- GitHub. Times are Unix milliseconds so the SQL stays portable.
CREATE TABLE booty_problems (
    key               TEXT    PRIMARY KEY,
    first_seen_ms     BIGINT  NOT NULL,
    last_seen_ms      BIGINT  NOT NULL,
    event_count       BIGINT  NOT NULL,
    last_event_id     TEXT    NOT NULL DEFAULT '',
    issue_number      INTEGER NOT NULL DEFAULT 0,
    issue_closed      INTEGER NOT NULL DEFAULT 0,
    cooldown_until_ms BIGINT  NOT NULL DEFAULT 0
);

-- Deliveries: one row per verified webhook, with booty's decision.
CREATE TABLE booty_deliveries (
    id             INTEGER PRIMARY KEY,
    received_at_ms BIGINT  NOT NULL,
    request_id     TEXT    NOT NULL DEFAULT '',
    resource       TEXT    NOT NULL DEFAULT '',
    action         TEXT    NOT NULL DEFAULT '',
    problem_key    TEXT    NOT NULL DEFAULT '',
    event_id       TEXT    NOT NULL DEFAULT '',
    decision       TEXT    NOT NULL,
    job_id         BIGINT
);
CREATE INDEX booty_deliveries_received ON booty_deliveries (received_at_ms);
CREATE INDEX booty_deliveries_problem ON booty_deliveries (problem_key);
