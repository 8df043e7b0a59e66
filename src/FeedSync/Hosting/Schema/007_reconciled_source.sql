-- Reconciliation skips feed rows that cannot differ from what Google holds without mapping them: for each
-- destination it keeps a fingerprint of the feed-view row it last verified (the row's md5 as PostgreSQL prints it,
-- whether the sale window was open then, the mapper version) bound to the content_hash it verified against.
-- Nothing else reads or writes it; any write to content_hash (a push, an in-doubt or resync marker) makes it stale.
ALTER TABLE feedsync.last_pushed ADD COLUMN reconciled_source bytea;
