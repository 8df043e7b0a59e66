-- Freshness: instants at which a product must be re-evaluated although no catalog row changes then
-- (sale start/end, promotion start/end, availability date, the end of a budget deferral, a spread
-- expiry refresh). Times are FeedSync's clock (TimeProvider), written as parameters, never now().
CREATE TABLE feedsync.boundaries (
    product_key text        NOT NULL,
    at          timestamptz NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('sale', 'availability', 'budget', 'refresh', 'recheck')),
    PRIMARY KEY (product_key, at)
);
CREATE INDEX boundaries_at ON feedsync.boundaries (at);

-- Update budget per product: when its cosmetic pushes went out (rolling 24 h) and what is deferred.
CREATE TABLE feedsync.update_budget (
    product_key       text          PRIMARY KEY,
    cosmetic_pushes   timestamptz[] NOT NULL DEFAULT '{}',
    critical_pushes   bigint        NOT NULL DEFAULT 0,
    last_critical_at  timestamptz,
    deferred_since    timestamptz,
    deferred_until    timestamptz,
    deferred_changes  text
);
CREATE INDEX update_budget_deferred ON feedsync.update_budget (deferred_until) WHERE deferred_until IS NOT NULL;
