"""Loading pattern files: YAML -> schema check -> semantic check -> `Pattern`.

A broken pattern file is input, not a bug: every problem becomes a `Diagnostic` naming
the file, the line, the key path (`match.chain[1].kind`) and what is wrong, and all of a
pack's problems are raised together in one `AdvisorError`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from advisor import catalog, usercache
from advisor.datafiles import safe_load
from advisor.engine import (
    handler_checks,  # noqa: F401  (registers the handler checks' predicates)
    predicates,
)
from advisor.engine.pattern import APPLY_LEVELS, Pattern
from advisor.engine.rewriters import REWRITERS
from advisor.errors import AdvisorError, Diagnostic, did_you_mean
from advisor.model import EDGE_MODES
from advisor.resources import bundled

__all__ = ["APPLY_LEVELS", "Pattern", "builtin_dir", "builtin_patterns", "load_all",
           "load_dir", "load_file"]


def builtin_dir() -> Path:
    """The built-in catalog: <repo>/patterns, shipped as package data (advisor.resources)."""
    return bundled("patterns")


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # only when a pack is checked

    schema = json.loads((builtin_dir() / "schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _key_path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _line_index(text: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Map each key path to its (line, column), 1-based, from the YAML node tree."""
    index: dict[tuple[Any, ...], tuple[int, int]] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return index

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        index[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, k.value)
                index[key] = (k.start_mark.line + 1, k.start_mark.column + 1)
                walk(v, key)
                index[key] = (k.start_mark.line + 1, k.start_mark.column + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, i))

    if root is not None:
        walk(root, ())
    return index


def _where(index: dict[tuple[Any, ...], tuple[int, int]], path: tuple[Any, ...]) -> tuple[int, int]:
    while path and path not in index:
        path = path[:-1]
    return index.get(path, (1, 1))


def load_file(path: Path) -> Pattern:
    """Read and check one pattern file; raises AdvisorError listing every problem."""
    return _check_text(path, path.read_text("utf-8"))


def _check_text(path: Path, text: str) -> Pattern:
    file = str(path)
    try:
        data = safe_load(text)  # libyaml when available: pattern loading is start-up time
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise AdvisorError([Diagnostic(file, line, col, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise AdvisorError([Diagnostic(file, 1, 1, "a pattern file must be a mapping")])
    index_cache: list[dict[tuple[Any, ...], tuple[int, int]]] = []

    def where(parts: tuple[Any, ...]) -> tuple[int, int]:
        # the key -> line index needs a slow pure-Python compose: built only for errors
        if not index_cache:
            index_cache.append(_line_index(text))
        return _where(index_cache[0], parts)

    diags: list[Diagnostic] = []
    for err in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path))):
        parts = tuple(err.absolute_path)
        line, col = where(parts)
        diags.append(Diagnostic(file, line, col, f"{_key_path(parts)}: {_explain(err)}"))
    if diags:
        raise AdvisorError(diags)
    for parts, message, hint in _semantic_problems(data):
        line, col = where(parts)
        diags.append(Diagnostic(file, line, col, f"{_key_path(parts)}: {message}", hint))
    if diags:
        raise AdvisorError(diags)
    return _pattern(data, file)


def _pattern(data: dict[str, Any], file: str) -> Pattern:
    """The `Pattern` of a checked pattern file's data."""
    return Pattern(
        id=data["id"],
        title=data["title"],
        pillar=data["pillar"],
        severity=data["severity"],
        description=data["description"].strip(),
        rationale=data["rationale"].strip(),
        match=data["match"],
        fix=data["fix"],
        references=tuple(data["references"]),
        examples=dict(data["examples"]),
        message=str(data.get("message", "")).strip(),
        priority=int(data.get("priority", 100)),
        caveats=tuple(data.get("caveats", ())),
        known_problems=tuple(data.get("known_problems", ())),
        fix_safety=str(data.get("fix_safety", "")).strip(),
        equivalents=tuple(data.get("equivalents", ())),
        supersedes=tuple(data.get("supersedes", ())),
        path=file,
        raw=data,
    )


def _explain(err: Any) -> str:
    """A short, human message for a schema error."""
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown key(s)")
    if err.validator in ("oneOf", "anyOf"):
        return f"value {err.instance!r} has the wrong shape"
    return str(err.message)


