-- FeedSync demo catalog: a gentle stream of realistic changes (PostgreSQL 15). Requires schema.sql.
--
--   SELECT catalog.random_changes(20);   -- returns the number of changes applied
--
-- Applies change_count random changes in the calling transaction, each one small statement
-- touching one variant, product or promotion (1-3 rows), picked at random:
--   41 %  price change of one variant in one market, -20 .. -5 % or +5 .. +20 %
--   20 %  a variant sells out in one market (all its warehouses there to 0), or is restocked
--   15 %  a sale: one warehouse's quantity drops by 1-3 (usually no visible feed change)
--    8 %  a product joins or leaves a promotion that is not over
--    8 %  title edit (adds or removes " - New Season"; never makes a title over 150 characters)
--    5 %  description edit
--    2 %  a variant is discontinued (inactive, so it leaves the feed) or comes back
--    1 %  a promotion is extended or ended now; an expired one is restarted (each of these
--         changes the rows of ~1 % of the products at once)
-- Uses random(); call setseed() first for a repeatable sequence. Idempotent script.

CREATE OR REPLACE FUNCTION catalog.random_changes(change_count integer)
RETURNS integer
LANGUAGE plpgsql
AS $changes$
DECLARE
    lo       bigint;
    hi       bigint;
    v_id     bigint;
    p_id     bigint;
    v_market text;
    promo    record;
    r        double precision;
    n        bigint;
    done     integer := 0;
    attempts integer := 0;
