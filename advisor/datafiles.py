"""Loading the package's own YAML data files (catalog, patterns, prices, styles) fast.

These files are ours and trusted, but they are still read with a *safe* loader (plain
data, never Python objects). libyaml's CSafeLoader is used when PyYAML was built with it:
it parses the ~70 data files in about 50 ms instead of about 500 ms. Even so, building
Python objects from libyaml's events is most of that, and it is paid by every process
(a batch's start-up, each worker started without fork): so what a text parses to is kept
in the user cache directory under a digest of the text (advisor/usercache.py), and a
later run reads it back as JSON, several times faster. Only the package's own files are
kept (`remember=True` at their call sites; a user's pattern pack or pricing file is
parsed every time), and a text whose data JSON would not give back with the same types
(a YAML date, an integer key) is parsed every time.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from advisor import usercache

CACHE_FORMAT = 1  # bump when what a text parses to may change (a new loader)


@cache
def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported when a text is first parsed or keyed:
    importing a module that may load data (the catalog, the styles) costs no YAML."""
    import yaml

    loader = (getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False)
              else None) or yaml.SafeLoader
    return yaml, loader


def safe_load(text: str, *, remember: bool = False) -> Any:
    """`yaml.safe_load`, through libyaml when available; with `remember` (the package's
    own data files only: a user's pattern pack or pricing file is never kept) what the
    text parses to is kept in the user cache for later runs."""
    yaml, loader = _yaml()
    if not remember:
        return yaml.load(text, Loader=loader)
    digest = hashlib.blake2b(f"{CACHE_FORMAT}\0{yaml.__version__}\0{text}".encode(),
                             digest_size=20).hexdigest()
    name = f"data-{digest}.json"
    found = usercache.read_entry(name, digest)
    if found is not None:
        return found
    data = yaml.load(text, Loader=loader)
    if data is not None:
        usercache.write_entry(name, digest, data)
    return data
