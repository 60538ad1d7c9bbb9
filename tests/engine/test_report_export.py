"""Issue 15: `arbees-engine report` prints fills, orders and daily P&L from the store for a UTC
date range and writes them as CSV; the CSV is checked against the store row by row."""

from __future__ import annotations

import csv
from decimal import Decimal

from engine_harness import sim_engine, sim_settings

from arbees_engine import cli
from arbees_engine import cli_commands as commands
from arbees_engine.ops.drive import drive_sim
from arbees_engine.settings import Settings


async def report(argv: list[str]) -> int:
    """`arbees-engine report ARGV` through its real parser and handler, without cli.main's global
    logging set-up (which would leak into later tests)."""
    args = cli.build_parser().parse_args(["report", *argv])
    return await commands.cmd_report(Settings(), args)


def _rows(path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_report_csv_matches_the_store(pg_dsn, redis_url, store, tmp_path, monkeypatch, capsys):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 120)
        await engine.settle_queue()
    fills = await store.load_fills()
    orders = await store.load_orders(limit=100_000)
    bank = await store.load_bankroll()
    assert fills and orders and bank is not None

    monkeypatch.setenv("ARBEES_DATABASE_URL", pg_dsn)
    out = tmp_path / "export"
    code = await report(["--from", "2000-01-01", "--to", "2099-12-31", "--csv", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"{len(fills)} fills, {len(orders)} orders" in printed and "wrote" in printed

    exported = _rows(out / "fills.csv")
    assert [r["fill_id"] for r in exported] == [f.fill_id for f in fills]
    for row, fill in zip(exported, fills):
        assert Decimal(row["price"]) == fill.price and int(row["contracts"]) == fill.contracts
        assert Decimal(row["fee"]) == fill.fee and row["market_id"] == fill.market_id
        assert row["side"] == fill.side.value and row["client_order_id"] == fill.client_order_id
    assert {r["client_order_id"] for r in _rows(out / "orders.csv")} == {o.client_order_id for o in orders}
    daily = _rows(out / "daily_pnl.csv")
    # the ledger's days add up to the bankroll the store holds
    assert sum(Decimal(r["realized_pnl"]) for r in daily) == bank.realized_pnl
    assert sum(Decimal(r["fees"]) for r in daily) == bank.fees == sum(f.fee for f in fills)
    assert all(Decimal(r["net_pnl"]) == Decimal(r["realized_pnl"]) - Decimal(r["fees"]) for r in daily)

    # a range with nothing in it exports empty tables, and a reversed one is refused
    empty = tmp_path / "empty"
    assert await report(["--from", "2001-01-01", "--csv", str(empty)]) == 0
    assert _rows(empty / "fills.csv") == [] and _rows(empty / "daily_pnl.csv") == []
    assert await report(["--from", "2001-01-02", "--to", "2001-01-01"]) == 2
