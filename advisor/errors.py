"""Diagnostics a person can act on, and the one exception type the library raises.

Every front end (DSL, CloudFormation, Terraform) reports problems as `Diagnostic`s: a
path, a 1-based line and column, a message, and a suggestion where one exists. They are
collected (several per file where the parser can go on) and raised together in one
`AdvisorError`, so the CLI can print them all and exit `ExitCode.INPUT` (2) without a
traceback. `ExitCode` is the one table of the command's exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of every `advisor` command (README, "Exit codes"); the worst wins."""

    CLEAN = 0  # no finding at or above --fail-on
    FINDINGS = 1  # findings at or above the --fail-on threshold (fmt --check: would change)
    INPUT = 2  # input errors: a file could not be read, parsed or analysed in time
    INTERNAL = 3  # internal error: a bug (an unexpected exception, a worker that died)
    INTERRUPTED = 130  # Ctrl+C (128 + SIGINT, the shell's convention)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one input, pointing at the place where it was found."""

    path: str
    line: int
    column: int
    message: str
    suggestion: str | None = None
    severity: str = "error"  # "error" stops analysis of the file; "info" is reported only
    source_line: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "message": self.message,
            "line": self.line,
            "column": self.column,
        }
        if self.suggestion:
            out["suggestion"] = self.suggestion
        if self.severity != "error":
            out["severity"] = self.severity
        return out

    def render(self) -> str:
        """`file:line:col: message`, the source line, a caret under the column, the hint."""
        head = f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"
        lines = [head]
        if self.source_line is not None:
            text = self.source_line.rstrip("\n")[:200].expandtabs(1)
            lines.append(f"    {text}")
            caret_at = max(0, min(self.column - 1, len(text)))
            lines.append("    " + " " * caret_at + "^")
        if self.suggestion:
            lines.append(f"    hint: {self.suggestion}")
        return "\n".join(lines)


class AdvisorError(Exception):
    """Input that cannot be turned into an architecture; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = sorted(diagnostics) if diagnostics else []
        first = self.diagnostics[0].render() if self.diagnostics else "invalid input"
        super().__init__(first)

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


def did_you_mean(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The closest candidate to a misspelt word, as a hint, or None when nothing is close."""
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only when a suggestion is wanted: keeps every command's start-up light

    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[match[0]] if match else None


def with_source(diag: Diagnostic, text: str | None) -> Diagnostic:
    """Attach the offending source line so `render` can draw the caret."""
    if text is None or diag.line < 1:
        return diag
    lines = text.splitlines()
    if diag.line > len(lines):
        return diag
    return Diagnostic(
        path=diag.path,
        line=diag.line,
        column=diag.column,
        message=diag.message,
        suggestion=diag.suggestion,
        severity=diag.severity,
        source_line=lines[diag.line - 1],
    )
