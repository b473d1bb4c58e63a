"""archadvisor in the browser: paste or upload a design, see findings, diagrams and deltas.

Run with `advisor app` or `streamlit run app/streamlit_app.py`. This file only lays the
page out; the logic it calls lives in app/state.py (plain, tested functions), the
diagram viewer in app/viewer.py, and everything else in the `advisor` library.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

try:
    import advisor  # noqa: F401  (installed, or run from the repository's root)
except ImportError:  # `streamlit run app/streamlit_app.py` in a checkout: app/ is on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st

from advisor.app import state, viewer

EDITOR, UPLOAD = "Editor", "Upload files"
DEFAULT_SAMPLE = "clickstream.arch"
PAGE_SIZE = 10
# st.metric's delta_arrow (Streamlit >= 1.50): a change that shows as zero gets no arrow
METRIC_ARROW = "delta_arrow" in inspect.signature(st.metric).parameters
TABLE_HIDE_INDEX = "hide_index" in inspect.signature(st.table).parameters


def _table(rows: list[dict[str, Any]]) -> None:
    """A small static table (real text that wraps, unlike st.dataframe's canvas); a
    missing value shows as a dash."""
    rows = [{k: "—" if v is None else v for k, v in r.items()} for r in rows]
    if TABLE_HIDE_INDEX:
        st.table(rows, hide_index=True)
    else:
        import pandas as pd

        st.table(pd.DataFrame(rows).set_index(next(iter(rows[0]))) if rows else rows)


def _load_sample() -> None:
    name = st.session_state.get("sample")
    if name:
        st.session_state["dsl"] = state.read_sample(name)


def _init_state() -> None:
    if "dsl" not in st.session_state:
        names = [p.name for p in state.sample_paths()]
        first = DEFAULT_SAMPLE if DEFAULT_SAMPLE in names else (names[0] if names else None)
        st.session_state["sample"] = first
        st.session_state["dsl"] = state.read_sample(first) if first else ""


def _sidebar() -> str:
    with st.sidebar:
        st.header("Input")
        mode = st.radio("Source", (EDITOR, UPLOAD), key="mode", horizontal=True)
        names = [p.name for p in state.sample_paths()]
        st.selectbox("Load a sample into the editor", names, key="sample",
                     on_change=_load_sample, disabled=mode != EDITOR)
        st.caption(
            "Paste a design in the DSL, or upload `.arch`, CloudFormation/SAM "
            f"(YAML/JSON) or Terraform `.tf` files (at most {state.MAX_FILES} files, "
            f"{state.MAX_BYTES // (1024 * 1024)} MB each). Uploads are read, never run; "
            "upload a template together with the files it includes."
        )
    return mode


def _show_errors(a: state.Analysis) -> None:
    """A file's input errors: each with its line, column, source line, caret and hint."""
    n = len(a.result.errors)
    st.error(f"**{a.name}**: {n} error{'s' if n != 1 else ''}; the file was not analysed.",
             icon="⚠️")
    for d in a.result.errors:
        hint = f"  \n**Suggestion:** {d.suggestion}" if d.suggestion else ""
        st.markdown(f"**{state.where(d)}**: {d.message}{hint}")
        st.code(d.render(), language=None)


def _show_notes(a: state.Analysis) -> None:
    """The importer's notes: what it could not read or map, so the findings and the
    estimates below do not include it."""
    lines = state.note_lines(a.result)
    if not lines:
        return
    n = len(lines)
    with st.container(border=True):
        st.markdown(f":orange-badge[NOTE] **Import notes ({n})**: what the importer could "
                    "not read or map; the findings and estimates leave it out.")
        for line in lines:
            st.markdown(f"- {line}")
        if st.session_state.get("mode") == UPLOAD:
            st.caption("To have a missing file read, upload it in the same upload as the "
                       "template: folders are not kept, so an included file is found by its "
                       "name next to the template and handler code by its module name "
                       "(`app.handler` -> `app.py`).")


def _editor_input() -> state.Analysis | None:
    text = st.text_area("Architecture (DSL or a template)", key="dsl", height=260,
                        help="`kind name { key = value }` nodes and `a -> b -> c` edges, "
                             "or a CloudFormation/SAM/Terraform text")
    if not text.strip():
        st.info("Paste a design, or pick a sample in the sidebar.")
        return st.session_state.get("last_good_editor")
    a = state.analyze("design.arch", text)
    if not a.ok:
        _show_errors(a)
        last = st.session_state.get("last_good_editor")
        if last is not None:
            st.warning("Showing the last design that parsed; fix the input to update it.")
        return last
    st.session_state["last_good_editor"] = a
    return a


def _upload_input() -> state.Analysis | None:
    files = st.file_uploader(
        "Architecture files", accept_multiple_files=True,
        type=[s.lstrip(".") for s in state.UPLOAD_SUFFIXES],
        help="The DSL, CloudFormation/SAM templates or Terraform configurations, with the "
             "files they include (OpenAPI bodies, state machine definitions, handler code)",
    )
    if not files:
        st.info("Upload one or more files.")
        return None
    uploads = state.check_uploads((f.name, f.getvalue()) for f in files)
    analyses = state.analyze_uploads(uploads)
    if len(uploads) > 1 or any(u.error for u in uploads):
        _table(state.file_rows(uploads, analyses))
    shown = state.designs(uploads, analyses)
    if not shown:
        return None
    labels = {state.file_label(a): a for a in shown}
    if len(shown) > 1:
        chosen = st.selectbox("Show", list(labels), key="upload_pick")
        a = labels.get(chosen, shown[0])
    else:
        a = shown[0]
    if not a.ok:  # its errors go where its findings would be
        st.header(f"Findings: {a.name}")
        _show_notes(a)
        _show_errors(a)
        return None
    return a


# ---------------------------------------------------------------------- workload
def _workload_editor(a: state.Analysis) -> tuple[float | None, float | None]:
    """Requests/month and payload, starting from what the design states (else what the
    estimates assume); an edit re-estimates everything. Returns the edited values."""
    start = state.workload_texts(a)
    keys = {k: f"wl_{k}::{a.key}" for k in ("requests", "payload")}
    for k, key in keys.items():
        st.session_state.setdefault(key, start[k])
    st.markdown("**Workload priced**")
    c1, c2 = st.columns(2)
    req = c1.text_input("Requests per month", key=keys["requests"],
                        help="At the entry points, shared by them: `50M`, `20M/month`, "
                             "`200/s` (the syntax of `advisor cost --requests`)")
    pay = c2.text_input("Payload per request", key=keys["payload"],
                        help="The request size where nodes do not state their own: "
                             "`1KB`, `256KB`, `2MB`")
    edit, errors = state.parse_workload(a, req, pay)
    for k, msg in errors.items():
        st.error(f"{'Requests' if k == 'requests' else 'Payload'}: {msg}; "
                 "the estimate uses the design's value.")
    if edit:
        def _reset() -> None:
            for k, key in keys.items():
                st.session_state[key] = start[k]

        st.button("Back to the design's workload", key=f"wl_reset::{a.key}", on_click=_reset)
    return edit.get("requests"), edit.get("payload")


def _assumptions(slot: Any, v: state.View) -> None:
    if v.estimate_error:
        return
    with slot.container():
        _table(state.workload_rows(v))
        rows = state.assumption_table(v)
        st.markdown(f"**Assumptions behind the estimates** ({len(rows)}): defaults used "
                    "where nothing was stated")
        with st.container(height=min(360, 90 + 70 * len(rows)) if rows else None,
                          border=True):
            if not rows:
                st.caption("None: every figure the estimates use is stated.")
            for r in rows:
                where = f" ({r['nodes']})" if r["nodes"] else ""
                side = "" if r["side"] == "both" else f" *[{r['side']} only]*"
                how = f"\n    - *state it with:* {r['state it with']}" if r["state it with"] else ""
                st.markdown(f"- {r['assumption']}{where}{side}{how}")


# ---------------------------------------------------------------------- rewrites
NONE = -1  # the "no rewrite" choice of a finding


def _pick(a: state.Analysis, fid: str) -> int:
    """The chosen alternative of one finding (NONE: no rewrite). Kept in session state by
    finding id (not in the widgets' own state, which Streamlit drops when a widget is on
    another page of findings); True/False are accepted for "the default" / "none"."""
    chosen: dict[str, Any] = st.session_state.setdefault("chosen", {})
    options = a.choices.get(fid, ())
    default = a.default_alternative.get(fid, NONE)
    pick = chosen.get(fid, default)
    if pick is True:
        pick = default if default != NONE else (options[0] if options else NONE)
    elif pick is False or pick is None:
        pick = NONE
    return int(pick) if pick in options else NONE


def _selection(a: state.Analysis) -> dict[str, int]:
    """The chosen rewrites: {finding id: alternative index}."""
    out = {}
    for f in a.result.findings:
        pick = _pick(a, f.id)
        if pick != NONE:
            out[f.id] = pick
    return out


def _remember(fid: str, index: int) -> None:
    ticked = bool(st.session_state[f"apply::{fid}"])
    st.session_state.setdefault("chosen", {})[fid] = index if ticked else NONE


def _remember_alternative(fid: str) -> None:
    st.session_state.setdefault("chosen", {})[fid] = int(st.session_state[f"alt::{fid}"])


def _choice_widget(a: state.Analysis, f: Any) -> None:
    """A radio (none / each applicable alternative) when there is more than one way to
    rewrite the finding, a checkbox when there is one, a caption when there is none."""
    options = a.choices.get(f.id, ())
    note = getattr(f, "note", "")
    if note and note not in f.message:
        st.caption(note)
    if len(options) > 1:
        values = [NONE, *options]
        st.radio(
            "Rewrite", values, index=values.index(_pick(a, f.id)), key=f"alt::{f.id}",
            format_func=lambda i, f=f: "none" if i == NONE else
            f"{i + 1}. {f.alternatives[i].title}",
            on_change=_remember_alternative, args=(f.id,),
        )
    elif options:
        i = options[0]
        st.checkbox(f"Apply: {f.alternatives[i].title}", key=f"apply::{f.id}",
                    value=_pick(a, f.id) == i, on_change=_remember, args=(f.id, i))
    else:
        st.caption("Advice only: not rewritten automatically.")


def _findings(a: state.Analysis) -> None:
    total = len(a.result.findings)
    counts = state.severity_counts(a.result.findings)
    st.header(f"Findings ({total})")
    if counts:
        st.caption(counts)
    _show_notes(a)
    if not total:
        st.success("No findings: nothing the Serverless Lens patterns would flag.")
        return
    n_pages = state.pages(total, PAGE_SIZE)
    page = 0
    if n_pages > 1:
        page = st.number_input(f"Page (of {n_pages}, {PAGE_SIZE} findings each)", 1, n_pages,
                               1, key=f"page::{a.key}") - 1
    shown = state.page_of(a.result.findings, page, PAGE_SIZE)
    for pillar, fs in state.grouped_findings(shown):
        st.subheader(pillar.replace("-", " ").capitalize())
        for f in fs:
            with st.container(border=True):
                loc = f" · line {f.location.line}" if f.location and f.location.line else ""
                st.markdown(f"{state.badge(f.severity)} **{f.title}** `{f.rule}`{loc}")
                st.write(f.message)
                _alternatives_placeholder[f.id] = st.empty()
                _choice_widget(a, f)


_alternatives_placeholder: dict[str, Any] = {}
ALTERNATIVE_COLUMNS = {
    "alternative": st.column_config.TextColumn(width="large"),
    "cost Δ $/month": st.column_config.NumberColumn(format="%+.2f",
                                                   help="negative: the rewrite saves"),
    "latency Δ ms": st.column_config.NumberColumn(format="%+.0f",
                                                 help="negative: the rewrite is faster"),
}


def _fill_alternatives(v: state.View) -> None:
    for f in state.with_deltas(v, _alternatives_placeholder):
        slot = _alternatives_placeholder.get(f.id)
        if slot is not None and f.alternatives:
            slot.dataframe(state.alternative_rows(f), hide_index=True, width="stretch",
                           column_config=ALTERNATIVE_COLUMNS)


# ---------------------------------------------------------------------- summary
def _metric(col: Any, label: str, value: str, style: dict[str, Any], **kw: Any) -> None:
    style = dict(style)
    if not METRIC_ARROW:
        style.pop("delta_arrow", None)
    col.metric(label, value, **style, **kw)


def _headline(slot: Any, v: state.View) -> None:
    b, a = v.before_estimate, v.after_estimate
    with slot.container():
        c1, c2, c3 = st.columns(3)
        if b is not None and a is not None:
            _metric(c1, "Monthly cost (after)", f"${a.monthly_usd:,.2f}",
                    state.delta_style(b.monthly_usd, a.monthly_usd, "usd"),
                    help="the optimized design; the change against the original below "
                         "(green: cheaper, red: dearer, grey: the same)")
            lat = state.headline_latency(v)
            if lat is not None:
                label, key = lat
                _metric(c2, f"{label} (after)", f"{a.latency[key]:,.0f} ms",
                        state.delta_style(b.latency[key], a.latency[key], "ms"),
                        help="green: faster, red: slower, grey: the same")
            else:
                c2.metric("Latency", "n/a", help="no response or delivery path")
        else:
            c1.metric("Monthly cost", "n/a", help=v.estimate_error)
        c3.metric("Findings", len(v.findings), help=state.severity_counts(v.findings) or None)
        _savings(v)
        _totals_table(v)


def _note(text: str) -> dict[str, Any]:
    """A metric's delta used as a grey caption (no arrow, no colour)."""
    return {"delta": text, "delta_color": "off", "delta_arrow": "off"}


def _savings(v: state.View) -> None:
    big = state.AVAILABLE_AUTO_ALTERNATIVES
    asked = st.session_state.get(f"avail::{v.analysis.key}", False)
    s = state.savings(v, compute=asked)
    c1, c2, c3 = st.columns(3)
    c1.metric("Rewrites applied", s.applied,
              help="the rewrites ticked in the findings below (the engine's default choice "
                   "until you change it)")
    if s.applied_usd is not None:
        if state.verdict(s.applied_usd, 2) == "same":
            _metric(c2, "Savings applied", "$0.00", _note("per month: none"))
        elif s.applied_usd < 0:
            _metric(c2, "Savings applied", state.money(s.applied_usd),
                    _note("per month, before − after"))
        else:
            _metric(c2, "Cost the rewrites add", f"+{state.money(s.applied_usd)}",
                    _note("per month: controls cost"),
                    help="security, tracing and failure handling cost money; the findings "
                         "list what each one adds")
    if s.available_usd is None and s.pending:
        _metric(c3, "Savings available", "?", _note(f"{s.pending} to estimate"),
                help=f"more than {big} alternatives: computed when asked for")
        c3.toggle("Compute", key=f"avail::{v.analysis.key}",
                  help="estimates every rewrite offered but not applied, one by one")
    elif s.available_usd is not None:
        n = len(s.available)
        _metric(c3, "Savings available", state.money(s.available_usd) if n else "$0.00",
                _note(f"per month, {n} not applied" if n else "per month: none offered"),
                help="rewrites offered in the findings below but not applied, each measured "
                     "alone against the original design; they can overlap, so together "
                     "they may save less")
        if n:
            with st.expander(f"Savings available: {n} rewrite{'s' if n != 1 else ''} "
                             "not applied"):
                st.dataframe(s.available, hide_index=True, width="stretch")


def _notes_banner(a: state.Analysis) -> None:
    n = len(a.result.notes)
    if n:
        st.warning(f"{n} import note{'s' if n != 1 else ''}: parts of the input could not "
                   "be read or mapped, so the figures below leave them out (see the notes "
                   "above the findings).", icon="ℹ️")


# ---------------------------------------------------------------------- diagrams
DIAGRAM_TABS = (("What changed (diff)", "diff"), ("Before", "before"), ("After", "after"),
                ("Side by side", "side"))


def _show_diagram(svg: bytes, title: str, columns: int = 1) -> None:
    html, height = viewer.viewer_html(svg, title, state.svg_size(svg), columns)
    if hasattr(st, "iframe"):  # sized to its content: the viewer fits the diagram
        st.iframe(html, height="content")
    else:  # Streamlit before st.iframe
        import streamlit.components.v1 as components

        components.html(html, height=height)


def _diagrams(v: state.View) -> None:
    st.header("Diagrams")
    try:
        svgs = state.render_many(v, ("diff", "before", "after"))
    except Exception as exc:  # Graphviz or the render module missing
        st.warning(f"Diagrams are not available: {exc}")
        return
    name = v.before.name
    tabs = st.tabs([label for label, _ in DIAGRAM_TABS])
    with tabs[0]:
        entries = state.legend(v, "diff")
        if entries:
            st.caption("Legend: " + " · ".join(entries))
        _show_diagram(svgs["diff"], f"{name}: what changed")
        rows = state.change_rows(v)
        if rows:
            st.markdown(f"**What changed** ({len(rows)} element{'s' if len(rows) != 1 else ''})")
            st.dataframe(rows, hide_index=True, width="stretch", column_config={
                "element": st.column_config.TextColumn(width="medium"),
                "kind": st.column_config.TextColumn(width="small"),
                "status": st.column_config.TextColumn(width="small"),
                "what changed": st.column_config.TextColumn(width="large")})
        else:
            st.caption("No rewrite chosen: before and after are the same design.")
        if v.changes:
            with st.expander(f"Change log ({len(v.changes)})"):
                st.dataframe([c.to_dict() for c in v.changes], hide_index=True,
                             width="stretch")
    with tabs[1]:
        _show_diagram(svgs["before"], f"{name}: before")
    with tabs[2]:
        _show_diagram(svgs["after"], f"{name}: after (the chosen rewrites applied)")
    with tabs[3]:
        width, height = state.svg_size(svgs["before"])
        if width >= height:  # left-to-right data flow: before above after reads best
            st.markdown("**Before**")
            _show_diagram(svgs["before"], f"{name}: before")
            st.markdown("**After** (the chosen rewrites applied)")
            _show_diagram(svgs["after"], f"{name}: after")
            st.caption("`compare.svg` in the downloads draws both in one image.")
        else:
            left, right = st.columns(2)
            with left:
                st.markdown("**Before**")
                _show_diagram(svgs["before"], f"{name}: before", columns=2)
            with right:
                st.markdown("**After** (the chosen rewrites applied)")
                _show_diagram(svgs["after"], f"{name}: after", columns=2)


# ---------------------------------------------------------------------- costs
CHANGE_COLOURS = {"better": "color: #1b7a12; font-weight: 600",
                  "worse": "color: #c7141a; font-weight: 600", "same": "color: #808495"}


def _totals_table(v: state.View) -> None:
    """Before / after / delta of cost and every latency, the change marked better (green),
    worse (red) or the same (grey): lower is better for each."""
    rows = state.totals_rows(v)
    if not rows:
        return
    try:
        import pandas as pd

        table: Any = pd.DataFrame(rows).style.map(
            lambda x: CHANGE_COLOURS.get(x, ""), subset=["change"]).format(
            {"before": "{:,.2f}", "after": "{:,.2f}", "delta": "{:+,.2f}",
             "delta %": lambda x: "" if x is None or x != x else f"{x:+.1f}%"})
    except Exception:  # pandas styling unavailable: the plain table
        table = rows
    st.dataframe(table, hide_index=True, width="stretch")


def _costs(v: state.View) -> None:
    st.header("Cost and latency")
    if v.estimate_error:
        st.warning(f"Estimates are not available: {v.estimate_error}")
        return
    traffic = v.before_estimate.entry_requests if v.before_estimate else None
    if traffic is not None:
        st.caption(f"At {state.human_rate(traffic)} requests/month, region {state.REGION} "
                   "(edit the workload in the summary).")
    with st.expander("Cost per node"):
        st.dataframe(state.node_cost_rows(v), hide_index=True, width="stretch")
    notes = sorted(set((v.before_estimate.notes if v.before_estimate else [])
                       + (v.after_estimate.notes if v.after_estimate else [])))
    for n in notes:
        st.caption(f"note: {n}")
    _break_even(v, traffic)


CURVE_AUTO_NODES = 60  # above this, the curve is computed when asked for


def _break_even(v: state.View, traffic: float | None) -> None:
    import altair as alt

    st.subheader("Cost over traffic")
    big = len(v.analysis.result.before.graph) > CURVE_AUTO_NODES
    if not st.toggle("Show the cost curve and break-even", value=not big, key=f"curve::{big}",
                     help="Re-estimates both designs at 15 traffic levels from 1K to 10B "
                          "requests/month; off by default for large designs."):
        return
    try:
        curve = state.cost_curve(v)
    except Exception as exc:
        st.warning(f"The traffic sweep is not available: {exc}")
        return
    # log-log: costs span several decades; a log axis cannot show $0, so those points
    # (free-tier-only traffic levels) are left out of the lines
    rows = [r for r in curve["rows"] if r["usd_month"] > 0]
    x = alt.X("requests_month:Q", scale=alt.Scale(type="log"), title="requests / month",
              axis=alt.Axis(format="~s"))
    y = alt.Y("usd_month:Q", scale=alt.Scale(type="log"), title="USD / month",
              axis=alt.Axis(format="$~s"))
    colour = alt.Color("design:N", scale=alt.Scale(domain=["before", "after"],
                                                   range=["#c7141a", "#1b7a12"]))
    chart = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=x, y=y, color=colour,
        tooltip=["design:N", alt.Tooltip("requests_month:Q", format=",.0f"),
                 alt.Tooltip("usd_month:Q", format="$,.2f")],
    )
    marks = [{"requests_month": traffic, "what": "current traffic"}] if traffic else []
    marks += [{"requests_month": r, "what": "break-even"} for r in curve["break_even"]]
    if marks:
        rules = alt.Chart(alt.Data(values=marks)).mark_rule(strokeDash=[4, 4]).encode(
            x="requests_month:Q", color=alt.value("#888"),
            tooltip=["what:N", alt.Tooltip("requests_month:Q", format=",.0f")],
        )
        chart = chart + rules
    st.altair_chart(chart, width="stretch")
    if curve["break_even"]:
        st.write("Break-even (before and after cost the same) at: "
                 + ", ".join(f"{state.human_rate(r)} requests/month" for r in curve["break_even"]))
    elif not v.selection:
        st.caption("No rewrite chosen: before and after are the same design.")
    else:
        b = [r["usd_month"] for r in curve["rows"] if r["design"] == "before"]
        a = [r["usd_month"] for r in curve["rows"] if r["design"] == "after"]
        pairs = list(zip(a, b, strict=True))
        which = ("the optimized design is cheaper or equal" if all(x <= y for x, y in pairs)
                 else "the optimized design costs more (the controls it adds are priced)"
                 if all(x >= y for x, y in pairs) else "the curves touch but do not cross")
        st.caption(f"No break-even between 1K and 10B requests/month: {which} "
                   "at every traffic level.")


