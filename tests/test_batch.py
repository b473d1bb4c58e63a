"""Batch discovery and the worker pool (advisor/batch/).

Discovery tests build small trees in tmp_path and check exactly which inputs come out,
in which order. Pool tests replace the pipeline with the module-level analyzers below
(they pickle by reference into the workers) to make one file hang, crash its worker,
raise, or run out of memory, and check that every other file still gets its result, in
input order.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from advisor import batch
from advisor.batch import IgnoreRules, Input, discover
from advisor.pipeline import FileResult

CFN_YAML = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
SAM_YAML = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
CFN_JSON = '{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}'
DSL = 'architecture "x"\nclient c\nlambda f\nc -> f\n'
TF = 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def rels(inputs: list[Input], root: Path) -> list[str]:
    return [os.path.relpath(i.path, root) + ("/" if i.kind == "module" else "")
            for i in inputs]


# ------------------------------------------------------------------ gitwildmatch rules
# pathspec implements the syntax; these check our use of it (directories, base folders,
# precedence between ignore files).

@pytest.mark.parametrize(("pattern", "path", "is_dir", "expected"), [
    ("*.json", "a/b/c.json", False, True),       # no slash: matches at any depth
    ("*.json", "a/b/c.yaml", False, False),
    ("build/", "x/build", True, True),           # trailing slash: directories only
    ("build/", "x/build", False, False),
    ("/top.yaml", "top.yaml", False, True),      # leading slash: anchored to the base
    ("/top.yaml", "sub/top.yaml", False, False),
    ("docs/*.yaml", "docs/a.yaml", False, True),  # inner slash: anchored too
    ("docs/*.yaml", "x/docs/a.yaml", False, False),
    ("docs/*.yaml", "docs/sub/a.yaml", False, False),  # * does not cross /
    ("**/gen", "a/b/gen", True, True),
    ("**/gen", "gen", True, True),
    ("a/**/b.yaml", "a/b.yaml", False, True),    # /**/ matches zero directories
    ("a/**/b.yaml", "a/x/y/b.yaml", False, True),
    ("out/**", "out/x/y.json", False, True),
    ("t?mp.yaml", "tmp.yaml", False, False),
    ("t?mp.yaml", "temp.yaml", False, True),
    ("[ab].yaml", "a.yaml", False, True),
    ("[!ab].yaml", "a.yaml", False, False),
    ("[!ab].yaml", "c.yaml", False, True),
    ("\\#lit.yaml", "#lit.yaml", False, True),
])
def test_gitwildmatch_rule(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    assert IgnoreRules.from_lines([pattern]).ignored(path, is_dir) is expected


def test_ignore_rules_last_match_wins_and_negation() -> None:
    rules = IgnoreRules.from_lines(["# comment", "", "*.yaml", "!keep.yaml", "  "])
    assert rules.ignored("drop.yaml", False)
    assert not rules.ignored("sub/keep.yaml", False)
    assert not rules.ignored("a.arch", False)


def test_rule_with_base_only_applies_below_it() -> None:
    rules = IgnoreRules.from_lines(["*.yaml"], base="sub")
    assert rules.ignored("sub/x.yaml", False)
    assert not rules.ignored("other/x.yaml", False)


def test_deeper_ignore_file_overrides_shallower() -> None:
    # git: patterns in a deeper .gitignore take precedence over those above it
    rules = IgnoreRules.from_lines(["*.yaml"]).with_lines(["!keep.yaml"], base="sub")
    assert rules.ignored("sub/drop.yaml", False)
    assert not rules.ignored("sub/keep.yaml", False)
    assert rules.ignored("keep.yaml", False)  # the sub/ rule does not reach the root
    assert IgnoreRules.from_lines(["# only a comment", ""]).layers == ()


# ------------------------------------------------------------------ discovery

def test_directory_walk_lists_every_input_by_name_sorted(tmp_path: Path) -> None:
    write(tmp_path, {
        "b/template.yaml": CFN_YAML,
        "a/design.arch": DSL,
        "a/config.yaml": "name: not a template\nitems: [1, 2]\n",
        "a/package.json": '{"name": "x", "dependencies": {}}',
        "a/stack.json": CFN_JSON,
        "a/sam.yml": SAM_YAML,
        "a/notes.md": "# Resources:\n",  # not an input by name
        "c/main.tf": TF,
        "c/vars.tf": 'variable "x" {}\n',
    })
    inputs = discover([str(tmp_path)])
    assert rels(inputs, tmp_path) == ["a/config.yaml", "a/design.arch", "a/package.json",
                                      "a/sam.yml", "a/stack.json", "b/template.yaml", "c/"]
    # data files found by the walk are decided by content when run: not templates are
    # skipped (a result line each, no error), templates analysed
    out = batch.run(inputs, batch.Settings(timeout=60), jobs=1)
    status = {os.path.relpath(o.result.source, tmp_path): o.status for o in out}
    assert status == {"a/config.yaml": "skipped", "a/design.arch": "ok",
                      "a/package.json": "skipped", "a/sam.yml": "ok", "a/stack.json": "ok",
                      "b/template.yaml": "ok", "c": "ok"}
    skipped = {os.path.basename(o.result.source): o.result.skipped for o in out
               if o.result.skipped}
    assert skipped == {"config.yaml": "not a template (YAML with no top-level Resources)",
                       "package.json": "not a template (JSON with no top-level Resources)"}


def test_terraform_local_module_is_part_of_its_caller(tmp_path: Path) -> None:
    write(tmp_path, {
        "root/main.tf": 'module "q" {\n  source = "./modules/queue"\n}\n',
        "root/modules/queue/main.tf": TF,
        "other/main.tf": TF,
        # a sibling module called with ../ that sorts before its caller
        "a-shared/main.tf": TF,
        "b-app/main.tf": 'module "s" {\n  source = "../a-shared"\n}\n',
    })
    got = rels(discover([str(tmp_path)]), tmp_path)
    assert got == ["b-app/", "other/", "root/"]


def test_explicit_module_directory_and_tf_file(tmp_path: Path) -> None:
    write(tmp_path, {"m/main.tf": TF, "m/extra.tf": TF})
    (inp,) = discover([str(tmp_path / "m")])
    assert inp.kind == "module" and inp.path == str(tmp_path / "m")
    # a .tf file named on the command line is that file ...
    (one,) = discover([str(tmp_path / "m" / "main.tf")])
    assert one.kind == "file"
    # ... except in hook mode, where it stands for its module (once)
    hooked = discover([str(tmp_path / "m" / "main.tf"), str(tmp_path / "m" / "extra.tf")],
                      hook=True)
    assert [(i.path, i.kind) for i in hooked] == [(str(tmp_path / "m"), "module")]


def test_gitignore_and_archadvisorignore_in_tree(tmp_path: Path) -> None:
    write(tmp_path, {
        ".gitignore": "generated/\n*.tmp.yaml\n",
        "generated/t.yaml": CFN_YAML,
        "x.tmp.yaml": CFN_YAML,
        "keep.yaml": CFN_YAML,
        "sub/.archadvisorignore": "legacy.yaml\n",
        "sub/legacy.yaml": CFN_YAML,
        "sub/new.yaml": CFN_YAML,
        "other/legacy.yaml": CFN_YAML,  # the sub/ ignore file does not reach here
    })
    got = rels(discover([str(tmp_path)]), tmp_path)
    assert got == ["keep.yaml", "other/legacy.yaml", "sub/new.yaml"]


def test_exclude_option_and_default_excludes(tmp_path: Path) -> None:
    write(tmp_path, {
        "node_modules/pkg/template.yaml": CFN_YAML,
        ".aws-sam/build/template.yaml": CFN_YAML,
        "tests/fixture.yaml": CFN_YAML,
        "app/template.yaml": CFN_YAML,
        "app/old.json": CFN_JSON,
    })
    got = rels(discover([str(tmp_path)], exclude=["tests/", "*.json"]), tmp_path)
    assert got == ["app/template.yaml"]
    everything = rels(discover([str(tmp_path)], use_default_excludes=False), tmp_path)
    assert ".aws-sam/build/template.yaml" in everything
    assert "node_modules/pkg/template.yaml" in everything


def test_missing_path_and_empty_glob_are_inputs_with_errors(tmp_path: Path) -> None:
    write(tmp_path, {"a.arch": DSL})
    got = discover([str(tmp_path / "missing.yaml"), str(tmp_path / "*.nothing"),
                    str(tmp_path / "a.arch")])
    assert [i.error for i in got] == ["no such file or directory",
                                      "no file matches this pattern", None]


def test_glob_expands_sorted_and_recursive(tmp_path: Path) -> None:
    write(tmp_path, {"z/b.arch": DSL, "a.arch": DSL, "z/y/c.arch": DSL})
    got = rels(discover([str(tmp_path / "**" / "*.arch")]), tmp_path)
    assert got == ["a.arch", "z/b.arch", "z/y/c.arch"]


def test_inputs_keep_argument_order_and_appear_once(tmp_path: Path) -> None:
    write(tmp_path, {"d/one.arch": DSL, "two.arch": DSL})
    got = rels(discover([str(tmp_path / "two.arch"), str(tmp_path / "d"),
                         str(tmp_path / "d" / "one.arch"), str(tmp_path)]), tmp_path)
    assert got == ["two.arch", "d/one.arch"]


def test_symlink_loop_terminates_and_files_counted_once(tmp_path: Path) -> None:
    # Bounded: the walk visits each real directory once per ancestry chain; a loop of
    # two links would otherwise recurse forever.
    write(tmp_path, {"a/x.arch": DSL, "b/y.arch": DSL})
    os.symlink(tmp_path / "b", tmp_path / "a" / "to_b")
    os.symlink(tmp_path / "a", tmp_path / "b" / "to_a")
    os.symlink(tmp_path, tmp_path / "a" / "to_root")
    got = discover([str(tmp_path)])
    reals = sorted(os.path.realpath(i.path) for i in got)
    assert reals == sorted([str((tmp_path / "a/x.arch").resolve()),
                            str((tmp_path / "b/y.arch").resolve())])


def test_broken_symlink_and_link_loop_are_reported(tmp_path: Path) -> None:
    os.symlink(tmp_path / "gone.yaml", tmp_path / "link.yaml")
    os.symlink(tmp_path / "b.arch", tmp_path / "a.arch")
    os.symlink(tmp_path / "a.arch", tmp_path / "b.arch")
    inputs = discover([str(tmp_path)])
    assert rels(inputs, tmp_path) == ["a.arch", "b.arch", "link.yaml"]
    out = batch.run(inputs, batch.Settings(), jobs=1)
    assert [(o.status, o.result.errors[0].message) for o in out] == [
        ("input-error", "symbolic link loop"), ("input-error", "symbolic link loop"),
        ("input-error", "broken symbolic link")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory; see "
                    "test_robustness for the root-aware unreadable-file test")
def test_unreadable_directory_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"locked/x.arch": DSL})
    (tmp_path / "locked").chmod(0)
    try:
        (inp,) = discover([str(tmp_path)])
        assert inp.error and "cannot read directory" in inp.error
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_hook_mode_skips_non_inputs_and_applies_excludes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"package.json": '{"name": "x"}', "t.yaml": CFN_YAML,
                     "vendor/t.yaml": CFN_YAML, "readme.md": "x"})
    monkeypatch.chdir(tmp_path)
    got = discover(["package.json", "t.yaml", "vendor/t.yaml", "readme.md"],
                   exclude=["vendor/"], hook=True)
    assert [(i.path, i.scanned) for i in got] == [("package.json", True), ("t.yaml", True)]
    out = batch.run(got, batch.Settings(), jobs=1)
    assert [o.status for o in out] == ["skipped", "ok"]
    # without hook mode an explicitly named file is always analysed: not being a
    # template is then an error
    (named,) = discover(["package.json"])
    assert (named.path, named.scanned) == ("package.json", False)
    (res,) = batch.run([named], batch.Settings(), jobs=1)
    assert res.status == "input-error" and "not a CloudFormation" in res.result.errors[0].message


# ------------------------------------------------------------------ pool

def slow_analyzer(path: str, settings: batch.Settings) -> FileResult:
    """Hangs on files named 'hang*', sleeps a little on others (so order is tested)."""
    name = os.path.basename(path)
    if name.startswith("hang"):
        time.sleep(600)
    if name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.startswith("bug"):
        raise ZeroDivisionError("boom")
    if name.startswith("oom"):
        raise MemoryError()
    if name.startswith("deep"):
        raise RecursionError()
    if name.startswith("slow"):
        time.sleep(1.2)
    time.sleep(0.05 * (hash(name) % 3))
    return FileResult(source=path, format="dsl")


def _inputs(names: list[str]) -> list[Input]:
    return [Input(f"/virtual/{n}") for n in names]


def test_pool_results_in_input_order_with_a_hang_and_a_crash() -> None:
    names = ["a0", "hang1", "a2", "crash3", "a4", "a5", "bug6", "a7", "oom8", "deep9"]
    seen: list[int] = []
    settings = batch.Settings(timeout=3, analyzer=slow_analyzer)
    out = batch.run(_inputs(names), settings, jobs=2, progress=lambda i, o: seen.append(i))
    assert [o.result.source for o in out] == [f"/virtual/{n}" for n in names]
    assert sorted(seen) == list(range(len(names)))  # every file reported exactly once
    status = {n: o.status for n, o in zip(names, out, strict=True)}
    assert status["hang1"] == batch.STATUS_TIMEOUT
    assert status["crash3"] == batch.STATUS_CRASH
    assert status["bug6"] == batch.STATUS_INTERNAL
    assert status["oom8"] == batch.STATUS_INPUT
    assert status["deep9"] == batch.STATUS_INPUT
    for n in ("a0", "a2", "a4", "a5", "a7"):
        assert status[n] == batch.STATUS_OK and not out[names.index(n)].result.errors
    assert "timed out after 3 s" in out[1].result.errors[0].message
    assert "SIGKILL" in out[3].result.errors[0].message
    assert "ZeroDivisionError" in out[6].result.errors[0].message


def test_pool_survives_every_worker_crashing() -> None:
    names = ["crash0", "crash1", "crash2", "a3"]
    out = batch.run(_inputs(names), batch.Settings(timeout=30, analyzer=slow_analyzer),
                    jobs=2)
    assert [o.status for o in out] == [batch.STATUS_CRASH] * 3 + [batch.STATUS_OK]


def test_a_task_sent_ahead_is_given_back_and_timed_from_its_own_start() -> None:
    """Each worker has one task queued behind the one it runs. When the running one hangs,
    the queued one is handed to the replacement worker (not lost, not timed out with it);
    a queued task's clock starts when it starts: two 1.2 s files in a row on one worker
    stay within a 2 s timeout."""
    names = ["hang0", "a1", "a2", "a3"]
    out = batch.run(_inputs(names), batch.Settings(timeout=2, analyzer=slow_analyzer), jobs=2)
    assert [o.status for o in out] == [batch.STATUS_TIMEOUT] + [batch.STATUS_OK] * 3
    slow = ["slow0", "slow1", "slow2", "slow3"]
    out = batch.run(_inputs(slow), batch.Settings(timeout=2, analyzer=slow_analyzer), jobs=2)
    assert [o.status for o in out] == [batch.STATUS_OK] * 4


def test_inline_timeout_uses_alarm() -> None:
    out = batch.run(_inputs(["hang0", "a1"]),
                    batch.Settings(timeout=0.5, analyzer=slow_analyzer), jobs=1)
    assert [o.status for o in out] == [batch.STATUS_TIMEOUT, batch.STATUS_OK]


def test_discovery_errors_are_results_without_running() -> None:
    inputs = [Input("/x/missing.yaml", error="no such file or directory"), Input("/x/a0")]
    out = batch.run(inputs, batch.Settings(analyzer=slow_analyzer), jobs=2)
    assert out[0].status == batch.STATUS_INPUT
    assert out[0].result.errors[0].message == "no such file or directory"
    assert out[1].status == batch.STATUS_OK


def test_workers_write_each_results_text_section_as_the_report_would(tmp_path: Path) -> None:
    """With a text layout, each worker writes its result's section of the text report;
    put together they are the report the main process would write from the results."""
    from advisor.pipeline import Report
    from advisor.report import text

    write(tmp_path, {"a.arch": DSL, "b.arch": 'architecture "b"\nclient c\nsqs q\nc -> q\n',
                     "c.arch": "this is not a design\n"})
    inputs = discover([str(tmp_path)])
    for width, color in ((60, False), (120, True)):
        settings = batch.Settings(timeout=60, text_layout=(width, color, False))
        out = batch.run(inputs, settings, jobs=2)
        assert all(o.text for o in out)
        report = Report(results=[o.result for o in out])
        assert text.write(report, width=width, color=color, sections=[o.text for o in out]) \
            == text.write(report, width=width, color=color)


def test_real_pipeline_in_workers_matches_in_process(tmp_path: Path) -> None:
    write(tmp_path, {"a.arch": DSL, "b.arch": 'architecture "b"\nclient c\nsqs q\nc -> q\n',
                     "c.arch": "this is not a design\n"})
    inputs = discover([str(tmp_path)])
    settings = batch.Settings(timeout=60)
    inline = [o.result.to_dict() for o in batch.run(inputs, settings, jobs=1)]
    pooled = [o.result.to_dict() for o in batch.run(inputs, settings, jobs=2)]
    assert inline == pooled
    assert [bool(r["errors"]) for r in pooled] == [False, False, True]


def test_a_result_whose_estimate_priced_an_undeclared_service_goes_back_from_a_worker(
        tmp_path: Path) -> None:
    """A function that calls a service the design does not declare is priced with that
    service added (estimate.priced_design): the result must still pickle, or a worker
    could not send it back ("internal error: result could not be sent back")."""
    import pickle

    from advisor.pipeline import Options, analyze_source

    design = tmp_path / "a.arch"
    design.write_text('architecture "a"\nclient c\n'
                      'lambda publish { glue_target = "eventbridge" }\nc -> publish\n', "utf-8")
    result = analyze_source(str(design), Options())
    assert "eventbridge_target" in result.before_estimate.priced.graph
    from advisor.batch.unit import detach

    pickle.loads(pickle.dumps(detach(result)))  # as a worker sends it
    (tmp_path / "b.arch").write_text(design.read_text("utf-8"), "utf-8")
    out = batch.run(discover([str(tmp_path)]), batch.Settings(timeout=60), jobs=2)
    assert [o.status for o in out] == [batch.STATUS_OK] * 2
