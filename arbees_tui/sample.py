"""Deterministic sample data for snapshot tests, the bench and demos: views only, fixed ids.

`sample_snapshot(now, ...)` builds a small believable desk; `synthetic_snapshot(now, games)`
builds a large one (bench); `QuoteStorm` yields quote/game events at a requested rate.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from arbees_engine.bus.messages import (
    AuditView,
    BankrollView,
    EngineStatus,
    FeedView,
    FillView,
    GameView,
    Heartbeat,
    LatencyView,
    LegView,
    PositionView,
    QuoteView,
    SignalView,
)

from .state import Snapshot

TEAMS = [
    ("BOS", "LAL"),
    ("NYK", "MIA"),
    ("KC", "BUF"),
    ("DAL", "PHI"),
    ("NYY", "LAD"),
    ("TOR", "EDM"),
    ("GSW", "DEN"),
    ("SF", "DET"),
]
SPORTS = ["nba", "nba", "nfl", "nfl", "mlb", "nhl", "nba", "nfl"]


def engine_status(now: datetime, mode: str = "auto", kill: bool = False, instance: str = "default") -> EngineStatus:
    """EngineStatus in `mode`; kill=True engages the kill switch (operator "ops", reason "drill")."""
    return EngineStatus(
        instance=instance,
        mode="halted" if kill else mode,
        kill_engaged=kill,
        resume_mode=mode,
        kill_reason="drill" if kill else "",
        kill_operator="ops" if kill else "",
        kill_at=now if kill else None,
        venues=["kalshi", "polymarket"],
        feed="sim",
        started_at=now - timedelta(hours=1),
        updated_at=now,
        engine_now=now,
        trading={"kalshi": "paper", "polymarket": "paper"},
        venue_feeds={"kalshi": "ok", "polymarket": "stale 1/6"},
        feeds=sample_feeds(),
        venue_states={"kalshi": {"ws": "live"}, "polymarket": {"ws": "silent 1/6"}},
        limits={
            "max_game_exposure": "150",
            "max_sport_exposure": "400",
            "daily_loss_limit": "250",
            "max_position_contracts": "500",
        },
        rejections={"cooldown": 10, "stale_quote": 4, "game_exposure": 2, "kalshi:disconnected": 1},
        exposure_by_game={"g0000": Decimal("24.25")},
        exposure_by_sport={"nba": Decimal("24.25")},
        latency={
            "tick_to_decision": LatencyView(p50_ms=0.42, p95_ms=1.1, p99_ms=2.35, count=18_204),
            "store_write": LatencyView(p50_ms=3.8, p95_ms=9.6, p99_ms=14.2, count=1_207),
            "event_loop_lag": LatencyView(p50_ms=0.9, p95_ms=2.0, p99_ms=4.1, count=3_600),
        },
    )


def sample_feeds(games: int = 6) -> dict[str, FeedView]:
    """Both venues' websocket feeds for the sample desk's first `games` games: Kalshi live (its
    markets heard from 1, 4, 7, ... seconds ago), Polymarket with P-g0004's market silent for 47 s
    ("silent 1/6") and P-g0005's never heard from (None)."""
    kalshi = {f"K-g{i:04d}-{home}": 1.0 + 3 * i for i, (_away, home) in enumerate(TEAMS[:games])}
    poly_age = {4: 47.0, 5: None}
    poly = {f"P-g{i:04d}-{home}": poly_age.get(i, 2.0 + i) for i, (_away, home) in enumerate(TEAMS[:games])}
    return {
        "kalshi": FeedView(state="live", last_message_age_s=1.0, market_age_s=kalshi, counts={"reconnects": 1}),
        "polymarket": FeedView(state="silent 1/6", last_message_age_s=2.0, market_age_s=poly, counts={"quiet_ok": 3}),
    }


def heartbeat(now: datetime, mode: str = "auto", kill: bool = False, age_s: float = 0.4, pid: int = 4242) -> Heartbeat:
    """A heartbeat `age_s` seconds old."""
    return Heartbeat(
        instance="default", pid=pid, seq=7, ts=now - timedelta(seconds=age_s), mode=mode, kill_engaged=kill
    )


