-- The status pull writes a google_status row only when Google's answer for that product changed. Rewriting every row
-- on every pull held p99 push latency near 1 s for ~20 s of each pull at 100,000 products, and cleared the
-- visibility map that the Overview's index-only counts rely on. A row's time is therefore when its status last
-- changed, and when Google's view was last read completely is kept once per pull, here.
ALTER TABLE feedsync.google_status RENAME COLUMN pulled_at TO changed_at;
-- Only served the old "delete what this pull did not write" statement.
DROP INDEX feedsync.google_status_pulled_at;

-- At most a week of pulls (the job prunes older ones): small enough to read without an index.
CREATE TABLE feedsync.status_pulls (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    products    bigint      NOT NULL,
    with_issues bigint      NOT NULL,
    changed     bigint      NOT NULL,
    removed     bigint      NOT NULL
);

-- A database that already holds statuses keeps its "last pull" on the Overview.
INSERT INTO feedsync.status_pulls (started_at, finished_at, products, with_issues, changed, removed)
SELECT min(changed_at), max(changed_at), count(*), count(*) FILTER (WHERE issue_count > 0 OR disapproved), count(*), 0
FROM feedsync.google_status
HAVING count(*) > 0;
