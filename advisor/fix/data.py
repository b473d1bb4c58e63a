"""The fix generators' own figures and notes (advisor/fix/data.yaml), read once."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml


@functools.cache
def _data() -> dict[str, Any]:
    with open(Path(__file__).with_name("data.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # type: ignore[no-any-return]


def throttling_limits() -> tuple[int, int, str]:
    """(rate limit rps, burst limit, the assumption to state beside the patch)."""
    d = _data()["apigw_throttling"]
    return int(d["rate_limit_rps"]), int(d["burst_limit"]), str(d["note"]).strip()


def xray_actions() -> list[str]:
    return [str(a) for a in _data()["xray_write"]["actions"]]


def access_log_format(api_type: str) -> str:
    d = _data()["access_log_format"]
    return str(d[api_type if api_type in ("http", "websocket") else "rest"]).strip()


def access_log_retention() -> int:
    return int(_data()["access_log_format"]["retention_days"])


def access_log_rest_note() -> str:
    return " ".join(str(_data()["access_log_format"]["note_rest"]).split())


def note(key: str) -> str:
    """A note stated beside the patch it explains (data.yaml `notes`)."""
    return " ".join(str(_data()["notes"][key]).split())


def service_integration(kind: str) -> dict[str, Any] | None:
    """How API Gateway (and the other native callers) reach a target kind."""
    found = _data()["service_integrations"]["targets"].get(kind)
    return dict(found) if found else None


def integration_action(spec: dict[str, Any], method: str) -> str | None:
    """The API action of a service integration (`spec`, from service_integration) that a
    handler's call makes: its method as the SDK names it (`send_message`, `sendMessage`),
    or a v3 command, which handler inspection names without its `Command` suffix
    (`SendMessage` for `new SendMessageCommand(...)`)."""
    actions = spec.get("actions") or {}
    found = actions.get(method) or actions.get(f"{method}Command")
    return str(found) if found else None


def service_target(kind: str) -> dict[str, str]:
    return dict(_data()["service_targets"][kind])


def pipe_source(kind: str) -> dict[str, Any] | None:
    found = _data()["pipes"]["sources"].get(kind)
    return dict(found) if found else None


def pipe_target(kind: str) -> dict[str, Any] | None:
    found = _data()["pipes"]["targets"].get(kind)
    return dict(found) if found else None
