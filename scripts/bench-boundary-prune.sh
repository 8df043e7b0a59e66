#!/usr/bin/env bash
# Times BoundaryStore.PruneAsync's DELETE and the in-doubt intent write on a state schema with N products.
# Usage: scripts/bench-boundary-prune.sh postgresql://postgres@127.0.0.1:PORT/postgres [N]   (from the repository root;
# a PostgreSQL from scripts/pg.sh start DIR; creates and drops its own database)
set -euo pipefail
uri=$1; n=${2:-1000000}
cd "$(dirname "$0")/.."
db=fresh_bench_$$
psql "$uri" -qc "CREATE DATABASE $db" >/dev/null
u="${uri%/*}/$db"
for f in src/FeedSync/Hosting/Schema/0*.sql; do psql "$u" -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null; done
psql "$u" -q -v ON_ERROR_STOP=1 <<SQL
-- 90 % of products held at Google, 10 % gone from the view; every product has 1 future sale boundary, 1 in 3 also a long-past one.
INSERT INTO feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at)
SELECT 'sku' || i, 'en', 'US', i::text, '\x01', '{"productAttributes":{"title":"x"}}', now() - interval '1 hour', now() - interval '1 hour'
FROM generate_series(1, $n * 9 / 10) i;
INSERT INTO feedsync.boundaries (product_key, at, kind) SELECT i::text, now() + (i % 1000) * interval '1 minute', 'sale' FROM generate_series(1, $n) i;
INSERT INTO feedsync.boundaries (product_key, at, kind) SELECT i::text, now() - interval '2 days', 'sale' FROM generate_series(1, $n, 3) i;
ANALYZE;
SQL
echo "boundaries before: $(psql "$u" -Atc 'SELECT count(*) FROM feedsync.boundaries')"
psql "$u" -At <<'SQL'
\timing on
DELETE FROM feedsync.boundaries b
WHERE NOT EXISTS (SELECT 1 FROM feedsync.pending p WHERE p.product_key = b.product_key)
  AND CASE WHEN EXISTS (SELECT 1 FROM feedsync.last_pushed lp WHERE lp.product_key = b.product_key)
           THEN b.at < now() - interval '1 hour'
                AND NOT EXISTS (SELECT 1 FROM feedsync.last_pushed lp WHERE lp.product_key = b.product_key AND lp.pushed_at <= b.at)
           ELSE NOT EXISTS (SELECT 1 FROM feedsync.product_problems pp WHERE pp.product_key = b.product_key)
      END;
SQL
echo "boundaries after: $(psql "$u" -Atc 'SELECT count(*) FROM feedsync.boundaries')"
echo "second run (nothing left to prune):"
psql "$u" -At <<'SQL'
\timing on
DELETE FROM feedsync.boundaries b
WHERE NOT EXISTS (SELECT 1 FROM feedsync.pending p WHERE p.product_key = b.product_key)
  AND CASE WHEN EXISTS (SELECT 1 FROM feedsync.last_pushed lp WHERE lp.product_key = b.product_key)
           THEN b.at < now() - interval '1 hour'
                AND NOT EXISTS (SELECT 1 FROM feedsync.last_pushed lp WHERE lp.product_key = b.product_key AND lp.pushed_at <= b.at)
           ELSE NOT EXISTS (SELECT 1 FROM feedsync.product_problems pp WHERE pp.product_key = b.product_key)
      END;
SQL
echo "in-doubt intent write, 500 destinations of one push step, 5 runs:"
psql "$u" -At <<'SQL'
\timing on
INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, force_reason, forced_at, lease_until)
SELECT 'sku' || i, 'en', 'US', i::text, '\x'::bytea, '{}'::jsonb, 'epoch', 'epoch', 'in_doubt', now(), now() + interval '2 minutes'
FROM generate_series(1000, 1499) i
ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE SET force_reason = excluded.force_reason, forced_at = excluded.forced_at, lease_until = excluded.lease_until;
INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, force_reason, forced_at, lease_until)
SELECT 'sku' || i, 'en', 'US', i::text, '\x'::bytea, '{}'::jsonb, 'epoch', 'epoch', 'in_doubt', now(), now() + interval '2 minutes'
FROM generate_series(2000, 2499) i
ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE SET force_reason = excluded.force_reason, forced_at = excluded.forced_at, lease_until = excluded.lease_until;
INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, force_reason, forced_at, lease_until)
SELECT 'sku' || i, 'en', 'US', i::text, '\x'::bytea, '{}'::jsonb, 'epoch', 'epoch', 'in_doubt', now(), now() + interval '2 minutes'
FROM generate_series(3000, 3499) i
ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE SET force_reason = excluded.force_reason, forced_at = excluded.forced_at, lease_until = excluded.lease_until;
INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, force_reason, forced_at, lease_until)
SELECT 'sku' || i, 'en', 'US', i::text, '\x'::bytea, '{}'::jsonb, 'epoch', 'epoch', 'in_doubt', now(), now() + interval '2 minutes'
FROM generate_series(4000, 4499) i
ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE SET force_reason = excluded.force_reason, forced_at = excluded.forced_at, lease_until = excluded.lease_until;
INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, force_reason, forced_at, lease_until)
SELECT 'sku' || i, 'en', 'US', i::text, '\x'::bytea, '{}'::jsonb, 'epoch', 'epoch', 'in_doubt', now(), now() + interval '2 minutes'
FROM generate_series(5000, 5499) i
ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE SET force_reason = excluded.force_reason, forced_at = excluded.forced_at, lease_until = excluded.lease_until;
SQL
psql "$uri" -qc "DROP DATABASE $db" >/dev/null
uptime
