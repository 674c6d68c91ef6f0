-- Runs: one row per attempt of a builder or verifier job, for the status
-- page, the CLI and the verifier's commit status link (/runs/ID). outcome
-- is '' and finished_ms 0 while the run goes on; log is the tail of its
-- output, bounded by the store (store.MaxRunLog).
CREATE TABLE booty_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    job_id       BIGINT  NOT NULL,
    problem_key  TEXT    NOT NULL,
    repo         TEXT    NOT NULL DEFAULT '',
    issue_number INTEGER NOT NULL DEFAULT 0,
    pull_number  INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    sha          TEXT    NOT NULL DEFAULT '',
    outcome      TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    log          TEXT    NOT NULL DEFAULT '',
    started_ms   BIGINT  NOT NULL,
    finished_ms  BIGINT  NOT NULL DEFAULT 0
);
-- A problem's runs and the recent runs, newest first.
CREATE INDEX booty_runs_problem ON booty_runs (problem_key, started_ms, id);
CREATE INDEX booty_runs_started ON booty_runs (started_ms, id);
-- The unfinished runs of a job, which its next run finishes as interrupted.
CREATE INDEX booty_runs_unfinished ON booty_runs (job_id) WHERE finished_ms = 0;
