-- Trigger-mode capture progress: the (xid8, seq) position in the catalog's change log up to which every row
-- is recorded in feedsync.pending. Written in the same transaction as those pending rows.
CREATE TABLE feedsync.capture_cursor (
    source     text        PRIMARY KEY,
    xid        bigint      NOT NULL,  -- xid8 (epoch-extended, never wraps; fits a bigint)
    seq        bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
