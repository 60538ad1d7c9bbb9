"""`arbees-engine doctor`: check a deployment and say what is wrong in plain words.

Checks, in order: settings load; the config file and the Kalshi key file are not open to other
users; the kill file; PostgreSQL and Redis reachable and authenticated (and migrations applied);
venue and feed endpoints reachable; the clock against each venue's HTTP `Date` header (RFC 9110
§6.6.1; Kalshi signs requests with a millisecond timestamp, so a skewed clock gets every signed
call refused); a signed Kalshi call accepted when a key is configured; metrics not exposed beyond
loopback. Each check yields Finding(level, subject, text); exit status 1 when any is FAIL.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

OK, WARN, FAIL = "ok", "warn", "FAIL"
SKEW_WARN_S, SKEW_FAIL_S = 2.0, 5.0  # HTTP Date has 1 s resolution; Kalshi refuses stale signatures


@dataclass(frozen=True)
class Finding:
    """One result: level OK / WARN / FAIL, what was checked, and what to do about it."""

    level: str
    subject: str
    text: str


def check_settings():
    """(Settings or None, findings): a bad setting is named with what was wrong with it."""
    from pydantic import ValidationError

    from ..settings import Settings, config_file

    path = config_file()
    try:
        settings = Settings()
    except ValidationError as exc:
        found = [
            Finding(FAIL, "settings", f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})")
            for e in exc.errors()
        ]
        return None, found
    except Exception as exc:  # noqa: BLE001 - a broken TOML file, for one
        return None, [Finding(FAIL, "settings", f"cannot read the settings ({path}): {exc}")]
    source = f"{path}" if path.exists() else f"defaults and ARBEES_* variables ({path} does not exist)"
    return settings, [Finding(OK, "settings", f"loaded from {source}")]


def _private(path: Path, what: str, *, secret: bool) -> list[Finding]:
    """A file only its owner may change (and, when `secret`, read)."""
    try:
        st = path.stat()
    except OSError as exc:
        return [Finding(FAIL, what, f"{path} cannot be read: {exc.strerror}")]
    mode, found = stat.S_IMODE(st.st_mode), []
    bad = (stat.S_IRWXG | stat.S_IRWXO) if secret else (stat.S_IWGRP | stat.S_IWOTH)
    if mode & bad:
        found.append(
            Finding(
                FAIL,
                what,
                f"{path} has mode {mode:04o}: other users can "
                f"{'read or change' if secret else 'change'} it (run: chmod {'600' if secret else '644'} {path})",
            )
        )
    if st.st_uid != os.getuid():
        found.append(
            Finding(WARN, what, f"{path} belongs to uid {st.st_uid}, not to the engine's user ({os.getuid()})")
        )
    return found or [Finding(OK, what, f"{path} is private (mode {mode:04o})")]


def check_files(settings) -> list[Finding]:
    """Config file, Kalshi key file and kill file."""
    from ..adapters.kalshi.auth import KalshiAuthError, load_private_key
    from ..settings import config_file

    found = []
    if config_file().exists():
        found += _private(config_file(), "config file", secret=False)
    ep = settings.endpoints
    if ep.kalshi_key_file is not None:
        found += _private(Path(ep.kalshi_key_file), "Kalshi key file", secret=True)
        try:
            load_private_key(ep.kalshi_key_file)
        except KalshiAuthError as exc:
            found.append(Finding(FAIL, "Kalshi key file", str(exc)))
        if not ep.kalshi_key_id:
            found.append(
                Finding(WARN, "Kalshi key", "a key file is set but no key id (ARBEES_ENDPOINTS__KALSHI_KEY_ID)")
            )
    kill = settings.effective_kill_file()
    if kill.exists():
        found.append(Finding(WARN, "kill file", f"{kill} exists: the engine starts with its kill switch engaged"))
    return found


async def check_postgres(settings) -> list[Finding]:
    """Connect, authenticate, and compare applied migrations with the files."""
    import asyncpg

    from ..store.migrate import migration_files, migrations_dir

    if not settings.database_url:
        return [Finding(OK, "PostgreSQL", "no ARBEES_DATABASE_URL: a private server is started per run (demo use)")]
    where = _where(settings.database_url)
    try:
        conn = await asyncpg.connect(settings.database_url, timeout=5)
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        return [Finding(FAIL, "PostgreSQL", f"{where} refused the login: {exc}")]
    except asyncpg.InvalidCatalogNameError as exc:
        return [Finding(FAIL, "PostgreSQL", f"{where}: {exc} (create it, then run: arbees-engine migrate)")]
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return [Finding(FAIL, "PostgreSQL", f"cannot reach {where}: {exc or type(exc).__name__}")]
    try:
        exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")} if exists else set()
    finally:
        await conn.close()
    missing = [name for name, _sum, _sql in migration_files(migrations_dir()) if name not in done]
    if missing:
        return [
            Finding(
                FAIL,
                "PostgreSQL",
                f"{where}: {len(missing)} migration(s) not applied ({', '.join(missing)}): run arbees-engine migrate",
            )
        ]
    return [Finding(OK, "PostgreSQL", f"{where}: logged in, {len(done)} migrations applied")]


async def check_redis(settings) -> list[Finding]:
    """PING with the configured credentials; warn when a non-loopback Redis has no password."""
    import redis.asyncio as aioredis
    from redis.exceptions import AuthenticationError, ResponseError
    from redis.exceptions import ConnectionError as RedisConnectionError

    if not settings.redis_url:
        return [Finding(OK, "Redis", "no ARBEES_REDIS_URL: a private server is started per run (demo use)")]
    where = _where(settings.redis_url)
    client = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await client.ping()
    except AuthenticationError as exc:
        return [Finding(FAIL, "Redis", f"{where} refused the password: {exc}")]
    except ResponseError as exc:  # NOAUTH: a password is required and none was given
        return [Finding(FAIL, "Redis", f"{where}: {exc} (put the password in ARBEES_REDIS_URL)")]
    except (RedisConnectionError, OSError, TimeoutError) as exc:
        return [Finding(FAIL, "Redis", f"cannot reach {where}: {exc}")]
    finally:
        await client.aclose()
    parts = urlsplit(settings.redis_url)
    if not parts.password and not _loopback(parts.hostname):
        return [
            Finding(
                WARN,
                "Redis",
                f"{where} answers without a password on a non-loopback address: "
                "anyone who reaches it can send the engine commands",
            )
        ]
    return [Finding(OK, "Redis", f"{where}: PING answered")]


def _endpoints(settings, venues: list[str]) -> list[tuple[str, str]]:
    from ..adapters.registry import probes  # each venue folder's factory names its endpoints

    return probes(settings, venues)


async def check_venues(settings, venues: list[str]) -> list[Finding]:
    """Each endpoint answers over HTTP; its Date header is within SKEW_*_S of our clock."""
    found = []
    async with httpx.AsyncClient(timeout=settings.endpoints.http_timeout_s) as client:
        for name, url in _endpoints(settings, venues):
            sent = time.time()
            try:
                response = await client.get(url)
            except httpx.HTTPError as exc:
                found.append(Finding(FAIL, name, f"cannot reach {_where(url)}: {exc or type(exc).__name__}"))
                continue
            now = (sent + time.time()) / 2
            level = OK if response.status_code < 500 else WARN
            found.append(Finding(level, name, f"{_where(url)} answered HTTP {response.status_code}"))
            found += _skew(name, response.headers.get("date"), now)
        if "kalshi" in venues:
            found += await _kalshi_login(settings, client)
    return found


def _skew(name: str, date: str | None, now: float) -> list[Finding]:
    if not date:
        return [Finding(WARN, f"{name} clock", "no Date header: cannot compare clocks")]
    try:
        theirs = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return [Finding(WARN, f"{name} clock", f"unreadable Date header {date!r}")]
    skew = now - theirs  # > 0: our clock is ahead
    text = f"our clock is {abs(skew):.1f} s {'ahead of' if skew > 0 else 'behind'} the venue's"
    if abs(skew) > SKEW_FAIL_S:
        return [Finding(FAIL, f"{name} clock", text + ": signed requests will be refused; fix NTP (timedatectl)")]
    if abs(skew) > SKEW_WARN_S:
        return [Finding(WARN, f"{name} clock", text)]
    return [Finding(OK, f"{name} clock", f"within {SKEW_WARN_S:.0f} s of the venue's ({skew:+.1f} s)")]


async def _kalshi_login(settings, client: httpx.AsyncClient) -> list[Finding]:
    """A signed GET /portfolio/fills?limit=1: 401/403 means the key id or key is not accepted."""
    from ..adapters.kalshi.auth import KalshiAuthError, KalshiSigner

    ep = settings.endpoints
    if not (ep.kalshi_key_id and ep.kalshi_key_file):
        return [Finding(OK, "Kalshi login", "no key configured: public market data only (paper trading)")]
    try:
        signer = KalshiSigner.from_file(ep.kalshi_key_id, ep.kalshi_key_file)
    except KalshiAuthError:
        return []  # already reported by check_files
    url = ep.kalshi_base_url.rstrip("/") + "/portfolio/fills?limit=1"
    try:
        response = await client.get(url, headers=signer.headers("GET", urlsplit(url).path))
    except httpx.HTTPError as exc:
        return [Finding(FAIL, "Kalshi login", f"cannot reach {_where(url)}: {exc}")]
    if response.status_code in (401, 403):
        return [
            Finding(
                FAIL,
                "Kalshi login",
                f"Kalshi refused key {ep.kalshi_key_id!r} (HTTP {response.status_code}): "
                "wrong key id, a key revoked or not matching the file, or a skewed clock",
            )
        ]
    level = OK if response.status_code < 400 else WARN
    return [Finding(level, "Kalshi login", f"signed request answered HTTP {response.status_code}")]


def check_exposure(settings) -> list[Finding]:
    """Metrics and live trading settings that open more than the operator may mean."""
    found = []
    if settings.ops.metrics_port is not None and not _loopback(settings.ops.metrics_host):
        found.append(
            Finding(
                WARN,
                "metrics",
                f"served on {settings.ops.metrics_host}:{settings.ops.metrics_port} "
                "without authentication: keep it on 127.0.0.1 behind an authenticating proxy",
            )
        )
    if settings.live and not settings.live_authorization:
        found.append(Finding(WARN, "live trading", "ARBEES_LIVE is set without ARBEES_LIVE_AUTHORIZATION: paper only"))
    return found


async def run_doctor(venues: list[str]) -> list[Finding]:
    """Every check; network ones only when settings loaded. `venues`: names among kalshi,
    polymarket, espn whose endpoints to try."""
    settings, found = check_settings()
    if settings is None:
        return found
    found += check_files(settings) + check_exposure(settings)
    found += await check_postgres(settings)
    found += await check_redis(settings)
    found += await check_venues(settings, venues)
    return found


def format_findings(found: list[Finding]) -> str:
    """One line per finding, then a verdict."""
    lines = [f"  {f.level:<5} {f.subject}: {f.text}" for f in found]
    problems = sum(f.level == FAIL for f in found)
    warnings = sum(f.level == WARN for f in found)
    verdict = "all checks passed" if not problems else f"{problems} problem(s) to fix"
    return "\n".join(lines + [f"{verdict}{f', {warnings} warning(s)' if warnings else ''}"])


def _where(url: str) -> str:
    """host:port of a URL, never its credentials."""
    parts = urlsplit(url)
    host = parts.hostname or parts.path
    return f"{host}:{parts.port}" if parts.port else str(host)


def _loopback(host: str | None) -> bool:
    if not host or host == "localhost" or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