BEGIN
    IF change_count IS NULL OR change_count < 0 THEN
        RAISE EXCEPTION 'catalog.random_changes: change_count must be zero or more, got %', change_count;
    END IF;

    SELECT min(id), max(id) INTO lo, hi FROM catalog.variants;
    IF lo IS NULL THEN
        RETURN 0;  -- empty catalog
    END IF;

    -- A pick can find nothing to change (e.g. restocking a variant without stock rows); it is
    -- then retried with another one, within a bound so that a strange catalog cannot spin.
    WHILE done < change_count AND attempts < 10 * change_count + 100 LOOP
        attempts := attempts + 1;
        n := 0;

        SELECT v.id, v.product_id INTO v_id, p_id
        FROM catalog.variants AS v
        WHERE v.id >= lo + floor(random() * (hi - lo + 1))::bigint
        ORDER BY v.id
        LIMIT 1;
        CONTINUE WHEN v_id IS NULL;

        SELECT pr.market INTO v_market
        FROM catalog.prices AS pr
        WHERE pr.variant_id = v_id
        ORDER BY random()
        LIMIT 1;

        r := random();

        IF r < 0.41 THEN
            -- Price change, rounded to the currency's minor unit.
            UPDATE catalog.prices AS pr
            SET amount = greatest(1, round(pr.amount * (1 + (CASE WHEN random() < 0.5 THEN -1 ELSE 1 END)
                                                            * (0.05 + 0.15 * random()))::numeric,
                                           catalog.currency_decimals(m.currency)))
            FROM catalog.markets AS m
            WHERE pr.variant_id = v_id
              AND pr.market = v_market
              AND m.code = pr.market;
            GET DIAGNOSTICS n = ROW_COUNT;

        ELSIF r < 0.61 THEN
            -- Sold out in this market, or back in stock.
            UPDATE catalog.stock AS s
            SET quantity = CASE WHEN t.total > 0 THEN 0 ELSE 5 + floor(40 * random())::integer END
            FROM (SELECT coalesce(sum(s2.quantity), 0) AS total
                  FROM catalog.stock AS s2
                  JOIN catalog.warehouses AS w ON w.id = s2.warehouse_id
                  WHERE s2.variant_id = v_id AND w.market = v_market) AS t
            WHERE s.variant_id = v_id
              AND s.warehouse_id IN (SELECT w.id FROM catalog.warehouses AS w WHERE w.market = v_market);
            GET DIAGNOSTICS n = ROW_COUNT;

        ELSIF r < 0.76 THEN
            -- A sale from one warehouse.
            UPDATE catalog.stock AS s
            SET quantity = greatest(0, s.quantity - 1 - floor(3 * random())::integer)
            WHERE (s.variant_id, s.warehouse_id) = (SELECT s2.variant_id, s2.warehouse_id
                                                    FROM catalog.stock AS s2
                                                    WHERE s2.variant_id = v_id AND s2.quantity > 0
                                                    ORDER BY random()
                                                    LIMIT 1);
            GET DIAGNOSTICS n = ROW_COUNT;

        ELSIF r < 0.84 THEN
            IF random() < 0.5 THEN
                -- The product joins a promotion that is running or upcoming.
                INSERT INTO catalog.promotion_products (promotion_id, product_id)
                SELECT pm.id, p_id
                FROM catalog.promotions AS pm
                WHERE pm.ends_at > now()
                ORDER BY random()
                LIMIT 1
                ON CONFLICT DO NOTHING;
            ELSE
                -- A product (the first promoted one from here on) leaves its promotion.
                DELETE FROM catalog.promotion_products AS pp
                WHERE (pp.promotion_id, pp.product_id) = (SELECT pp2.promotion_id, pp2.product_id
                                                          FROM catalog.promotion_products AS pp2
                                                          WHERE pp2.product_id >= p_id
                                                          ORDER BY pp2.product_id
                                                          LIMIT 1);
            END IF;
            GET DIAGNOSTICS n = ROW_COUNT;

        ELSIF r < 0.92 THEN
            UPDATE catalog.products AS p
            SET title = CASE WHEN p.title LIKE '% - New Season' THEN left(p.title, -length(' - New Season'))
                             ELSE p.title || ' - New Season' END,
                updated_at = now()
            WHERE p.id = p_id
              AND (p.title LIKE '% - New Season' OR length(p.title) <= 110);
            GET DIAGNOSTICS n = ROW_COUNT;

        ELSIF r < 0.97 THEN
            UPDATE catalog.products AS p
            SET description = CASE WHEN p.description LIKE '% Now with free returns.'
                                   THEN left(p.description, -length(' Now with free returns.'))
                                   ELSE p.description || ' Now with free returns.' END,
                updated_at = now()
            WHERE p.id = p_id;
            GET DIAGNOSTICS n = ROW_COUNT;

        ELSIF r < 0.99 THEN
            IF random() < 0.5 THEN
                UPDATE catalog.variants SET active = false WHERE id = v_id AND active;
            ELSE
                UPDATE catalog.variants SET active = true
                WHERE id = (SELECT v.id FROM catalog.variants AS v
                            WHERE v.id >= v_id AND NOT v.active
                            ORDER BY v.id
                            LIMIT 1);
            END IF;
            GET DIAGNOSTICS n = ROW_COUNT;

        ELSE
            SELECT pm.id, pm.starts_at, pm.ends_at INTO promo
            FROM catalog.promotions AS pm
            ORDER BY random()
            LIMIT 1;
            IF FOUND THEN
                IF promo.ends_at <= now() THEN
                    -- Expired: run it again, starting within 6 hours, for 1-7 days.
                    UPDATE catalog.promotions AS pm
                    SET starts_at = t.starts_at,
                        ends_at = t.starts_at + make_interval(days => 1 + floor(7 * random())::integer)
                    FROM (SELECT date_trunc('minute', now()) + make_interval(hours => floor(7 * random())::integer)
                                 AS starts_at) AS t
                    WHERE pm.id = promo.id;
                ELSIF promo.starts_at < now() AND random() < 0.5 THEN
                    -- Running: ended early, now.
                    UPDATE catalog.promotions SET ends_at = now() WHERE id = promo.id;
                ELSE
                    -- Running or upcoming: extended by 1-3 days.
                    UPDATE catalog.promotions
                    SET ends_at = ends_at + make_interval(days => 1 + floor(3 * random())::integer)
                    WHERE id = promo.id;
                END IF;
                GET DIAGNOSTICS n = ROW_COUNT;
            END IF;
        END IF;

        IF n > 0 THEN
            done := done + 1;
        END IF;
    END LOOP;

    RETURN done;
END;
$changes$;
