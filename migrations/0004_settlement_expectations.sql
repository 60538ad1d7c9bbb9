-- A real venue's market settles on the venue's own result, which can differ from the feed's final
-- score (runtime/settlement.py). The feed's expectation is kept here from the moment the feed
-- declares the game final until the venue resolves the market, so a restart in between still
-- compares the two; the venue's result is recorded on the same row, so the number of markets
-- the venue settled unlike the score (the desk header's count) is derived from this table.
-- Times are the engine's clock (UTC). Results as in MarketListing.result.

CREATE TABLE settlement_expectations (
    market_id     TEXT PRIMARY KEY,
    game_id       TEXT NOT NULL,
    expected      TEXT NOT NULL CHECK (expected IN ('yes', 'no')),
    final_at      TIMESTAMPTZ,  -- when the feed declared the game final; NULL if that write was lost
    venue_result  TEXT CHECK (venue_result IN ('yes', 'no', 'void', 'split')),
    settled_at    TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((venue_result IS NULL) = (settled_at IS NULL))
);
CREATE INDEX settlement_expectations_game_idx ON settlement_expectations (game_id);
