-- Operations upkeep: the dashboard's shared sign-in key ring, and an index for the Overview.

-- ASP.NET Core Data Protection keys (XML, as the framework writes them), so every FeedSync instance sharing this
-- database accepts the sign-in cookies of the others, and sign-ins survive restarts. The rows are as secret as the
-- cookies they protect: only FeedSync's own role may read this schema (deploy/).
CREATE TABLE feedsync.dataprotection_keys (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name text        NOT NULL UNIQUE,
    xml           text        NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now()
);

-- Overview: the count of disapproved products read the heap once per product with issues (google_status_with_issues
-- does not carry the flag): 300-500 ms at 10,000 issues among 1,000,000 products. This small partial index makes it
-- an index-only count (5 ms). docs/benchmarks.md has the figures.
CREATE INDEX google_status_disapproved ON feedsync.google_status (offer_id) WHERE disapproved;
