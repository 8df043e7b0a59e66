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
