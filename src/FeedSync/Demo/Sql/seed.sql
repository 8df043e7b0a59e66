-- FeedSync demo catalog: deterministic seed data (PostgreSQL 15). Requires schema.sql.
--
--   SELECT catalog.seed(10000);   -- returns the number of variants created
--   SELECT catalog.clear();       -- empties the catalog (TRUNCATE ... RESTART IDENTITY)
--
-- Set-based (INSERT ... SELECT generate_series), no row-by-row loops. Every value is derived
-- from ids through a stable hash, so a seed of the same size always yields the same catalog;
-- only the promotion dates are relative to the time of seeding (so some are always running,
-- starting or ending soon).
--
-- Deliberately invalid rows (about 0.2 % of the feed), so the demo shows local rejections:
--   * variants with id % 1000 = 500 (0.1 %) have a GTIN-13 with a wrong check digit;
--   * products with id % 1000 = 500 (0.1 %; all of their variants) have a title over 150
--     characters (keyword stuffing: "... | Free Shipping | Best Seller | ...").
-- Both kinds are always active. The view catalog.demo_invalid_offers lists the invalid feed
-- rows with the reason, computed from the data (so it stays right after edits).
--
-- Idempotent script: it only (re)defines functions and a view.

-- Stable pseudo-random integer in [0, m) from an id and a salt (hashint8extended is the
-- hash PostgreSQL uses for hash partitioning, kept stable across versions for pg_upgrade).
CREATE OR REPLACE FUNCTION catalog.seed_pick(x bigint, salt integer, m integer)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((hashint8extended(x, salt) & 2147483647) % m)::integer;

CREATE OR REPLACE FUNCTION catalog.clear()
RETURNS void
LANGUAGE sql
AS $clear$
    TRUNCATE catalog.promotion_products, catalog.promotions, catalog.stock, catalog.prices,
             catalog.variants, catalog.products, catalog.warehouses, catalog.markets
        RESTART IDENTITY;
$clear$;

CREATE OR REPLACE FUNCTION catalog.seed(variant_count integer)
RETURNS integer
LANGUAGE plpgsql
SET jit = off  -- compiling these one-off statements costs more than it saves
AS $seed$
DECLARE
    t0      constant timestamptz := date_trunc('minute', now());
    created integer;
    obj     record;
    rebuild text[] := '{}';
