"""archadvisor in the browser: paste or upload a design, see findings, diagrams and deltas.

Run with `advisor app` or `streamlit run app/streamlit_app.py`. This file only lays the
page out; the logic it calls lives in app/state.py (plain, tested functions) and in the
`advisor` library.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

try:
    import advisor  # noqa: F401  (installed, or run from the repository's root)
except ImportError:  # `streamlit run app/streamlit_app.py` in a checkout: app/ is on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st

from advisor.app import state

EDITOR, UPLOAD = "Editor", "Upload files"
DEFAULT_SAMPLE = "clickstream.arch"


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
            f"{state.MAX_BYTES // (1024 * 1024)} MB each). Uploads are read, never run."
        )
    return mode


def _show_errors(a: state.Analysis) -> None:
    for d in a.result.errors:
        where = f"line {d.line}, column {d.column}" if d.line else "input"
        hint = f"  \n**Suggestion:** {d.suggestion}" if d.suggestion else ""
        st.error(f"**{a.name}** — {where}: {d.message}{hint}", icon="⚠️")
        st.code(d.render(), language=None)


def _editor_input() -> state.Analysis | None:
    text = st.text_area("Architecture (DSL)", key="dsl", height=260,
                        help="`kind name { key = value }` nodes and `a -> b -> c` edges")
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
        help="The DSL, CloudFormation/SAM templates or Terraform configurations",
    )
    if not files:
        st.info("Upload one or more files.")
        return None
    uploads = state.check_uploads((f.name, f.getvalue()) for f in files)
    for u in uploads:
        if u.error:
            st.error(f"**{u.name}** refused: {u.error}")
    analyses = state.analyze_uploads(uploads)
    if not analyses:
        return None
    for a in analyses:
        if not a.ok:
            _show_errors(a)
    good = [a for a in analyses if a.ok]
    if not good:
        return st.session_state.get("last_good_upload")
    if len(good) > 1:
        st.dataframe(
            [{"file": a.name, "format": a.result.format, "findings": len(a.result.findings)}
             for a in analyses],
            hide_index=True,
        )
    chosen = st.selectbox("Show", [a.name for a in good], key="upload_pick") if len(good) > 1 \
        else good[0].name
    a = next(a for a in good if a.name == chosen)
    st.session_state["last_good_upload"] = a
    return a


def _traffic(a: state.Analysis) -> float | None:
    design = state.entry_requests(a)
    default = design or 1e6
    pts = state.traffic_points(design)
    if default not in pts:
        default = min(pts, key=lambda p: abs(p - default))
    with st.sidebar:
        st.header("Traffic")
        value = st.select_slider(
            "Requests per month at the entry (log scale)", options=pts, value=default,
            format_func=state.human_rate, key=f"traffic::{design}",
        )
        if design:
            st.caption(f"The design states {state.human_rate(design)} requests/month.")
    return None if design and value == design else float(value)


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
    st.header(f"Findings ({total})")
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
PAGE_SIZE = 10


def _fill_alternatives(v: state.View) -> None:
    for f in state.with_deltas(v, _alternatives_placeholder):
        slot = _alternatives_placeholder.get(f.id)
        if slot is not None and f.alternatives:
            slot.dataframe(state.alternative_rows(f), hide_index=True, width="stretch")


def _signed_usd(x: float) -> str:
    return f"{'-' if x < 0 else '+'}${abs(x):,.2f}"


def _headline(slot: Any, v: state.View) -> None:
    b, a = v.before_estimate, v.after_estimate
    with slot.container():
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Findings", len(v.findings))
        c2.metric("Rewrites applied", len(v.changes))
        if b is not None and a is not None:
            c3.metric("Monthly cost (after)", f"${a.monthly_usd:,.2f}",
                      delta=_signed_usd(a.monthly_usd - b.monthly_usd), delta_color="inverse")
            key = "response_p50_ms" if (b.has_response and a.has_response) else "delivery_p50_ms"
            word = "Response p50" if key.startswith("response") else "Delivery p50"
            c4.metric(f"{word} (after)", f"{a.latency[key]:,.0f} ms",
                      delta=f"{a.latency[key] - b.latency[key]:+,.0f} ms", delta_color="inverse")


def _diagrams(v: state.View) -> None:
    st.header("Diagrams")
    try:
        svgs = state.render_many(v, ("before", "after", "diff"))
        before, after, diff = (svgs[n].decode("utf-8") for n in ("before", "after", "diff"))
    except Exception as exc:  # Graphviz or the render module missing
        st.warning(f"Diagrams are not available: {exc}")
        return
    side, changed = st.tabs(["Before and after", "What changed (diff)"])
    with side:
        left, right = st.columns(2)
        with left:
            st.markdown("**Before**")
            st.image(before, width="stretch")
        with right:
            st.markdown("**After** (the chosen rewrites applied)")
            st.image(after, width="stretch")
    with changed:
        st.caption("Removed parts red and dashed, added parts green, changed parts orange.")
        st.image(diff, width="stretch")
        if v.changes:
            st.dataframe([c.to_dict() for c in v.changes], hide_index=True, width="stretch")


def _costs(v: state.View) -> None:
    st.header("Cost and latency")
    if v.estimate_error:
        st.warning(f"Estimates are not available: {v.estimate_error}")
        return
    traffic = v.before_estimate.entry_requests if v.before_estimate else None
    if traffic is not None:
        st.caption(f"At {state.human_rate(traffic)} requests/month, region {state.REGION}.")
    st.dataframe(state.totals_rows(v), hide_index=True, width="stretch")
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
    elif v.after is v.analysis.result.before:
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
    requests = _traffic(a)
    # the findings' choices decide the "after" design, so they run first; the summary
    # and the diagrams are drawn into slots placed above them
    headline, diagrams = st.empty(), st.container()
    _alternatives_placeholder.clear()
    _findings(a)  # the widgets' callbacks have already stored this run's choices
    v = state.view(a, _selection(a), requests)
    _headline(headline, v)
    _fill_alternatives(v)
    with diagrams:
        _diagrams(v)
    _costs(v)
    _downloads(v)


main()