def _game(i: int, now: datetime) -> GameView:
    away, home = TEAMS[i % len(TEAMS)]
    suffix = "" if i < len(TEAMS) else str(i // len(TEAMS))
    return GameView(
        game_id=f"g{i:04d}",
        sport=SPORTS[i % len(SPORTS)],
        league=SPORTS[i % len(SPORTS)].upper(),
        home=home + suffix,
        away=away + suffix,
        home_score=(i * 7) % 31,
        away_score=(i * 5) % 29,
        period=1 + i % 4,
        clock_s=float((i * 97) % 720),
        status="live",
        model_p_home=round(0.30 + (i * 0.077) % 0.5, 3),
        updated_at=now,
        **({"pregame_home_prob": 0.62, "prior_source": "market"} if i % 2 == 0 else {}),
    )


def _quotes(game: GameView, i: int, now: datetime) -> list[QuoteView]:
    out = []
    base = Decimal(str(round(game.model_p_home or 0.5, 2)))
    for j, venue in enumerate(("kalshi", "polymarket")):
        skew = Decimal((i + j) % 5 - 2) / 100
        bid = min(Decimal("0.97"), max(Decimal("0.02"), base + skew - Decimal("0.01")))
        out.append(
            QuoteView(
                market_id=f"{venue[0].upper()}-{game.game_id}-{game.home}",
                venue=venue,
                game_id=game.game_id,
                outcome="home",
                yes_team=game.home,
                title=f"{game.home} to win",
                yes_bid=bid,
                yes_ask=bid + Decimal("0.02"),
                yes_bid_size=Decimal(100 + i),
                yes_ask_size=Decimal(80 + i),
                seq=1,
                updated_at=now,
            )
        )
    return out


def sample_snapshot(
    now: datetime, mode: str = "auto", kill: bool = False, games: int = 6, arb: bool = False, book: bool = False
) -> Snapshot:
    """A small desk: `games` live games with quotes on both venues, signals (pending when manual;
    `arb`: also a pending two-leg arbitrage), two positions, a bankroll and audit lines. `book`:
    also a filled arbitrage on NYK@MIA (YES MIA at Kalshi, NO MIA at Polymarket, 30 each) and YES 20
    + NO 5 on one KC@BUF market (netted to YES 15). Deterministic for a given `now`."""
    snap = Snapshot(engine=engine_status(now, mode, kill), last_event_id="100-0")
    ents = snap.entities
    for i in range(games):
        g = _game(i, now)
        ents.setdefault("game", {})[g.game_id] = g
        for q in _quotes(g, i, now):
            ents.setdefault("quote", {})[q.market_id] = q
    for s in _signals(now, mode, kill, arb):
        ents.setdefault("signal", {})[s.signal_id] = s
    ents["position"] = _positions(book)
    ents["fill"] = {
        "f1": FillView(
            fill_id="f1",
            client_order_id="o1",
            market_id="K-g0000-LAL",
            venue="kalshi",
            side="yes",
            price=Decimal("0.41"),
            contracts=25,
            fee=Decimal("0.35"),
            filled_at=now - timedelta(minutes=4),
        )
    }
    ents["bankroll"] = {
        "bankroll": BankrollView(
            starting=Decimal("10000"),
            equity=Decimal("10012.40"),
            available=Decimal("9745.15"),
            realized_pnl=Decimal("12.75"),
            unrealized_pnl=Decimal("3.10"),
            fees=Decimal("0.35"),
            open_exposure=Decimal("24.25"),
            day_net_pnl=Decimal("12.75"),
            day_fees=Decimal("0.35"),
            updated_at=now,
        )
    }
    snap.audit = [
        AuditView(audit_id=10 - n, ts=now - timedelta(minutes=n), actor=actor, action=action, entity=ent, detail=detail)
        for n, (actor, action, ent, detail) in enumerate(
            [
                ("engine", "fill", "o1", "25 @ 0.41 kalshi"),
                ("engine", "signal", "s-002", "rejected: max exposure per game"),
                ("ops", "set_mode", "engine", f"mode={mode}"),
                ("engine", "start", "engine", "instance default"),
            ]
        )
    ]
    return snap


def _signals(now: datetime, mode: str, kill: bool, arb: bool) -> list[SignalView]:
    """The sample's signals: executed and rejected ones, a pending edge in manual mode and, with
    `arb`, a pending two-leg arbitrage (see sample_snapshot)."""
    leg = LegView(market_id="K-g0000-LAL", venue="kalshi", side="yes", limit_price=Decimal("0.41"), contracts=25)
    sigs = [
        SignalView(
            signal_id="s-001",
            version=1,
            signal_kind="edge",
            game_id="g0000",
            legs=[leg],
            model_prob=0.48,
            raw_model_prob=0.50,
            market_weight=0.12,
            market_prob=0.41,
            edge=Decimal("0.052"),
            decision="executed",
            reason="",
            created_at=now - timedelta(minutes=4),
        ),
        SignalView(
            signal_id="s-002",
            version=1,
            signal_kind="arb",
            game_id="g0001",
            legs=[leg],
            model_prob=0.55,
            market_prob=0.50,
            edge=Decimal("0.021"),
            decision="rejected",
            reason="max exposure per game",
            created_at=now - timedelta(minutes=2),
        ),
    ]
    if mode == "manual" and not kill:
        sigs += _pending(now, leg, arb)
    return sigs


def _pending(now: datetime, leg: LegView, arb: bool) -> list[SignalView]:
    """Manual mode's pending signals: an edge and, with `arb`, a two-leg arbitrage."""
    pending = [
        SignalView(
            signal_id="s-003",
            version=2,
            signal_kind="edge",
            game_id="g0002",
            legs=[leg],
            model_prob=0.61,
            raw_model_prob=0.63,
            market_weight=0.2,
            market_prob=0.55,
            edge=Decimal("0.043"),
            decision="pending",
            created_at=now - timedelta(seconds=5),
            expires_at=now + timedelta(seconds=25),
        )
    ]
    if arb:
        legs = [
            LegView(market_id="K-g0001-MIA", venue="kalshi", side="yes", limit_price=Decimal("0.44"), contracts=30),
            LegView(market_id="P-g0001-MIA", venue="polymarket", side="no", limit_price=Decimal("0.53"), contracts=30),
        ]
        pending.append(
            SignalView(
                signal_id="s-004",
                version=1,
                signal_kind="arb",
                game_id="g0001",
                legs=legs,
                model_prob=0.5,
                market_prob=0.5,
                edge=Decimal("0.018"),
                decision="pending",
                created_at=now - timedelta(seconds=3),
                expires_at=now + timedelta(seconds=27),
            )
        )
    return pending


def _positions(book: bool) -> dict[str, PositionView]:
    """The sample's positions by id (with `book`: the NYK@MIA arbitrage and the netted BUF market)."""
    held = [
        ("p1", "g0000", "K-g0000-LAL", "kalshi", "yes", 25, "0.41", "0.47"),
        ("p2", "g0000", "P-g0003-PHI", "polymarket", "no", 40, "0.35", "0.31"),
    ]
    if book:
        held += [
            ("a1", "g0001", "K-g0001-MIA", "kalshi", "yes", 30, "0.44", "0.40"),
            ("a2", "g0001", "P-g0001-MIA", "polymarket", "no", 30, "0.53", "0.58"),
            ("n1", "g0002", "K-g0002-BUF", "kalshi", "yes", 20, "0.50", "0.55"),
            ("n2", "g0002", "K-g0002-BUF", "kalshi", "no", 5, "0.47", "0.45"),
        ]
    out: dict[str, PositionView] = {}
    for pid, game_id, mkt, venue, side, qty, avg, mark in held:
        unrl = (Decimal(mark) - Decimal(avg)) * qty
        out[pid] = PositionView(
            position_id=pid,
            market_id=mkt,
            venue=venue,
            game_id=game_id,
            side=side,
            contracts=qty,
            avg_price=Decimal(avg),
            mark=Decimal(mark),
            unrealized_pnl=unrl,
            realized_pnl=Decimal("0"),
            fees=Decimal("0.35"),
        )
    return out


def synthetic_snapshot(now: datetime, games: int = 500, markets_per_game: int = 4) -> Snapshot:
    """A large desk for the bench: `games` games × `markets_per_game` markets (2 per venue)."""
    snap = Snapshot(engine=engine_status(now, "auto"), last_event_id="0-0")
    for i in range(games):
        g = _game(i, now)
        snap.entities.setdefault("game", {})[g.game_id] = g
        for k in range(markets_per_game // 2):
            for q in _quotes(g, i + k, now):
                q = q.model_copy(update={"market_id": f"{q.market_id}-{k}"}) if k else q
                snap.entities.setdefault("quote", {})[q.market_id] = q
    return snap


class QuoteStorm:
    """Random quote moves (and a game update every 20th event) over a synthetic snapshot's markets."""

    def __init__(self, snapshot: Snapshot, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.quotes = list(snapshot.entities.get("quote", {}).values())
        self.games = list(snapshot.entities.get("game", {}).values())
        self.n = 0

    def next(self, now: datetime):
        """One event view."""
        self.n += 1
        if self.n % 20 == 0:
            g = self.rng.choice(self.games)
            return g.model_copy(
                update={
                    "model_p_home": round(self.rng.uniform(0.05, 0.95), 3),
                    "updated_at": now,
                    "clock_s": max(0.0, g.clock_s - 1),
                }
            )
        q = self.rng.choice(self.quotes)
        bid = Decimal(self.rng.randint(5, 90)) / 100
        return q.model_copy(update={"yes_bid": bid, "yes_ask": bid + Decimal("0.02"), "updated_at": now})
