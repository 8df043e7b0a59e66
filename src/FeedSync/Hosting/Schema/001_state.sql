-- FeedSync's own state. Runs once per database, inside a transaction, under an advisory lock.
CREATE SCHEMA IF NOT EXISTS feedsync;

-- Every capture signal takes a new generation; a push releases a product only if no newer signal came in.
CREATE SEQUENCE feedsync.dirty_gen_seq;

-- The coalescing set: one row per product key that must be re-read and pushed.
CREATE TABLE feedsync.pending (
    product_key    text        PRIMARY KEY,
    dirty_gen      bigint      NOT NULL,
    first_dirty_at timestamptz NOT NULL DEFAULT now(),
    last_dirty_at  timestamptz NOT NULL DEFAULT now(),
    not_before     timestamptz NOT NULL DEFAULT now(),
    attempts       integer     NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX pending_due ON feedsync.pending (not_before);

-- What Google holds, as far as FeedSync knows: the last successfully sent content per destination.
CREATE TABLE feedsync.last_pushed (
    offer_id         text        NOT NULL,
    content_language text        NOT NULL,
    feed_label       text        NOT NULL,
    product_key      text        NOT NULL,
    content_hash     bytea       NOT NULL,
    payload          jsonb       NOT NULL,
    pushed_at        timestamptz NOT NULL,
    last_insert_at   timestamptz NOT NULL,
    PRIMARY KEY (offer_id, content_language, feed_label)
);
CREATE INDEX last_pushed_product_key ON feedsync.last_pushed (product_key);
CREATE INDEX last_pushed_last_insert_at ON feedsync.last_pushed (last_insert_at);

-- Why a product is not in Google as the catalog says: rejected locally or by Google.
CREATE TABLE feedsync.product_problems (
    product_key      text        NOT NULL,
    offer_id         text        NOT NULL,
    content_language text        NOT NULL,
    feed_label       text        NOT NULL,
    source           text        NOT NULL CHECK (source IN ('local', 'google')),
    reason           text        NOT NULL,
    detail           text,
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_key, offer_id, content_language, feed_label)
);
CREATE INDEX product_problems_offer_id ON feedsync.product_problems (offer_id);

-- Audit log: every call FeedSync made, what it sent, why, and Google's answer.
CREATE TABLE feedsync.push_log (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    product_key      text        NOT NULL,
    offer_id         text        NOT NULL,
    content_language text        NOT NULL,
    feed_label       text        NOT NULL,
    action           text        NOT NULL,
    update_mask      text,
    why              text        NOT NULL,
    http_status      integer     NOT NULL,
    outcome          text        NOT NULL,
    reason           text,
    request          jsonb
);
CREATE INDEX push_log_offer_id ON feedsync.push_log (offer_id, at);
CREATE INDEX push_log_at ON feedsync.push_log (at);

-- Capture progress, written in the same transaction as the pending rows it accounts for.
CREATE TABLE feedsync.capture_checkpoint (
    slot_name     text        PRIMARY KEY,
    confirmed_lsn pg_lsn      NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
