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
CREATE INDEX google_status_with_issues ON feedsync.google_status (pulled_at DESC) WHERE issue_count > 0 OR disapproved;
CREATE INDEX google_status_pulled_at ON feedsync.google_status (pulled_at);

-- Problems page: newest first, paged, filtered by source; and counts per source.
CREATE INDEX product_problems_recent ON feedsync.product_problems (occurred_at DESC);
CREATE INDEX product_problems_source ON feedsync.product_problems (source, occurred_at DESC);
-- Overview: outcome counts in the last hour/day without touching older rows.
CREATE INDEX push_log_at_outcome ON feedsync.push_log (at, outcome);
-- Pending: oldest change without a scan.
CREATE INDEX pending_first_dirty_at ON feedsync.pending (first_dirty_at);
-- Product page: a product's timeline by key.
CREATE INDEX push_log_product_key ON feedsync.push_log (product_key, at);
-- Offer-id prefix search on the Problems page (LIKE 'abc%' needs text_pattern_ops outside the C locale).
CREATE INDEX product_problems_offer_id_prefix ON feedsync.product_problems (offer_id text_pattern_ops);
CREATE INDEX google_status_offer_id_prefix ON feedsync.google_status (offer_id text_pattern_ops);
