"""The libyaml fast path of the template loader gives exactly what the pure loader gives.

The pure-Python `CfnLoader` is the reference: for every document the fast path accepts,
values, types and every line/column mark must be identical; everything unusual (errors,
limits, merge keys, rare tags) must be handed back (`SLOW`) so the reference decides.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_path

from advisor.errors import AdvisorError
from advisor.importers.cloudformation import template_fast as cfn_yaml_fast
from advisor.importers.cloudformation.template import MAX_ALIASES, MAX_DEPTH, load_yaml, load_yaml_pure

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not cfn_yaml_fast.AVAILABLE,
                                reason="PyYAML built without libyaml: only the pure loader")


def same(a, b, path="$"):
    assert type(a) is type(b), (path, type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b), path
        assert (a.line, a.col) == (b.line, b.col), path
        assert a.key_lines == b.key_lines, path
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        assert (a.line, a.col) == (b.line, b.col), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and a != a:  # NaN
        assert b != b, path
    else:
        assert a == b, (path, a, b)


TRICKY = {
    "intrinsics": """\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      Name: !Sub "${AWS::StackName}-fn"
      List: !Join ["", [a, !Ref B, !Select [0, !GetAZs ""]]]
      Cond: !If [IsProd, !Ref "AWS::NoValue", {Ref: X}]
      Map: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
      Att: !GetAtt [Table, StreamArn]
      Nothing: !Ref
""",
    # the same text plain and quoted, again and again: a scalar's tag is worked out once
    # per (text, quoting), which must tell them apart
    "repeated scalars": """\
Resources: {}
a: [1, "1", '1', 1, yes, "yes", yes, 'yes', null, "null", null, 1.5, "1.5", 1.5, 2001-12-14]
b: {x: 1, y: "1", z: 1, w: yes, v: "yes", u: 1.5, t: '1.5'}
c: [1, "1", yes, 'yes', ~, "~"]
""",
    "scalars": """\
Resources: {}
a: [yes, no, on, off, true, False, ~, null, "", '']
b: [0x1f, 0o17, 017, 1_000, -3, +4, 1:30, 3.5, .inf, -.Inf, .nan, 1e3, 6.02e+23]
c: [2024-01-02, 2024-01-02T03:04:05Z, "123", '1.0', !!str 5]
d: |
  line one
    indented
e: >-
  folded
  text
f: "esc\\t\\u00e9 \\"q\\""
g: 'it''s'
h: plain text with ] and } and # not a comment
""",
    "anchors": """\
Globals: &g
  Function: {Timeout: 3, Tags: &t [a, b]}
Resources:
  A: {Type: X, Properties: *g}
  B: {Type: X, Properties: {Tags: *t}}
  C: &scalar hello
  D: *scalar
