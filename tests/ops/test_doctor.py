"""`arbees-engine doctor` on a good setup (real PostgreSQL, Redis, a local venue server on 127.0.0.1
with an honest Date header and Kalshi's signature check) and on broken ones: unsafe key and config
files, an unknown database role, a dead Redis, a dead venue, a skewed venue clock, a refused key,
a bad setting."""

from __future__ import annotations

import email.utils
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

import pytest
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from arbees_engine.adapters.kalshi.auth import verify_signature
from arbees_engine.cli import main
from arbees_engine.ops.doctor import FAIL, OK, WARN, run_doctor
from arbees_engine.ops.embedded import free_port


class VenueServer:
    """Answers every GET with 200 and a Date header `skew_s` off; /portfolio/* needs a valid
    Kalshi signature from `public_key` and key id `key_id` (else 401)."""

    def __init__(self, public_key, key_id: str, skew_s: float = 0.0) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                path = urlsplit(self.path).path
                code = 200
                if "/portfolio/" in path:
                    headers = {k.upper(): v for k, v in self.headers.items()}
                    good = headers.get("KALSHI-ACCESS-KEY") == key_id and verify_signature(
                        public_key, headers, "GET", path
                    )
                    code = 200 if good else 401
                self.send_response(code)
                self.send_header("Date", email.utils.formatdate(time.time() + outer.skew_s, usegmt=True))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def date_time_string(self, timestamp=None):  # the Date send_response adds: skewed too
                return email.utils.formatdate(time.time() + outer.skew_s, usegmt=True)

            def log_message(self, *args):
                pass

        self.skew_s = skew_s
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def rsa_pair():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def good_setup(tmp_path, monkeypatch, pg_dsn, redis_url, rsa_pair):
    """Environment of a correct deployment; yields (tmp_path, venue server)."""
    key = tmp_path / "kalshi.pem"
    key.write_bytes(
        rsa_pair.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text("[limits]\nmax_position_contracts = 200\n")
    config.chmod(0o644)
    server = VenueServer(rsa_pair.public_key(), "kid-1")
    env = {
        "ARBEES_CONFIG": str(config),
        "ARBEES_DATABASE_URL": pg_dsn,
        "ARBEES_REDIS_URL": redis_url,
        "ARBEES_KILL_FILE": str(tmp_path / "KILL"),
        "ARBEES_ENDPOINTS__KALSHI_KEY_ID": "kid-1",
        "ARBEES_ENDPOINTS__KALSHI_KEY_FILE": str(key),
        "ARBEES_ENDPOINTS__KALSHI_BASE_URL": server.base + "/trade-api/v2",
        "ARBEES_ENDPOINTS__POLYMARKET_GAMMA_URL": server.base,
        "ARBEES_ENDPOINTS__POLYMARKET_CLOB_URL": server.base,
        "ARBEES_ENDPOINTS__ESPN_BASE_URL": server.base,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield tmp_path, server
    server.close()


@pytest.fixture
def keep_logging():
    """main() configures structlog onto this test's captured stderr; put the old config back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _by_subject(found) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in found:
        out.setdefault(f.subject, []).append(f)
    return out


async def test_good_setup_passes(good_setup):
    found = await run_doctor(["kalshi", "polymarket", "espn"])
    assert [f for f in found if f.level != OK] == []
    subjects = _by_subject(found)
    for subject in (
        "settings",
        "Kalshi key file",
        "PostgreSQL",
        "Redis",
        "Kalshi",
        "Kalshi clock",
        "Polymarket Gamma",
        "Polymarket CLOB",
        "ESPN",
        "Kalshi login",
    ):
        assert subject in subjects, subject
    assert "migrations applied" in subjects["PostgreSQL"][0].text


async def test_broken_setup_is_explained(good_setup, monkeypatch, pg_dsn):
    tmp_path, server = good_setup
    (tmp_path / "kalshi.pem").chmod(0o644)
    (tmp_path / "config.toml").chmod(0o666)
    (tmp_path / "KILL").write_text("stop")
    parts = urlsplit(pg_dsn)
    host = f"{parts.hostname}:{parts.port}" if parts.hostname else ""  # a Unix-socket DSN keeps ?host=<dir>
    monkeypatch.setenv("ARBEES_DATABASE_URL", urlunsplit(parts._replace(netloc=f"nobody_doctor@{host}")))
    monkeypatch.setenv("ARBEES_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("ARBEES_ENDPOINTS__POLYMARKET_GAMMA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("ARBEES_OPS__METRICS_PORT", "9464")
    monkeypatch.setenv("ARBEES_OPS__METRICS_HOST", "0.0.0.0")
    server.skew_s = -60.0  # the venue's clock a minute behind ours
    found = _by_subject(await run_doctor(["kalshi", "polymarket"]))
    texts = {s: " | ".join(f"{f.level} {f.text}" for f in fs) for s, fs in found.items()}
    assert "FAIL" in texts["Kalshi key file"] and "chmod 600" in texts["Kalshi key file"]
    assert "FAIL" in texts["config file"] and "other users can change it" in texts["config file"]
    assert texts["kill file"].startswith(WARN) and "kill switch engaged" in texts["kill file"]
    assert texts["PostgreSQL"].startswith(FAIL) and "refused the login" in texts["PostgreSQL"]
    assert texts["Redis"].startswith(FAIL) and "cannot reach" in texts["Redis"]
    assert texts["Polymarket Gamma"].startswith(FAIL) and "cannot reach" in texts["Polymarket Gamma"]
    skew = re.search(r"([0-9.]+) s ahead", texts["Kalshi clock"])  # 60 s set, plus the request's own time
    assert texts["Kalshi clock"].startswith(FAIL) and skew and 59.0 <= float(skew.group(1)) <= 65.0, texts[
        "Kalshi clock"
    ]
    assert texts["metrics"].startswith(WARN)


async def test_refused_kalshi_key(good_setup, monkeypatch):
    monkeypatch.setenv("ARBEES_ENDPOINTS__KALSHI_KEY_ID", "someone-else")
    found = _by_subject(await run_doctor(["kalshi"]))
    assert found["Kalshi login"][0].level == FAIL and "refused key 'someone-else'" in found["Kalshi login"][0].text


def test_bad_setting_via_the_cli(good_setup, monkeypatch, capsys, keep_logging):
    monkeypatch.setenv("ARBEES_MODE", "yolo")
    assert main(["doctor", "--venue", "none"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  settings: mode: String should match pattern" in out and "'yolo'" in out
    assert "1 problem(s) to fix" in out


def test_good_setup_via_the_cli(good_setup, capsys, keep_logging):
    assert main(["doctor"]) == 0
    assert capsys.readouterr().out.strip().endswith("all checks passed")