def _downloads(v: state.View) -> None:
    st.header("Downloads")
    st.caption("They follow the ticked rewrites and the workload above; each is made when "
               "clicked.")
    c = st.columns(4)
    c[0].download_button("report.md", lambda: state.report_markdown(v), "report.md",
                         "text/markdown", key="dl_md", on_click="ignore")
    c[1].download_button("report.html", lambda: state.report_html(v), "report.html",
                         "text/html", key="dl_html", on_click="ignore")
    c[2].download_button("optimized.arch", lambda: state.optimized_dsl(v), "optimized.arch",
                         "text/plain", key="dl_arch", on_click="ignore")
    c[3].download_button("diagrams.zip (SVG + PNG)", lambda: state.diagrams_zip(v),
                         "diagrams.zip", "application/zip", key="dl_zip", on_click="ignore")
    d = st.columns(4)
    for col, name in zip(d, ("before", "after", "diff", "compare"), strict=True):
        col.download_button(f"{name}.svg", lambda name=name: state.render(v, name, "svg"),
                            f"{name}.svg", "image/svg+xml", key=f"dl_{name}_svg",
                            on_click="ignore")
    _patch_download(v)


def _patch_download(v: state.View) -> None:
    """The patch of `advisor fix` for the ticked rewrites: the edits to the input file
    itself, beside the optimized design; what cannot be patched is listed with the reason."""
    if not v.changes:
        return
    st.subheader("Patch to your file")
    # made when asked: writing it re-reads the input once per rewrite (seconds on a large
    # design), and a rerun should not pay for it; a view keeps it once made
    if not st.toggle("Make the patch for the ticked rewrites", key="want_patch",
                     help="the edits `advisor fix` makes to the input file itself"):
        return
    offer = state.patch_for(v)
    if offer.diff:
        st.download_button(f"fix.patch ({offer.patched} of {len(offer.rewrites)} rewrites)",
                           offer.diff, "fix.patch", "text/x-diff", key="dl_patch",
                           on_click="ignore")
        st.caption("Apply with `git apply fix.patch`; check it with "
                   "`advisor fix --verify` (parse, cfn-lint, re-import) before you deploy.")
    for rw in offer.rewrites:
        if rw["status"] != "patched":
            st.caption(f"{rw['finding']}: not patched: {rw.get('reason', '')}")
    for err in offer.errors:
        st.caption(f"No patch: {err}")


def main() -> None:
    st.set_page_config(page_title="archadvisor", layout="wide")
    _init_state()
    mode = _sidebar()
    st.title("archadvisor")
    st.caption("Well-Architected Serverless Lens review: findings, the optimized design, "
               "and what it does to monthly cost and latency.")
    a = _editor_input() if mode == EDITOR else _upload_input()
    if a is None:
        return
    # the findings' choices and the workload decide the view, so their widgets run first;
    # the figures are drawn into slots placed above the findings
    st.header("Summary")
    totals, workload = st.columns([3, 2], gap="large")
    with workload:
        requests, payload = _workload_editor(a)
        assumptions = st.empty()
    with totals:
        headline = st.empty()
    _notes_banner(a)
    diagrams = st.container()
    _alternatives_placeholder.clear()
    _findings(a)  # the widgets' callbacks have already stored this run's choices
    v = state.view(a, _selection(a), requests, payload)
    _headline(headline, v)
    _assumptions(assumptions, v)
    _fill_alternatives(v)
    with diagrams:
        _diagrams(v)
    _costs(v)
    _downloads(v)


main()
