-- The problem's lifecycle beyond its issue columns (alert.Lifecycle as
-- JSON: when Sentry last resolved it, releases seen, flips), and every
-- transition of its issue's state with its reason, for booty problems show.
ALTER TABLE booty_problems ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '{}';

CREATE TABLE booty_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    problem_key TEXT   NOT NULL,
    at_ms       BIGINT NOT NULL,
    from_state  TEXT   NOT NULL,
    to_state    TEXT   NOT NULL,
    input       TEXT   NOT NULL,
    cause       TEXT   NOT NULL
);
CREATE INDEX booty_transitions_problem ON booty_transitions (problem_key, at_ms);
