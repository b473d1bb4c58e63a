"""Page logic of the Streamlit app as plain functions, so it can be tested without a browser.

The app is a thin shell: every figure comes from the library (pipeline, engine, estimate,
render, report, dsl). What lives here is only the glue a page needs:

- `analyze` runs the pipeline once per input (cached by content hash) without estimates;
  the estimates depend on the traffic slider and the chosen rewrites, so they are made
  separately (`view`) and cached on (input, choice, traffic).
- `after_for` applies the rewrites the user ticked, through the pipeline's one engine
  entry (`advisor.pipeline.run_engine(arch, options, apply={finding_id: index})`):
  exactly the chosen findings, each with the chosen alternative (the first when a plain
  set of ids is given).
- uploads are checked (count, size, suffix, UTF-8) and written only inside a
  `tempfile.TemporaryDirectory`; nothing from them is executed.

Cached objects are shared between reruns and sessions: they are treated as read-only
(deltas for a traffic level are put on copies of the findings, never on the originals).
"""

from __future__ import annotations

import hashlib
import io
import math
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
from advisor.vocabulary import severity_rank

SAMPLES_DIR = bundled("samples")

MAX_FILES = 10
MAX_BYTES = 2 * 1024 * 1024  # per file
UPLOAD_SUFFIXES = (".arch", ".yaml", ".yml", ".json", ".template", ".tf")
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
                                         + ", ".join(UPLOAD_SUFFIXES)))
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


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _analyze_cached(key: str, name: str, text: str) -> Analysis:
    result = _run_pipeline(name, text)
    result.source = name
    return _analysis_from(key, name, result)


def analyze(name: str, text: str) -> Analysis:
    """Analyse one DSL text or template (format by content); cached by name + content."""
    return _analyze_cached(digest("text", name, text), name, text)


def analyze_uploads(uploads: list[Upload]) -> list[Analysis]:
    """Write the accepted uploads into one temporary folder (Terraform may read its
    siblings), analyse each, and delete the folder; results are cached by content."""
    good = [u for u in uploads if u.text is not None]
    if not good:
        return []
    bundle = digest("bundle", *(f"{u.name}\n{u.text}" for u in good))
    return [_analyze_upload_cached(digest(bundle, u.name), u.name, bundle, tuple(
        (g.name, g.text or "") for g in good)) for u in good]


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
    return _analysis_from(key, name, result)


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


# ---------------------------------------------------------------------- estimates
@dataclass
class View:
    """What the page shows for one (input, chosen rewrites, traffic)."""

    analysis: Analysis
    selection: Choice  # (finding id, alternative index) pairs applied to `after`
    requests: float | None
    after: Architecture
    changes: list[Any]
    findings: list[Any]  # as the engine found them (deltas: `with_deltas`)
    before_estimate: Any = None
    after_estimate: Any = None
    estimate_error: str | None = None
    # the estimates at this traffic: every design estimated once (alternatives included)
    estimates: Estimates | None = None

    @property
    def key(self) -> str:
        return digest(self.analysis.key, *self.choice_parts, repr(self.requests))

    @property
    def choice_parts(self) -> list[str]:
        return [f"{fid}#{i}" for fid, i in self.selection]

    def file_result(self) -> FileResult:
        """The pipeline's result shape for this choice and traffic (all deltas filled)."""
        r = self.analysis.result
        findings = with_deltas(self, [f.id for f in self.findings])
        return FileResult(
            source=r.source, format=r.format, errors=list(r.errors), findings=findings,
            before=r.before, after=self.after, before_estimate=self.before_estimate,
            after_estimate=self.after_estimate, changes=list(self.changes), notes=list(r.notes),
        )

    def report(self) -> Report:
        return Report(results=[self.file_result()])


def _with_deltas(findings: list[Any], before: Architecture, estimates: Estimates,
                 ) -> list[Any]:
    """Copies of the findings whose alternatives carry cost/latency deltas by `estimates`
    (the view's traffic), attached by the pipeline's one rule."""
    proxies = [SimpleNamespace(alternatives=[SimpleNamespace(
        after=alt.after, cost_delta_usd_month=None, latency_delta_ms=None)
        for alt in f.alternatives]) for f in findings]
    attach_deltas(before, proxies, estimates)
    out = []
    for f, pf in zip(findings, proxies, strict=True):
        alts = [replace(alt, cost_delta_usd_month=p.cost_delta_usd_month,
                        latency_delta_ms=p.latency_delta_ms)
                for alt, p in zip(f.alternatives, pf.alternatives, strict=True)]
        out.append(replace(f, alternatives=alts))
    return out


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _view_cached(key: str, selection: Choice, requests: float | None,
                 _a: Analysis) -> View:
    after, changes = after_for(_a, dict(selection))
    view = View(_a, selection, requests, after, changes, list(_a.result.findings))
    try:
        estimates = Estimates(_options(requests, estimates=True))
        view.before_estimate = estimates.of(_a.result.before)
        view.estimates = estimates  # the deltas need only the before estimate
        view.after_estimate = estimates.of(after)
    except Exception as exc:  # estimates missing or failing: findings and diagrams still show
        view.estimate_error = f"{type(exc).__name__}: {exc}"
    return view


@st.cache_resource(max_entries=CACHE_ENTRIES * 4, show_spinner=False)
def _deltas_cached(key: str, ids: tuple[str, ...], _v: View) -> list[Any]:
    wanted = set(ids)
    fs = [f for f in _v.findings if f.id in wanted]
    if _v.estimates is None:
        return fs
    return _with_deltas(fs, _v.analysis.result.before, _v.estimates)


