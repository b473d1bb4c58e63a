"""The text report is laid out without rich (advisor/report/textlayout.py) and reads
exactly as the rich-based writer printed it.

The reference below is that writer, kept only here, so each test renders the same
results both ways and compares the bytes: every sample and (beside the repository) every
corpus input at five widths, and generated reports (long words, wide and combining
characters, tabs, narrow layouts) at any width. The reference carries two corrections the
plain writer makes: column widths are counted in terminal cells, not characters (a path
with wide characters was cut with an ellipsis), and locations and notes are printed as
written (rich read `[word]` in them as markup and dropped it).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich import box
from rich.cells import cell_len as rich_cell_len
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from advisor.engine import Alternative, Finding
from advisor.errors import Diagnostic
from advisor.model import Location
from advisor.pipeline import FileResult, Options, Report, analyze_source
from advisor.report import common, text, textcells, textlayout
from advisor.vocabulary import PILLARS, SEVERITIES

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (40, 60, 80, 100, 160)
SGR = re.compile(r"\x1b\[[0-9;]*m")


# ----------------------------------------------------------------- the reference (rich)
def reference(report: Any, *, width: int) -> str:
    """The rich-based writer, uncoloured (advisor/report/text.py before the plain layout)."""
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, no_color=True, color_system=None,
                      width=width, highlight=False, emoji=False)
    for result in report.results:
        _ref_result(console, result, bool(getattr(report, "show_blocked", False)))
    _ref_summary(console, report)
    return buf.getvalue()


def _ref_message(f: Any) -> Text:
    msg = Text(str(f.message))
    if common.likely_mark(f):
        msg.append(" (likely)", style="dim")
    for alt in getattr(f, "alternatives", []) or []:
        msg.append(f"\n- fix: {alt.title} ({common.alt_delta_text(alt)})", style="dim")
        for note in common.alternative_notes(alt):
            msg.append(f"\n    {note}", style="dim")
    for line in common.evidence_lines(f):
        msg.append(f"\n- evidence: {line}", style="dim")
    return msg


def _ref_findings(console: Console, result: Any, findings: list[Any]) -> None:
    rows = [(f, f.severity, str(f.rule), text._where(f, result)) for f in findings]
    sev_w = max(len("severity"), *(rich_cell_len(r[1]) for r in rows))
    rule_w = max(len("rule"), *(rich_cell_len(r[2]) for r in rows))
    where_w = max(len("where"), *(rich_cell_len(line) for r in rows for line in r[3]))
    message_w = console.width - (sev_w + rule_w + where_w) - 8
    by_finding = {id(r[0]): r for r in rows}
    for pillar, items in common.by_pillar(findings):
        if message_w < text.MESSAGE_MIN:
            console.print(Text(common.pillar_title(pillar), style="bold"))
            for f in items:
                _, sev, rule, where = by_finding[id(f)]
                head = Text("  ")
                head.append(sev)
                head.append(f"  {rule}")
                rest = list(where)
                if rest and head.cell_len + 2 + rich_cell_len(rest[0]) <= console.width:
                    head.append(f"  {rest.pop(0)}")
                console.print(head, overflow="fold")
                for line in rest:
                    console.print(Padding(Text(line), (0, 0, 0, 4), expand=False),
                                  overflow="fold")
                console.print(Padding(_ref_message(f), (0, 0, 0, 4), expand=False),
                              overflow="fold")
            continue
        table = Table(title=common.pillar_title(pillar), title_justify="left",
                      box=box.SIMPLE_HEAD, show_edge=False, expand=True, title_style="bold")
        table.add_column("severity", no_wrap=True, width=sev_w)
        table.add_column("rule", no_wrap=True, width=rule_w)
        table.add_column("where", no_wrap=True, width=where_w)
        table.add_column("finding", ratio=1, min_width=text.MESSAGE_MIN, overflow="fold")
        for f in items:
            _, sev, rule, where = by_finding[id(f)]
            table.add_row(Text(sev), Text(rule), Text("\n".join(where)), _ref_message(f))
        console.print(table)


def _ref_result(console: Console, result: Any, show: bool) -> None:
    title = Text(f"{result.source} ({result.format})")
    if title.cell_len + 6 > console.width:
        console.print(title, overflow="fold")
        console.rule()
    else:
        console.rule(title, align="left")
    if getattr(result, "skipped", None):
        console.print(Text(f"skipped: {result.skipped}"))
        console.print()
        return
    for err in getattr(result, "errors", []):
        render = getattr(err, "render", None)
        console.print(Text(render() if render else str(err)))
    if getattr(result, "errors", None):
        console.print()
        return
    findings = list(getattr(result, "findings", []))
    if not findings:
        console.print(Text("no findings"))
    else:
        _ref_findings(console, result, findings)
    _ref_notes(console, result)
    rows = common.blocked_rows(result) if show else []
    if rows:
        console.print(Text(f"Blocked ({len(rows)})"))
        for rule, where, nodes, reason in rows:
            line = Text(f"{rule}  {where or nodes}  blocked by: {reason}")
            console.print(Padding(line, (0, 0, 0, 2), expand=False), overflow="fold")
    if common.has_estimates(result):
        table = Table(title="Before / after", title_justify="left", box=box.SIMPLE_HEAD,
                      show_edge=False, title_style="bold")
        for col in ("", "before", "after", "delta", ""):
            table.add_column(col, justify="right" if col else "left")
        for metric, before, after, delta, pct in common.rows(result):
            table.add_row(metric, before, after, Text(delta), pct)
        console.print(table)
        told = result.assumptions
        console.print(Text(told["workload"]), overflow="fold")
        if told["rows"]:
            console.print(Text("Assumptions"))
            for row in told["rows"]:
                console.print(Padding(Text(f"- {row['line']}"), (0, 0, 0, 2), expand=False),
                              overflow="fold")
    changes = list(getattr(result, "changes", []))
    if changes:
        console.print(Text("Changes applied"))
        for c in changes:
            console.print(Padding(Text(common.change_text(c)), (0, 0, 0, 2), expand=False),
                          overflow="fold")
    console.print()


def _ref_note(note: Any) -> str:
    hint = getattr(note, "suggestion", None)
    message = str(getattr(note, "message", note))
    return f"{message} (hint: {hint})" if hint else message


def _ref_notes(console: Console, result: Any) -> None:
    notes = list(getattr(result, "notes", None) or [])
    if not notes:
        return
    console.print(Text(f"Notes ({len(notes)})"))
    shown = notes[:text.NOTES_MAX]
    wheres = [text._note_where(note, result.source) for note in shown]
    where_w = max(rich_cell_len(w) for w in wheres)
    grid = Table.grid(padding=(0, 2))
    if where_w and where_w + 2 + text.MESSAGE_MIN <= console.width - 2:
        grid.add_column(no_wrap=True, width=where_w)
        grid.add_column(ratio=1, overflow="fold")
        for where, note in zip(wheres, shown, strict=True):
            grid.add_row(Text(where), Text(_ref_note(note)))
    else:
        grid.add_column(ratio=1, overflow="fold")
        for where, note in zip(wheres, shown, strict=True):
            if where:
                grid.add_row(Text(where))
            grid.add_row(Text(_ref_note(note)))
    console.print(Padding(grid, (0, 0, 0, 2)))
    if len(notes) > len(shown):
        console.print(Padding(Text(f"... and {len(notes) - len(shown)} more (all of them "
                                   "are in --format json)"), (0, 0, 0, 2), expand=False))


def _ref_summary(console: Console, report: Any) -> None:
    s = report.summary()
    sev = s["by_severity"]
    line = f"{s['files']} file(s), {s['findings']} finding(s): " + ", ".join(
        f"{sev.get(k, 0)} {k}" for k in SEVERITIES)
    if s.get("errors"):
        line += f"; {s['errors']} file(s) with input errors"
    if s.get("skipped"):
        line += f"; {s['skipped']} skipped"
    if any(common.has_estimates(r) for r in report.results):
        line += f"; cost change {common.figures.signed_money(s.get('cost_delta_usd_month'))}/month"
        savings = common.savings_text(s)
        if savings:
            line += f"; {savings}"
    console.print(Text(line))


# ----------------------------------------------------------------- helpers
def assert_same(expected: str, got: str, what: str) -> None:
    if expected == got:
        return
    old, new = expected.splitlines(), got.splitlines()
    n = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
             min(len(old), len(new)))
    context = "\n".join(f"  rich : {a!r}\n  plain: {b!r}"
                        for a, b in zip(old[max(0, n - 2):n + 3], new[max(0, n - 2):n + 3],
                                        strict=False))
    pytest.fail(f"{what}: line {n + 1} differs ({len(old)} vs {len(new)} lines)\n{context}")


def inputs_under(root: Path) -> list[Path]:
    """Every input a user would point the tool at: DSL designs, templates, and each
    folder of Terraform files (as the snapshot of the JSON reports takes them)."""
    found = set()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".arch", ".yaml", ".yml", ".json", ".template") \
                and p.name != "manifest.yaml" and "statemachine" not in str(p) \
                and not p.name.endswith(".asl.json"):
            found.add(p)
        elif p.is_file() and p.suffix == ".tf":
            found.add(p.parent)
    return sorted(found)


def check_every_width(results: list[FileResult], show_blocked: tuple[bool, ...]) -> None:
    report = Report(results=results)
    for blocked in show_blocked:
        report.show_blocked = blocked
        for width in WIDTHS:
            assert_same(reference(report, width=width),
                        text.write(report, color=False, width=width),
                        f"width {width}, show_blocked={blocked}")


# ----------------------------------------------------------------- same bytes as rich
def test_every_sample_reads_as_rich_printed_it() -> None:
    paths = inputs_under(ROOT / "samples")
    assert len(paths) > 20
    results = [analyze_source(str(p), Options()) for p in paths]
    assert sum(len(r.findings) for r in results) > 50 and any(r.notes for r in results)
    assert any(common.has_estimates(r) for r in results) and any(r.changes for r in results)
    check_every_width(results, (False, True))


def test_every_corpus_input_reads_as_rich_printed_it() -> None:
    roots = [shared_path("corpus", "serverless-patterns"),
             shared_path("corpus", "sam-translator", "input")]
    results = [analyze_source(str(p), Options()) for root in roots for p in inputs_under(root)]
    assert len(results) > 300
    check_every_width(results, (True,))


# generated reports: what the samples may not hold
ASCII_CHARS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:()$%,;'`")
WORD_CHARS = st.sampled_from(ASCII_CHARS + list("éüßøΩЖ·→—…")
                             + list("日本語テンプレート한국어\u0301\u0308"))
WORDS = st.one_of(  # all ASCII (most reports), or any of the characters above
    st.lists(st.text(st.sampled_from(ASCII_CHARS), min_size=1, max_size=70), min_size=1,
             max_size=30),
    st.lists(st.text(WORD_CHARS, min_size=1, max_size=70), min_size=1, max_size=30))
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\n", "\t", " \n  ", " " * 7, " " * 40, "\u3000"])


@st.composite
def messages(draw: Any) -> str:
    words = draw(WORDS)
    out = words[0]
    for word in words[1:]:
        out += draw(SEPARATORS) + word
    return out


@st.composite
def results(draw: Any) -> FileResult:
    source = draw(st.sampled_from(["t.yaml", "stacks/テンプレート/template.yaml",
                                   "ça/va/très-long-nom-de-dossier/modèle.yaml"]))
    findings = []
    for i in range(draw(st.integers(0, 6))):
        path = draw(st.sampled_from([source, "nested/子.yaml", "a/b/module/main.tf"]))
        alternatives = [Alternative(title=draw(messages()),
                                    cost_delta_usd_month=draw(st.sampled_from(
                                        [None, 0.0, -12.5, 3000.25])))
                        for _ in range(draw(st.integers(0, 2)))]
        findings.append(Finding(
            id=f"f{i}", rule=draw(st.from_regex(r"[A-Z]{2,5}(-[A-Z0-9]{2,9}){1,3}", fullmatch=True)),
            title="t", pillar=draw(st.sampled_from(PILLARS)),
            severity=draw(st.sampled_from(SEVERITIES)), nodes=["n"], message=draw(messages()),
            location=Location(path, draw(st.integers(1, 99999)), draw(st.integers(1, 999))),
            likely=draw(st.booleans()), alternatives=alternatives,
            construct_path=draw(st.one_of(st.none(), st.sampled_from(
                ["Stack/Api/Resource", "VeryLongStackName/Nested/Constructs/Deep/Resource"])))))
    notes = [Diagnostic(draw(st.sampled_from([source, "other/文件.yaml"])),
                        draw(st.integers(1, 9999)), draw(st.integers(1, 99)), draw(messages()),
                        severity="info")
             for _ in range(draw(st.integers(0, 3)))]
    return FileResult(source=source, format="cloudformation", findings=findings, notes=notes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(results(), min_size=1, max_size=3), st.integers(40, 200))
def test_generated_reports_read_as_rich_printed_them(found: list[FileResult],
                                                     width: int) -> None:
    report = Report(results=found)
    assert_same(reference(report, width=width), text.write(report, color=False, width=width),
                f"width {width}")


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(["", " ", "   ", " " * 12]), messages(), st.integers(1, 90),
       st.booleans())
def test_lines_break_where_rich_breaks_them(lead: str, message: str, width: int,
                                            fold: bool) -> None:
    from rich._wrap import divide_line

    for line in (lead + message).replace("\t", " ").split("\n"):
        assert textlayout.break_offsets(line, width, fold) == divide_line(line, width, fold)


# ----------------------------------------------------------------- what the layout keeps
def wide_result() -> FileResult:
    source = "スタック/テンプレート.yaml"
    finding = Finding(
        id="f1", rule="SEC-APIGW-AUTH", title="t", pillar="security", severity="error",
        nodes=["api"], message="API 注文 has no authorization: résumé of the café's "
        "re\u0301sume\u0301 " + "長い単語" * 20,
        location=Location("スタック/入れ子/子テンプレート.yaml", 12, 3))
    return FileResult(source=source, format="cloudformation", findings=[finding],
                      notes=[Diagnostic("スタック/入れ子/子テンプレート.yaml", 4, 1,
                                        "モジュール not followed", severity="info")])


@pytest.mark.parametrize("width", WIDTHS)
def test_wide_characters_are_measured_in_cells(width: int) -> None:
    wcwidth = pytest.importorskip("wcwidth")
    report = Report(results=[wide_result()])
    out = text.write(report, color=False, width=width)
    assert_same(reference(report, width=width), out, f"width {width}")
    where = "入れ子/子テンプレート.yaml:12:3"
    assert any(where in line for line in out.splitlines()), "the location was broken"
    for line in out.splitlines():
        assert wcwidth.wcswidth(line) <= width, line
    assert "長い単語長い" in out  # the long word is folded, not dropped


def _clear_cell_caches() -> None:
    for cached in (textcells._char_cells, textcells._cells_of, textcells._widened_by_vs16):
        cached.cache_clear()


def test_without_wcwidth_the_unicode_database_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textcells, "_wcwidth", textcells._UnicodeData())
    _clear_cell_caches()
    try:
        report = Report(results=[wide_result()])
        for width in WIDTHS:
            assert_same(reference(report, width=width),
                        text.write(report, color=False, width=width), f"width {width}")
    finally:
        _clear_cell_caches()


def test_brackets_in_locations_and_notes_are_printed_as_written() -> None:
    """rich read `[id]` as a style and dropped it, and `[/x]` as a closing tag with no
    opening one (an exception): paths and notes are the user's text, printed as is."""
    source = "pages/[id]/template.yaml"
    finding = Finding(id="f1", rule="OPS-LAMBDA-TRACING", title="t",
                      pillar="operational-excellence", severity="warning", nodes=["fn"],
                      message="fn has no tracing [/x]", location=Location("pages/[id]/x.yaml", 3, 1))
    note = Diagnostic("pages/[id]/x.yaml", 7, 2, "Fn::Select [bold] index [/b] not read",
                      severity="info")
    out = text.write(Report(results=[FileResult(source=source, format="cloudformation",
                                                findings=[finding], notes=[note])]),
                     color=False, width=100)
    assert "x.yaml:3:1" in out and "[/x]" in out
    assert "x.yaml:7:2" in out and "Fn::Select [bold] index [/b] not read" in out


