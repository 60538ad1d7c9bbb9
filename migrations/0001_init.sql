-- Arbees system of record. Money: NUMERIC dollars (exact). Prices/marks: NUMERIC in [0, 1].
-- Probabilities: DOUBLE PRECISION in [0, 1]. NaN fails every range CHECK below because
-- PostgreSQL orders NaN above all numbers (https://www.postgresql.org/docs/current/datatype-numeric.html).

CREATE TABLE games (
    game_id       TEXT PRIMARY KEY,
    sport         TEXT NOT NULL,
    league        TEXT NOT NULL,
    home          TEXT NOT NULL,
    home_name     TEXT NOT NULL DEFAULT '',
    away          TEXT NOT NULL,
    away_name     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('scheduled', 'live', 'final', 'postponed', 'canceled')),
    home_score    INTEGER NOT NULL DEFAULT 0 CHECK (home_score >= 0),
    away_score    INTEGER NOT NULL DEFAULT 0 CHECK (away_score >= 0),
    period        INTEGER NOT NULL DEFAULT 0 CHECK (period >= 0),
    clock_s       DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (clock_s >= 0 AND clock_s <= 86400),
    start_time    TIMESTAMPTZ,
    model_p_home  DOUBLE PRECISION CHECK (model_p_home >= 0 AND model_p_home <= 1),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE markets (
    market_id        TEXT PRIMARY KEY,
    venue            TEXT NOT NULL CHECK (venue IN ('kalshi', 'polymarket')),
    venue_market_id  TEXT NOT NULL,
    game_id          TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('home', 'away', 'draw')),
    yes_team         TEXT,
    title            TEXT NOT NULL DEFAULT '',
    tick             NUMERIC(10, 6) NOT NULL CHECK (tick > 0 AND tick <= 1),
    fee_kind         TEXT NOT NULL CHECK (fee_kind IN ('kalshi', 'polymarket', 'none')),
    taker_rate       NUMERIC(10, 6) NOT NULL DEFAULT 0 CHECK (taker_rate >= 0 AND taker_rate < 1),
    maker_rate       NUMERIC(10, 6) NOT NULL DEFAULT 0 CHECK (maker_rate > -1 AND maker_rate < 1),
    fee_exponent     INTEGER NOT NULL DEFAULT 1 CHECK (fee_exponent >= 0),
    simulated        BOOLEAN NOT NULL DEFAULT false,
    no_token_id      TEXT,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (venue, venue_market_id)
);
CREATE INDEX markets_game_idx ON markets (game_id);

CREATE TABLE quotes (
    quote_id   BIGSERIAL PRIMARY KEY,
    market_id  TEXT NOT NULL,
    ts         TIMESTAMPTZ NOT NULL,
    bid        NUMERIC(10, 6) CHECK (bid >= 0 AND bid <= 1),
    ask        NUMERIC(10, 6) CHECK (ask >= 0 AND ask <= 1),
    bid_size   NUMERIC(18, 4) CHECK (bid_size >= 0 AND bid_size < 1e12),
    ask_size   NUMERIC(18, 4) CHECK (ask_size >= 0 AND ask_size < 1e12),
    UNIQUE (market_id, ts)
);

CREATE TABLE signals (
    signal_id       TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('edge', 'arb')),
    game_id         TEXT NOT NULL,
    legs            JSONB NOT NULL CHECK (jsonb_typeof(legs) = 'array'),
    model_prob      DOUBLE PRECISION NOT NULL CHECK (model_prob >= 0 AND model_prob <= 1),
    market_prob     DOUBLE PRECISION NOT NULL CHECK (market_prob >= 0 AND market_prob <= 1),
    edge            NUMERIC(18, 6) NOT NULL CHECK (edge >= -2 AND edge <= 1),
    kelly_fraction  DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (kelly_fraction >= 0 AND kelly_fraction <= 1),
    decision        TEXT NOT NULL CHECK (decision IN ('pending', 'approved', 'rejected', 'operator_rejected',
                                                      'expired', 'executed', 'unfilled')),
    reason          TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ,
    decided_at      TIMESTAMPTZ
);
CREATE INDEX signals_game_idx ON signals (game_id, created_at);

