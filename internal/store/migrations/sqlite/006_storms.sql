-- Storms. What the latest event said of a problem, for listing it (in a
-- digest, on the status page), and the digest it was folded into (0: none).
ALTER TABLE booty_problems ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_problems ADD COLUMN level TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_problems ADD COLUMN project TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_problems ADD COLUMN environment TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_problems ADD COLUMN release TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_problems ADD COLUMN link TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_problems ADD COLUMN digest_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX booty_problems_digest ON booty_problems (digest_id) WHERE digest_id <> 0;

-- The budgets of new issues, one row per scope ('route:NAME', and '*' for
-- the global one): the GCRA's theoretical arrival time in Unix nanoseconds.
-- Shared by every replica, so two replicas file no more than one would.
CREATE TABLE booty_issue_budgets (
    scope  TEXT   PRIMARY KEY,
    tat_ns BIGINT NOT NULL
);

-- One row per storm of a route. A route has at most one current digest
-- (the unique index): two replicas folding the first problem of a storm at
-- once cannot open two. A storm's digest stops being current when a fold
-- finds it quiet; the next fold opens a new one.
CREATE TABLE booty_digests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route            TEXT    NOT NULL,
    repo             TEXT    NOT NULL DEFAULT '',
    opened_ms        BIGINT  NOT NULL,
    last_fold_ms     BIGINT  NOT NULL,
    issue_number     INTEGER NOT NULL DEFAULT 0,
    version          BIGINT  NOT NULL DEFAULT 0,
    shown_version    BIGINT  NOT NULL DEFAULT 0,
    shown_ms         BIGINT  NOT NULL DEFAULT 0,
    is_current       INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX booty_digests_current ON booty_digests (route) WHERE is_current = 1;