""",
    "unicode-crlf": "Resources:\r\n  Caf\u00e9:\r\n    Type: \"\u00fc\u00e9\"  # comment \u2603\r\n"
                    "    Properties: {N: \u65e5\u672c}\r\n",
    "dup-keys": "Resources:\n  A: {Type: X}\n  A: {Type: Y}\n",
    "empty": "",
    "comment-only": "# nothing here\n",
    "explicit-doc": "---\nResources: {}\n...\n",
    "null-doc": "---\n",
    "compact": "Resources:\n  Q:\n    - - - a\n      - b\n    - ? k\n      : v\n",
    "key-types": "Resources: {}\n1: int key\ntrue: bool key\n~: null key\n3.5: float\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_fast_path_matches_the_pure_loader(name):
    text = TRICKY[name]
    fast = cfn_yaml_fast.load(text)
    assert fast is not cfn_yaml_fast.SLOW, "a plain template should not need the slow path"
    same(fast, load_yaml_pure(text))


def test_a_tab_after_a_colon_is_accepted_by_libyaml():
    # The one known difference: PyYAML's pure scanner refuses a tab as separation space
    # ("found character '\\t' that cannot start any token"); libyaml, like the YAML spec and
    # CloudFormation, accepts it. The fast path reads such a template instead of refusing it.
    text = "Resources:\n  A: {Type:\tX}\n"
    with pytest.raises(AdvisorError, match="cannot start any token"):
        load_yaml_pure(text)
    data = load_yaml(text)
    assert data["Resources"]["A"] == {"Type": "X"}
    assert data["Resources"].key_loc("A") == (2, 3)


def test_aliases_share_one_value_like_the_pure_loader():
    data = cfn_yaml_fast.load(TRICKY["anchors"])
    assert data["Resources"]["A"]["Properties"] is data["Globals"]
    assert data["Resources"]["B"]["Properties"]["Tags"] is data["Globals"]["Function"]["Tags"]


SLOW_CASES = {
    "merge-key": "base: &b {x: 1, y: 2}\nResources:\n  A:\n    <<: *b\n    y: 3\n",
    "syntax": "Resources:\n  Q:\n    Type: [unclosed\n",
    "control-char": "Resources:\n  Q:\n    Type: AWS::SQS::Queue\x1f\n",
    "python-tag": "Resources:\n  X: !!python/object/apply:os.system ['echo pwned']\n",
    "unknown-tag": "Resources:\n  X: !Bogus y\n",
    "set-tag": "Resources: !!set {a, b}\n",
    "recursive": "Resources: &r\n  self: *r\n",
    "undefined-alias": "Resources: *nowhere\n",
    "two-docs": "Resources: {}\n---\nResources: {}\n",
    "map-key": "Resources: {}\n? [a, b]\n: v\n",
    "deep-flow": "Resources: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
    "deep-block": "Resources:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, MAX_DEPTH + 2))
                  + "  " * (MAX_DEPTH + 2) + "v\n",
    "many-aliases": "Resources: {}\nx: &x 1\ny: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n",
    "bomb": "Resources: {}\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 10) + "]\n"
        for i in range(1, 8)),
}


@pytest.mark.parametrize("name", sorted(SLOW_CASES))
def test_unusual_input_goes_to_the_pure_loader_with_the_same_outcome(name):
    text = SLOW_CASES[name]
    assert cfn_yaml_fast.load(text) is cfn_yaml_fast.SLOW
    try:
        expected = load_yaml_pure(text)
    except AdvisorError as err:
        with pytest.raises(AdvisorError) as got:
            load_yaml(text)
        assert got.value.render() == err.render()
    else:
        same(load_yaml(text), expected)


def test_depth_at_the_limit_is_still_fast():
    # MAX_DEPTH nodes deep counting the root mapping and the innermost scalar
    inner = MAX_DEPTH - 2
    text = "Resources: " + "[" * inner + "x" + "]" * inner + "\n"
    assert cfn_yaml_fast.load(text) is not cfn_yaml_fast.SLOW
    same(cfn_yaml_fast.load(text), load_yaml_pure(text))


def test_without_libyaml_the_pure_loader_serves(monkeypatch):
    monkeypatch.setattr(cfn_yaml_fast, "AVAILABLE", False)
    assert cfn_yaml_fast.load(TRICKY["intrinsics"]) is cfn_yaml_fast.SLOW
    same(load_yaml(TRICKY["intrinsics"]), load_yaml_pure(TRICKY["intrinsics"]))


def _compare_fast_and_pure(paths: list[Path]) -> int:
    """Both loaders on each file; the number of files the fast loader took (not SLOW)."""
    checked = 0
    for path in paths:
        text = path.read_text("utf-8")
        try:
            expected = load_yaml_pure(text, str(path))
        except AdvisorError:
            assert cfn_yaml_fast.load(text) is cfn_yaml_fast.SLOW, path
            continue
        fast = cfn_yaml_fast.load(text)
        if fast is cfn_yaml_fast.SLOW:  # allowed (rare tags), but then nothing to compare
            continue
        same(fast, expected, str(path))
        checked += 1
    return checked


def test_every_sample_template_reads_identically():
    samples = sorted((REPO / "samples").rglob("*.y*ml"))
    assert samples and _compare_fast_and_pure(samples) == len(samples)  # no rare tags there


def test_every_corpus_template_reads_identically():
    corpus = shared_path("corpus", "serverless-patterns")
    found = sorted(p for p in corpus.rglob("*.y*ml") if p.name != "manifest.yaml")
    assert len(found) > 50 and _compare_fast_and_pure(found) >= 0.9 * len(found)


# ------------------------------------------------------------------ JSON templates
@pytest.mark.parametrize(("levels", "inner", "refused"), [
    (98, "1", False), (99, "1", True),  # root + 99 lists + the scalar = 101 levels
    (99, "", False), (100, "", True),  # an empty innermost list is itself the deepest value
])
def test_json_depth_limit_is_exact(levels, inner, refused):
    from advisor.importers.cloudformation.template import load_json

    text = '{"Resources": {}, "x": ' + "[" * levels + inner + "]" * levels + "}"
    if refused:
        with pytest.raises(AdvisorError, match="nesting deeper"):
            load_json(text)
    else:
        assert load_json(text)["Resources"] == {}


def test_json_brackets_inside_strings_do_not_count():
    from advisor.importers.cloudformation.template import load_json

    text = '{"Resources": {"A": {"Type": "X", "P": "' + "[{" * 500 + '\\"["}}}'
    assert load_json(text)["Resources"]["A"]["Type"] == "X"


def test_json_key_lines_skip_strings_that_look_like_keys():
    from advisor.importers.cloudformation.template import load_json

    text = (
        '{\n'
        '  "Description": "say \\"Queue\\": here",\n'
        '  "Resources": {\n'
        '    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "Queue"}},\n'
        '    "Queue": {"Type": "AWS::SQS::Queue"}\n'
        '  }\n'
        '}\n'
    )
    data = load_json(text)
    res = data["Resources"]
    assert data.key_lines["Resources"] == (3, 3)
    assert res.key_loc("Topic") == (4, 5) and res["Topic"].line == 4
    assert res.key_loc("Queue") == (5, 5) and (res["Queue"].line, res["Queue"].col) == (5, 5)


@pytest.mark.parametrize("name", ["cloudformation/data.yaml", "terraform/mapping.yaml", "handlers/data.yaml"])
def test_package_data_reads_the_same_with_libyaml(name):
    from importlib import resources

    import yaml

    from advisor.importers.reading import package_yaml

    text = resources.files("advisor.importers").joinpath(name).read_text("utf-8")
    assert package_yaml(name) == yaml.safe_load(text)