BEGIN
    IF variant_count IS NULL OR variant_count < 1 THEN
        RAISE EXCEPTION 'catalog.seed: variant_count must be a positive number, got %', variant_count;
    END IF;
    IF EXISTS (SELECT FROM catalog.variants) OR EXISTS (SELECT FROM catalog.products)
       OR EXISTS (SELECT FROM catalog.promotions) THEN
        RAISE EXCEPTION 'catalog.seed: the catalog is not empty'
            USING HINT = 'Run SELECT catalog.clear(); first, or seed a fresh database.';
    END IF;

    -- Bulk load: foreign keys are checked once at the end (re-adding a foreign key validates
    -- it with one join) instead of by a trigger per inserted row, which is 5-10x slower; and
    -- secondary indexes (those not backing a constraint) are built once at the end. Their
    -- definitions are read from the catalog, so this follows any change in schema.sql.
    BEGIN
        FOR obj IN
            SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_sql,
                   format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                          pg_get_constraintdef(c.oid)) AS create_sql
            FROM pg_constraint AS c
            WHERE c.contype = 'f' AND c.connamespace = 'catalog'::regnamespace
            UNION ALL
            SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
            FROM pg_index AS i
            JOIN pg_class AS t ON t.oid = i.indrelid
            WHERE t.relnamespace = 'catalog'::regnamespace
              AND NOT EXISTS (SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
        LOOP
            EXECUTE obj.drop_sql;
            rebuild := rebuild || obj.create_sql;
        END LOOP;
    EXCEPTION WHEN object_in_use OR insufficient_privilege THEN
        -- The calling statement itself reads a catalog table, or we do not own the tables:
        -- nothing was dropped (the block is rolled back); load with the keys in place, slower.
        rebuild := '{}';
    END;

    -- Markets and warehouses ------------------------------------------------------------------
    INSERT INTO catalog.markets (code, content_language, feed_label, currency, link_base)
    VALUES ('US', 'en', 'US', 'USD', 'https://shop.example.com/us/'),
           ('DE', 'de', 'DE', 'EUR', 'https://shop.example.com/de/'),
           ('JP', 'ja', 'JP', 'JPY', 'https://shop.example.com/jp/')
    ON CONFLICT (code) DO NOTHING;

    INSERT INTO catalog.warehouses (id, name, market)
    VALUES ('US-NJ', 'Newark, NJ', 'US'),
           ('US-NV', 'Reno, NV', 'US'),
           ('US-TX', 'Dallas, TX', 'US'),
           ('DE-BER', 'Berlin', 'DE'),
           ('DE-DUS', 'Düsseldorf', 'DE'),
           ('JP-TYO', 'Tokyo', 'JP'),
           ('JP-OSA', 'Osaka', 'JP')
    ON CONFLICT (id) DO NOTHING;

    -- Product plan: 1-5 variants per product (3 on average), ids contiguous -------------------
    CREATE TEMP TABLE seed_plan (
        product_id    bigint PRIMARY KEY,
        first_variant bigint NOT NULL,
        n_variants    integer NOT NULL
    ) ON COMMIT DROP;

    INSERT INTO seed_plan (product_id, first_variant, n_variants)
    SELECT product_id, first_variant, least(n, variant_count - first_variant + 1)
    FROM (
        SELECT g AS product_id,
               n,
               sum(n) OVER (ORDER BY g) - n + 1 AS first_variant
        FROM (SELECT g, 1 + catalog.seed_pick(g, 1, 5) AS n
              FROM generate_series(1, variant_count::bigint) AS g) AS sizes
    ) AS planned
    WHERE first_variant <= variant_count;
    ANALYZE seed_plan;

    -- Reference data (small arrays) -------------------------------------------------------------
    CREATE TEMP TABLE seed_category ON COMMIT DROP AS
    SELECT * FROM (VALUES
        (0, 'Apparel & Accessories > Clothing > Shirts & Tops', 'Apparel > Tops > T-Shirts',
         ARRAY['T-Shirt', 'Crew Neck Tee', 'Henley Shirt', 'Polo Shirt', 'Long Sleeve Tee'],
         ARRAY['Organic Cotton', 'Cotton Jersey', 'Linen Blend', 'Merino Wool', 'Pima Cotton'],
         ARRAY['XS', 'S', 'M', 'L', 'XL', 'XXL'], 0.00, 15, 65, 150, 350,
         'Soft, breathable and cut for an easy regular fit. Machine washable.'),
        (1, 'Apparel & Accessories > Clothing > Pants', 'Apparel > Bottoms > Trousers',
         ARRAY['Chinos', 'Slim Jeans', 'Wide-Leg Trousers', 'Cargo Pants', 'Joggers'],
         ARRAY['Stretch Cotton', 'Selvedge Denim', 'Cotton Twill', 'Corduroy', 'Recycled Polyester'],
         ARRAY['W28', 'W30', 'W32', 'W34', 'W36', 'W38'], 0.00, 35, 140, 400, 800,
         'A mid-rise fit with a tapered leg, reinforced seams and deep pockets.'),
        (2, 'Apparel & Accessories > Shoes', 'Footwear > Sneakers',
         ARRAY['Running Shoes', 'Trail Sneakers', 'Canvas Sneakers', 'Leather Loafers', 'Hiking Boots'],
         ARRAY['Breathable Mesh', 'Suede', 'Full-Grain Leather', 'Canvas', 'Recycled Knit'],
         ARRAY['EU 38', 'EU 39', 'EU 40', 'EU 41', 'EU 42', 'EU 43', 'EU 44', 'EU 45'], 0.00, 49, 220, 600, 1400,
         'Cushioned footbed, grippy rubber outsole and a true-to-size fit.'),
        (3, 'Apparel & Accessories > Clothing > Outerwear > Coats & Jackets', 'Apparel > Outerwear > Jackets',
         ARRAY['Rain Jacket', 'Puffer Jacket', 'Fleece Jacket', 'Softshell Jacket', 'Parka'],
         ARRAY['Waterproof', 'Recycled Down', 'Polar Fleece', 'Ripstop', 'Wool Blend'],
         ARRAY['S', 'M', 'L', 'XL'], 0.00, 79, 399, 500, 1500,
         'Warm without bulk, with a two-way zip, a stowable hood and zipped hand pockets.'),
        (4, 'Luggage & Bags > Backpacks', 'Bags > Backpacks',
         ARRAY['Daypack', 'Commuter Backpack', 'Laptop Backpack', 'Rolltop Backpack', 'Hiking Pack'],
         ARRAY['Recycled Nylon', 'Waxed Canvas', 'Cordura', 'Ripstop'],
         ARRAY['18 L', '24 L', '30 L'], 0.12, 39, 189, 500, 1400,
         'Padded 16-inch laptop sleeve, water-resistant base and a lifetime warranty.'),
        (5, 'Home & Garden > Kitchen & Dining > Cookware & Bakeware > Cookware > Frying Pans', 'Home > Kitchen > Cookware',
         ARRAY['Frying Pan', 'Saute Pan', 'Wok', 'Skillet', 'Grill Pan'],
         ARRAY['Cast Iron', 'Carbon Steel', 'Stainless Steel', 'Ceramic Nonstick'],
         ARRAY['20 cm', '24 cm', '28 cm', '32 cm'], 0.15, 24, 159, 800, 3200,
         'Suitable for all hobs including induction, oven safe up to 260 °C.'),
        (6, 'Home & Garden > Linens & Bedding > Bedding > Duvet Covers', 'Home > Bedroom > Bedding',
         ARRAY['Duvet Cover', 'Bed Linen Set', 'Fitted Sheet', 'Pillowcase Set'],
         ARRAY['Percale Cotton', 'Cotton Sateen', 'Washed Linen', 'Flannel', 'Bamboo Lyocell'],
         ARRAY['Single', 'Double', 'Queen', 'King'], 0.15, 29, 189, 400, 1800,
         'OEKO-TEX certified, hidden button closure, gets softer with every wash.'),
        (7, 'Electronics > Audio > Audio Components > Headphones & Headsets > Headphones', 'Electronics > Audio > Headphones',
         ARRAY['Wireless Headphones', 'Noise-Cancelling Headphones', 'In-Ear Earbuds', 'Studio Headphones'],
         ARRAY['Bluetooth 5.3', 'Active Noise Cancelling', 'Hi-Res Audio', 'Sport'],
         ARRAY[]::text[], 0.00, 29, 349, 150, 400,
         'Up to 30 hours of battery life, USB-C fast charging and multipoint pairing.'),
        (8, 'Sporting Goods > Exercise & Fitness > Yoga & Pilates > Yoga Mats', 'Sports > Yoga > Mats',
         ARRAY['Yoga Mat', 'Travel Yoga Mat', 'Exercise Mat'],
         ARRAY['Natural Rubber', 'TPE', 'Cork', 'PVC-Free'],
         ARRAY['4 mm', '6 mm'], 0.10, 25, 120, 900, 2500,
         'Non-slip on both sides, with alignment lines and a carrying strap.'),
        (9, 'Home & Garden > Lighting > Lamps', 'Home > Lighting > Lamps',
         ARRAY['Table Lamp', 'Desk Lamp', 'Floor Lamp', 'Bedside Lamp'],
         ARRAY['Brass', 'Oak', 'Ceramic', 'Matte Steel'],
         ARRAY[]::text[], 0.00, 39, 299, 1200, 6000,
         'Dimmable warm-white LED (E27 bulb included) with a 2 m textile cable.')
    ) AS c (idx, google_product_category, product_type, nouns, materials, sizes, size_step,
            price_min, price_max, weight_min, weight_max, blurb);

    CREATE TEMP TABLE seed_brand ON COMMIT DROP AS
    SELECT * FROM (VALUES
        (0, 'Northwind', 'NW'), (1, 'Alpenglow', 'AG'), (2, 'Fjordline', 'FJ'),
        (3, 'Kestrel & Co.', 'KC'), (4, 'Harbor Lane', 'HL'), (5, 'Stillwater', 'SW'),
        (6, 'Redwood Supply', 'RS'), (7, 'Bergmann', 'BM'), (8, 'Lumen Studio', 'LS'),
        (9, 'Oakhurst', 'OH'), (10, 'Tidewater', 'TW'), (11, 'Copperfield', 'CF'),
        (12, 'Nordhaus', 'ND'), (13, 'Sakura Works', 'SK'), (14, 'Blue Ridge', 'BR'),
        (15, 'Ironbark', 'IB')
    ) AS b (idx, name, code);
    ANALYZE seed_category, seed_brand;

    -- Products ----------------------------------------------------------------------------------
    INSERT INTO catalog.products (id, title, description, brand, google_product_category,
                                  product_type, condition, slug, image_url, created_at, updated_at)
    SELECT x.product_id,
           CASE WHEN x.product_id % 1000 = 500                          -- deliberately too long
                THEN x.base_title || ' | Free Shipping | Best Seller | Limited Offer | Perfect Gift Idea'
                     || ' for Him and Her | Ideal for Travel, Office, Gym, Weekend and Outdoor Adventures'
                ELSE x.base_title
           END,
           format('%s %s %s by %s. %s %s', x.adjective, x.material, x.noun, x.brand, x.blurb,
                  (ARRAY['Designed in-house and tested for everyday use.',
                         'Backed by a 2-year warranty and free 30-day returns.',
                         'Responsibly made in certified factories.',
                         'A customer favourite since its launch.'])[1 + catalog.seed_pick(x.product_id, 12, 4)]),
           x.brand,
           x.google_product_category,
           x.product_type,
           CASE WHEN x.cat = 7 AND catalog.seed_pick(x.product_id, 13, 100) < 5 THEN 'refurbished' ELSE 'new' END,
           x.slug,
           'https://cdn.shop.example.com/images/' || x.slug || '.jpg',
           x.created_at,
           x.created_at + make_interval(days => catalog.seed_pick(x.product_id, 14, 60))
    FROM (
        SELECT sp.product_id, c.idx AS cat, b.name AS brand, c.google_product_category, c.product_type,
               c.blurb, adj.adjective,
               c.nouns[1 + catalog.seed_pick(sp.product_id, 4, cardinality(c.nouns))] AS noun,
               c.materials[1 + catalog.seed_pick(sp.product_id, 5, cardinality(c.materials))] AS material,
               timestamptz '2024-03-01 00:00:00+00'
                   + make_interval(days => catalog.seed_pick(sp.product_id, 6, 900),
                                   secs => catalog.seed_pick(sp.product_id, 7, 86400)) AS created_at
        FROM seed_plan AS sp
        JOIN seed_category AS c ON c.idx = catalog.seed_pick(sp.product_id, 2, 10)
        JOIN seed_brand AS b ON b.idx = catalog.seed_pick(sp.product_id, 3, 16)
        CROSS JOIN LATERAL (
            SELECT (ARRAY['Classic', 'Essential', 'Everyday', 'Premium', 'Lightweight', 'Heritage',
                          'Performance', 'Urban', 'Signature', 'Pro'])[1 + catalog.seed_pick(sp.product_id, 8, 10)]
                   AS adjective
        ) AS adj
    ) AS y
    CROSS JOIN LATERAL (
        SELECT y.*,
               y.brand || ' ' || y.adjective || ' ' || y.material || ' ' || y.noun AS base_title,
               trim(BOTH '-' FROM lower(regexp_replace(y.brand || ' ' || y.adjective || ' ' || y.material
                                                       || ' ' || y.noun, '[^A-Za-z0-9]+', '-', 'g')))
                   || '-' || y.product_id AS slug
    ) AS x;

    -- Variants ----------------------------------------------------------------------------------
    INSERT INTO catalog.variants (id, product_id, sku, color, size, gtin, mpn, weight_grams, active)
    SELECT z.variant_id, z.product_id,
           z.code || '-' || lpad(z.product_id::text, 7, '0') || '-' || z.color_code
               || coalesce('-' || z.size_code, ''),
           z.color, z.size,
           z.gtin_body || CASE WHEN z.variant_id % 1000 = 500                      -- deliberately wrong
                               THEN ((catalog.gtin_check_digit(z.gtin_body) + 1) % 10)::text
                               ELSE catalog.gtin_check_digit(z.gtin_body)::text END,
           z.code || to_char(z.product_id, 'FM000000') || z.color_code || coalesce(z.size_code, ''),
           round(z.base_weight * (1 + 0.06 * z.size_idx))::integer,
           -- ~0.8 % discontinued (inactive), never one of the deliberately invalid rows
           catalog.seed_pick(z.variant_id, 61, 1000) >= 8 OR z.variant_id % 1000 = 500 OR z.product_id % 1000 = 500
    FROM (
        SELECT y.*,
               y.sizes[1 + y.size_idx] AS size,
               upper(regexp_replace(y.sizes[1 + y.size_idx], '[^A-Za-z0-9]', '', 'g')) AS size_code,
               col.name AS color, col.code AS color_code,
               -- GS1 Germany-style prefix 40 + 2-digit brand "company" + 8-digit item reference.
               '40' || lpad(y.brand_idx::text, 2, '0') || lpad((y.variant_id % 100000000)::text, 8, '0') AS gtin_body
        FROM (
            SELECT sp.product_id, sp.first_variant + k AS variant_id, b.idx AS brand_idx, b.code, c.sizes,
                   (catalog.seed_pick(sp.product_id, 20, greatest(cardinality(c.sizes) - sp.n_variants + 1, 1)) + k)
                       % greatest(cardinality(c.sizes), 1) AS size_idx,
                   (catalog.seed_pick(sp.product_id, 21, 12) + k / greatest(cardinality(c.sizes), 1)) % 12 AS color_idx,
                   c.weight_min + catalog.seed_pick(sp.product_id, 22, c.weight_max - c.weight_min + 1) AS base_weight
            FROM seed_plan AS sp
            JOIN seed_category AS c ON c.idx = catalog.seed_pick(sp.product_id, 2, 10)
            JOIN seed_brand AS b ON b.idx = catalog.seed_pick(sp.product_id, 3, 16)
            CROSS JOIN LATERAL generate_series(0, sp.n_variants - 1) AS k
        ) AS y
        JOIN (VALUES (0, 'Black', 'BLK'), (1, 'White', 'WHT'), (2, 'Navy', 'NVY'), (3, 'Heather Grey', 'GRY'),
                     (4, 'Olive', 'OLV'), (5, 'Sand', 'SND'), (6, 'Burgundy', 'BUR'), (7, 'Forest Green', 'FGR'),
                     (8, 'Sky Blue', 'SKY'), (9, 'Charcoal', 'CHR'), (10, 'Rust', 'RST'), (11, 'Cream', 'CRM'))
             AS col (idx, name, code) ON col.idx = y.color_idx
    ) AS z;

    GET DIAGNOSTICS created = ROW_COUNT;

    -- Prices: every variant in US (USD); ~30 % of products also DE (EUR), ~5 % also JP (JPY) ---
    INSERT INTO catalog.prices (variant_id, market, amount)
    SELECT u.variant_id, mk.market,
           CASE mk.market
               WHEN 'US' THEN u.usd
               WHEN 'DE' THEN ceil(u.usd * 0.95) - 0.01
               ELSE round(u.usd * 150, -1)
           END
    FROM (
        SELECT v.id AS variant_id, v.product_id,
               -- Price endings: .99 mostly, some .95 and .00; bigger sizes cost a bit more.
               (floor((c.price_min + catalog.seed_pick(v.product_id, 30, c.price_max - c.price_min + 1))
                      * (1 + c.size_step * coalesce(array_position(c.sizes, v.size) - 1, 0)))
                + CASE WHEN catalog.seed_pick(v.product_id, 31, 20) < 16 THEN 0.99
                       WHEN catalog.seed_pick(v.product_id, 31, 20) < 19 THEN 0.95
                       ELSE 0.00 END)::numeric(12, 2) AS usd
        FROM catalog.variants AS v
        JOIN seed_category AS c ON c.idx = catalog.seed_pick(v.product_id, 2, 10)
    ) AS u
    CROSS JOIN LATERAL (
        SELECT 'US' AS market
        UNION ALL SELECT 'DE' WHERE catalog.seed_pick(u.product_id, 32, 100) < 30
        UNION ALL SELECT 'JP' WHERE catalog.seed_pick(u.product_id, 33, 100) < 5
    ) AS mk;

    -- Stock: the market's main warehouse always has a row, others sometimes; ~8 % sold out ------
    INSERT INTO catalog.stock (variant_id, warehouse_id, quantity)
    SELECT pr.variant_id, w.id,
           CASE WHEN catalog.seed_pick(pr.variant_id, 60, 100) < 8 THEN 0
                WHEN w.rank = 1 THEN 1 + catalog.seed_pick(pr.variant_id, 62, 120)
                ELSE catalog.seed_pick(pr.variant_id, 62 + w.rank, 60)
           END
    FROM catalog.prices AS pr
    JOIN (VALUES ('US-NJ', 'US', 1, 100), ('US-NV', 'US', 2, 60), ('US-TX', 'US', 3, 35),
                 ('DE-BER', 'DE', 1, 100), ('DE-DUS', 'DE', 2, 50),
                 ('JP-TYO', 'JP', 1, 100), ('JP-OSA', 'JP', 2, 40))
         AS w (id, market, rank, percent) ON w.market = pr.market
    WHERE w.rank = 1 OR catalog.seed_pick(pr.variant_id, 50 + w.rank, 100) < w.percent;

    -- Promotions: some running, some starting or ending within hours or days, some over -------
    INSERT INTO catalog.promotions (id, name, discount_percent, starts_at, ends_at)
    VALUES (1,  'Autumn Essentials',  20, t0 - interval '3 days',  t0 + interval '4 days'),
           (2,  'Weekend Flash Sale', 30, t0 - interval '1 day',   t0 + interval '3 hours'),
           (3,  'Outdoor Week',       15, t0 + interval '2 hours', t0 + interval '2 days'),
           (4,  'Kitchen Days',       25, t0 + interval '1 day',   t0 + interval '8 days'),
           (5,  'Spring Clearance',   40, t0 - interval '30 days', t0 - interval '10 days'),
           (6,  'Summer Sale',        20, t0 - interval '60 days', t0 - interval '1 day'),
           (7,  'Members Deal',       10, t0 - interval '10 days', t0 + interval '30 days'),
           (8,  'Midnight Madness',   35, t0 + interval '6 hours', t0 + interval '12 hours'),
           (9,  'Bedding Bonanza',    15, t0 - interval '2 hours', t0 + interval '1 day'),
           (10, 'Cyber Week',         30, t0 + interval '3 days',  t0 + interval '10 days'),
           (11, 'Last Chance',        50, t0 - interval '5 days',  t0 + interval '45 minutes'),
           (12, 'Back to School',     12, t0 - interval '40 days', t0 - interval '20 days');

    -- ~10 % of products in a promotion, a third of those in a second one as well.
    INSERT INTO catalog.promotion_products (promotion_id, product_id)
    SELECT DISTINCT promo, p.id
    FROM catalog.products AS p
    CROSS JOIN LATERAL (
        SELECT 1 + catalog.seed_pick(p.id, 71, 12) AS promo
        UNION ALL
        SELECT 1 + catalog.seed_pick(p.id, 72, 12) WHERE catalog.seed_pick(p.id, 73, 3) = 0
    ) AS pm
    WHERE catalog.seed_pick(p.id, 70, 100) < 10;

    FOR i IN 1 .. cardinality(rebuild) LOOP
        EXECUTE rebuild[i];
    END LOOP;

    -- Identity sequences continue after the explicit ids; fresh statistics for the planner.
    PERFORM setval(pg_get_serial_sequence('catalog.products', 'id'), (SELECT max(id) FROM catalog.products));
    PERFORM setval(pg_get_serial_sequence('catalog.variants', 'id'), (SELECT max(id) FROM catalog.variants));
    PERFORM setval(pg_get_serial_sequence('catalog.promotions', 'id'), (SELECT max(id) FROM catalog.promotions));

    ANALYZE catalog.markets, catalog.products, catalog.variants, catalog.prices, catalog.warehouses,
            catalog.stock, catalog.promotions, catalog.promotion_products;

    DROP TABLE IF EXISTS pg_temp.seed_plan, pg_temp.seed_category, pg_temp.seed_brand;
    RETURN created;
END;
$seed$;

-- The deliberately invalid feed rows (and any others the data now has), with the reason.
CREATE OR REPLACE VIEW catalog.demo_invalid_offers AS
SELECT f.product_key, f.offer_id, f.content_language, f.feed_label, r.reason
FROM catalog.feed AS f
CROSS JOIN LATERAL (
    SELECT 'gtin: invalid check digit (' || f.gtin || ')' AS reason
    WHERE f.gtin IS NOT NULL AND NOT catalog.gtin_is_valid(f.gtin)
    UNION ALL
    SELECT 'title: ' || length(f.title) || ' characters (max 150)'
    WHERE length(f.title) > 150
) AS r;