def test_one_cell_characters_take_one_cell() -> None:
    """The shortcut that measures a string by its length holds only characters that take
    one cell by wcwidth and by rich."""
    wcwidth = pytest.importorskip("wcwidth")
    assert all(wcwidth.wcwidth(c) == 1 and rich_cell_len(c) == 1 for c in textcells.SINGLE_CELL)
    for sample in ("abc", "a\tb", "日本", "e\u0301", "👩\u200d💻", "☺\ufe0f", "x\x1by", "·→—"):
        assert textcells.cell_len(sample) == rich_cell_len(sample), sample


def test_fold_and_crop_never_split_a_character_cell() -> None:
    assert textcells.fold("日本語テスト", 5) == ["日本", "語テ", "スト"]
    assert textcells.fold("cafe\u0301s", 4) == ["cafe\u0301", "s"]
    assert textcells.set_cell_size("日本語", 5) == "日本 "
    assert textcells.set_cell_size("ab", 4) == "ab  "


# ----------------------------------------------------------------- colour
def sample_report() -> Report:
    paths = [ROOT / "samples" / "clickstream.arch", ROOT / "samples" / "clean-design.arch",
             ROOT / "samples" / "terraform" / "conditional"]
    return Report(results=[analyze_source(str(p), Options()) for p in paths], show_blocked=True)


