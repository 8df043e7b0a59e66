-- Operations upkeep: the dashboard's shared sign-in key ring.

-- ASP.NET Core Data Protection keys (XML, as the framework writes them), so every FeedSync instance sharing this
-- database accepts the sign-in cookies of the others, and sign-ins survive restarts. The rows are as secret as the
-- cookies they protect: only FeedSync's own role may read this schema (deploy/).
CREATE TABLE feedsync.dataprotection_keys (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name text        NOT NULL UNIQUE,
    xml           text        NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now()
);
