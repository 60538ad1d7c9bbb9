"""Win-probability calibration: data loaders for /work/shared/data/wp, metrics, report card and refits.

Entry points for the CLI: `cli.calibrate_main(argv) -> int` (`arbees-engine calibrate`) and
`cli.fit_main(argv) -> int` (`arbees-engine fit`). Loaders: `loaders.load_nfl`, `loaders.load_kalshi`,
`loaders_pbp.load_nba`, `loaders_pbp.load_nhl` → list[CalibrationRow]. Metrics in `metrics` (Brier, log
loss, reliability, game-level bootstraps of the Brier difference and of each bin's gap). Held-out
estimates: `oof.out_of_fold` (game-level K-fold forecasts; `calibrate --out-of-fold K`).
"""