@pytest.mark.parametrize("width", [40, 100])
def test_colour_is_only_added(width: int) -> None:
    report = sample_report()
    plain = text.write(report, color=False, width=width)
    coloured = text.write(report, color=True, width=width)
    assert "\x1b[1;31merror\x1b[0m" in coloured and "\x1b[33mwarning\x1b[0m" in coloured
    assert "\x1b[2m" in coloured and re.search("\x1b\\[(92|2)m─", coloured)  # rules
    assert SGR.sub("", coloured) == plain
    for line in coloured.splitlines():  # nothing painted runs on past its line
        assert line.count("\x1b[0m") == len(SGR.findall(line)) - line.count("\x1b[0m"), line


def test_no_color_and_a_pipe_get_no_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    report = sample_report()
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in text.write(report)
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b" not in text.write(report)  # pytest's stdout is not a terminal
    assert "\x1b[" in text.write(report, color=True)


def test_the_text_writer_does_not_load_rich() -> None:
    code = ("import sys; from advisor.pipeline import Options, Report, analyze_source; "
            "from advisor.report import text; "
            "out = text.write(Report([analyze_source('samples/clickstream.arch', Options())]), "
            "color=True, width=80); "
            "assert 'GLUE-APIGW-FIREHOSE' in out; "
            "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


# ----------------------------------------------------------------- the batch summary table
def reference_summary_table(rows: list[tuple[str, str]], width: int) -> str:
    """`advisor analyze`'s summary table as rich drew it (a box around every cell)."""
    table = Table(title="Summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for row in rows:
        table.add_row(*row)
    buf = io.StringIO()
    Console(file=buf, width=width, force_terminal=False, no_color=True, highlight=False,
            emoji=False).print(table)
    return buf.getvalue()


@pytest.mark.parametrize("width", [40, 100])
def test_the_batch_summary_table_reads_as_rich_drew_it(width: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from advisor import batch
    from advisor.commands.analyze import _summary_table

    report = sample_report()
    outcomes = [SimpleNamespace(status=s) for s in (batch.STATUS_TIMEOUT, "ok", "ok")]
    monkeypatch.setenv("COLUMNS", str(width))
    got = _summary_table(report, outcomes, 2, color=False)
    rows = [(a[1:].rstrip(), b.strip()) for a, b in
            (line.strip("│").split("│") for line in got.splitlines() if line.startswith("│"))]
    assert ("  of which timed out", "1") in rows and ("hidden by baseline", "2") in rows
    assert ("files", "3") in rows
    assert_same(reference_summary_table(rows, width), got, f"summary table at width {width}")
