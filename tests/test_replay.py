"""The replay of a whole run (advisor/batch/replay.py): the same `advisor analyze` over
unchanged files prints what the last one printed, and any change it could see is seen.

Each test runs the real command (`python -m advisor`, the path a user's shell takes) in a
small project under tmp_path. Whether a run was served from its record is read from
Python's own `-X importtime` trace, which the interpreter writes to the terminal's file
descriptor itself (never into a record): a replay imports neither click nor the analysis.
Every replayed output is compared with a `--no-cache` run of the same files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from advisor.batch import cache as cache_mod
from advisor.batch import replay
from tests.test_cache import LOGIC, project

REPO = Path(__file__).resolve().parents[1]


def age(root: Path, seconds: float = 10.0) -> None:
    """Date every file and folder under `root` back: a run leaves no record when what it
    checks changed while it ran, and the test's own writes are that recent."""
    when = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink() and not path.is_fifo():
            os.utime(path, (when, when))


def advisor(root: Path, *args: str, env: dict[str, str] | None = None,
            stdin: bytes | None = None, fresh_files: bool = False,
            ) -> tuple[int, bytes, bytes, bool]:
    """(exit code, stdout, stderr without the import trace, served from a record); the
    project's files are dated back first unless `fresh_files`."""
    if not fresh_files:
        age(root)
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("COLUMNS", "NO_COLOR", "ADVISOR_"))}
    full_env.update({"PYTHONPATH": str(REPO), **(env or {})})
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "advisor", *args],
                          cwd=root, env=full_env, capture_output=True, timeout=300,
                          check=False, input=stdin)
    lines = proc.stderr.splitlines(keepends=True)
    trace = [line for line in lines if line.startswith(b"import time:")]
    rest = b"".join(line for line in lines if not line.startswith(b"import time:"))
    replayed = bool(trace) and not any(b" click" in line for line in trace)
    return proc.returncode, proc.stdout, rest, replayed


def run(root: Path, tmp: Path, fmt: str = "json", *more: str,
        env: dict[str, str] | None = None) -> tuple[int, bytes, bytes, bool]:
    return advisor(root, "analyze", ".", "--format", fmt, "-j", "1", "--cache-dir",
                   str(tmp / "c"), *more, env=env)


def fresh(root: Path, fmt: str = "json", *more: str,
          env: dict[str, str] | None = None) -> bytes:
    return advisor(root, "analyze", ".", "--format", fmt, "-j", "1", "--no-cache", *more,
                   env=env)[1]


@pytest.mark.parametrize("fmt", ["json", "text", "sarif", "jsonl"])
def test_a_rerun_is_replayed_byte_for_byte(tmp_path: Path, fmt: str) -> None:
    root = project(tmp_path / "p")
    first = run(root, tmp_path, fmt)
    assert not first[3] and first[0] == 2  # broken.arch is an input error
    again = run(root, tmp_path, fmt)
    assert again[3], again[2][-500:]
    assert again[:3] == first[:3]
    assert again[1] == fresh(root, fmt)
    assert list((tmp_path / "c" / replay.FOLDER).iterdir())


def _changed(root: Path, tmp: Path, change: object, fmt: str = "json", *more: str) -> None:
    """After `change()`, the next run is not a replay and prints what a fresh run does;
    the run after that is a replay again."""
    run(root, tmp, fmt, *more)
    assert run(root, tmp, fmt, *more)[3]
    before = fresh(root, fmt, *more)
    change()  # type: ignore[operator]
    after = run(root, tmp, fmt, *more)
    assert not after[3]
    assert after[1] == fresh(root, fmt, *more)
    assert after[1] != before
    again = run(root, tmp, fmt, *more)
    assert again[3] and again[1] == after[1]


