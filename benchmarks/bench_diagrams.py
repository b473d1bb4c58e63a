"""Diagrams of a 200-node, 14-stack system: how long they take and what they weigh.

Run on demand: `.venv/bin/python benchmarks/bench_diagrams.py [OUT_DIR]` (default
`out/bench-diagrams/`). Builds a microservice platform (a shared platform stack, an
edge stack and twelve service stacks, clients in none; per service: API -> handlers ->
table, events over a shared bus, queues with workers, table streams into a lake, a
workflow, fan-out topics; a few glue functions and queues without DLQs so the rewrites
have work), analyses it with the real pipeline, and
writes before/after/diff/compare as SVG and PNG, with icons and without. Prints the time
per diagram and format, the file sizes and the PNG sizes in pixels.

The files are for looking at: the issue's check is that a 200-node design reads in PNG
and SVG (clusters per stack, left-to-right flow, labels legible when zoomed to 100%).
"""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from advisor.model import Architecture  # noqa: E402
from advisor.pipeline import FileResult, Options, analyze_architecture  # noqa: E402
from advisor.render import render_bytes, result_diagrams  # noqa: E402

SERVICES = ("orders", "payments", "catalog", "search", "accounts", "shipping", "billing",
            "reviews", "inventory", "pricing", "notify", "reports")
MB = 1024 * 1024


def platform(services: tuple[str, ...] = SERVICES) -> Architecture:
    """About 200 nodes: 8 shared, 16 per service (a few services vary)."""
    a = Architecture(name="platform")
    shared = "platform"
    a.workload.update({"requests": 80_000_000, "payload": 2048})
    for name in ("web", "mobile", "partners"):  # clients belong to no stack
        a.add_node(name, "client")
    a.add_node("cdn", "cloudfront", stack="edge")
    for name, kind in (("users_pool", "cognito"), ("domain_events", "eventbridge"),
                       ("audit_key", "kms"), ("audit_logs", "logs")):
        a.add_node(name, kind, stack=shared)
    a.add_edge("web", "cdn")
    a.add_edge("mobile", "cdn")
    a.add_edge("web", "users_pool", label="sign-in")
    a.add_edge("mobile", "users_pool", label="sign-in")
    for i, s in enumerate(services):
        def n(part: str, s: str = s) -> str:
            return f"{s}_{part}"

        a.add_node(n("api"), "apigw", {"type": "http", "auth": "jwt" if i % 5 else "none"}, stack=s)
        a.add_node(n("read"), "lambda", {"memory": 512 * MB, "runtime": "python3.12"}, stack=s)
        a.add_node(n("write"), "lambda", {"memory": 1024 * MB, "runtime": "python3.12"}, stack=s)
        a.add_node(n("table"), "dynamodb", {"billing": "on-demand"}, stack=s)
        a.add_node(n("rule"), "eventbridge", stack=s)
        a.add_node(n("queue"), "sqs", stack=s, group=("workers",))
        a.add_node(n("worker"), "lambda", {"memory": 1024 * MB}, stack=s, group=("workers",))
        a.add_node(n("files"), "s3", stack=s, group=("workers",))
        a.add_node(n("changes"), "lambda", {"memory": 256 * MB}, stack=s, group=("analytics",))
        a.add_node(n("firehose"), "firehose", stack=s, group=("analytics",))
        a.add_node(n("lake"), "s3", stack=s, group=("analytics",))
        a.add_node(n("flow"), "sfn", {"type": "standard"}, stack=s)
        a.add_node(n("step"), "lambda", {"memory": 512 * MB}, stack=s)
        a.add_node(n("topic"), "sns", stack=s)
        a.add_node(n("email"), "sqs", stack=s)
        a.add_node(n("mailer"), "lambda", {"memory": 256 * MB}, stack=s)
        a.add_edge("cdn" if i % 3 else "partners", n("api"))
        if i % 3 == 0:
            a.add_edge("web", n("api"))
        a.add_edge(n("api"), n("read"), label="GET")
        a.add_edge(n("api"), n("write"), label="POST")
        a.add_edge(n("read"), n("table"))
        a.add_edge(n("write"), n("table"))
        a.add_edge(n("write"), "domain_events", mode="async", label="PutEvents")
        a.add_edge("domain_events", n("rule"), mode="async")
        a.add_edge(n("rule"), n("queue"), mode="async")
        a.add_edge(n("queue"), n("worker"), mode="poll", props={"batch": 10})
        a.add_edge(n("worker"), n("files"))
        a.add_edge(n("table"), n("changes"), mode="stream", props={"batch": 100})
        a.add_edge(n("changes"), n("firehose"), label="PutRecordBatch")
        a.add_edge(n("firehose"), n("lake"))
        a.add_edge(n("worker"), n("flow"), label="StartExecution")
        a.add_edge(n("flow"), n("step"))
        a.add_edge(n("step"), n("topic"))
        a.add_edge(n("topic"), n("email"), mode="async")
        a.add_edge(n("email"), n("mailer"), mode="poll")
        a.add_edge(n("mailer"), "audit_logs", mode="async")
        if i % 2:
            a.add_edge(n("worker"), "audit_key", label="Decrypt")
        if i % 4 == 0:  # a glue function: API -> Lambda -> Firehose
            a.add_node(n("ingest"), "lambda", {"memory": 1024 * MB, "glue": True}, stack=s,
                       group=("analytics",))
            a.add_edge(n("api"), n("ingest"), label="POST /events")
            a.add_edge(n("ingest"), n("firehose"), label="PutRecord")
    a.resolve_modes()
    return a


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "out" / "bench-diagrams"
    out.mkdir(parents=True, exist_ok=True)
    arch = platform()
    start = time.perf_counter()
    result = analyze_architecture(arch, Options(), FileResult(source="platform (generated)"))
    print(f"design: {arch.graph.number_of_nodes()} nodes, {arch.graph.number_of_edges()} edges, "
          f"{len({d['stack'] for _, d in arch.graph.nodes(data=True) if d.get('stack')})} stacks; "
          f"{len(result.findings)} findings, {len(result.changes)} changes; "
          f"analysis {time.perf_counter() - start:.2f} s")
    for icons in (True, False):
        graphs = result_diagrams(result, icons=icons)
        suffix = "" if icons else "-plain"
        for name, graph in graphs.items():
            for fmt in ("svg", "png"):
                t0 = time.perf_counter()
                data = render_bytes(graph, fmt)
                took = time.perf_counter() - t0
                path = out / f"{name}{suffix}.{fmt}"
                path.write_bytes(data)
                extra = " {}x{} px".format(*png_size(data)) if fmt == "png" else ""
                print(f"{path.name:<22} {took:6.2f} s {len(data) / 1024:8.0f} KiB{extra}")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
