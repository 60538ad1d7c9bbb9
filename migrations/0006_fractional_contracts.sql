-- Issue 13 item 2: Kalshi trades fractional contracts per market (minimum granularity 0.01,
-- docs.kalshi.com/getting_started/fixed_point_contracts; `*_fp` counts in kalshi-typescript 3.30.0).
-- Every contract count becomes an exact NUMERIC with at most 2 decimal places. The column is an
-- unconstrained NUMERIC with a CHECK rather than NUMERIC(p, 2): NUMERIC(p, 2) would round a
-- 2.505 silently, the CHECK refuses it. Existing whole counts convert exactly (5 → 5) and keep
-- their CHECKs (> 0, >= 0, filled <= contracts), which compare the same on NUMERIC.
-- markets.contract_step: the market's quantity grid, 1 (whole contracts) or 0.01 (fractional);
-- rows stored before this migration were whole-contract markets.

ALTER TABLE orders
    ALTER COLUMN contracts TYPE NUMERIC USING contracts::numeric,
    ALTER COLUMN filled_contracts TYPE NUMERIC USING filled_contracts::numeric,
    ADD CONSTRAINT orders_contracts_places_check
        CHECK (contracts = trunc(contracts, 2) AND contracts < 1e12),
    ADD CONSTRAINT orders_filled_contracts_places_check
        CHECK (filled_contracts = trunc(filled_contracts, 2));

ALTER TABLE fills
    ALTER COLUMN contracts TYPE NUMERIC USING contracts::numeric,
    ADD CONSTRAINT fills_contracts_places_check
        CHECK (contracts = trunc(contracts, 2) AND contracts < 1e12);

ALTER TABLE positions
    ALTER COLUMN contracts TYPE NUMERIC USING contracts::numeric,
    ADD CONSTRAINT positions_contracts_places_check
        CHECK (contracts = trunc(contracts, 2) AND contracts < 1e12);

ALTER TABLE markets
    ADD COLUMN contract_step NUMERIC NOT NULL DEFAULT 1
        CONSTRAINT markets_contract_step_check CHECK (contract_step IN (1, 0.01));
