"""From an analysis (`FileResult`) to patches of the input files.

For each rewrite the engine applied (its changes grouped by finding), the generator
registered for the rule and the input's format edits the file; a rewrite whose
generator raises `Unpatchable` (or whose edit cannot be made on the text) is rolled back
and listed with the reason. With `verify=True` the patched files are checked
(advisor.fix.verify) and each patched rewrite says whether its file passed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import AdvisorError
from advisor.fix import registry
from advisor.fix.context import FixContext, Rewrite, Unpatchable, group_changes
from advisor.fix.diff import unified
from advisor.fix.textdoc import EditError

PATCHED, UNPATCHED = "patched", "not patched"


@dataclass
class RewriteFix:
    """What happened to one applied rewrite."""

    finding: str
    rule: str
    status: str  # PATCHED | UNPATCHED
    reason: str = ""  # why not patched
    notes: list[str] = field(default_factory=list)  # assumptions behind the values written
    verified: bool | None = None  # None: not verified (no --verify, or not patched)
    failed_check: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"finding": self.finding, "rule": self.rule,
                               "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if self.notes:
            out["notes"] = list(self.notes)
        if self.verified is not None:
            out["verified"] = self.verified
        if self.failed_check:
            out["failed_check"] = self.failed_check
        return out


@dataclass
class PatchedFile:
    path: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return unified(self.path, self.old, self.new)


@dataclass
class FileFix:
    """The patches for one input (a template, a Terraform module, a DSL file)."""

    source: str
    format: str
    files: list[PatchedFile] = field(default_factory=list)
    rewrites: list[RewriteFix] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # engine node -> name in the file
    support: set[str] = field(default_factory=set)  # see FixContext.support
    granted: set[str] = field(default_factory=set)  # see FixContext.granted
    checks: dict[str, str] = field(default_factory=dict)  # check -> "ok" | why it failed
    skipped: str | None = None  # found by a walk, not analysed: why (not a template, a FIFO)

    @property
    def changed(self) -> list[PatchedFile]:
        return [f for f in self.files if f.changed]

    def diff(self) -> str:
        return "".join(f.diff() for f in self.changed)

    @property
    def verified(self) -> bool | None:
        if not self.checks:
            return None
        return all(v == "ok" for v in self.checks.values())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source, "format": self.format,
            "errors": list(self.errors),
            "rewrites": [r.to_dict() for r in self.rewrites],
            "files": [f.path for f in self.changed],
            "checks": dict(self.checks),
            "diff": self.diff(),
        }
        if self.skipped:
            out["skipped"] = self.skipped
        return out


def fix_result(result: Any, *, verify: bool = False, options: Any = None,
               texts: dict[str, str] | None = None) -> FileFix:
    """Patches for an analyzed input (`advisor.pipeline.FileResult`, or anything with its
    `source`, `format`, `before`, `after`, `changes`). Never raises for the input.
    `texts`: file contents to use instead of reading them (path -> text)."""
    fix = FileFix(source=result.source, format=result.format)
    if getattr(result, "errors", None):
        fix.errors = [getattr(e, "message", str(e)) for e in result.errors]
        return fix
    if result.before is None or result.after is None:
        fix.errors = ["the input was not analyzed"]
        return fix
    rewrites = group_changes(list(result.changes))
    if not rewrites:
        return fix
    target = _open_target(result, fix, texts or {})
    if target is None:
        for rw in rewrites:
            fix.rewrites.append(RewriteFix(rw.finding, rw.rule, UNPATCHED,
                                           fix.errors[-1] if fix.errors else "cannot patch"))
        return fix
    missing: dict[str, str] = {}  # node added by a rewrite that was not patched -> its id
    for rw in rewrites:
        dep = next((missing[n] for n in rw.match if n in missing), None)
        if dep is not None:
            done = RewriteFix(rw.finding, rw.rule, UNPATCHED,
                              f"it applies to what {dep} adds, and that is not patched")
        else:
            done = _apply_one(result, rw, target, fix)
        if done.status != PATCHED:
            missing.update((n, rw.finding) for n in rw.added)
        fix.rewrites.append(done)
    try:
        fix.files = target.files()
    except EditError as exc:  # a combination of edits that cannot be written
        fix.errors.append(f"the edits could not be written together: {exc}")
        for r in fix.rewrites:
            if r.status == PATCHED:
                r.status, r.reason = UNPATCHED, f"edit conflict: {exc}"
        fix.files = []
    if verify and fix.changed:
        from advisor.fix.verify import verify_fix

        verify_fix(result, fix, options)
    return fix


def _open_target(result: Any, fix: FileFix, texts: dict[str, str]) -> Any:
    from advisor.fix.targets import open_target

    try:
        return open_target(result, texts)
    except Unpatchable as exc:
        fix.errors.append(str(exc))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        fix.errors.append(f"cannot read {result.source}: {exc}")
        return None
    except AdvisorError as exc:  # the file is gone, unreadable or no longer parses
        fix.errors.append(exc.diagnostics[0].message if exc.diagnostics else str(exc))
        return None


def _apply_one(result: Any, rw: Rewrite, target: Any, fix: FileFix) -> RewriteFix:
    gen = registry.generator(target.format, rw.rule)
    if gen is None:
        return RewriteFix(rw.finding, rw.rule, UNPATCHED,
                          f"no patch generator for {rw.rule} in {target.format} yet")
    ctx = FixContext(rewrite=rw, before=result.before, after=result.after, target=target,
                     names=fix.names, support=fix.support, granted=fix.granted)
    snap = target.snapshot()
    names_before, support_before = dict(fix.names), set(fix.support)
    granted_before = set(fix.granted)
    try:
        gen(ctx, target.for_rewrite(ctx))
        target.files()  # the edits so far must still render
    except (Unpatchable, EditError) as exc:
        target.restore(snap)
        fix.names.clear()
        fix.names.update(names_before)
        fix.support.clear()
        fix.support.update(support_before)
        fix.granted.clear()
        fix.granted.update(granted_before)
        return RewriteFix(rw.finding, rw.rule, UNPATCHED, str(exc))
    return RewriteFix(rw.finding, rw.rule, PATCHED, notes=list(ctx.notes))


def fix_source(path: str, options: Any = None, *, verify: bool = False,
               text: str | None = None) -> FileFix:
    """Analyze `path` and patch it."""
    from advisor.pipeline import Options, analyze_source

    options = options or Options()
    result = analyze_source(path, options, text=text)
    return fix_result(result, verify=verify, options=options)


def write_files(fix: FileFix, out_dir: str | None = None) -> list[str]:
    """Write the patched files in place, or under `out_dir` (same relative paths)."""
    written = []
    for f in fix.changed:
        dest = f.path
        if out_dir is not None:
            rel = os.path.relpath(f.path)
            if rel.startswith(".."):
                rel = os.path.basename(f.path)
            dest = os.path.join(out_dir, rel)
            os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        with open(dest, "w", encoding="utf-8", newline="") as fh:
            fh.write(f.new)
        written.append(dest)
    return written