def _semantic_problems(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, str | None]]:
    """What JSON Schema cannot check: kinds, predicate names, chain references."""
    out: list[tuple[tuple[Any, ...], str, str | None]] = []
    kinds = set(catalog.kind_names())
    categories = {catalog.category_of(k) for k in kinds}
    match = data["match"]
    chain = match["chain"]

    def check_names(value: Any, allowed: set[str], path: tuple[Any, ...], what: str) -> None:
        for v in [value] if isinstance(value, str) else value:
            if v not in allowed:
                out.append((path, f"unknown {what} '{v}'", _hint(v, allowed)))

    def check_preds(names: list[str], path: tuple[Any, ...], table: dict[str, Any]) -> None:
        for i, name in enumerate(names):
            if name not in table:
                out.append(((*path, i), f"no predicate named '{name}' in "
                            "advisor/engine/predicates.py", _hint(name, set(table))))

    def check_neighbours(items: list[dict[str, Any]], path: tuple[Any, ...]) -> None:
        for j, nb in enumerate(items):
            if "kind" in nb:
                check_names(nb["kind"], kinds, (*path, j, "kind"), "kind")
            if "category" in nb:
                check_names(nb["category"], categories, (*path, j, "category"), "category")
            if "edge" in nb:
                check_preds(nb["edge"].get("where", []), (*path, j, "edge", "where"),
                            predicates.EDGE_PREDICATES)

    for i, spec in enumerate(chain):
        base = ("match", "chain", i)
        if "kind" in spec:
            check_names(spec["kind"], kinds, (*base, "kind"), "kind")
        if "category" in spec:
            check_names(spec["category"], categories, (*base, "category"), "category")
        check_preds(spec.get("where", []), (*base, "where"), predicates.NODE_PREDICATES)
        check_neighbours(spec.get("no_out", []), (*base, "no_out"))
        check_neighbours(spec.get("no_in", []), (*base, "no_in"))
        if spec.get("glue") and not 0 < i < len(chain) - 1:
            out.append(((*base, "glue"), "glue needs a chain node before and after it", None))
    edges = match.get("edges", [])
    if len(edges) > max(0, len(chain) - 1):
        out.append((("match", "edges"), f"{len(edges)} edge specs for a chain of {len(chain)}"
                    f" nodes (at most {len(chain) - 1})", None))
    for i, e in enumerate(edges):
        if e:
            check_preds(e.get("where", []), ("match", "edges", i, "where"),
                        predicates.EDGE_PREDICATES)
            if "mode" in e:
                check_names(e["mode"], set(catalog_modes()), ("match", "edges", i, "mode"), "mode")
    check_preds(match.get("where", []), ("match", "where"), predicates.MATCH_PREDICATES)
    if int(match.get("subject", 0)) >= len(chain):
        out.append((("match", "subject"), f"subject {match['subject']} is outside the chain"
                    f" (0..{len(chain) - 1})", None))
    for a, alt in enumerate(data["fix"]["alternatives"]):
        for o, op in enumerate(alt.get("ops", [])):
            path = ("fix", "alternatives", a, "ops", o)
            for key in ("node", "from", "to", "group_of"):
                ref = op.get(key)
                if isinstance(ref, int) and ref >= len(chain):
                    out.append(((*path, key), f"chain index {ref} is outside the chain"
                                f" (0..{len(chain) - 1})", None))
            if "kind" in op and op["kind"] not in kinds:
                out.append(((*path, "kind"), f"unknown kind '{op['kind']}'",
                            _hint(op["kind"], kinds)))
            if op["op"] == "call" and op["fn"] not in REWRITERS:
                out.append(((*path, "fn"), f"no rewriter named '{op['fn']}'",
                            _hint(op["fn"], set(REWRITERS))))
    return out


def catalog_modes() -> tuple[str, ...]:
    return EDGE_MODES


def _hint(word: str, candidates: set[str]) -> str | None:
    best = did_you_mean(word, candidates)
    return f"did you mean '{best}'?" if best else None