def test_an_edited_template_is_seen(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    template = root / "svc" / "template.yaml"
    _changed(root, tmp_path, lambda: template.write_text(
        template.read_text() + "  Other:\n    Type: AWS::SQS::Queue\n"))


QUEUE = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Queue:
    Type: AWS::SQS::Queue
"""


def test_a_new_template_in_a_walked_folder_is_seen(tmp_path: Path) -> None:
    # no function anywhere (so no handler search): only the walk's listings can tell
    root = tmp_path / "p"
    (root / "stacks").mkdir(parents=True)
    (root / "stacks" / "queue.yaml").write_text(QUEUE)

    def add() -> None:
        (root / "stacks" / "more").mkdir()
        (root / "stacks" / "more" / "other.yaml").write_text(QUEUE)

    _changed(root, tmp_path, add)
    assert b"other.yaml" in run(root, tmp_path)[1]


def test_an_edited_handler_is_seen(tmp_path: Path) -> None:
    # the glue verdict of the function reads its code: logic instead of glue
    root = project(tmp_path / "p")
    handler = root / "svc" / "src" / "app.py"
    run(root, tmp_path)
    glue = run(root, tmp_path)
    assert glue[3]
    handler.write_text(LOGIC)
    logic = run(root, tmp_path)
    assert not logic[3] and logic[1] != glue[1]
    assert logic[1] == fresh(root)


def test_a_new_file_beside_a_function_is_seen(tmp_path: Path) -> None:
    # the handler search looks at the names under the function's folder; the template is
    # named, so no walk lists that folder, and the workers (-j 2) are not watched
    root = project(tmp_path / "p")
    args = ("analyze", "svc/template.yaml", "design.arch", "--format", "json", "-j", "2",
            "--cache-dir", str(tmp_path / "c"))
    advisor(root, *args)
    assert advisor(root, *args)[3]
    (root / "svc" / "src" / "helper.py").write_text("X = 1\n")
    assert not advisor(root, *args)[3]
    assert advisor(root, *args)[3]


def test_a_config_file_that_appears_above_is_seen(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    _changed(root, tmp_path, lambda: (root / ".archadvisor.yaml").write_text(
        "ignore: [REL]\n"))
    assert b'"REL-' not in run(root, tmp_path)[1]


def test_an_ignore_file_is_seen(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    _changed(root, tmp_path, lambda: (root / ".gitignore").write_text("design.arch\n"))
    assert b"design.arch" not in run(root, tmp_path)[1]


def test_a_usage_file_that_appears_is_seen(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    usage = "version: 0.1\nresource_usage:\n  Forward:\n    monthly_requests: 90000000\n"
    _changed(root, tmp_path, lambda: (root / "infracost-usage.yml").write_text(usage))


def test_the_environment_that_changes_an_output_is_part_of_the_key(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    run(root, tmp_path, "text")
    narrow = run(root, tmp_path, "text", env={"COLUMNS": "60"})
    assert not narrow[3]
    assert narrow[1] == fresh(root, "text", env={"COLUMNS": "60"})
    assert run(root, tmp_path, "text", env={"COLUMNS": "60"})[3]
    assert run(root, tmp_path, "text")[3]  # each command line and environment: a record


def test_pricing_data_added_through_the_environment_is_part_of_the_run(tmp_path: Path) -> None:
    # ADVISOR_PRICING_PATH names folders of pricing files: their content is what the
    # results are priced with (the result cache's run key and the replay both read it)
    root = project(tmp_path / "p")
    prices = tmp_path / "prices"
    prices.mkdir()
    (prices / "notes.txt").write_text("one\n")
    age(prices)
    env = {"ADVISOR_PRICING_PATH": str(prices)}
    run(root, tmp_path, env=env)
    assert run(root, tmp_path, env=env)[3]
    (prices / "notes.txt").write_text("two\n")
    assert not run(root, tmp_path, env=env)[3]


def test_the_run_key_reads_the_pricing_folders_of_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor import batch
    from advisor.pipeline import Options

    prices = tmp_path / "prices"
    prices.mkdir()
    (prices / "eu-west-1.yaml").write_text("region: eu-west-1\n")
    settings = batch.Settings(options=Options())
    monkeypatch.setenv("ADVISOR_PRICING_PATH", str(prices))
    first = cache_mod.run_key(settings)
    (prices / "eu-west-1.yaml").write_text("region: eu-west-1\nprices: {}\n")
    assert cache_mod.run_key(settings) != first


@pytest.mark.parametrize("more", [["--no-cache"], ["--show-blocked"],
                                  ["--write-baseline", "base.json"]])
def test_runs_that_cannot_be_repeated_leave_no_record(tmp_path: Path, more: list[str]) -> None:
    root = project(tmp_path / "p")
    run(root, tmp_path, "json", *more)
    assert not run(root, tmp_path, "json", *more)[3]
    assert not (tmp_path / "c" / replay.FOLDER).exists()


def test_an_input_that_cannot_be_fingerprinted_leaves_no_record(tmp_path: Path) -> None:
    # a FIFO gets its "not a regular file" line afresh every time
    root = project(tmp_path / "p")
    os.mkfifo(root / "pipe.yaml")
    first = run(root, tmp_path)
    assert b"pipe.yaml" in first[1]
    assert not run(root, tmp_path)[3]


@pytest.mark.parametrize("fmt", ["sarif", "json"])
def test_a_report_written_with_o_is_written_again(tmp_path: Path, fmt: str) -> None:
    # CI uploads `-o results.sarif`: the replay writes the file as the run did
    root = project(tmp_path / "p")
    out = tmp_path / f"report.{fmt}"
    first = run(root, tmp_path, fmt, "-o", str(out))
    written = out.read_bytes()
    assert written and not first[3]
    out.unlink()
    again = run(root, tmp_path, fmt, "-o", str(out))
    assert again[3] and again[:3] == first[:3]
    assert out.read_bytes() == written == fresh(root, fmt)


def test_an_edited_baseline_is_seen(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    # outside the walked folder, so it is no input: only the run's settings read it
    base = tmp_path / "base.json"
    advisor(root, "analyze", ".", "--no-cache", "--write-baseline", str(base))
    assert b'"fingerprint"' in base.read_bytes()
    age(tmp_path)
    _changed(root, tmp_path, lambda: base.write_text(
        '{"tool": "archadvisor", "version": 1, "findings": []}\n') or age(tmp_path),
        "json", "--baseline", str(base))


def test_a_glob_the_tool_expands_leaves_no_record(tmp_path: Path) -> None:
    # the folders a glob lists are not noted, so a new match could not be seen
    root = project(tmp_path / "p")
    args = ("analyze", "svc/*.yaml", "--format", "json", "--cache-dir", str(tmp_path / "c"))
    first = advisor(root, *args)
    assert b"template.yaml" in first[1]
    assert not advisor(root, *args)[3]
    assert not (tmp_path / "c" / replay.FOLDER).exists()


def test_a_file_changed_while_the_run_went_leaves_no_record(tmp_path: Path) -> None:
    # its time says it changed after the run started: what the run printed may be of the
    # content before, the state a record would keep of the content after
    # (the config file: read when the run starts, its state taken when it ends)
    root = project(tmp_path / "p")
    (root / ".archadvisor.yaml").write_text("region: us-east-1\n")
    age(root)
    later = time.time() + 60
    os.utime(root / ".archadvisor.yaml", (later, later))
    args = ("analyze", ".", "--format", "json", "-j", "1", "--cache-dir", str(tmp_path / "c"))
    advisor(root, *args, fresh_files=True)
    assert not advisor(root, *args, fresh_files=True)[3]
    assert not (tmp_path / "c" / replay.FOLDER).exists()
    advisor(root, *args)
    assert advisor(root, *args)[3]


def test_a_cdk_assembly_that_appears_in_a_named_folder_is_seen(tmp_path: Path) -> None:
    # a folder named on the command line that holds cdk.out/manifest.json is one CDK
    # input; cdk.out itself is never walked, so only the probe of that name can tell
    root = project(tmp_path / "p")
    (root / "cdk.out").mkdir()
    run(root, tmp_path)
    assert run(root, tmp_path)[3]
    (root / "cdk.out" / "manifest.json").write_text('{"version": "36.0.0", "artifacts": {}}')
    assert not run(root, tmp_path)[3]


def test_a_damaged_record_is_never_served(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    first = run(root, tmp_path)
    [record] = (tmp_path / "c" / replay.FOLDER).iterdir()
    data = record.read_bytes()
    record.write_bytes(data[:len(data) // 2])
    again = run(root, tmp_path)
    assert not again[3] and again[1] == first[1]
    record.write_bytes(replay.MAGIC + b"1 5 0 0\nf\0x\0y")
    assert not run(root, tmp_path)[3]


def test_a_record_names_the_facts_it_was_made_from(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    run(root, tmp_path)
    [record] = (tmp_path / "c" / replay.FOLDER).iterdir()
    parsed = replay.parse(record.read_bytes())
    checks = {(kind, arg) for kind, arg, _ in parsed[0]}
    real = os.path.realpath(root)
    assert ("f", os.path.join(real, "svc", "template.yaml")) in checks
    assert ("f", os.path.join(real, "svc", "src", "app.py")) in checks  # the handler
    assert ("l", real) in checks  # the walk
    assert ("f", os.path.join(real, ".archadvisor.yaml")) in checks  # where config may be
    assert ("s", cache_mod.package_dir()) in checks  # the code stamp
    # the handler search's view of the function's folder: its tree, or (as here, where
    # the walk lists every folder under it) the listing of each of its folders
    assert {("l", os.path.join(real, "svc")), ("l", os.path.join(real, "svc", "src"))} \
        <= checks or ("t", os.path.join(real, "svc")) in checks
    assert all(replay.holds(check) for check in parsed[0])
    (root / "svc" / "src" / "app.py").write_text(LOGIC)
    assert not all(replay.holds(check) for check in parsed[0])


def test_the_cache_directory_option_is_read_as_click_reads_it() -> None:
    assert replay.candidate_dirs(["analyze", ".", "--cache-dir", "x"]) == ["x"]
    assert replay.candidate_dirs(["analyze", ".", "--cache-dir=y", "--cache-dir", "z"]) == ["z"]
    found = replay.candidate_dirs(["analyze", "."])
    assert found[0] == os.path.join(os.getcwd(), cache_mod.CACHE_DIR_NAME)
    assert found[-1] == os.path.join("/", cache_mod.CACHE_DIR_NAME)
