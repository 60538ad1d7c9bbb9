"""Polymarket Gamma and CLOB JSON → domain types (pure functions; the WS adapter may reuse them).

Gamma (https://docs.polymarket.com/api-reference/endpoints/gamma/get-events-keyset): GET
/events/keyset → {"events": [...], "next_cursor"} (the retired GET /events: a plain array), each
event with `markets[]` whose `outcomes`, `outcomePrices` and `clobTokenIds` are JSON-ENCODED
STRINGS; sports events carry `teams[]` with `ordering` "home"/"away".
CLOB (https://docs.polymarket.com/developers/CLOB/prices-books/get-book): GET /book?token_id=T →
{"bids": [{"price": "0.07", "size": "…"}] ascending, "asks": […] descending (best LAST),
"hash", "timestamp" (ms string)}; the WS market-channel `book` event has the same shape plus
`event_type: "book"` (https://docs.polymarket.com/developers/CLOB/websocket/market-channel).
The book of the YES token (outcome[0]) is the YES book; NO is its mirror.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal

from ...model import (
    BookLevel,
    BookUpdate,
    BookUpdateKind,
    FeeKind,
    FeeSchedule,
    ListingStatus,
    MarketListing,
    Venue,
)
from ..wire import (
    MAX_ID_CHARS,
    ParseError,
    Rejection,
    decimal_or_none,
    embedded_json_list,
    need,
    need_dict,
    need_list,
    need_str,
    price,
    short,
    size,
    text,
    timestamp,
    to_int,
    unix_time,
)
from .evidence import MARKET_TYPE_KEY, attach

NO_FEES = FeeSchedule(FeeKind.NONE)


def fee_schedule(market: dict) -> FeeSchedule:
    """`feesEnabled` + `feeSchedule` {rate, exponent, takerOnly} → FeeSchedule(POLYMARKET, …);
    NONE when fees are disabled (https://docs.polymarket.com/trading/fees). Raises ParseError
    ("bad_fee") when fees are enabled but the schedule is missing: trading it as fee-free could
    turn a 1¢ arbitrage into a loss, so the listing is refused rather than guessed."""
    schedule = market.get("feeSchedule")
    if not market.get("feesEnabled"):
        return NO_FEES
    if not isinstance(schedule, dict):
        raise ParseError("bad_fee", "feesEnabled without a feeSchedule")
    rate = decimal_or_none(schedule.get("rate"), "feeSchedule.rate") or Decimal(0)
    if rate < 0 or rate > 1:
        raise ParseError("bad_fee", f"feeSchedule.rate={rate}")
    maker = Decimal(0) if schedule.get("takerOnly", True) else rate
    return FeeSchedule(
        FeeKind.POLYMARKET, rate, maker, to_int(schedule.get("exponent", 1), "feeSchedule.exponent", 0, 10)
    )


def _min_order(market: dict) -> Decimal:
    """`orderMinSize` (shares) rounded up to whole contracts (Polymarket markets trade whole
    contracts here: step 1); 1 when absent. ParseError if < 0."""
    size = decimal_or_none(market.get("orderMinSize"), "orderMinSize")
    if size is None:
        return Decimal(1)
    if size < 0:
        raise ParseError("bad_size", f"orderMinSize={size}")
    return max(Decimal(1), size.to_integral_value(rounding=ROUND_CEILING))


def _status(market: dict, prices: list) -> tuple[str, str | None]:
    """(status, result): closed with outcomePrices ["1","0"] → settled/yes, ["0","1"] → settled/no,
    ["0.5","0.5"] → settled/split (a 50-50 resolution: each share pays $0.50, the UMA "unknown/
    50-50" outcome, https://docs.polymarket.com/developers/resolution/UMA). A market whose
    `umaResolutionStatus` is present but not "resolved" (proposed, disputed) is only closed."""
    if market.get("closed"):
        uma = market.get("umaResolutionStatus")
        if uma is not None and str(uma).lower() != "resolved":
            return "closed", None  # proposed or disputed: the oracle has not settled it yet
        values = [decimal_or_none(p, "outcomePrices") for p in prices]
        if len(values) == 2 and None not in values and sorted(values) == [0, 1]:
            return "settled", "yes" if values[0] == 1 else "no"
        if len(values) == 2 and values == [Decimal("0.5"), Decimal("0.5")]:
            return "settled", "split"
        return "closed", None
    if market.get("active", True) and market.get("acceptingOrders", True) is not False:
        return "open", None
    return "closed", None


def _event_context(event: dict | None) -> dict:
    """Teams, roles and league from a Gamma event (or {} without one)."""
    if not event:
        return {"teams": (), "roles": {}, "league": "", "event_id": "", "start": None}
    teams, roles = [], {}
    raw_teams = event.get("teams")
    for team in raw_teams if isinstance(raw_teams, list) else []:
        if isinstance(team, dict) and team.get("name"):
            name = text(team["name"], "teams[].name", MAX_ID_CHARS)
            teams.append(name)
            if team.get("ordering") in ("home", "away"):
                roles[name] = team["ordering"]
    sport = event.get("sport") if isinstance(event.get("sport"), dict) else {}
    league = event.get("seriesSlug") or sport.get("sport") or ""
    return {
        "teams": tuple(teams),
        "roles": roles,
        "league": text(league, "seriesSlug", MAX_ID_CHARS),
        "event_id": text(event.get("slug") or event.get("id"), "event.slug", MAX_ID_CHARS),
        "start": event.get("startTime") or event.get("eventDate"),
    }


def _start(market: dict, context: dict) -> tuple[datetime | None, date | None]:
    """(starts_at, start_date) from the first start field given: market `gameStartTime`, market
    `eventStartTime`, event `startTime`, event `eventDate` (Gamma GET /events). A date-only value
    ("2026-04-05", as `eventDate` is) is a calendar date, returned as start_date and never read as
    a 00:00Z start; any other value goes to `timestamp` (ParseError("bad_time") on garbage)."""
    value = market.get("gameStartTime") or market.get("eventStartTime") or context["start"]
    if isinstance(value, str):
        try:
            return None, datetime.strptime(value.strip(), "%Y-%m-%d").date()
        except ValueError:
            pass  # it has a time of day (or is garbage, which timestamp refuses)
    return timestamp(value, "start"), None


def parse_market(market: object, event: dict | None = None) -> MarketListing:
    """One Gamma market (two outcomes) → MarketListing. Raises ParseError.

    venue_market_id = clobTokenIds[0] (YES = outcome[0]), no_token_id = clobTokenIds[1],
    yes_label/no_label = outcomes[0]/[1]. Without `event`, the market's embedded `events[0]` is
    used. `extra` carries what the matcher needs to refuse non-moneyline markets:
    sports_market_type ("" if absent), neg_risk, condition_id, gamma_id, game_id.
    """
    market = need_dict(market, "market")
    gamma_id = need_str(market, "id", "market")
    outcomes = embedded_json_list(need(market, "outcomes", gamma_id), "outcomes")
    tokens = embedded_json_list(need(market, "clobTokenIds", gamma_id), "clobTokenIds")
    prices = embedded_json_list(market.get("outcomePrices") or "[]", "outcomePrices")
    if len(outcomes) != 2 or len(tokens) != 2:
        raise ParseError("not_binary", f"market {gamma_id}: {len(outcomes)} outcomes, {len(tokens)} tokens")
    outcomes = [text(o, "outcomes[]", MAX_ID_CHARS) for o in outcomes]
    tokens = [text(t, "clobTokenIds[]", MAX_ID_CHARS) for t in tokens]
    if event is None and isinstance(market.get("events"), list) and market["events"]:
        event = market["events"][0] if isinstance(market["events"][0], dict) else None
    context = _event_context(event)
    status, result = _status(market, prices)
    starts_at, start_date = _start(market, context)
    tick = decimal_or_none(market.get("orderPriceMinTickSize"), "orderPriceMinTickSize") or Decimal("0.01")
    if not Decimal(0) < tick < 1:
        raise ParseError("bad_tick", f"market {gamma_id}: orderPriceMinTickSize={tick:.6g} is not in (0, 1)")
    best_bid, best_ask = market.get("bestBid"), market.get("bestAsk")
    return attach(
        MarketListing(
            venue=Venue.POLYMARKET,
            venue_market_id=str(tokens[0]),
            event_id=context["event_id"] or gamma_id,
            title=text(market.get("question"), "question"),
            yes_label=str(outcomes[0]),
            no_label=str(outcomes[1]),
            teams=context["teams"],
            team_roles=context["roles"],
            league_hint=context["league"],
            starts_at=starts_at,
            start_date=start_date,
            closes_at=timestamp(market.get("endDate"), "endDate"),
            status=ListingStatus(status),
            result=result,
            tick=tick,
            fees=fee_schedule(market),
            rules=text(market.get("description"), "description"),
            best_bid=price(best_bid, "bestBid") if best_bid is not None else None,
            best_ask=price(best_ask, "bestAsk") if best_ask is not None else None,
            no_token_id=str(tokens[1]),
            slug=text(market.get("slug"), "slug", MAX_ID_CHARS),
            min_order_contracts=_min_order(market),
            extra={
                MARKET_TYPE_KEY: text(market.get("sportsMarketType"), "sportsMarketType", MAX_ID_CHARS),
                "neg_risk": "true" if market.get("negRisk") else "false",
                "condition_id": text(market.get("conditionId"), "conditionId", MAX_ID_CHARS),
                "gamma_id": gamma_id,
                "game_id": text(market.get("gameId") or (event or {}).get("gameId"), "gameId", MAX_ID_CHARS),
                "fee_type": text(market.get("feeType"), "feeType", MAX_ID_CHARS),
            },
        )
    )


def parse_events(payload: object) -> tuple[list[MarketListing], list[Rejection]]:
    """GET /events/keyset page ({"events": [...]}) or a plain event array → (listings, rejections).

    Every two-outcome market of every event becomes a listing with event context; a market or
    event that cannot be parsed is a rejection. Raises ParseError if there is no event list.
    """
    events = payload.get("data", payload.get("events")) if isinstance(payload, dict) else payload
    listings: list[MarketListing] = []
    rejections: list[Rejection] = []
    for index, event in enumerate(need_list(events, "events")):
        if not isinstance(event, dict) or not isinstance(event.get("markets"), list):
            rejections.append(Rejection("bad_event", f"event #{index} has no markets list"))
            continue
        for market in event["markets"]:
            try:
                listings.append(parse_market(market, event))
            except ParseError as exc:
                where = short(market.get("id")) if isinstance(market, dict) else "?"
                rejections.append(Rejection.of(exc, f"event {short(event.get('id'))} market {where}"))
    return listings, rejections


def _levels(raw: object, field: str) -> list[BookLevel]:
    levels = []
    for level in need_list(raw, field):
        if not isinstance(level, dict):
            raise ParseError("bad_level", f"{field} level {short(level)} is not an object")
        levels.append(BookLevel(price(level.get("price"), f"{field}.price"), size(level.get("size"), f"{field}.size")))
    return levels


def parse_book(payload: object, market_id: str, received_at: datetime | None = None) -> BookUpdate:
    """CLOB REST /book or WS `book` event → YES-token snapshot for `market_id`, levels best first.

    Missing `bids`/`asks` are empty. Raises ParseError for another `event_type`, bad levels
    (price outside 0..1, NaN, negative size, non-list).
    """
    payload = need_dict(payload, "book")
    event_type = payload.get("event_type")
    if event_type not in (None, "book"):
        raise ParseError("bad_event_type", f"event_type={short(event_type)}, expected book")
    bids = sorted(_levels(payload.get("bids") or [], "bids"), key=lambda lv: lv.price, reverse=True)
    asks = sorted(_levels(payload.get("asks") or [], "asks"), key=lambda lv: lv.price)
    return BookUpdate(market_id, tuple(bids), tuple(asks), BookUpdateKind.SNAPSHOT, seq=None, received_at=received_at)


def book_timestamp(payload: dict) -> datetime | None:
    """The venue's `timestamp` (Unix ms, string or number) of a book as aware UTC, or None."""
    raw = payload.get("timestamp")
    if raw is None:
        return None
    return unix_time(to_int(raw, "timestamp", 0, 10**14) / 1000, "timestamp")


def parse_midpoint(payload: object) -> Decimal:
    """CLOB GET /midpoint → {"mid": "0.1515"} → Decimal dollars. Raises ParseError."""
    return price(need(need_dict(payload, "midpoint"), "mid", "midpoint"), "mid")


def parse_prices_history(payload: object) -> list[tuple[datetime, Decimal]]:
    """CLOB GET /prices-history → [(time UTC, price dollars)]; `t` Unix s and `p` as numbers or
    strings. Raises ParseError on any bad point."""
    points = need_list(need(need_dict(payload, "prices-history"), "history", "response"), "history")
    out = []
    for point in points:
        point = need_dict(point, "history point")
        when = unix_time(to_int(need(point, "t", "point"), "t", 0, 10**11), "t")
        out.append((when, price(need(point, "p", "point"), "p")))
    return out
