"""Front ends for templates, and `load_any`: one entry point that detects the format.

`load_any(path, text=None)` reads a DSL file (`*.arch`), a CloudFormation/SAM template
(YAML or JSON) or Terraform (a `.tf` file, or a directory of them = one module) and
returns an `Architecture`. The format is decided by content, not by extension alone, so
`advisor analyze template.yaml` and `advisor analyze design.arch` behave the same.

Inputs are bounded: files above `MAX_BYTES` (20 MB), binary files and invalid UTF-8 are
refused with an `AdvisorError` naming the file (and the line/column of a bad byte).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from advisor.errors import AdvisorError, Diagnostic
from advisor.model import Architecture

MAX_BYTES = 20 * 1024 * 1024

_CFN_YAML = re.compile(
    r"^(AWSTemplateFormatVersion|Resources|Transform)\s*:", re.MULTILINE
)
_CFN_JSON = re.compile(r'"(AWSTemplateFormatVersion|Resources)"\s*:')
_HCL = re.compile(r'^\s*(resource|module|provider|terraform|variable|locals|data)\s+("|\{|\w)',
                  re.MULTILINE)
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json", "template.cfn.yaml",
                  "samconfig-template.yaml")


def detect_format(text: str, path: str = "") -> str:
    """`cloudformation`, `terraform` or `dsl`, from the content (extension as a tie-break)."""
    head = text.lstrip("\ufeff \t\r\n")
    if path.endswith(".tf") or path.endswith(".tf.json"):
        return "terraform"
    if head.startswith("{"):
        if _CFN_JSON.search(text):
            return "cloudformation"
        return "dsl"
    if _CFN_YAML.search(text):
        return "cloudformation"
    hcl = _HCL.search(text) and not re.search(r"^\s*architecture\s+\"", text, re.MULTILINE)
    if hcl and re.search(r'^\s*resource\s+"aws_', text, re.MULTILINE):
        return "terraform"
    return "dsl"


def _read(path: str) -> str:
    from advisor.importers.reading import read_text

    return read_text(path, MAX_BYTES)


def load_any(
    path: str, text: str | None = None, *, var_files: tuple[str, ...] = (),
    var_values: tuple[str, ...] = (),
) -> Architecture:
    """Read any supported input into an Architecture; AdvisorError on bad input.

    `var_files` / `var_values` (`--var-file FILE`, `--var NAME=VALUE`) set Terraform root
    variables; other formats ignore them.
    """
    tf_vars = _tf_variables(var_files, var_values)
    if text is None and os.path.isdir(path):
        return _load_dir(path, tf_vars)
    if text is None:
        text = _read(path)
    elif len(text) > MAX_BYTES:
        raise AdvisorError([Diagnostic(path, 1, 1, f"input is too large (limit "
                                       f"{MAX_BYTES // (1024 * 1024)} MB)")])
    fmt = detect_format(text, path)
    if fmt == "cloudformation":
        from advisor.importers.cloudformation import import_template

        return import_template(path, text)
    if fmt == "terraform":
        from advisor.importers.terraform import import_terraform

        return import_terraform(path, text, tf_vars)
    _refuse_foreign_data(text, path)
    from advisor.dsl import parse_text

    return parse_text(text, path)


DATA_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_YAML_MAPPING = re.compile(r"^[A-Za-z_][\w.-]*\s*:(\s|$)", re.MULTILINE)


def _refuse_foreign_data(text: str, path: str) -> None:
    """YAML or JSON that is not a CloudFormation template (a Kubernetes manifest, a
    package.json) would otherwise reach the DSL parser and get a baffling syntax error."""
    if path.endswith(".arch"):
        return
    head = text.lstrip("\ufeff \t\r\n")
    looks_json = head.startswith(("{", "["))
    looks_yaml = bool(_YAML_MAPPING.search(text)) or head.startswith(("---", "- "))
    if path.lower().endswith(DATA_SUFFIXES) or looks_json or (looks_yaml and "->" not in text):
        what = "JSON" if looks_json or path.lower().endswith(".json") else "YAML"
        message = f"not a CloudFormation/SAM template ({what} with no top-level 'Resources')"
        if not head:
            message = "empty file: not a CloudFormation/SAM template"
        raise AdvisorError([Diagnostic(
            path, 1, 1, message,
            "archadvisor reads CloudFormation/SAM templates, Terraform (.tf) and the "
            "architecture DSL (.arch)")])


def guess_format(path: str) -> str:
    """The format a file would be read as, from its name alone (for error reports)."""
    lower = path.lower()
    if lower.endswith((".tf", ".tf.json")) or os.path.isdir(path):
        return "terraform" if lower.endswith((".tf", ".tf.json")) else "unknown"
    if lower.endswith(DATA_SUFFIXES):
        return "cloudformation"
    if lower.endswith(".arch"):
        return "dsl"
    return "unknown"


def _tf_variables(var_files: tuple[str, ...], var_values: tuple[str, ...]) -> object:
    if not var_files and not var_values:
        return None
    from advisor.importers.terraform.variables import VarInputs

    return VarInputs(tuple(var_files), tuple(var_values))


def _load_dir(path: str, tf_vars: object = None) -> Architecture:
    """A CDK cloud assembly (`cdk.out`, or an app folder holding one) is one system; a
    directory of .tf files is one Terraform module; otherwise its template file."""
    from advisor.cdkpaths import find_assembly, is_unsynthesized_app

    assembly = find_assembly(path)
    if assembly is not None:
        from advisor.system import cdk

        return cdk.load_assembly_arch(assembly)
    if is_unsynthesized_app(path):
        from advisor.system import cdk

        raise cdk.unsynthesized_error(path)
    d = Path(path)
    if any(p.suffix == ".tf" for p in d.iterdir() if p.is_file()):
        from advisor.importers.terraform import import_terraform

        return import_terraform(path, variables=tf_vars)
    for name in TEMPLATE_NAMES:
        cand = d / name
        if cand.is_file():
            return load_any(str(cand))
    archs = sorted(p for p in d.iterdir() if p.suffix == ".arch" and p.is_file())
    if len(archs) == 1:
        return load_any(str(archs[0]))
    raise AdvisorError([Diagnostic(
        path, 1, 1, "directory has no .tf files, no template.yaml/.yml/.json and no single .arch",
        "pass the template file itself")])
