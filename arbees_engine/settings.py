"""Engine settings: `ARBEES_*` environment variables over a TOML file over defaults.

The TOML file is `<platformdirs user_config_dir("arbees")>/config.toml` unless `ARBEES_CONFIG`
names another; nested tables map to nested models (`[limits] max_position_contracts = 200`), and
environment variables use `__` for nesting (`ARBEES_LIMITS__DAILY_LOSS_LIMIT=250`).
Money settings are Decimal dollars; probabilities floats 0..1; durations seconds.
Loading raises pydantic.ValidationError with every bad field named.

Live trading is switched on only from the environment (`ARBEES_LIVE` naming the venues, e.g.
`kalshi,polymarket`, or `1` for Kalshi alone, and `ARBEES_LIVE_AUTHORIZATION=I-ACCEPT-REAL-MONEY-RISK`),
never from a file: a config file that sets
`live` or `live_authorization` is refused (LiveFromFileRefused) so that a copied or shared
config can never put real money at risk by itself.

Passwords of external servers may come from files (`ARBEES_DATABASE_PASSWORD_FILE`,
`ARBEES_REDIS_PASSWORD_FILE`: 0600, owned by you, see arbees_engine.secret_files) instead of the
URL; `configured_database_url()` / `configured_redis_url()` put them in.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

LIVE_VENUE_NAMES = ("kalshi", "polymarket")
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on", "t", "y"), ("", "0", "false", "no", "off", "f", "n")


def config_dir() -> Path:
    """Directory for config.toml and the desk's remembered theme."""
    return Path(platformdirs.user_config_dir("arbees"))


def data_dir() -> Path:
    """Directory for embedded server data (demo PostgreSQL/Redis) and the kill file."""
    return Path(platformdirs.user_data_dir("arbees"))


#: Settings only the environment may set (module docstring).
ENV_ONLY_SETTINGS = ("live", "live_authorization")


class LiveFromFileRefused(ValueError):
    """A config file tried to switch live trading on; only the environment may (module docstring)."""


