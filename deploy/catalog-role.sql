-- Least privilege for FeedSync on the retailer's CATALOG database (logical replication mode).
-- Run as a superuser or the owner of the tracked tables; replace the names in <> first.
-- FeedSync can then read the feed view and the tracked tables and stream their changes, nothing else.

CREATE ROLE feedsync_catalog LOGIN REPLICATION PASSWORD '<from your secret store>';

GRANT CONNECT ON DATABASE <catalog_db> TO feedsync_catalog;
GRANT USAGE ON SCHEMA <catalog_schema> TO feedsync_catalog;

-- The feed view and every table listed in FeedSync:Catalog:TrackedTables.
GRANT SELECT ON <catalog_schema>.<feed_view> TO feedsync_catalog;
GRANT SELECT ON <catalog_schema>.<tracked_table_1>, <catalog_schema>.<tracked_table_2> TO feedsync_catalog;

-- The publication must be created by the tables' owner (adding a table to a publication needs
-- ownership). Create it here once, then FeedSync only checks it:
CREATE PUBLICATION feedsync FOR TABLE <catalog_schema>.<tracked_table_1>, <catalog_schema>.<tracked_table_2>;

-- pg_hba.conf: logical replication matches the DATABASE name, not the `replication` keyword:
--   host  <catalog_db>  feedsync_catalog  <feedsync host>/32  scram-sha-256