CREATE TABLE orders (
    client_order_id   TEXT PRIMARY KEY,
    signal_id         TEXT NOT NULL,
    market_id         TEXT NOT NULL,
    venue             TEXT NOT NULL CHECK (venue IN ('kalshi', 'polymarket')),
    side              TEXT NOT NULL CHECK (side IN ('yes', 'no')),
    limit_price       NUMERIC(10, 6) NOT NULL CHECK (limit_price >= 0 AND limit_price <= 1),
    contracts         INTEGER NOT NULL CHECK (contracts > 0),
    filled_contracts  INTEGER NOT NULL DEFAULT 0
                      CONSTRAINT orders_filled_contracts_check CHECK (filled_contracts >= 0 AND filled_contracts <= contracts),
    status            TEXT NOT NULL CHECK (status IN ('intent', 'sent', 'filled', 'partial', 'cancelled', 'rejected')),
    paper             BOOLEAN NOT NULL DEFAULT true,
    venue_order_id    TEXT,
    reason            TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_signal_idx ON orders (signal_id);
CREATE INDEX orders_status_idx ON orders (status);

CREATE TABLE fills (
    fill_id          TEXT PRIMARY KEY,
    client_order_id  TEXT NOT NULL REFERENCES orders (client_order_id),
    market_id        TEXT NOT NULL,
    venue            TEXT NOT NULL CHECK (venue IN ('kalshi', 'polymarket')),
    side             TEXT NOT NULL CHECK (side IN ('yes', 'no')),
    price            NUMERIC(10, 6) NOT NULL CHECK (price >= 0 AND price <= 1),
    contracts        INTEGER NOT NULL CHECK (contracts > 0),
    fee              NUMERIC(18, 6) NOT NULL CHECK (fee >= 0 AND fee < 1e9),
    filled_at        TIMESTAMPTZ NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX fills_order_idx ON fills (client_order_id);

CREATE TABLE positions (
    market_id     TEXT NOT NULL,
    side          TEXT NOT NULL CHECK (side IN ('yes', 'no')),
    venue         TEXT NOT NULL CHECK (venue IN ('kalshi', 'polymarket')),
    game_id       TEXT NOT NULL,
    contracts     INTEGER NOT NULL DEFAULT 0 CHECK (contracts >= 0),
    cost          NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (cost >= 0 AND cost < 1e12),
    realized_pnl  NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (realized_pnl > -1e12 AND realized_pnl < 1e12),
    fees          NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (fees >= 0 AND fees < 1e12),
    settled       BOOLEAN NOT NULL DEFAULT false,
    mark          NUMERIC(10, 6) CHECK (mark >= 0 AND mark <= 1),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (market_id, side)
);

-- Exactly one row (id = 1). Changed only by Store.apply_bankroll_delta, which inserts a
-- bankroll_ledger row (unique ref) and increments in one transaction: at most once, no lost update.
CREATE TABLE bankroll (
    id            SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    starting      NUMERIC(18, 6) NOT NULL CHECK (starting > 0 AND starting < 1e12),
    realized_pnl  NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (realized_pnl > -1e12 AND realized_pnl < 1e12),
    fees          NUMERIC(18, 6) NOT NULL DEFAULT 0 CHECK (fees > -1e12 AND fees < 1e12),
    version       BIGINT NOT NULL DEFAULT 0 CHECK (version >= 0),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE bankroll_ledger (
    entry_id        BIGSERIAL PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,
    realized_delta  NUMERIC(18, 6) NOT NULL CHECK (realized_delta > -1e12 AND realized_delta < 1e12),
    fee_delta       NUMERIC(18, 6) NOT NULL CHECK (fee_delta > -1e12 AND fee_delta < 1e12),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    ts      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    entity  TEXT NOT NULL,
    detail  JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity);

CREATE TABLE commands (
    command_id   TEXT PRIMARY KEY,
    operator     TEXT NOT NULL,
    action       TEXT NOT NULL,
    payload      JSONB NOT NULL DEFAULT '{}'::jsonb,
    issued_at    TIMESTAMPTZ NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ack          JSONB,
    acked_at     TIMESTAMPTZ
);

CREATE TABLE engine_state (
    instance       TEXT PRIMARY KEY,
    mode           TEXT NOT NULL CHECK (mode IN ('auto', 'manual', 'halted')),
    kill_engaged   BOOLEAN NOT NULL DEFAULT false,
    kill_reason    TEXT NOT NULL DEFAULT '',
    kill_operator  TEXT NOT NULL DEFAULT '',
    kill_at        TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