class _ConfigFileSource(TomlConfigSettingsSource):
    """The TOML file, refusing ENV_ONLY_SETTINGS (raises LiveFromFileRefused naming file and keys)."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        found = [key for key in ENV_ONLY_SETTINGS if key in data]
        if found:
            raise LiveFromFileRefused(
                f"config file {config_file()} sets {', '.join(found)}: live trading is enabled only from the "
                "environment (ARBEES_LIVE=1 and ARBEES_LIVE_AUTHORIZATION=I-ACCEPT-REAL-MONEY-RISK); "
                "remove these keys from the file"
            )
        return data


def config_file() -> Path:
    """Path of the TOML settings file (ARBEES_CONFIG overrides)."""
    return Path(os.environ.get("ARBEES_CONFIG") or config_dir() / "config.toml")


class RiskLimits(BaseModel):
    """Pre-trade limits. Dollars and contracts are Decimal (contracts to 0.01: fractional
    markets, model/contracts.py); seconds floats."""

    max_position_contracts: Decimal = Field(Decimal("500"), gt=0, decimal_places=2)
    max_game_exposure: Decimal = Field(Decimal("150"), gt=0)
    max_sport_exposure: Decimal = Field(Decimal("400"), gt=0)
    daily_loss_limit: Decimal = Field(Decimal("250"), gt=0)
    game_cooldown_s: float = Field(20.0, ge=0)
    min_price: Decimal = Field(Decimal("0.03"), ge=0, le=1)
    max_price: Decimal = Field(Decimal("0.97"), ge=0, le=1)
    quote_stale_s: float = Field(10.0, gt=0)
    game_state_stale_s: float = Field(30.0, gt=0)
    min_available_balance: Decimal = Field(Decimal("10"), ge=0)


class StrategySettings(BaseModel):
    """Edge and arbitrage thresholds. min_edge/min_arb_profit: dollars per contract."""

    min_edge: Decimal = Field(Decimal("0.04"), ge=0)
    min_arb_profit: Decimal = Field(Decimal("0.01"), ge=0)
    kelly_fraction: float = Field(0.25, gt=0, le=1)
    max_contracts_per_signal: Decimal = Field(Decimal("100"), gt=0, decimal_places=2)  # contracts
    manual_expiry_s: float = Field(30.0, gt=0)
    market_weight: float = Field(0.1, ge=0, le=1)  # shrink model toward the mid (pricing.blend)
    # Cross-venue arbitrage needs both contracts' terms shown equal (matching/equivalence.py).
    # Kalshi's game rules state no cancellation or postponement terms, so by default no real
    # Kalshi–Polymarket pair qualifies; an operator who has read both venues' rulebooks may
    # accept those two terms being unknown (overtime, draw and orientation are always checked).
    arb_accept_unknown_cancellation: bool = False
    arb_accept_unknown_postponement: bool = False
    # An arbitrage whose second leg fills less than its first (execution/legs.py): "unwind" buys the
    # other side of the first leg's market for the naked contracts, losing at most
    # legged_unwind_max_loss dollars per contract before fees; "hold" keeps them and alerts.
    legged_policy: str = Field("hold", pattern="^(hold|unwind)$")
    legged_unwind_max_loss: Decimal = Field(Decimal("0.03"), ge=0, le=1)


class EndpointSettings(BaseModel):
    """Base URLs of the real feeds and venues (configurable so tests can point at 127.0.0.1)."""

    espn_base_url: str = "https://site.api.espn.com/apis/site/v2/sports"
    # Kalshi's recommended hosts (docs.kalshi.com/getting_started/api_environments); = adapters/kalshi/config.py
    kalshi_base_url: str = "https://external-api.kalshi.com/trade-api/v2"
    polymarket_gamma_url: str = "https://gamma-api.polymarket.com"
    polymarket_clob_url: str = "https://clob.polymarket.com"
    espn_leagues: list[str] = Field(default_factory=lambda: ["basketball/nba", "football/nfl", "hockey/nhl"])
    kalshi_series: list[str] = Field(default_factory=lambda: ["KXNBAGAME", "KXNFLGAME", "KXNHLGAME"])
    venue_poll_s: float = Field(2.0, gt=0)
    poll_live_s: float = Field(5.0, gt=0)
    poll_idle_s: float = Field(120.0, gt=0)
    http_timeout_s: float = Field(10.0, gt=0)
    # Websocket books (issue 4). Kalshi's channel needs an API key; Polymarket's market channel is public.
    use_websockets: bool = True
    kalshi_ws_url: str = "wss://external-api-ws.kalshi.com/trade-api/ws/v2"
    polymarket_ws_url: str = "wss://ws-subscriptions-clob.polymarket.com/ws/market"
    # the authenticated user channel (our trades and orders), used only when Polymarket is live
    polymarket_user_ws_url: str = "wss://ws-subscriptions-clob.polymarket.com/ws/user"
    kalshi_key_id: str | None = None
    kalshi_key_file: Path | None = None
    # Live Polymarket (ARBEES_LIVE naming polymarket): the wallet key (0600 hex file) signs orders; the
    # CLOB API key file (0600 JSON) is created from the venue on the first live start when missing
    # (default: polymarket-api-key.json beside the key file). signature_type 0 EOA, 1 proxy, 2 Safe,
    # 3 deposit wallet (POLY_1271); funder: the address holding pUSD (default the signer). The start
    # is refused below polymarket_min_balance pUSD dollars; heartbeats every polymarket_heartbeat_s.
    polymarket_private_key_file: Path | None = None
    polymarket_api_key_file: Path | None = None
    polymarket_signature_type: int = Field(0, ge=0, le=3)
    polymarket_funder: str | None = None
    polymarket_chain_id: int = 137
    polymarket_min_balance: Decimal = Field(Decimal("10"), ge=0)
    polymarket_heartbeat_s: float = Field(5.0, gt=0, le=8)
    discover_every_s: float = Field(60.0, gt=0)
    # Feed liveness (adapters/watchdog.py): a subscribed market silent feed_silence_s seconds gets a REST
    # top-of-book check, then a resubscribe, then a reconnect; a ping unanswered feed_pong_timeout_s → reconnect.
    feed_silence_s: float = Field(30.0, gt=0)
    feed_ping_interval_s: float = Field(10.0, gt=0)  # Polymarket's text PING; Kalshi's protocol ping
    feed_pong_timeout_s: float = Field(10.0, gt=0)


class OpsSettings(BaseModel):
    """Process operations (arbees_engine/ops). Metrics are off unless `metrics_port` is set, and
        bind 127.0.0.1 unless `metrics_host` says otherwise (nothing is open by default).

        alert_urls: apprise URLs (e.g. "tgram://TOKEN/CHAT", "ntfy://topic", "json://host:port/path");
        alert_dedupe_s: the same alert is not repeated within this many seconds;
        alert_per_minute: at most this many alerts in any 60 s; ready_timeout_s: systemd READY=1 is sent
        after this long even if some venue has shown no book yet; venue_silent_s: a venue whose every book
    is stale, or whose freshest book is older than this, is "stale" (alert, /readyz; a quiet market
    may rightly not change for a minute); loop_lag_interval_s: lag sampling period.
    """

    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(None, ge=0, le=65535)
    alert_urls: list[str] = Field(default_factory=list)
    alert_dedupe_s: float = Field(300.0, ge=0)
    alert_per_minute: int = Field(20, gt=0)
    ready_timeout_s: float = Field(60.0, gt=0)
    venue_silent_s: float = Field(120.0, gt=0)
    loop_lag_interval_s: float = Field(0.05, gt=0)


class Settings(BaseSettings):
    """All engine settings. See module docstring for sources and precedence."""

    model_config = SettingsConfigDict(env_prefix="ARBEES_", env_nested_delimiter="__", extra="ignore")

    instance: str = "default"
    database_url: str | None = None
    redis_url: str | None = None
    mode: str = Field("auto", pattern="^(auto|manual|halted)$")
    starting_bankroll: Decimal = Field(Decimal("1000"), gt=0)
    kill_file: Path | None = None
    limits: RiskLimits = Field(default_factory=RiskLimits)
    strategy: StrategySettings = Field(default_factory=StrategySettings)
    endpoints: EndpointSettings = Field(default_factory=EndpointSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    quote_publish_interval_s: float = Field(0.25, gt=0)
    # ARBEES_LIVE: the venues that trade live, "kalshi,polymarket" (normalised, sorted); "1" (or
    # true/yes/on) is the older spelling of "kalshi" alone; "" is paper everywhere. See `live_venues`.
    live: str = ""
    live_authorization: str | None = None
    record_file: Path | None = None  # append every raw venue/feed message here (adapters.recording)
    # Operator commands (bus/signing.py): signed, valid command_ttl_s seconds; the engine refuses a
    # longer lifetime than command_max_ttl_s or an issued_at more than command_clock_skew_s ahead.
    operators_file: Path | None = None  # authorized operators (default bus.operators.operators_file())
    operator_keys_dir: Path | None = None  # this user's private keys (default bus.operators.keys_dir())
    command_ttl_s: float = Field(10.0, gt=0)
    command_max_ttl_s: float = Field(60.0, gt=0)
    command_clock_skew_s: float = Field(2.0, ge=0)

    @field_validator("live", mode="before")
    @classmethod
    def _live_venue_names(cls, value: object) -> str:
        """ARBEES_LIVE → "1" (Kalshi, the older spelling), "" (paper) or sorted venue names.
        Raises ValueError for a name that is not a venue that can trade live."""
        if value is None or isinstance(value, bool):
            return "1" if value else ""
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return "1"
        if text in FALSE_WORDS:
            return ""
        names = sorted({v.strip() for v in text.split(",") if v.strip()})
        unknown = [n for n in names if n not in LIVE_VENUE_NAMES]
        if unknown:
            raise ValueError(
                f"ARBEES_LIVE names {', '.join(unknown)}; venues that trade live: {', '.join(LIVE_VENUE_NAMES)}"
            )
        return ",".join(names)

    @property
    def live_venues(self) -> frozenset[str]:
        """The venues ARBEES_LIVE names ({"kalshi"} for "1"); each still needs the authorization phrase."""
        if self.live == "1":
            return frozenset({"kalshi"})
        return frozenset(v for v in self.live.split(",") if v)

    # Store writer (node/writer.py): hard bound of queued rows; a backlog over `store_backlog_unhealthy`
    # rows makes the store count as down (no new positions); seconds a shutdown spends draining it.
    store_queue_max: int = Field(200_000, gt=0)
    store_backlog_unhealthy: int = Field(10_000, gt=0)
    store_drain_timeout_s: float = Field(30.0, gt=0)
    store_journal_file: Path | None = None  # rows a timed-out shutdown drain leaves (default: effective_store_journal)
    database_password_file: Path | None = None  # password for database_url's user (0600 file)
    redis_password_file: Path | None = None  # password for redis_url's user (0600 file)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: init kwargs, then ARBEES_* env, then the TOML file."""
        return (init_settings, env_settings, _ConfigFileSource(settings_cls, toml_file=config_file()))

    def configured_database_url(self) -> str | None:
        """database_url with the password from database_password_file, if set (None: embedded).
        Raises UnsafeSecretFile for an unsafe or unreadable password file."""
        return self._with_password_file(self.database_url, self.database_password_file, "database password file")

    def configured_redis_url(self) -> str | None:
        """redis_url with the password from redis_password_file, if set (None: embedded).
        Raises UnsafeSecretFile for an unsafe or unreadable password file."""
        return self._with_password_file(self.redis_url, self.redis_password_file, "Redis password file")

    @staticmethod
    def _with_password_file(url: str | None, path: Path | None, what: str) -> str | None:
        if url is None:
            return None
        from .secret_files import url_with_password_file

        return url_with_password_file(url, path, what)

    def effective_kill_file(self) -> Path:
        """The kill file: its existence engages the kill switch (ARCHITECTURE.md)."""
        return self.kill_file or data_dir() / self.instance / "KILL"

    def effective_store_journal(self) -> Path:
        """The store writer's journal (JSON lines, 0600): rows the shutdown drain could not write,
        replayed into the store at the next start (store/journal.py)."""
        return self.store_journal_file or data_dir() / self.instance / "store-journal.jsonl"

    def effective_operators_file(self) -> Path:
        """The authorized-operators file the engine verifies command signatures against."""
        from .bus.operators import operators_file

        return self.operators_file or operators_file()

    def effective_operator_keys_dir(self) -> Path:
        """Where `operator add` writes and the CLI reads private operator keys."""
        from .bus.operators import keys_dir

        return self.operator_keys_dir or keys_dir()
