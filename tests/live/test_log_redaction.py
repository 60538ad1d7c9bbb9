"""No signature, key id, password or token in any log at any level (issue 11 §5): a DEBUG run of
a signed Kalshi websocket handshake and a signed REST order, against the local fake Kalshi
servers, logs neither the signatures the servers received nor the key id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import structlog
from live_fake_kalshi import FakeKalshiWs
from live_fake_kalshi_rest import FakeKalshiRest
from live_sink import RecordingSink

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.reconnect import ReconnectPolicy
from arbees_engine.logs import configure_logging
from arbees_engine.model import Order, Side, Venue
from arbees_engine.redact import mask_url, redact_event, redact_text

KEY_ID = "kid-4f1c9e2a-secret"
TICKER = "KXNBAGAME-26JUN13NYKSAS-SAS"


class RecordingSigner(KalshiSigner):
    """A real signer that remembers every header set it produced (what the servers received)."""

    def __init__(self, key_id, key) -> None:
        super().__init__(key_id, key)
        self.sent: list[dict[str, str]] = []

    def headers(self, method: str, path: str) -> dict[str, str]:
        """See KalshiSigner.headers; also recorded."""
        made = super().headers(method, path)
        self.sent.append(made)
        return made


@pytest.fixture
def debug_logging(caplog):
    """The engine's logging at DEBUG (structlog + stdlib), restored afterwards."""
    saved, level = structlog.get_config(), logging.getLogger().level
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")
    try:
        yield caplog
    finally:
        structlog.configure(**saved)
        logging.getLogger().setLevel(level)


async def test_debug_log_of_signed_handshake_and_order_has_no_signature(rsa_key, debug_logging, capsys):
    signer = RecordingSigner(KEY_ID, rsa_key)
    books = {TICKER: {"yes": {D("0.42"): D("13")}, "no": {D("0.56"): D("17")}}}
    async with FakeKalshiWs(books, public_key=rsa_key.public_key()) as server:
        stream = KalshiBookStream(
            [TICKER], url=server.url, signer=signer, policy=ReconnectPolicy(initial_s=0.01, cap_s=0.2)
        )
        task = asyncio.create_task(stream.run(RecordingSink()))
        try:
            async with asyncio.timeout(10):
                await server.subscribed.wait()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    with FakeKalshiRest(rsa_key.public_key()) as rest:
        client = KalshiOrderClient(
            signer,
            base_url=rest.base_url,
            env={"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE},
        )
        order = Order("c-log", "sig-1", f"kalshi:{TICKER}", Venue.KALSHI, Side.YES, D("0.42"), 1, datetime.now(UTC))
        await client.place_ioc(order)
        await client.aclose()
    # Code that logs headers by mistake is redacted too, in both logging systems.
    structlog.get_logger("test").debug("request", headers=signer.sent[-1], dsn="postgresql://u:pw-123@/db")
    logging.getLogger("httpx").debug("headers %s", signer.sent[-1])

    text = debug_logging.text + "\n".join(r.getMessage() for r in debug_logging.records) + capsys.readouterr().err
    assert len(signer.sent) >= 2 and "> GET /trade-api/ws/v2" in text  # the handshake was logged at DEBUG
    assert "KALSHI-ACCESS-SIGNATURE: ***" in text
    for headers in signer.sent:
        assert headers["KALSHI-ACCESS-SIGNATURE"] not in text
        assert headers["KALSHI-ACCESS-SIGNATURE"][:24] not in text
    assert KEY_ID not in text and "pw-123" not in text


def test_redaction_rules():
    assert (
        mask_url("postgresql://arbees_engine:s3cr3t@/arbees?host=/tmp/s&port=5432")
        == "postgresql://arbees_engine:***@/arbees?host=/tmp/s&port=5432"
    )
    assert mask_url("unix://operator:abc-_9@/tmp/r/redis.sock?db=3") == "unix://operator:***@/tmp/r/redis.sock?db=3"
    assert mask_url("rediss://redis.example:6380/0") == "rediss://redis.example:6380/0"
    assert redact_text("Authorization: Bearer eyJ.abc") == "Authorization: Bearer ***"
    assert redact_text("x?password=hunter2&db=1") == "x?password=***&db=1"
    assert "MIIE" not in redact_text("-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----")
    event = redact_event(
        None,
        "info",
        {
            "event": "x",
            "password": "hunter2",
            "api_key": "k",
            "n": 3,
            "nested": {"KALSHI-ACCESS-KEY": "kid"},
            "url": "redis://:pw@h/0",
        },
    )
    assert event == {
        "event": "x",
        "password": "***",
        "api_key": "***",
        "n": 3,
        "nested": {"KALSHI-ACCESS-KEY": "***"},
        "url": "redis://:***@h/0",
    }
