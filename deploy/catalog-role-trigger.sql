-- Least privilege for FeedSync on the retailer's CATALOG database in TRIGGER mode
-- (FeedSync:Capture:Mode = Trigger; no wal_level change, no REPLICATION attribute).
-- Replace the names in <> first.

-- 1. Once, as the owner of the tracked tables (or a superuser), with FeedSync's configuration:
--      FeedSync__Catalog__ConnectionString='...owner...' feedsync migrate
--    installs schema feedsync_capture (change_log, one SECURITY DEFINER trigger function per table)
--    and the triggers. The functions run as that owner, so the catalog's writers need no rights on
--    the log. `feedsync migrate --drop-capture` removes it all again.

-- 2. The role FeedSync runs as: read the view and the tables, read and prune the change log.
CREATE ROLE feedsync_catalog LOGIN PASSWORD '<from your secret store>';
GRANT CONNECT ON DATABASE <catalog_db> TO feedsync_catalog;
GRANT USAGE ON SCHEMA <catalog_schema> TO feedsync_catalog;
GRANT SELECT ON <catalog_schema>.<feed_view> TO feedsync_catalog;
GRANT SELECT ON <catalog_schema>.<tracked_table_1>, <catalog_schema>.<tracked_table_2> TO feedsync_catalog;
GRANT USAGE ON SCHEMA feedsync_capture TO feedsync_catalog;
GRANT SELECT, DELETE ON feedsync_capture.change_log TO feedsync_catalog;

-- At start FeedSync only checks that the triggers and functions are in place; it runs DDL only when
-- something is missing or a tracked table's key columns changed (then run `feedsync migrate` as in 1).
