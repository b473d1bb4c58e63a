"""Page logic of the Streamlit app as plain functions, so it can be tested without a browser.

The app is a thin shell: every figure comes from the library (pipeline, engine, estimate,
render, report, dsl). What lives here is only the glue a page needs:

- `analyze` runs the pipeline once per input (cached by content hash) without estimates;
  the estimates depend on the workload editor and the chosen rewrites, so they are made
  separately (`view`) and cached on (input, choice, workload).
- `after_for` applies the rewrites the user ticked, through the pipeline's one engine
  entry (`advisor.pipeline.run_engine(arch, options, apply={finding_id: index})`):
  exactly the chosen findings, each with the chosen alternative (the first when a plain
  set of ids is given).
- uploads (and the editor's text) are checked (count, size, suffix, UTF-8) and written
  only inside a `tempfile.TemporaryDirectory`; nothing from them is executed, and a
  template pasted in the editor cannot read files beside the server (its `CodeUri` or
  `AWS::Include` resolve in an empty folder and become notes).
- the workload the page prices (requests/month, payload) can be edited: the edit is put
  into the workload of copies of the before/after designs (`with_workload`), so every
  figure, download and assumption list follows it.

Cached objects are shared between reruns and sessions: they are treated as read-only
(deltas for a traffic level are put on copies of the findings, never on the originals).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import streamlit as st

from advisor.errors import Diagnostic
from advisor.importers import DATA_SUFFIXES
from advisor.model import Architecture
from advisor.pipeline import (
    PILLARS,
    Estimates,
    FileResult,
    Options,
    Report,
    analyze_source,
    attach_deltas,
    run_engine,
)
from advisor.resources import bundled
from advisor.vocabulary import SEVERITIES, severity_rank

SAMPLES_DIR = bundled("samples")

MAX_FILES = 10
MAX_BYTES = 2 * 1024 * 1024  # per file
DESIGN_SUFFIXES = (".arch", ".yaml", ".yml", ".json", ".template", ".tf")
# handler sources uploaded beside a template: read by the importer (parsed, never run),
# never analysed as designs of their own
HANDLER_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts")
UPLOAD_SUFFIXES = DESIGN_SUFFIXES + HANDLER_SUFFIXES
SEVERITY_COLOUR = {"error": "red", "warning": "orange", "info": "blue"}
CACHE_ENTRIES = 32
CURVE_PER_DECADE = 2  # traffic points per decade on the break-even chart (1K .. 10B)
REGION = "us-east-1"


# ---------------------------------------------------------------------- inputs
def sample_paths() -> list[Path]:
    """The bundled samples the picker offers (samples/*.arch), sorted by name."""
    return sorted(SAMPLES_DIR.glob("*.arch"))


def read_sample(name: str) -> str:
    path = SAMPLES_DIR / Path(name).name  # a bare name: never a path out of samples/
    return path.read_text("utf-8")


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


@dataclass
class Upload:
    """One uploaded file after the checks: its bare name and text, or why it was refused."""

    name: str
    text: str | None = None
    error: str | None = None

    @property
    def handler(self) -> bool:
        """Handler code: read by the templates beside it, not analysed on its own."""
        return self.name.lower().endswith(HANDLER_SUFFIXES)


def check_uploads(files: Iterable[tuple[str, bytes]]) -> list[Upload]:
    """Bound the count and size, accept only known suffixes and UTF-8 text."""
    out: list[Upload] = []
    seen: set[str] = set()
    for i, (raw_name, data) in enumerate(files):
        name = Path(str(raw_name).replace("\\", "/")).name or f"upload-{i}"
        if i >= MAX_FILES:
            out.append(Upload(name, error=f"more than {MAX_FILES} files: ignored"))
            continue
        if name in seen:
            out.append(Upload(name, error="a file of the same name was already uploaded"))
            continue
        seen.add(name)
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            out.append(Upload(name, error="not an architecture file; use one of "
                                         + ", ".join(DESIGN_SUFFIXES) + " (or handler "
                                         "code: " + ", ".join(HANDLER_SUFFIXES) + ")"))
            continue
        if len(data) > MAX_BYTES:
            out.append(Upload(name, error=f"{len(data):,} bytes is over the "
                                         f"{MAX_BYTES // (1024 * 1024)} MB limit"))
            continue
        if not data.strip():
            out.append(Upload(name, error="the file is empty"))
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            out.append(Upload(name, error="not UTF-8 text (binary files are refused)"))
            continue
        if "\0" in text:
            out.append(Upload(name, error="contains NUL bytes (binary files are refused)"))
            continue
        out.append(Upload(name, text=text))
    return out


# ---------------------------------------------------------------------- analysis
@dataclass
class Analysis:
    """One input analysed by the pipeline (no estimates yet); read-only once cached."""

    key: str
    name: str
    result: FileResult
    applicable: dict[str, bool] = field(default_factory=dict)  # id -> first alt. can rewrite
    # finding id -> indexes of the alternatives the engine can apply (any may be chosen)
    choices: dict[str, tuple[int, ...]] = field(default_factory=dict)
    default_selection: frozenset[str] = frozenset()
    # finding id -> the alternative the engine applies by default (not always the first:
    # a rewrite the estimates show to cost more and not be faster is skipped)
    default_alternative: dict[str, int] = field(default_factory=dict)
    # the texts it was read from, and the temporary folder they were read in (node
    # locations point there): what `advisor fix` patches for the download
    files: tuple[tuple[str, str], ...] = ()
    folder: str = ""

    @property
    def ok(self) -> bool:
        return self.result.before is not None and not self.result.errors


def _options(requests: float | None = None, estimates: bool = False) -> Options:
    """The page's pipeline options: default rewrites, the page's region and traffic."""
    return Options(apply="default", region=REGION, requests=requests, estimates=estimates)


def _analysis_from(key: str, name: str, result: FileResult) -> Analysis:
    a = Analysis(key=key, name=name, result=result)
    if not a.ok:
        return a
    for f in result.findings:
        a.choices[f.id] = tuple(i for i, alt in enumerate(f.alternatives)
                                if getattr(alt, "applicable", False)
                                and not getattr(alt, "refused", None))
        a.applicable[f.id] = 0 in a.choices[f.id]
        index = getattr(f, "auto_alternative", 0)
        if getattr(f, "default_applied", False) and index in a.choices[f.id]:
            a.default_alternative[f.id] = index
    a.default_selection = frozenset(a.default_alternative)
    return a


def _run_pipeline(name: str, text: str, path: str | None = None) -> FileResult:
    """The pipeline without estimates (they depend on the traffic slider: `view`)."""
    return analyze_source(path or name, _options(), text=text)


def analyze(name: str, text: str) -> Analysis:
    """Analyse one DSL text or template (format by content); cached by name + content.
    It is read in an empty temporary folder: nothing beside the server is opened."""
    return _analyze_upload_cached(digest("text", name, text), name, "", ((name, text),))


def analyze_uploads(uploads: list[Upload]) -> list[Analysis]:
    """Write the accepted uploads into one temporary folder (Terraform may read its
    siblings), analyse each, and delete the folder; results are cached by content."""
    good = [u for u in uploads if u.text is not None]
    if not any(not u.handler for u in good):
        return []
    bundle = digest("bundle", *(f"{u.name}\n{u.text}" for u in good))
    files = tuple((g.name, g.text or "") for g in good)
    return [_analyze_upload_cached(digest(bundle, u.name), u.name, bundle, files)
            for u in good if not u.handler]


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _analyze_upload_cached(key: str, name: str, _bundle: str,
                           files: tuple[tuple[str, str], ...]) -> Analysis:
    with tempfile.TemporaryDirectory(prefix="advisor-app-") as tmp:
        root = Path(tmp)
        for fname, text in files:
            (root / fname).write_text(text, "utf-8")
        text = dict(files)[name]
        result = _run_pipeline(name, text, path=str(root / name))
    result.source = name
    result.errors = [_relabel(d, str(root), name) for d in result.errors]
    result.notes = [_relabel(d, str(root), name) for d in result.notes]
    analysis = _analysis_from(key, name, result)
    analysis.files, analysis.folder = files, str(root)
    return analysis


def _relabel(d: Diagnostic, tmp: str, name: str) -> Diagnostic:
    """Diagnostics point at the upload's name, not at the temporary folder."""
    if d.path.startswith(tmp):
        return replace(d, path=d.path[len(tmp):].lstrip("/\\") or name)
    return d


# ---------------------------------------------------------------------- rewrites
Choice = tuple[tuple[str, int], ...]  # sorted (finding id, alternative index) pairs


def choice_of(a: Analysis, selection: Iterable[str] | Mapping[str, int]) -> Choice:
    """The applicable part of a selection: finding ids (the engine's default alternative,
    else the first applicable one) or a mapping {finding id: alternative index}; unknown
    ids, advice-only picks and negative indexes ("none") drop out."""
    if isinstance(selection, Mapping):
        pairs = list(selection.items())
    else:
        pairs = [(s, a.default_alternative.get(s, (a.choices.get(s) or (0,))[0]))
                 for s in selection]
    return tuple(sorted((fid, int(i)) for fid, i in pairs
                        if i is not None and i in a.choices.get(fid, ())))


def _default_choice(a: Analysis) -> Choice:
    return tuple(sorted(a.default_alternative.items()))


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _after_cached(key: str, choice: Choice, _analysis: Analysis) -> tuple[Any, list]:
    before = _analysis.result.before
    if not choice:
        return before, []
    outcome = run_engine(before, _options(), apply=dict(choice))
    return outcome.after, list(outcome.changes)


def after_for(a: Analysis, selection: Iterable[str] | Mapping[str, int],
              ) -> tuple[Architecture, list[Any]]:
    """The architecture with exactly the chosen rewrites applied: finding ids (first
    alternative) or {finding id: alternative index}."""
    choice = choice_of(a, selection)
    if choice == _default_choice(a) and a.result.after is not None:
        return a.result.after, list(a.result.changes)
    if a.result.before is None:
        return a.result.before, []
    return _after_cached(a.key, choice, a)


# ---------------------------------------------------------------------- workload
WorkloadEdit = tuple[tuple[str, float], ...]  # sorted ("payload"|"requests", value) pairs
DEFAULT_REQUESTS = 1e6  # what the estimates assume when nothing is stated (defaults.yaml)
DEFAULT_PAYLOAD = 1024.0


def with_workload(arch: Architecture, edit: Mapping[str, float] | WorkloadEdit) -> Architecture:
    """A copy of `arch` whose workload states the edited values (the graph is shared and
    never written: estimates and diagrams only read it)."""
    edit = dict(edit)
    if not edit:
        return arch
    return replace(arch, workload={**arch.workload, **edit})


def stated_workload(a: Analysis) -> dict[str, float | None]:
    """What the design itself states: {"requests": per month or None, "payload": bytes
    or None}."""
    wl = a.result.before.workload if a.result.before is not None else {}
    return {k: (float(wl[k]) if wl.get(k) else None) for k in ("requests", "payload")}


def workload_texts(a: Analysis) -> dict[str, str]:
    """The text the workload editor starts from: the design's values, else the defaults
    the estimates assume (1M requests/month, 1 KB)."""
    from advisor import units

    wl = stated_workload(a)
    return {"requests": units.format_quantity(wl["requests"] or DEFAULT_REQUESTS, "rate"),
            "payload": units.format_quantity(wl["payload"] or DEFAULT_PAYLOAD, "size")}


def parse_workload(a: Analysis, requests_text: str, payload_text: str,
                   ) -> tuple[dict[str, float], dict[str, str]]:
    """The edited workload ({"requests": per month, "payload": bytes}, only what differs
    from the editor's starting text) and an error per field that does not parse. Same
    syntax as `--requests` and the configuration's `payload`: `50M/month`, `20/s`, `2KB`."""
    from advisor.config import parse_rate, parse_size

    start = workload_texts(a)
    edit: dict[str, float] = {}
    errors: dict[str, str] = {}
    for key, text, parse, lo in (("requests", requests_text, parse_rate, 0.0),
                                 ("payload", payload_text, parse_size, 1.0)):
        text = (text or "").strip()
        if not text or text.replace(" ", "") == start[key]:
            continue
        try:
            value = parse(text)
        except ValueError as exc:
            errors[key] = str(exc)
            continue
        if not math.isfinite(value) or value < lo or value > WORKLOAD_MAX[key]:
            errors[key] = (f"'{text}' is out of range (at most {WORKLOAD_MAX_TEXT[key]})")
            continue
        edit[key] = float(value)
    return edit, errors


WORKLOAD_MAX = {"requests": 1e13, "payload": 6.0 * 1024**2}  # 10T/month; Lambda's 6 MB
WORKLOAD_MAX_TEXT = {"requests": "10000B/month", "payload": "6MB (a Lambda payload)"}


# ---------------------------------------------------------------------- estimates
@dataclass
class View:
    """What the page shows for one (input, chosen rewrites, workload)."""

    analysis: Analysis
    selection: Choice  # (finding id, alternative index) pairs applied to `after`
    requests: float | None  # the edited entry rate (None: the design's own)
    after: Architecture
    changes: list[Any]
    findings: list[Any]  # as the engine found them (deltas: `with_deltas`)
    before_estimate: Any = None
    after_estimate: Any = None
    estimate_error: str | None = None
    workload: WorkloadEdit = ()  # the edited workload, on `before` and `after` alike
    before: Architecture | None = None  # the original design with the edited workload
    # the estimates at this traffic: every design estimated once (alternatives included)
    estimates: Estimates | None = None
    # the patch of the chosen rewrites, made the first time it is asked for (`patch_for`)
    patch_offer: PatchOffer | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        return digest(self.analysis.key, *self.choice_parts, repr(self.workload))

    @property
    def choice_parts(self) -> list[str]:
        return [f"{fid}#{i}" for fid, i in self.selection]

    def file_result(self) -> FileResult:
        """The pipeline's result shape for this choice and workload (all deltas filled)."""
        r = self.analysis.result
        findings = with_deltas(self, [f.id for f in self.findings])
        return FileResult(
            source=r.source, format=r.format, errors=list(r.errors), findings=findings,
            before=self.before, after=self.after, before_estimate=self.before_estimate,
            after_estimate=self.after_estimate, changes=list(self.changes), notes=list(r.notes),
        )

    def light_result(self) -> FileResult:
        """The same without alternative deltas (for the diagrams' badges: no estimates)."""
        r = self.analysis.result
        return FileResult(
            source=r.source, format=r.format, findings=list(self.findings), before=self.before,
            after=self.after, before_estimate=self.before_estimate,
            after_estimate=self.after_estimate, changes=list(self.changes))

    def report(self) -> Report:
        return Report(results=[self.file_result()])


def _with_deltas(findings: list[Any], before: Architecture, estimates: Estimates,
                 workload: WorkloadEdit) -> list[Any]:
    """Copies of the findings whose alternatives carry cost/latency deltas for the
    workload (each alternative's design gets the same workload edit as `before`), by
    `estimates` and the pipeline's one rule (`attach_deltas`)."""
    proxies = [SimpleNamespace(alternatives=[SimpleNamespace(
        after=None if alt.after is None else with_workload(alt.after, workload),
        cost_delta_usd_month=None, latency_delta_ms=None)
        for alt in f.alternatives]) for f in findings]
    attach_deltas(before, proxies, estimates)
    out = []
    for f, pf in zip(findings, proxies, strict=True):
        alts = [replace(alt, cost_delta_usd_month=p.cost_delta_usd_month,
                        latency_delta_ms=p.latency_delta_ms)
                for alt, p in zip(f.alternatives, pf.alternatives, strict=True)]
        out.append(replace(f, alternatives=alts))
    return out


def workload_edit(requests: float | None = None, payload: float | None = None,
                  ) -> WorkloadEdit:
    return tuple(sorted((k, float(v)) for k, v in (("payload", payload),
                                                    ("requests", requests)) if v is not None))


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _view_cached(key: str, selection: Choice, workload: WorkloadEdit, _a: Analysis) -> View:
    after, changes = after_for(_a, dict(selection))
    before = with_workload(_a.result.before, workload)
    after = with_workload(after, workload)
    edit = dict(workload)
    view = View(_a, selection, edit.get("requests"), after, changes,
                list(_a.result.findings), workload=workload, before=before)
    try:
        estimates = Estimates(_options(estimates=True))
        view.before_estimate = estimates.of(before)
        view.estimates = estimates  # every design of the view estimated once
        view.after_estimate = estimates.of(after)
    except Exception as exc:  # estimates missing or failing: findings and diagrams still show
        view.estimate_error = f"{type(exc).__name__}: {exc}"
    return view


# view key -> {finding id: the finding with deltas}; each alternative costs a whole-design
# estimate, so a finding's deltas are computed once per view, whoever asks first
_DELTAS: OrderedDict[str, dict[str, Any]] = OrderedDict()
_DELTAS_LOCK = threading.Lock()
DELTA_VIEWS = CACHE_ENTRIES * 4


def with_deltas(v: View, ids: Iterable[str]) -> list[Any]:
    """Copies of the findings `ids` whose alternatives carry cost and latency deltas at the
    view's workload, in the view's order. Each alternative costs one whole-design
    estimate, so the page asks only for the findings it shows (a 200-node design can have
    500 alternatives); what was computed once is kept for the view."""
    wanted = set(ids)
    fs = [f for f in v.findings if f.id in wanted]
    if v.estimates is None or v.before is None:
        return fs
    with _DELTAS_LOCK:
        store = _DELTAS.setdefault(v.key, {})
        _DELTAS.move_to_end(v.key)
        while len(_DELTAS) > DELTA_VIEWS:
            _DELTAS.popitem(last=False)
        todo = [f for f in fs if f.id not in store]
    if todo:
        done = _with_deltas(todo, v.before, v.estimates, v.workload)
        with _DELTAS_LOCK:
            store.update((f.id, f) for f in done)
    return [store[f.id] for f in fs]


def page_of(findings: list[Any], page: int, size: int) -> list[Any]:
    """Findings in display order (pillar, then severity), page `page` (0-based)."""
    ordered = [f for _, fs in grouped_findings(findings) for f in fs]
    return ordered[page * size:(page + 1) * size]


def pages(n: int, size: int) -> int:
    return max(1, math.ceil(n / size))


def view(a: Analysis, selection: Iterable[str] | Mapping[str, int],
         requests: float | None = None, payload: float | None = None) -> View:
    """The page for one choice of rewrites (finding ids, or {finding id: alternative
    index} to pick a non-first alternative) at one workload (`requests` per month at the
    entry and `payload` bytes per request replace what the design states)."""
    edit = workload_edit(requests, payload)
    return _view_cached(digest(a.key, repr(edit)), choice_of(a, selection), edit, a)


def entry_requests(a: Analysis) -> float | None:
    """The design's own traffic at the entry (requests/month), when it states one."""
    return stated_workload(a)["requests"] if a.result.before is not None else None


def human_rate(r: float) -> str:
    for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if r >= step:
            return f"{r / step:.3g}{suffix}"
    return f"{r:.3g}"


def human_size(b: float) -> str:
    for suffix, step in (("MB", 1024.0**2), ("KB", 1024.0)):
        if b >= step:
            return f"{b / step:.3g} {suffix}"
    return f"{b:.0f} B"


WORKLOAD_SOURCE = {"design": "stated in the design", "default": "assumed: nothing stated",
                   "--requests": "set on this page", "page": "set on this page"}


def workload_rows(v: View) -> list[dict[str, str]]:
    """The workload the estimate priced, each figure with where it comes from (stated in
    the design, set on this page, or assumed)."""
    est = v.before_estimate
    summary = getattr(est, "workload_summary", None) or {}
    if not summary:
        return []
    edited = dict(v.workload)
    stated = stated_workload(v.analysis)

    def source(key: str, reported: str) -> str:
        if key in edited:
            return WORKLOAD_SOURCE["page"]
        return WORKLOAD_SOURCE["design" if stated[key] else "default" if
                               reported == "default" else reported]

    entries = list(summary.get("entries") or [])
    rows = [
        {"figure": "requests / month", "value": human_rate(float(summary["requests_month"])),
         "source": source("requests", str(summary.get("requests_source")))},
        {"figure": "payload / request", "value": human_size(float(summary["payload_bytes"])),
         "source": source("payload", str(summary.get("payload_source")))},
    ]
    if entries:
        shown = ", ".join(entries[:4]) + (f" +{len(entries) - 4} more" if len(entries) > 4 else "")
        rows.append({"figure": "entry points" if len(entries) > 1 else "entry point",
                     "value": shown, "source": "shared by the entries" if len(entries) > 1
                     else "where the requests arrive"})
    return rows


def assumption_table(v: View) -> list[dict[str, Any]]:
    """Every default the estimates used (advisor.estimate.assumptions_for), one row each:
    what was assumed, for which nodes, on which side, how to state it instead."""
    from advisor.estimate import assumptions_for

    rows = assumptions_for(v)["rows"]
    out = []
    for r in rows:
        nodes = list(r.get("nodes") or [])
        shown = ", ".join(nodes[:4]) + (f", +{len(nodes) - 4} more" if len(nodes) > 4 else "")
        out.append({"assumption": r["text"] + (" [judgement]" if r.get("weak") else ""),
                    "nodes": shown, "side": r.get("sides", "both"),
                    "state it with": r.get("state", "")})
    return out


# ---------------------------------------------------------------------- findings
def grouped_findings(findings: list[Any]) -> list[tuple[str, list[Any]]]:
    """(pillar, findings) in the Well-Architected order, most severe first in each."""
    out = []
    for pillar in PILLARS:
        fs = [f for f in findings if f.pillar == pillar]
        if fs:
            fs.sort(key=lambda f: (severity_rank(f.severity), f.rule, f.id))
            out.append((pillar, fs))
    other = [f for f in findings if f.pillar not in PILLARS]
    if other:
        out.append(("other", other))
    return out


def severity_counts(findings: list[Any]) -> str:
    """`1 error · 7 warnings · 2 info` (only the severities that occur)."""
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    words = {"error": ("error", "errors"), "warning": ("warning", "warnings"),
             "info": ("info", "info")}
    return " · ".join(f"{n} {words[s][n != 1]}" for s, n in counts.items() if n)


def alternative_rows(f: Any) -> list[dict[str, Any]]:
    """One row per alternative; the engine's own pick (`auto_alternative`, the first when
    it has none) is marked recommended unless the estimates rejected it."""
    rows = []
    pick = getattr(f, "auto_alternative", None)
    pick = 0 if pick is None else pick
    for i, alt in enumerate(f.alternatives):
        rejected = getattr(alt, "rejected", None)
        rows.append({
            "alternative": f"{i + 1}. {alt.title}"
                           + ("  (recommended)" if i == pick and not rejected else ""),
            "cost Δ $/month": alt.cost_delta_usd_month,
            "latency Δ ms": alt.latency_delta_ms,
            "note": alt.refused or (f"not applied by default: {rejected}" if rejected else "")
                    or ("advice only" if alt.after is None else ""),
        })
    return rows


def badge(severity: str) -> str:
    """A Streamlit markdown badge for a severity."""
    return f":{SEVERITY_COLOUR.get(severity, 'gray')}-badge[{severity.upper()}]"


def where(d: Diagnostic) -> str:
    return f"line {d.line}, column {d.column}" if d.line else "input"


def note_lines(result: FileResult) -> list[str]:
    """The importer's notes (what it could not read or map), `line L, column C: message`."""
    return [f"{where(d)}: {d.message}" + (f" ({d.suggestion})" if d.suggestion else "")
            for d in result.notes]


# ---------------------------------------------------------------------- uploads table
def companions(uploads: list[Upload], analyses: list[Analysis]) -> dict[str, str]:
    """The uploads read by other uploads rather than analysed on their own, with what they
    are: handler code, and data files another upload names (an OpenAPI body of an
    `AWS::Include`, a state machine definition) that are not templates themselves."""
    texts = {u.name: u.text or "" for u in uploads if u.text is not None}
    failed = {a.name for a in analyses if not a.ok}
    out = {}
    for u in uploads:
        if u.text is None:
            continue
        if u.handler:
            out[u.name] = "handler code, read by the templates beside it"
        elif u.name in failed and u.name.lower().endswith(DATA_SUFFIXES):
            users = sorted(n for n, t in texts.items() if n != u.name and u.name in t)
            if users:
                out[u.name] = "included file, read by " + ", ".join(users)
    return out



def designs(uploads: list[Upload], analyses: list[Analysis]) -> list[Analysis]:
    """The analysed uploads that are designs (the picker's choices), in upload order."""
    side = companions(uploads, analyses)
    return [a for a in analyses if a.name not in side]


def file_rows(uploads: list[Upload], analyses: list[Analysis]) -> list[dict[str, Any]]:
    """One row per uploaded file, in upload order: its format, status, and errors,
    notes and findings counted separately. A file that did not parse has no findings
    count (None: not analysed), never "0 findings"; a file other uploads read (handler
    code, an included OpenAPI body) says so instead of counting as a broken design."""
    by_name = {a.name: a for a in analyses}
    side = companions(uploads, analyses)
    rows = []
    for u in uploads:
        a = by_name.get(u.name)
        if u.error is not None:
            rows.append({"file": u.name, "format": "", "status": f"refused: {u.error}",
                         "errors": None, "notes": None, "findings": None})
            continue
        if u.name in side or a is None:
            rows.append({"file": u.name, "format": "", "status": side.get(u.name, ""),
                         "errors": None, "notes": None, "findings": None})
            continue
        r = a.result
        n_err = len(r.errors)
        status = (f"{n_err} error{'s' if n_err != 1 else ''}: not analysed" if not a.ok
                  else "analysed")
        rows.append({"file": a.name, "format": r.format, "status": status, "errors": n_err,
                     "notes": len(r.notes),
                     "findings": len(r.findings) if a.ok else None})
    return rows


def file_label(a: Analysis) -> str:
    """The file picker's label: the name and what is wrong with it, if anything."""
    r = a.result
    if not a.ok:
        return f"{a.name} ({len(r.errors)} error{'s' if len(r.errors) != 1 else ''})"
    extra = f", {len(r.notes)} note{'s' if len(r.notes) != 1 else ''}" if r.notes else ""
    return f"{a.name} ({len(r.findings)} finding{'s' if len(r.findings) != 1 else ''}{extra})"


# ---------------------------------------------------------------------- figures
LATENCY_ROWS = (
    ("response p50 (ms)", "response_p50_ms"),
    ("response p99 (ms)", "response_p99_ms"),
    ("delivery p50 (ms)", "delivery_p50_ms"),
)


def verdict(delta: float, decimals: int) -> str:
    """better / worse / same for a figure where lower is better (cost, latency); a
    change that rounds to zero at the shown precision is "same"."""
    if round(delta, decimals) == 0:
        return "same"
    return "better" if delta < 0 else "worse"


def delta_style(before: float | None, after: float | None, unit: str) -> dict[str, Any]:
    """st.metric's delta arguments for a lower-is-better figure, coloured by better/worse
    rather than up/down: "inverse" makes a fall green and a rise red; a change that shows
    as zero is grey ("off") with no arrow. `unit`: "usd" or "ms"."""
    if before is None or after is None:
        return {"delta": None}
    d = after - before
    decimals = 2 if unit == "usd" else 0
    word = verdict(d, decimals)
    if word == "same":
        text = "$0.00 (no change)" if unit == "usd" else "0 ms (no change)"
        return {"delta": text, "delta_color": "off", "delta_arrow": "off"}
    text = f"{'-' if d < 0 else '+'}${abs(d):,.2f}" if unit == "usd" else f"{d:+,.0f} ms"
    return {"delta": text, "delta_color": "inverse", "delta_arrow": "down" if d < 0 else "up"}


def headline_latency(v: View) -> tuple[str, str] | None:
    """(label, latency key) of the latency the summary shows: the response time when both
    designs have a response path, else the delivery time."""
    b, a = v.before_estimate, v.after_estimate
    if b is None or a is None:
        return None
    if b.has_response and a.has_response:
        return "Response p50", "response_p50_ms"
    if b.latency.get("delivery_p50_ms") is not None and a.latency.get("delivery_p50_ms") is not None:
        return "Delivery p50", "delivery_p50_ms"
    return None


def totals_rows(v: View) -> list[dict[str, Any]]:
    """Cost and latency before, after, delta (and % of before), and whether the change is
    better, worse or the same (lower is better for all of them)."""
    b, a = v.before_estimate, v.after_estimate
    if b is None or a is None:
        return []
    rows = [("monthly cost (USD)", b.monthly_usd, a.monthly_usd, 2)]
    for label, key in LATENCY_ROWS:
        bv, av = b.latency.get(key), a.latency.get(key)
        if bv is None or av is None:
            continue
        if key.startswith("response") and not (b.has_response or a.has_response):
            continue
        rows.append((label, float(bv), float(av), 0))
    out = []
    for label, bv, av, decimals in rows:
        d = av - bv
        out.append({"figure": label, "before": round(bv, 2), "after": round(av, 2),
                    "delta": round(d, 2),
                    "delta %": round(100 * d / bv, 1) if bv else None,
                    "change": verdict(d, decimals)})
    return out


def node_cost_rows(v: View) -> list[dict[str, Any]]:
    b, a = v.before_estimate, v.after_estimate
    if b is None or a is None:
        return []
    names = sorted(set(b.by_node) | set(a.by_node))
    rows = []
    for n in names:
        bv, av = b.by_node.get(n), a.by_node.get(n)
        rows.append({"node": n, "before $": None if bv is None else round(bv, 2),
                     "after $": None if av is None else round(av, 2),
                     "delta $": round((av or 0.0) - (bv or 0.0), 2)})
    return rows


# ---------------------------------------------------------------------- savings
AVAILABLE_AUTO_ALTERNATIVES = 40  # above this, "available" is computed when asked for


@dataclass
class Savings:
    """What the chosen rewrites change in monthly cost, and what the rewrites offered but
    not chosen would save. `applied_usd` is after - before (negative saves); `available`
    lists, per finding not applied, its cheapest alternative that saves money, each
    measured alone against the original design (they can overlap, so the sum is an upper
    bound, not a promise)."""

    applied_usd: float | None
    applied: int
    available_usd: float | None  # None: not computed (see `pending`)
    available: list[dict[str, Any]] = field(default_factory=list)
    pending: int = 0  # alternatives still to be estimated before `available` is known


def unapplied(v: View) -> list[Any]:
    """The findings offered with a rewrite the engine can apply that the view does not apply."""
    chosen = {fid for fid, _ in v.selection}
    a = v.analysis
    return [f for f in v.findings if a.choices.get(f.id) and f.id not in chosen]


def savings(v: View, compute: bool = True) -> Savings:
    """Applied and available savings. `compute=False` leaves `available` unknown when it
    needs more than AVAILABLE_AUTO_ALTERNATIVES estimates (a large design: the page asks
    first) unless they are already known."""
    b, a = v.before_estimate, v.after_estimate
    applied = None if b is None or a is None else a.monthly_usd - b.monthly_usd
    out = Savings(applied_usd=applied, applied=len(v.selection), available_usd=None)
    if b is None:
        return out
    offered = unapplied(v)
    work = sum(len(v.analysis.choices[f.id]) for f in offered)
    if not compute and work > AVAILABLE_AUTO_ALTERNATIVES:
        out.pending = work
        return out
    total = 0.0
    for f in with_deltas(v, [f.id for f in offered]):
        best = None
        for i in v.analysis.choices.get(f.id, ()):
            d = f.alternatives[i].cost_delta_usd_month
            if d is not None and round(d, 2) < 0 and (best is None or d < best[1]):
                best = (i, d)
        if best is None:
            continue
        total += best[1]
        out.available.append({"finding": f.title, "rule": f.rule,
                              "alternative": f"{best[0] + 1}. {f.alternatives[best[0]].title}",
                              "cost Δ $/month": round(best[1], 2)})
    out.available.sort(key=lambda r: (r["cost Δ $/month"], r["rule"], r["finding"]))
    out.available_usd = total
    return out


def money(x: float) -> str:
    return f"${abs(x):,.2f}"


# ---------------------------------------------------------------------- cost curve
@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _curve_cached(key: str, _v: View) -> dict[str, Any]:
    from advisor.estimate import estimate
    from advisor.estimate.sweep import crossings, sample_points

    before, after = _v.before, _v.after

    def cost(arch: Architecture, r: float) -> float:
        return estimate(arch, region=REGION, requests=r).monthly_usd

    pts = sample_points(1e3, 1e10, per_decade=CURVE_PER_DECADE)
    rows, diffs = [], []
    for p in pts:
        cb, ca = cost(before, p), cost(after, p)
        rows.append({"requests_month": p, "design": "before", "usd_month": cb})
        rows.append({"requests_month": p, "design": "after", "usd_month": ca})
        diffs.append(cb - ca)
    changed = bool(_v.selection)
    be = crossings(lambda r: cost(before, r) - cost(after, r), pts, diffs) if changed else []
    return {"rows": rows, "break_even": be}


def cost_curve(v: View) -> dict[str, Any]:
    """Monthly cost of before and after over 1K..10B requests/month and where they cross
    (advisor.estimate.sweep's crossing search on a coarse grid: fast enough per rerun).
    The payload edit applies; the traffic is the curve's axis."""
    payload = dict(v.workload).get("payload")
    return _curve_cached(digest(v.analysis.key, *v.choice_parts, repr(payload)), v)


# ---------------------------------------------------------------------- diagrams
DIAGRAMS = ("before", "after", "diff", "compare")


def diagram_graphs(v: View, names: Iterable[str] = DIAGRAMS) -> dict[str, Any]:
    """The pydot graphs (advisor.render.result_diagrams: icons, error badges on the nodes
    with open error findings) of the view's before and after designs."""
    from advisor.render import result_diagrams

    graphs = result_diagrams(v.light_result())
    return {n: graphs[n] for n in names}


_RENDERED: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
_LEGENDS: dict[tuple[str, str], list[str]] = {}
_RENDER_LOCK = threading.Lock()
RENDER_CACHE_ENTRIES = 64


def render_many(v: View, names: Iterable[str], fmt: str = "svg") -> dict[str, bytes]:
    """Several diagrams at once: each `dot` is its own process, so they run in parallel
    threads (the page needs before, after and diff on every new design)."""
    from advisor.render import render_bytes

    names = list(names)
    with _RENDER_LOCK:
        have = {n: _RENDERED.get((v.key, n, fmt)) for n in names}
    todo = [n for n in names if have[n] is None]
    if todo:
        graphs = diagram_graphs(v, todo)
        with ThreadPoolExecutor(max_workers=len(todo)) as pool:
            done = dict(zip(todo, pool.map(lambda n: render_bytes(graphs[n], fmt), todo),
                            strict=True))
        with _RENDER_LOCK:
            for n, data in done.items():
                _RENDERED[(v.key, n, fmt)] = data
                drawn = getattr(graphs[n], "drawn", None)
                _LEGENDS[(v.key, n)] = drawn.entries() if drawn is not None else []
            while len(_RENDERED) > RENDER_CACHE_ENTRIES:
                key, _ = _RENDERED.popitem(last=False)
                _LEGENDS.pop(key[:2], None)
        have.update(done)
    return {n: have[n] for n in names}  # type: ignore[misc]


def render(v: View, name: str, fmt: str = "svg") -> bytes:
    """One diagram (before, after, diff, compare) as svg/png/dot bytes, via Graphviz."""
    return render_many(v, [name], fmt)[name]


def legend(v: View, name: str) -> list[str]:
    """The legend entries of a diagram (exactly what it draws), once it is rendered."""
    with _RENDER_LOCK:
        entries = _LEGENDS.get((v.key, name))
    if entries is None:
        render(v, name)
        with _RENDER_LOCK:
            entries = _LEGENDS.get((v.key, name), [])
    return entries


STATUS_ORDER = {"removed": 0, "added": 1, "changed": 2}


def change_rows(v: View) -> list[dict[str, str]]:
    """Every node and edge the rewrites removed, added or changed (advisor.render.diff,
    from the two graphs), with what changed on it (`throttling: off -> on`)."""
    from advisor.render import diff

    d = diff(v.before, v.after)
    rows = []
    for name, status in d.nodes.items():
        if status in STATUS_ORDER:
            rows.append({"element": name, "kind": v.after.kind(name) if name in v.after.graph
                         else v.before.kind(name), "status": status,
                         "what changed": "; ".join(d.node_changes.get(name, []))})
    for (src, dst), status in d.edges.items():
        if status in STATUS_ORDER:
            rows.append({"element": f"{src} -> {dst}", "kind": "edge", "status": status,
                         "what changed": "; ".join(d.edge_changes.get((src, dst), []))})
    rows.sort(key=lambda r: (STATUS_ORDER[r["status"]], r["kind"] == "edge", r["element"]))
    return rows


def svg_size(svg: bytes | str) -> tuple[float, float]:
    """The natural (width, height) of a Graphviz SVG in CSS pixels (its size is in pt)."""
    import re

    text = svg.decode("utf-8", "replace") if isinstance(svg, bytes) else svg
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"[^>]*\sheight="([\d.]+)(pt|px)?"',
                  text[:4000])
    if not m:
        return 800.0, 600.0
    scale = 96 / 72 if (m.group(2) or "pt") == "pt" else 1.0
    return float(m.group(1)) * scale, float(m.group(3)) * scale


def diagrams_zip(v: View) -> bytes:
    buf = io.BytesIO()
    files = {(n, f): data for f in ("svg", "png")
             for n, data in render_many(v, DIAGRAMS, f).items()}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for (name, fmt), data in sorted(files.items()):
            z.writestr(zipfile.ZipInfo(f"{name}.{fmt}", date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


# ---------------------------------------------------------------------- downloads
DIAGRAM_LINKS = {"before": "before.svg", "after": "after.svg", "diff": "diff.svg",
                 "compare": "compare.svg"}


def report_markdown(v: View) -> str:
    """report.md; its diagram links name the files of the diagrams download."""
    from advisor.report import write

    return write(v.report(), "markdown", diagrams=DIAGRAM_LINKS)


def report_html(v: View) -> str:
    from advisor.report import write

    return write(v.report(), "html")


def optimized_dsl(v: View) -> str:
    from advisor.dsl import to_text

    return to_text(v.after)


def error_rows(errors: list[Diagnostic]) -> list[str]:
    """Each diagnostic as `line L, column C: message`, the source line, a caret, the hint."""
    return [d.render() for d in errors]


# ---------------------------------------------------------------------- the patch
@dataclass
class PatchOffer:
    """What `advisor fix` makes of the view's chosen rewrites: a unified diff of the input
    files (paths as uploaded) and, per rewrite, whether it is patched or why not."""

    diff: str
    rewrites: list[dict[str, Any]]
    errors: list[str]

    @property
    def patched(self) -> int:
        return sum(1 for r in self.rewrites if r["status"] == "patched")


def patch_for(v: View) -> PatchOffer:
    """The patch for this view's rewrites (`advisor.fix.fix_result`), made from the texts
    the input was read from: nothing beside the server is opened, and the diff names the
    uploaded files. Not verified here (that runs cfn-lint): `advisor fix --verify` does.
    Made once per view (a cached view keeps it): writing a patch re-reads the input for
    every rewrite, so the page only asks for it when the user does."""
    if v.patch_offer is None:
        v.patch_offer = _make_patch(v)
    return v.patch_offer


def _make_patch(v: View) -> PatchOffer:
    from advisor.fix import fix_result

    a = v.analysis
    r = a.result
    folder = a.folder.rstrip("/\\")
    texts = {f"{folder}/{name}": text for name, text in a.files} if folder else {}
    result = SimpleNamespace(source=f"{folder}/{r.source}" if folder else r.source,
                             format=r.format, errors=list(r.errors), before=r.before,
                             after=v.after, changes=list(v.changes))
    fix = fix_result(result, verify=False, texts=texts)
    if folder:  # the diff names the uploaded files, not the server's temporary folder
        from advisor.fix.diff import unified

        diff = "".join(unified(os.path.relpath(f.path, folder), f.old, f.new)
                       for f in fix.changed)
    else:
        diff = fix.diff()
    return PatchOffer(diff=diff, rewrites=[rw.to_dict() for rw in fix.rewrites],
                      errors=[e.replace(f"{folder}/", "") for e in fix.errors])
