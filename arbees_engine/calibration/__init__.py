"""Win-probability calibration: data loaders for /work/shared/data/wp, metrics, report card and refits.

Entry points for the CLI: `cli.calibrate_main(argv) -> int` (`arbees-engine calibrate`) and
`cli.fit_main(argv) -> int` (`arbees-engine fit`). Loaders: `loaders.load_nfl`, `loaders.load_kalshi`,
`loaders_pbp.load_nba`, `loaders_pbp.load_nhl` → list[CalibrationRow]. Metrics in `metrics`.
"""
