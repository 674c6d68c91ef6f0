-- The route a problem took when booty first saw it, and the repository its
-- issue is filed in: set when the problem is inserted and never changed, so
-- that a problem stays with its issue's repository when the routes file
-- changes. '' (problems older than routes) means the default repository,
-- TARGET_REPO_URL. A delivery names the route it took ('' for none).
ALTER TABLE booty_problems ADD COLUMN route TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_problems ADD COLUMN repo TEXT NOT NULL DEFAULT '';
ALTER TABLE booty_deliveries ADD COLUMN route TEXT NOT NULL DEFAULT '';
