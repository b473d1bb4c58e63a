"""JavaScript/TypeScript handlers, for the generators: advisor.importers.handlers.sends_js
owns the reading; here what stands in the way is reported as `Unpatchable`."""

from __future__ import annotations

from advisor.fix.cfn.template import Unpatchable
from advisor.importers.handlers import sends_js
from advisor.importers.handlers.sends import Untraced


def js_returns(text: str, handler: str | None) -> str:
    """What a handler returns: `event`, `nothing`, `other` (see sends_js.js_returns)."""
    try:
        return sends_js.js_returns(text, handler)
    except Untraced as exc:
        raise Unpatchable(str(exc)) from exc


__all__ = ["js_returns"]