def load_dir(directory: Path | str) -> list[Pattern]:
    """Every `*.yaml`/`*.yml` pattern in a directory, sorted by file name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise AdvisorError([Diagnostic(str(directory), 0, 0, "pattern directory not found")])
    diags: list[Diagnostic] = []
    patterns: list[Pattern] = []
    for path in _pattern_files(directory):
        try:
            patterns.append(load_file(path))
        except AdvisorError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise AdvisorError(diags)
    return patterns


@cache
def builtin_patterns() -> tuple[Pattern, ...]:
    """The built-in pack, checked once per content: its files' data is kept in the user's
    cache directory under a digest of everything the checks read (`_builtin_digest`), so
    a run whose pack is unchanged reads one JSON file and checks nothing again; a user's
    own pack (`load_dir`) is checked on every run."""
    directory = builtin_dir()
    files = _pattern_files(directory)
    contents = [path.read_bytes() for path in files]
    digest = _builtin_digest(directory, files, contents)
    cached = _read_checked(digest, [path.name for path in files])
    if cached is not None:
        return tuple(_pattern(data, str(path)) for path, data in zip(files, cached, strict=True))
    patterns: list[Pattern] = []
    diags: list[Diagnostic] = []
    for path, data in zip(files, contents, strict=True):
        try:  # the bytes the digest was made of, not a second read
            patterns.append(_check_text(path, data.decode("utf-8")))
        except AdvisorError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise AdvisorError(diags)
    _write_checked(digest, [(path.name, p.raw) for path, p in zip(files, patterns, strict=True)])
    return tuple(patterns)


# ---------------------------------------------------------------- the checked-pack cache
CHECKED_CACHE_FORMAT = 1
CACHE_ENV = usercache.CACHE_ENV


def _pattern_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))


def _builtin_digest(directory: Path, files: list[Path], contents: list[bytes]) -> str:
    """What a check of the built-in pack depends on: the schema, every pattern file, the
    checks themselves (this module's source) and the names they accept (catalog kinds
    and categories, predicates, rewriters, edge modes), so a change to any of them checks
    the pack again."""
    import hashlib

    from advisor import __version__

    h = hashlib.sha256(f"{CHECKED_CACHE_FORMAT}\0{__version__}\0".encode())
    h.update(Path(__file__).read_bytes())
    h.update((directory / "schema.json").read_bytes())
    for path, data in zip(files, contents, strict=True):
        h.update(f"\0{path.name}\0{len(data)}\0".encode())
        h.update(data)
    kinds = sorted(catalog.kind_names())
    names = [kinds, sorted({catalog.category_of(k) for k in kinds}),
             sorted(predicates.NODE_PREDICATES), sorted(predicates.EDGE_PREDICATES),
             sorted(predicates.MATCH_PREDICATES), sorted(REWRITERS), list(EDGE_MODES)]
    h.update(json.dumps(names).encode())
    return h.hexdigest()


def _cache_name(digest: str) -> str:
    return f"patterns-{digest[:32]}.json"


def _read_checked(digest: str, names: list[str]) -> list[dict[str, Any]] | None:
    """The data of the pack's files as checked for `digest`, or None (not cached, or a
    cache file that is not exactly what this writes: then the pack is checked again)."""
    value = usercache.read_entry(_cache_name(digest), digest)
    try:
        if [f["file"] for f in value] != names:
            return None
        data = [f["data"] for f in value]
    except (TypeError, KeyError):
        return None
    return data if all(isinstance(d, dict) for d in data) else None


def _write_checked(digest: str, files: list[tuple[str, dict[str, Any]]]) -> None:
    """Keep the checked data for the next run (see advisor/usercache.py)."""
    usercache.write_entry(_cache_name(digest), digest,
                          [{"file": n, "data": d} for n, d in files])


def load_all(extra_dirs: tuple[str, ...] | list[str] = ()) -> list[Pattern]:
    """Built-in patterns plus user packs; a duplicate id is an error naming both files."""
    patterns = list(builtin_patterns())
    for d in extra_dirs:
        patterns.extend(load_dir(d))
    seen: dict[str, Pattern] = {}
    diags = []
    for p in patterns:
        if p.id in seen:
            diags.append(Diagnostic(p.path, 1, 1, f"duplicate pattern id '{p.id}'",
                                    f"already defined in {seen[p.id].path}"))
        else:
            seen[p.id] = p
    if diags:
        raise AdvisorError(diags)
    return sorted(seen.values(), key=lambda p: p.id)
