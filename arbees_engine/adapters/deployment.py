"""Whether a venue's REST and websocket endpoints point at the same deployment."""

from __future__ import annotations

import structlog

from ..settings import EndpointSettings

log = structlog.get_logger(__name__)


def same_deployment(ep: EndpointSettings, rest_field: str, ws_field: str) -> bool:
    """False (and a warning) when the REST endpoint was pointed elsewhere (demo, a local server)
    but the websocket is still the production default: books would then come from another venue
    deployment than the markets, so the venue polls REST instead until both are configured."""
    defaults = type(ep).model_fields
    rest_moved = getattr(ep, rest_field) != defaults[rest_field].default
    ws_default = getattr(ep, ws_field) == defaults[ws_field].default
    if rest_moved and ws_default:
        log.warning(
            "websocket.disabled",
            reason=f"{rest_field} is overridden but {ws_field} is the production "
            f"default; set ARBEES_ENDPOINTS__{ws_field.upper()} to stream books",
            rest_url=getattr(ep, rest_field),
        )
        return False
    return True
