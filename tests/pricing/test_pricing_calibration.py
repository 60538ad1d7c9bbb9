"""Calibration on the development data in /work/shared/data/wp, with the assignment's targets as bounds."""

from __future__ import annotations

import pytest

from arbees_engine.calibration.cli import calibrate_main, fit_main
from arbees_engine.calibration.loaders import load_kalshi, load_nfl
from arbees_engine.calibration.loaders_pbp import load_nba, load_nhl
from arbees_engine.calibration.metrics import bootstrap_brier_diff, brier, log_loss, reliability
from arbees_engine.model import Sport
from arbees_engine.pricing import model_for
from pricing_states import WP_DATA

NFL = WP_DATA / "nfl_nflscrapR_postseason_2009_2019_pbp.csv"
NBA = WP_DATA / "nba_gsw_2017_18_pbp_bigdataball.csv"
NHL = WP_DATA / "nhl_games_2017_2020.csv"
KALSHI = WP_DATA / "kalshi_nba_game_1min_candles_2025_last4h.csv"


def _scores(rows, reference):
    rows = [r for r in rows if reference in r.references]
    model = model_for(rows[0].state.sport)
    ys = [r.outcome for r in rows]
    return brier([model.p_home(r.state) for r in rows], ys), brier([r.references[reference] for r in rows], ys), rows


def test_nfl_model_at_least_as_good_as_nflscrapr_on_the_same_plays():
    ours, ref, rows = _scores(load_nfl(NFL), "home_wp")
    assert len(rows) > 10_000 and all(r.state.period <= 4 for r in rows)
    assert ours <= ref
    assert ours < 0.1767  # the plain Stern normal baseline (μ = 2, σ = 13.86) of SOURCES.md


def test_nba_model_beats_plain_stern_with_and_without_a_strength_prior():
    ours, plain, _ = _scores(load_nba(NBA), "stern_plain")
    assert ours < plain
    rated, plain_again, _ = _scores(load_nba(NBA, {"GSW": 11.35}), "stern_plain")
    assert plain_again == plain and rated < ours


def test_nhl_model_beats_plain_league_average_poisson():
    ours, plain, rows = _scores(load_nhl(NHL), "poisson_plain")
    assert len(rows) == 163 * 12
    assert ours < plain


def test_kalshi_rows_have_market_reference_and_prior():
    rows = load_kalshi(KALSHI)
    assert rows and all(0 < r.state.pregame_home_prob < 1 and 0 < r.references["kalshi"] < 1 for r in rows)
    late = [r for r in rows if r.stratum == "T-015m"]
    # 15 minutes before the last trade the market knows nearly everything: its Brier is small
    assert brier([r.references["kalshi"] for r in late], [r.outcome for r in late]) < 0.1


def test_metrics_on_hand_computed_values():
    ps, ys = [0.9, 0.2, 0.5], [1.0, 0.0, 1.0]
    assert brier(ps, ys) == pytest.approx((0.01 + 0.04 + 0.25) / 3)
    assert log_loss([0.5], [1.0]) == pytest.approx(0.6931471805599453)
    bins = reliability([0.51, 0.49, 0.12], [1.0, 0.0, 0.0])
    assert [(b.centre, b.count) for b in bins] == [(0.1, 1), (0.5, 2)]
    diff, lo, hi = bootstrap_brier_diff(ps, [0.5, 0.5, 0.5], ys, ["a", "b", "c"], draws=200)
    assert lo <= diff <= hi and diff == pytest.approx(brier(ps, ys) - 0.25)


def test_calibrate_command_prints_report_card(capsys):
    assert calibrate_main(["--sport", "football", "--data", str(NFL), "--reference", "home_wp", "--draws", "100"]) == 0
    out = capsys.readouterr().out
    for needle in ("Brier", "log loss", "reliability (model)", "reliability (reference home_wp)", "by period",
                   "Q4", "bootstrap 95% CI"):
        assert needle in out


def test_calibrate_command_rejects_bad_input(capsys, tmp_path):
    assert calibrate_main(["--sport", "hockey", "--data", str(tmp_path / "missing.csv")]) == 2
    assert calibrate_main(["--sport", "hockey", "--data", str(NHL), "--reference", "no_such_column"]) == 2
    assert calibrate_main(["--sport", "soccer", "--data", str(NHL)]) == 2
    assert "error:" in capsys.readouterr().err


def test_fit_command_reproduces_module_constants(capsys):
    from arbees_engine.pricing import football

    assert fit_main(["--sport", "football", "--data", str(NFL)]) == 0
    out = capsys.readouterr().out
    assert f"lead = {round(football.COEFS[0], 4)}" in out
    assert f"expected_points = {round(football.COEFS[1], 4)}" in out
    assert f"time_floor = {football.TIME_FLOOR}" in out


def test_loader_rejects_a_file_with_the_wrong_layout(tmp_path):
    from arbees_engine.calibration.loaders import LoaderError

    bad = tmp_path / "nfl.csv"
    bad.write_text("game_id,qtr,home_win\n1,one,1\n")
    with pytest.raises(LoaderError, match="qtr"):
        load_nfl(bad)
    (tmp_path / "empty.csv").write_text("game_id\n")
    with pytest.raises(LoaderError, match="no data rows"):
        load_nfl(tmp_path / "empty.csv")
