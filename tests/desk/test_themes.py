"""Themes load from themes/*.toml, register, switch from the palette/--theme, and are remembered."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbees_tui.cli import build_parser, operator_name
from arbees_tui.config import DeskConfig, load_config, save_config
from arbees_tui.themes import load_theme, load_themes

from .deskkit import make_app, settle, wait_for


def test_three_themes_ship():
    names = {t.name for t in load_themes()}
    assert {"arbees-dark", "arbees-light", "arbees-high-contrast"} <= names


def test_bad_theme_file_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nprimary = "#000000"\nsparkle = true\n')
    with pytest.raises(ValueError, match="sparkle"):
        load_theme(bad)


def test_config_round_trip_and_unreadable_file(tmp_path: Path):
    path = tmp_path / "sub" / "desk.toml"
    save_config(path, DeskConfig(theme="arbees-light", keymap={"desk.kill": "ctrl+k,f12"}))
    assert load_config(path) == DeskConfig(theme="arbees-light", keymap={"desk.kill": "ctrl+k,f12"})
    path.write_text("theme = [oops")
    assert load_config(path) == DeskConfig()


async def test_theme_flag_wins_and_choice_is_remembered(tmp_path: Path):
    path = tmp_path / "desk.toml"
    app = make_app(theme="arbees-high-contrast", config_path=path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "arbees-high-contrast"
        app.theme = "arbees-light"
        await wait_for(pilot, lambda: path.exists() and "arbees-light" in path.read_text())
    app2 = make_app(config_path=path)
    async with app2.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app2.theme == "arbees-light"


async def test_unknown_theme_falls_back_and_says_so(tmp_path: Path):
    app = make_app(theme="no-such-theme")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "arbees-dark"
        assert any("no-such-theme" in e for e in app.errors)


async def test_palette_switches_theme():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"Theme: arbees-light")
        await wait_for(
            pilot, lambda: "arbees-light" in str(app.screen.query("CommandList").first().get_option_at_index(0).prompt)
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "arbees-light")


def test_cli_parses_desk_flags_and_bench():
    args = build_parser().parse_args(
        ["--redis", "redis://127.0.0.1:7000/1", "--instance", "east", "--theme", "arbees-light", "--operator", "carol"]
    )
    assert (args.redis, args.instance, args.theme, operator_name(args), args.command) == (
        "redis://127.0.0.1:7000/1",
        "east",
        "arbees-light",
        "carol",
        None,
    )
    assert build_parser().parse_args(["bench-desk", "--games", "5"]).games == 5
    assert operator_name(build_parser().parse_args([]))  # login user


def test_theme_colours_survive_256_colour_terminals():
    """Over SSH COLORTERM is dropped and Textual renders in 256 colours: base colours are xterm-256
    palette entries, so the downgrade keeps them (Rich maps light greys one ramp step darker,
    hence the small tolerance; a hue shift would be far larger)."""
    from rich.color import Color, ColorSystem

    for theme in load_themes():
        for name in (
            "primary",
            "secondary",
            "accent",
            "warning",
            "error",
            "success",
            "foreground",
            "background",
            "surface",
            "panel",
        ):
            value = getattr(theme, name)
            colour = Color.parse(value)
            downgraded = colour.downgrade(ColorSystem.EIGHT_BIT)
            before, after = colour.get_truecolor(), downgraded.get_truecolor()
            assert max(abs(a - b) for a, b in zip(before, after)) <= 12, (theme.name, name, value, after)
