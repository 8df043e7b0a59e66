-- Operations surfaces: Google's view of each product (status pull) and indexes for the dashboard pages.

-- What Google reports for each product: destination statuses and item-level issues, from products.list.
CREATE TABLE feedsync.google_status (
    offer_id             text        NOT NULL,
    content_language     text        NOT NULL,
    feed_label           text        NOT NULL,
    disapproved          boolean     NOT NULL,
    issue_count          integer     NOT NULL,
    destination_statuses jsonb       NOT NULL,
    item_issues          jsonb       NOT NULL,
    pulled_at            timestamptz NOT NULL,
    PRIMARY KEY (offer_id, content_language, feed_label)
);
-- The Problems page lists only products with issues; a partial index keeps that a small range scan.
CREATE INDEX google_status_with_issues ON feedsync.google_status (pulled_at DESC, offer_id) WHERE issue_count > 0 OR disapproved;
CREATE INDEX google_status_pulled_at ON feedsync.google_status (pulled_at);

-- Problems page: newest first, paged, filtered by source; and counts per source.
CREATE INDEX product_problems_recent ON feedsync.product_problems (occurred_at DESC, offer_id);
CREATE INDEX product_problems_source ON feedsync.product_problems (source, occurred_at DESC, offer_id);
-- Pending: oldest change without a scan.
CREATE INDEX pending_first_dirty_at ON feedsync.pending (first_dirty_at);
-- Product page: a product's timeline by key.
CREATE INDEX push_log_product_key ON feedsync.push_log (product_key, at);
-- Offer-id prefix search on the Problems page (LIKE 'abc%' needs text_pattern_ops outside the C locale).
CREATE INDEX product_problems_offer_id_prefix ON feedsync.product_problems (offer_id text_pattern_ops);
CREATE INDEX google_status_offer_id_prefix ON feedsync.google_status (offer_id text_pattern_ops);

-- Calls per minute and outcome, kept by a statement trigger on push_log, so the Overview counts the last hour and
-- day from at most a few thousand small rows instead of counting the audit log (millions of rows a day in a big
-- shop). The shard (backend pid) keeps concurrent pushers from queueing on one counter row.
CREATE TABLE feedsync.push_stats (
    minute      timestamptz NOT NULL,
    outcome     text        NOT NULL,
    http_status integer     NOT NULL,
    shard       smallint    NOT NULL,
    calls       bigint      NOT NULL,
    PRIMARY KEY (minute, outcome, http_status, shard)
);

CREATE FUNCTION feedsync.count_pushes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedsync.push_stats AS s (minute, outcome, http_status, shard, calls)
    SELECT date_trunc('minute', at), outcome, http_status, (pg_backend_pid() % 16)::smallint, count(*)
    FROM new_rows GROUP BY 1, 2, 3
    ON CONFLICT (minute, outcome, http_status, shard) DO UPDATE SET calls = s.calls + excluded.calls;
    RETURN NULL;
END
$$;

CREATE TRIGGER push_log_stats AFTER INSERT ON feedsync.push_log
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedsync.count_pushes();

INSERT INTO feedsync.push_stats (minute, outcome, http_status, shard, calls)
SELECT date_trunc('minute', at), outcome, http_status, 0, count(*)
FROM feedsync.push_log WHERE at > now() - interval '2 days' GROUP BY 1, 2, 3;
