-- One marker for "send this destination as a full insert next", with why. It replaces two older markers:
-- an emptied content_hash (forced resync, expiry refresh) and an emptied payload (a write in doubt).
-- content_hash and payload now always hold the last content Google is known to have accepted, or '\x'/'{}'
-- for a destination never pushed (a row kept only so a destination that leaves the view is still deleted).
ALTER TABLE feedsync.last_pushed
    ADD COLUMN force_reason text CHECK (force_reason IN ('operator_resync', 'expiry_refresh', 'in_doubt')),
    ADD COLUMN forced_at    timestamptz;

UPDATE feedsync.last_pushed SET force_reason = 'in_doubt', forced_at = now() WHERE payload = '{}'::jsonb;
UPDATE feedsync.last_pushed SET force_reason = 'operator_resync', forced_at = now()
WHERE force_reason IS NULL AND length(content_hash) = 0;

-- The update budget is per destination (content language × feed label, keyed like last_pushed): each is a
-- separate product at Google with its own "about two updates a day". Every earlier column stays; rows are now
-- one per destination, so product_key is no longer unique (sum or group by it for a per-product view).
-- Existing per-product rows are copied to each destination FeedSync holds for that product.
ALTER TABLE feedsync.update_budget
    ADD COLUMN offer_id         text,
    ADD COLUMN content_language text,
    ADD COLUMN feed_label       text,
    DROP CONSTRAINT update_budget_pkey; -- before the copy: the copies share their product_key
INSERT INTO feedsync.update_budget (product_key, offer_id, content_language, feed_label, cosmetic_pushes, critical_pushes,
                                    last_critical_at, deferred_since, deferred_until, deferred_changes)
SELECT b.product_key, lp.offer_id, lp.content_language, lp.feed_label, b.cosmetic_pushes, b.critical_pushes,
       b.last_critical_at, b.deferred_since, b.deferred_until, b.deferred_changes
FROM feedsync.update_budget b JOIN feedsync.last_pushed lp ON lp.product_key = b.product_key
WHERE b.offer_id IS NULL;
DELETE FROM feedsync.update_budget WHERE offer_id IS NULL;
ALTER TABLE feedsync.update_budget
    ALTER COLUMN offer_id SET NOT NULL,
    ALTER COLUMN content_language SET NOT NULL,
    ALTER COLUMN feed_label SET NOT NULL,
    ADD PRIMARY KEY (offer_id, content_language, feed_label);
CREATE INDEX update_budget_product_key ON feedsync.update_budget (product_key);

-- Write lease: until when a pusher may still have a write (insert, patch, delete) of this destination in flight. Set with
-- the in-doubt mark, cleared when the push records its results. A pusher whose claim connection dropped cannot
-- record, and another pusher may then claim the product: it waits until the lease has run out, so the older
-- write cannot land after its newer one. The writer abandons its calls at half the lease.
ALTER TABLE feedsync.last_pushed ADD COLUMN lease_until timestamptz;
