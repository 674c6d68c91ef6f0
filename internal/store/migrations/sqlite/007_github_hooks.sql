-- GitHub issues webhooks. Why the problem's issue was closed, as GitHub
-- said (completed, not_planned, duplicate; '' when booty does not know):
-- booty never reopens an issue a person closed as not planned. And the
-- GitHub deliveries booty took, keyed by X-GitHub-Delivery, so that a
-- redelivery changes nothing.
ALTER TABLE booty_problems ADD COLUMN issue_close_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE booty_github_deliveries (
    delivery_id    TEXT   PRIMARY KEY,
    received_at_ms BIGINT NOT NULL,
    event          TEXT   NOT NULL,
    action         TEXT   NOT NULL DEFAULT '',
    problem_key    TEXT   NOT NULL DEFAULT '',
    issue_number   INTEGER NOT NULL DEFAULT 0,
    outcome        TEXT   NOT NULL
);
CREATE INDEX booty_github_deliveries_received ON booty_github_deliveries (received_at_ms);
