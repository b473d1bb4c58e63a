"""`advisor fix` behaviour a fresh-user review asked for: an honest cfn-lint check, diff
paths `git apply` takes from the repository root, and the same file walk as `analyze`."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import _register_all, cli
from advisor.fix import fix_source
from advisor.fix.verify import CFN_LINT_MISSING

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "fix"


def _copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copy(SAMPLES / name, dest)
    return dest


def _invoke(*args: str) -> object:
    _register_all()
    return CliRunner().invoke(cli, list(args))


# ---------------------------------------------------------------- cfn-lint check
def test_missing_cfn_lint_is_not_verified(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(tmp_path, "cfn-streams.yaml")
    monkeypatch.setitem(sys.modules, "cfnlint.api", None)  # import raises ImportError
    fix = fix_source(str(path), verify=True)
    assert fix.checks["cfn-lint"] == CFN_LINT_MISSING == "cfn-lint not installed: not verified"
    assert fix.verified is False
    assert fix.rewrites and all(r.verified is False and r.failed_check == "cfn-lint"
                                for r in fix.rewrites if r.status == "patched")
    res = _invoke("fix", str(path), "--json")
    assert res.exit_code == 1, res.output
    payload = json.loads(res.stdout)["results"][0]
    assert payload["checks"]["cfn-lint"] == CFN_LINT_MISSING
    assert all(r["verified"] is False for r in payload["rewrites"])
    res = _invoke("fix", str(path))
    assert res.exit_code == 1
    assert "NOT verified" in res.stderr and "cfn-lint not installed" in res.stderr


def test_cfn_lint_raising_is_not_verified(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import cfnlint.api

    def boom(*_a: object, **_k: object) -> list[object]:
        raise RuntimeError("internal cfn-lint failure")

    monkeypatch.setattr(cfnlint.api, "lint", boom)
    fix = fix_source(str(_copy(tmp_path, "cfn-streams.yaml")), verify=True)
    check = fix.checks["cfn-lint"]
    assert check.startswith("cfn-lint crashed on the original cfn-streams.yaml")
    assert "RuntimeError: internal cfn-lint failure" in check and "not verified" in check
    assert fix.verified is False


def test_cfn_lint_rule_crash_on_the_patch_is_not_verified(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cfn-lint turns an exception inside one of its rules into an E0002 match: the
    patched file was not fully checked, so it is not verified."""
    import cfnlint.api

    real = cfnlint.api.lint
    calls: list[str] = []

    def crash_second(text: str, **kw: object) -> list[object]:
        calls.append(text)
        matches = list(real(text, **kw))
        if len(calls) % 2 == 0:  # the patched file
            from cfnlint.match import Match
            from cfnlint.rules.errors.rule import RuleError

            matches.append(Match.create(filename=None, rule=RuleError(),
                                        message="Unknown exception while processing rule "
                                                "E3012: 'boom'"))
        return matches

    monkeypatch.setattr(cfnlint.api, "lint", crash_second)
    fix = fix_source(str(_copy(tmp_path, "cfn-streams.yaml")), verify=True)
    assert fix.checks["cfn-lint"].startswith("cfn-lint crashed on the patched cfn-streams")
    assert "E3012" in fix.checks["cfn-lint"]
    assert fix.verified is False


