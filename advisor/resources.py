"""Where the files the package ships beside its code are: one owner for every look-up.

The design card fixes the top-level layout of the repository (`grammar/`, `patterns/`,
`app/`, `samples/`); the package reaches them through symbolic links of the same name
inside `advisor/` (`advisor/grammar -> ../grammar`, ...). A checkout, an editable install
and a built wheel therefore all read them as package resources: the wheel carries copies
(setuptools follows the links when it builds), so nothing is looked up outside the
installed package.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUNDLED = ("grammar", "patterns", "app", "samples")


def bundled(name: str) -> Path:
    """The directory `name` (one of BUNDLED) shipped with the package."""
    if name not in BUNDLED:
        raise KeyError(name)
    return Path(str(files("advisor") / name))
