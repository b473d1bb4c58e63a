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


def load_any(path: str, text: str | None = None) -> Architecture:
    """Read any supported input into an Architecture; AdvisorError on bad input."""
    if text is None and os.path.isdir(path):
        return _load_dir(path)
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

        return import_terraform(path, text)
    from advisor.dsl import parse_text

    return parse_text(text, path)


def _load_dir(path: str) -> Architecture:
    """A directory of .tf files is one Terraform module; otherwise its template file."""
    d = Path(path)
    if any(p.suffix == ".tf" for p in d.iterdir() if p.is_file()):
        from advisor.importers.terraform import import_terraform

        return import_terraform(path)
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
