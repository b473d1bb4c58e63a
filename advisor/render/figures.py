"""Cost and latency figures as people read them, shared by the diagrams and the reports.

Estimates are read by duck typing (`monthly_usd`, `latency` dict) so a writer never
depends on how the estimate module builds them.
"""

from __future__ import annotations

from typing import Any

LATENCY_KEYS = ("response_p50_ms", "response_p99_ms", "delivery_p50_ms")
LATENCY_WORDS = {
    "response_p50_ms": "response p50",
    "response_p99_ms": "response p99",
    "delivery_p50_ms": "delivery p50",
}


def has_path(est: Any, which: str) -> bool:
    """Whether the estimate has a `which` ("response" or "delivery") path at all.

    A design no client waits on (queue -> function -> topic) has no response path; its
    response p50 is then not 0 ms but not applicable. Read from `has_response` when the
    estimate has it, else from the latency dict's `<which>_path` list when present;
    an estimate that says neither is taken to have the path."""
    if which == "response":
        flag = getattr(est, "has_response", None)
        if isinstance(flag, bool):
            return flag
    latency = getattr(est, "latency", None)
    if isinstance(latency, dict) and f"{which}_path" in latency:
        return bool(latency[f"{which}_path"])
    return True


def totals(est: Any) -> dict[str, float | None]:
    """monthly_usd and the three latency figures of an estimate (None when unknown or
    not applicable: no response path, nothing delivered)."""
    out: dict[str, float | None] = {"monthly_usd": None}
    out.update(dict.fromkeys(LATENCY_KEYS))
    if est is None:
        return out
    cost = getattr(est, "monthly_usd", None)
    out["monthly_usd"] = float(cost) if cost is not None else None
    latency = getattr(est, "latency", None) or {}
    for key in LATENCY_KEYS:
        if not has_path(est, key.split("_", 1)[0]):
            continue
        value = latency.get(key) if isinstance(latency, dict) else None
        out[key] = float(value) if value is not None else None
    return out


def delta(before: float | None, after: float | None) -> float | None:
    if before is None or after is None:
        return None
    return after - before


def money(value: float | None) -> str:
    if value is None:
        return "n/a"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def signed_money(value: float | None) -> str:
    if value is None:
        return "n/a"
    if round(value, 2) == 0:
        return "$0.00"
    return ("+" if value > 0 else "-") + f"${abs(value):,.2f}"


def ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 10_000:
        return f"{value / 1000:,.1f} s"
    return f"{value:,.0f} ms" if abs(value) >= 100 else f"{value:,.1f} ms"


def signed_ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    if round(value, 1) == 0:
        return "0 ms"
    return ("+" if value > 0 else "-") + ms(abs(value))


def percent(before: float | None, after: float | None) -> str:
    """Relative change, or '' when it has no meaning (unknown or zero base)."""
    if before is None or after is None or before == 0:
        return ""
    pct = (after - before) / before * 100
    return "0%" if round(pct) == 0 else f"{pct:+.0f}%"


def one_line(est: Any) -> str:
    """`$12.34/month · response p50 80 ms · p99 240 ms · delivery p50 60.1 s`; a figure
    that does not apply says so (`no response path`) instead of showing 0 ms."""
    t = totals(est)
    if est is None:
        return "no estimate"
    parts = [f"{money(t['monthly_usd'])}/month"]
    if t["response_p50_ms"] is None and t["response_p99_ms"] is None:
        parts.append("no response path")
    else:
        parts.append(f"response p50 {ms(t['response_p50_ms'])} · p99 {ms(t['response_p99_ms'])}")
    if t["delivery_p50_ms"] is None:
        parts.append("no delivery path")
    else:
        parts.append(f"delivery p50 {ms(t['delivery_p50_ms'])}")
    return " · ".join(parts)
