-- FeedSync's own STATE database (may be the catalog database): FeedSync owns its schemas here.
-- Run as a superuser; replace the names in <> first.

CREATE ROLE feedsync_state LOGIN PASSWORD '<from your secret store>';
GRANT CONNECT, CREATE ON DATABASE <state_db> TO feedsync_state;

-- FeedSync creates and owns the `feedsync` schema (feedsync migrate) and Hangfire's `hangfire` schema
-- on first start. Pre-create them if CREATE on the database is not acceptable:
CREATE SCHEMA IF NOT EXISTS feedsync AUTHORIZATION feedsync_state;
CREATE SCHEMA IF NOT EXISTS hangfire AUTHORIZATION feedsync_state;
