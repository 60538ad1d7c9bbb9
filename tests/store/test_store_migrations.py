"""Migrations: apply to an empty database in order, once; concurrent runs do not race;
an edited, already-applied file is refused."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from pathlib import Path

import asyncpg
import pytest

from arbees_engine.store import MigrationError, migrate, migrations_dir

_names = itertools.count(1)
EXPECTED_TABLES = {
    "games",
    "markets",
    "quotes",
    "signals",
    "orders",
    "fills",
    "positions",
    "bankroll",
    "bankroll_ledger",
    "audit_log",
    "commands",
    "engine_state",
    "schema_migrations",
}


async def _empty_db(pg_server) -> str:
    return await pg_server.create_database(f"arbees_mig_{next(_names)}")


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def test_migrate_empty_database_then_nothing_on_second_run(pg_server) -> None:
    dsn = await _empty_db(pg_server)
    files = sorted(p.name for p in migrations_dir().glob("[0-9][0-9][0-9][0-9]_*.sql"))
    assert await migrate(dsn) == files
    assert await migrate(dsn) == []
    tables = {r["tablename"] for r in await _fetch(dsn, "SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert EXPECTED_TABLES <= tables
    recorded = await _fetch(dsn, "SELECT name, checksum FROM schema_migrations ORDER BY name")
    assert [r["name"] for r in recorded] == files
    assert all(len(r["checksum"]) == 64 for r in recorded)


async def test_concurrent_migrations_apply_each_file_once(pg_server) -> None:
    dsn = await _empty_db(pg_server)
    results = await asyncio.gather(*(migrate(dsn) for _ in range(5)))
    applied = [name for result in results for name in result]
    assert sorted(applied) == sorted(set(applied))  # no file applied twice
    assert len(applied) == len(list(migrations_dir().glob("[0-9][0-9][0-9][0-9]_*.sql")))
    assert sum(1 for r in results if r) == 1  # the lock holder applies everything; the rest find it done


async def test_changed_applied_migration_is_refused(pg_server, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), directory)
    dsn = await _empty_db(pg_server)
    await migrate(dsn, directory)
    first = sorted(directory.glob("0001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after being applied\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(dsn, directory)


async def test_new_numbered_file_is_applied_later(pg_server, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), directory)
    dsn = await _empty_db(pg_server)
    await migrate(dsn, directory)
    (directory / "9999_extra.sql").write_text("CREATE TABLE extra_test (id int);")
    assert await migrate(dsn, directory) == ["9999_extra.sql"]


async def test_env_override_and_missing_directory(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARBEES_MIGRATIONS_DIR", str(tmp_path))
    assert migrations_dir() == tmp_path
    monkeypatch.setenv("ARBEES_MIGRATIONS_DIR", str(tmp_path / "absent"))
    with pytest.raises(MigrationError, match="not found"):
        migrations_dir()


async def test_duplicate_migration_numbers_are_refused(pg_server, tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="two migrations numbered 0001"):
        await migrate(await _empty_db(pg_server), tmp_path)


def test_a_wheel_installs_every_migration_and_theme_under_share_arbees() -> None:
    """pyproject's data-files put them where migrations_dir()/themes_dir() look outside a checkout."""
    import glob
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    data_files = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    for target, folder, suffix in (
        ("share/arbees/migrations", "migrations", ".sql"),
        ("share/arbees/themes", "themes", ".toml"),
    ):
        shipped = {Path(p).name for pattern in data_files[target] for p in glob.glob(str(root / pattern))}
        assert shipped == {p.name for p in (root / folder).iterdir() if p.suffix == suffix} and shipped