# ---------------------------------------------------------------- options
def test_fix_reads_rule_lists_with_the_shared_rule(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`--select A,B --select C` is split by advisor.commands.options.split_values, the
    one rule every command uses, not a copy of it."""
    import advisor.commands.fix as fix_cmd
    from advisor.commands import options

    seen: list[tuple[str, ...]] = []

    def spy(values: tuple[str, ...]) -> tuple[str, ...]:
        seen.append(values)
        return options.split_values(values)

    monkeypatch.setattr(fix_cmd, "split_values", spy)
    path = _copy(tmp_path, "cfn-streams.yaml")
    res = _invoke("fix", str(path), "--no-verify", "--select", " NOSUCH-RULE ,",
                  "--select", "OTHER")
    assert (" NOSUCH-RULE ,", "OTHER") in seen
    assert res.exit_code == 2 and "NOSUCH-RULE" in res.stderr, res.output


# ---------------------------------------------------------------- diff paths
def _git_repo(tmp_path: Path) -> Path:
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "infra" / "stacks").mkdir(parents=True)
    shutil.copy(SAMPLES / "cfn-streams.yaml", repo / "infra" / "stacks" / "t.yaml")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


@pytest.mark.parametrize("how", ["absolute", "dotdot"])
def test_diff_paths_apply_from_the_repository_root(tmp_path: Path, how: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    repo = _git_repo(tmp_path)
    elsewhere = repo / "infra" / "docs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # run from a directory beside the file's
    target = repo / "infra" / "stacks" / "t.yaml"
    arg = str(target) if how == "absolute" else "../stacks/t.yaml"
    res = _invoke("fix", arg, "--no-verify")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("diff --git a/infra/stacks/t.yaml b/infra/stacks/t.yaml\n")
    (tmp_path / "fix.patch").write_text(res.stdout)
    check = subprocess.run(["git", "apply", "--check", str(tmp_path / "fix.patch")],
                           cwd=repo, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    if shutil.which("patch"):
        dry = subprocess.run(["patch", "-p1", "--dry-run", "-i", str(tmp_path / "fix.patch")],
                             cwd=repo, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stdout + dry.stderr


def test_diff_paths_outside_a_repository_stay_relative_to_cwd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.fix.diff import patch_path, repository_root

    plain = tmp_path / "plain"
    (plain / "sub").mkdir(parents=True)
    f = plain / "sub" / "t.yaml"
    f.write_text("x")
    monkeypatch.chdir(plain)
    if repository_root(str(f)) is not None:
        pytest.skip("the temporary directory is inside a git repository")
    assert patch_path(str(f)) == "sub/t.yaml"
    assert patch_path("sub/t.yaml") == "sub/t.yaml"


# ---------------------------------------------------------------- directory walk
def test_fix_walks_a_directory_exactly_as_analyze(tmp_path: Path) -> None:
    """The same inputs (ignore files, --exclude, extensions, default excludes), the same
    skips (a YAML file that is no template, a FIFO), one result line each, in order."""
    import os

    d = tmp_path / "d"
    for sub in ("generated", "other", "sub", "node_modules"):
        (d / sub).mkdir(parents=True)
        shutil.copy(SAMPLES / "cfn-streams.yaml", d / sub / "t.yaml")
    (d / ".gitignore").write_text("generated/\n")
    (d / "notes.yaml").write_text("name: x\nitems: [1, 2]\n")
    (d / "README.md").write_text("not an input\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(d / "pipe.yaml")
    analyzed = json.loads(_invoke("analyze", str(d), "--exclude", "other/", "--format",
                                  "json", "--no-cache", "--no-estimates").stdout)["results"]
    res = _invoke("fix", str(d), "--exclude", "other/", "--json", "--no-verify")
    fixed = json.loads(res.stdout)["results"]
    assert [(r["source"], r.get("skipped")) for r in fixed] == \
        [(r["source"], r.get("skipped")) for r in analyzed]
    sources = [r["source"] for r in fixed]
    assert str(d / "sub" / "t.yaml") in sources and str(d / "notes.yaml") in sources
    assert not any("generated" in s or "other" in s or "node_modules" in s for s in sources)
    if hasattr(os, "mkfifo"):
        assert any(r.get("skipped", "").startswith("not a regular file") for r in fixed)
    text = _invoke("fix", str(d), "--exclude", "other/", "--no-verify")
    lines = [line for line in text.stderr.splitlines() if not line.startswith(" ")]
    assert len(lines) == len(analyzed)
    assert any(line.endswith("notes.yaml: skipped: not a template (YAML with no top-level "
                              "Resources)") for line in lines), lines


def test_fix_choose_reanalyses_through_the_batch_unit(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
                    "    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: .\n"
                    "      Events:\n        Get:\n          Type: Api\n"
                    "          Properties: {Path: /x, Method: get}\n")
    fid = "OPS-APIGW-THROTTLING:ServerlessRestApi"  # opt-in: patched only when chosen
    plain = _invoke("fix", str(path), "--no-verify")
    assert fid not in plain.stderr
    chosen = _invoke("fix", str(path), "--no-verify", "--choose", fid)
    assert f"patched      {fid}" in chosen.stderr and "ThrottlingRateLimit" in chosen.stdout
    bad = _invoke("fix", str(path), "--no-verify", "--choose", f"{fid}=7")
    assert bad.exit_code == 2 and "has no applicable alternative 7" in bad.output
    # a finding id no input has (a typo) is an error naming the closest id, not "nothing
    # to patch" with a clean exit
    typo = _invoke("fix", str(path), "--no-verify", "--choose", fid.lower())
    assert typo.exit_code == 2 and f"did you mean {fid}?" in typo.output


def test_access_log_group_of_an_implicit_api_is_support_not_a_node(tmp_path: Path) -> None:
    """The log group the access-logging patch adds is what the engine models as a prop of
    the API: the re-import must not count it as an unexpected node."""
    from advisor.pipeline import Options

    path = tmp_path / "t.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
                    "    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: .\n"
                    "      Events:\n        Get:\n          Type: Api\n"
                    "          Properties: {Path: /x, Method: get}\n")
    fix = fix_source(str(path), Options(apply="all", select=("OPS-APIGW-ACCESS-LOGGING",)),
                     verify=True)
    (rw,) = fix.rewrites
    assert rw.status == "patched" and rw.verified and fix.verified, fix.checks
    assert "ServerlessRestApiAccessLogs:" in fix.changed[0].new
