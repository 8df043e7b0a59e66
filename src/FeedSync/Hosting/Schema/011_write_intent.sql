-- Writes on their way to Google, one row per destination: the in-doubt mark and the write lease, moved out of
-- last_pushed. Each push used to rewrite the wide last_pushed row (payload and all) twice: the mark before the call
-- and the record after. At 1,000 changes/s that left two dead wide rows per push, and autovacuum's passes over
-- last_pushed took a core away from the pushes (measured at 100,000 products: p99 1,409 ms with the mark in
-- last_pushed, 610 ms without it). Now the mark is a narrow row here, inserted before the call and deleted (or
-- kept, see below) by the statement batch that records the answers; last_pushed is written once per push.
--
-- A row means a write of the destination was sent (sent_at) and is not fully accounted for:
--   in_doubt     its outcome is unknown (the process died, the call timed out or hit a 5xx): the next push sends a
--                full insert, or a delete if the destination left the view, even if last_pushed has no row for it.
--   lease_until  until when the write may still be in flight (see Jobs/WriteLease.cs); NULL once it is over.
-- A write Google answered, and one it certainly did not apply, leaves no row (unless an earlier write is in doubt).
-- last_pushed.force_reason keeps the reasons an operator or the expiry refresh gives; 'in_doubt' lives only here.
-- FeedSync releases before this script write last_pushed.lease_until: stop them before upgrading.
CREATE TABLE feedsync.write_intent (
    offer_id         text        NOT NULL,
    content_language text        NOT NULL,
    feed_label       text        NOT NULL,
    product_key      text        NOT NULL,
    sent_at          timestamptz NOT NULL,
    lease_until      timestamptz,
    in_doubt         boolean     NOT NULL,
    PRIMARY KEY (offer_id, content_language, feed_label)
);
CREATE INDEX write_intent_product_key ON feedsync.write_intent (product_key);

-- Marks and leases an earlier release left in last_pushed move here.
INSERT INTO feedsync.write_intent (offer_id, content_language, feed_label, product_key, sent_at, lease_until, in_doubt)
SELECT offer_id, content_language, feed_label, product_key, coalesce(forced_at, now()), lease_until, coalesce(force_reason = 'in_doubt', false)
FROM feedsync.last_pushed
WHERE force_reason = 'in_doubt' OR lease_until > now();

-- A row Google never accepted content for was kept only as an in-doubt marker; the mark above replaces it.
DELETE FROM feedsync.last_pushed WHERE payload = '{}'::jsonb AND force_reason = 'in_doubt';
UPDATE feedsync.last_pushed SET force_reason = NULL, forced_at = NULL WHERE force_reason = 'in_doubt';

ALTER TABLE feedsync.last_pushed
    DROP COLUMN lease_until,
    DROP CONSTRAINT last_pushed_force_reason_check,
    ADD CONSTRAINT last_pushed_force_reason_check CHECK (force_reason IN ('operator_resync', 'expiry_refresh'));
