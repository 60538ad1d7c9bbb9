"""Kalshi's default hosts are the ones its docs recommend today
(https://docs.kalshi.com/getting_started/api_environments) and the official SDK's default."""

from arbees_engine.adapters.kalshi.config import KALSHI_REST_URL, KALSHI_WS_URL, KalshiConfig
from arbees_engine.settings import EndpointSettings, Settings

#: npm kalshi-typescript 3.30.0, base.ts: BASE_PATH.
SDK_VERSION, SDK_BASE_PATH = "3.30.0", "https://external-api.kalshi.com/trade-api/v2"


def test_defaults_are_the_recommended_external_api_hosts():
    assert KALSHI_REST_URL == SDK_BASE_PATH
    assert KALSHI_WS_URL == "wss://external-api-ws.kalshi.com/trade-api/ws/v2"
    fields = EndpointSettings.model_fields
    assert (fields["kalshi_base_url"].default, fields["kalshi_ws_url"].default) == (KALSHI_REST_URL, KALSHI_WS_URL)


def test_default_config_streams_and_signs_the_documented_ws_path():
    cfg = KalshiConfig.from_settings(Settings())
    assert cfg.ws_path == "/trade-api/ws/v2" and cfg.streaming
