"""Patches to the user's own files for the rewrites the engine applied (`advisor fix`).

```python
from advisor.fix import fix_result, fix_source
fix = fix_result(file_result, verify=True)   # a pipeline FileResult (the app's input)
fix.diff()                                   # unified diff, `git apply` / `patch -p1`
fix.rewrites                                 # [RewriteFix]: patched or why not
fix.checks                                   # {check: "ok" | why it failed} (verify=True)
```

Layers: `context` (applied rewrites grouped from the engine's change log), `targets`
(the files of one input: CloudFormation/SAM template, Terraform module, DSL file),
`registry` (rule -> generator per format), one module per change family under `cfn/`
and `terraform/`, `textdoc` (spliced YAML/JSON edits), `verify`, `diff`.
"""

from advisor.fix.runner import FileFix, PatchedFile, RewriteFix, fix_result, fix_source, write_files

__all__ = ["FileFix", "PatchedFile", "RewriteFix", "fix_result", "fix_source", "write_files"]
