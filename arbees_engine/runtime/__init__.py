"""The engine kernel: the event loop's Engine, its trading pipeline and their helpers.

Process tooling (embedded servers, services, replay, drive, bench, summary) is in
`arbees_engine.ops` (`from arbees_engine.ops.embedded import EmbeddedPostgres, EmbeddedRedis`).
"""
