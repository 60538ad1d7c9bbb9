-- Issue 5 §5 and §2: a signal records the model's own probability as well as the shrunk one it
-- traded on, and a game keeps the pre-game prior it was priced with (so a restart keeps it).

ALTER TABLE signals
    ADD COLUMN raw_model_prob DOUBLE PRECISION
        CHECK (raw_model_prob >= 0 AND raw_model_prob <= 1),
    ADD COLUMN market_weight DOUBLE PRECISION NOT NULL DEFAULT 0
        CHECK (market_weight >= 0 AND market_weight <= 1);

ALTER TABLE games
    ADD COLUMN pregame_home_prob DOUBLE PRECISION
        CHECK (pregame_home_prob > 0 AND pregame_home_prob < 1),
    ADD COLUMN prior_source TEXT NOT NULL DEFAULT ''
        CHECK (prior_source IN ('', 'spread', 'market', 'feed'));