def with_deltas(v: View, ids: Iterable[str]) -> list[Any]:
    """Copies of the findings `ids` whose alternatives carry cost and latency deltas at the
    view's traffic. Each alternative costs one whole-design estimate, so the page asks
    only for the findings it shows (a 200-node design can have 500 alternatives)."""
    key = tuple(sorted(set(ids)))
    return _deltas_cached(digest(v.key, *key), key, v)


def page_of(findings: list[Any], page: int, size: int) -> list[Any]:
    """Findings in display order (pillar, then severity), page `page` (0-based)."""
    ordered = [f for _, fs in grouped_findings(findings) for f in fs]
    return ordered[page * size:(page + 1) * size]


def pages(n: int, size: int) -> int:
    return max(1, math.ceil(n / size))


def view(a: Analysis, selection: Iterable[str] | Mapping[str, int],
         requests: float | None) -> View:
    """The page for one choice of rewrites (finding ids, or {finding id: alternative
    index} to pick a non-first alternative) at one traffic level."""
    return _view_cached(a.key, choice_of(a, selection), requests, a)


def entry_requests(a: Analysis) -> float | None:
    """The design's own traffic at the entry (requests/month), when it states one."""
    if a.result.before is None:
        return None
    rate = a.result.before.workload.get("requests")
    return float(rate) if rate else None


def traffic_points(design: float | None = None) -> list[float]:
    """Slider stops: 4 per decade from 1K to 10B requests/month, plus the design's rate."""
    pts = [round(1e3 * 10 ** (i / 4)) for i in range(29)]
    if design and design > 0 and not any(math.isclose(design, p) for p in pts):
        pts.append(float(design))
    return sorted(float(p) for p in pts)


def human_rate(r: float) -> str:
    for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if r >= step:
            return f"{r / step:.3g}{suffix}"
    return f"{r:.3g}"


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


# ---------------------------------------------------------------------- figures
LATENCY_ROWS = (
    ("response p50 (ms)", "response_p50_ms"),
    ("response p99 (ms)", "response_p99_ms"),
    ("delivery p50 (ms)", "delivery_p50_ms"),
)


def totals_rows(v: View) -> list[dict[str, Any]]:
    """Cost and latency before, after, delta (and % of before)."""
    b, a = v.before_estimate, v.after_estimate
    if b is None or a is None:
        return []
    rows = [("monthly cost (USD)", b.monthly_usd, a.monthly_usd)]
    for label, key in LATENCY_ROWS:
        bv, av = b.latency.get(key), a.latency.get(key)
        if bv is None or av is None:
            continue
        if key.startswith("response") and not (b.has_response or a.has_response):
            continue
        rows.append((label, float(bv), float(av)))
    out = []
    for label, bv, av in rows:
        d = av - bv
        out.append({"figure": label, "before": round(bv, 2), "after": round(av, 2),
                    "delta": round(d, 2),
                    "delta %": round(100 * d / bv, 1) if bv else None})
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


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _curve_cached(key: str, _v: View) -> dict[str, Any]:
    from advisor.estimate import estimate
    from advisor.estimate.sweep import crossings, sample_points

    before, after = _v.analysis.result.before, _v.after

    def cost(arch: Architecture, r: float) -> float:
        return estimate(arch, region=REGION, requests=r).monthly_usd

    pts = sample_points(1e3, 1e10, per_decade=CURVE_PER_DECADE)
    rows, diffs = [], []
    for p in pts:
        cb, ca = cost(before, p), cost(after, p)
        rows.append({"requests_month": p, "design": "before", "usd_month": cb})
        rows.append({"requests_month": p, "design": "after", "usd_month": ca})
        diffs.append(cb - ca)
    changed = after is not before
    be = crossings(lambda r: cost(before, r) - cost(after, r), pts, diffs) if changed else []
    return {"rows": rows, "break_even": be}


def cost_curve(v: View) -> dict[str, Any]:
    """Monthly cost of before and after over 1K..10B requests/month and where they cross
    (advisor.estimate.sweep's crossing search on a coarse grid: fast enough per rerun)."""
    return _curve_cached(digest(v.analysis.key, *v.choice_parts), v)


# ---------------------------------------------------------------------- diagrams
DIAGRAMS = ("before", "after", "diff", "compare")


def diagram_graphs(v: View, names: Iterable[str] = DIAGRAMS) -> dict[str, Any]:
    """The pydot graphs (advisor.render) of the view's before and after designs."""
    from advisor.render import compare_diagram, diagram, diff_diagram

    before, after = v.analysis.result.before, v.after
    b_est, a_est = v.before_estimate, v.after_estimate
    title = f"{before.name}: before -> after"
    build = {
        "before": lambda: diagram(before, estimate=b_est, title=f"{before.name}: before"),
        "after": lambda: diagram(after, estimate=a_est, title=f"{after.name}: after"),
        "diff": lambda: diff_diagram(before, after, before_estimate=b_est,
                                     after_estimate=a_est, title=title),
        "compare": lambda: compare_diagram(before, after, before_estimate=b_est,
                                           after_estimate=a_est, title=title),
    }
    return {n: build[n]() for n in names}


_RENDERED: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
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
            while len(_RENDERED) > RENDER_CACHE_ENTRIES:
                _RENDERED.popitem(last=False)
        have.update(done)
    return {n: have[n] for n in names}  # type: ignore[misc]


def render(v: View, name: str, fmt: str = "svg") -> bytes:
    """One diagram (before, after, diff, compare) as svg/png/dot bytes, via Graphviz."""
    return render_many(v, [name], fmt)[name]


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
