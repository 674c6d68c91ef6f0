-- booty's schema on PostgreSQL, as SQLite has it after its migrations 001 to
-- 003: the versions number the same schema on both backends. Times are Unix
-- milliseconds and flags integers, as on SQLite, so that one set of SQL
-- serves both.
CREATE TABLE booty_problems (
    key                TEXT    PRIMARY KEY,
    first_seen_ms      BIGINT  NOT NULL,
    last_seen_ms       BIGINT  NOT NULL,
    event_count        BIGINT  NOT NULL,
    last_event_id      TEXT    NOT NULL DEFAULT '',
    issue_number       INTEGER NOT NULL DEFAULT 0,
    issue_closed       INTEGER NOT NULL DEFAULT 0,
    last_write_ms      BIGINT  NOT NULL DEFAULT 0,
    issue_closed_at_ms BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE booty_deliveries (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE TABLE booty_problem_events (
    problem_key   TEXT   NOT NULL,
    event_id      TEXT   NOT NULL,
    counted_at_ms BIGINT NOT NULL,
    PRIMARY KEY (problem_key, event_id)
);
CREATE INDEX booty_problem_events_counted ON booty_problem_events (counted_at_ms);
