"""Project configuration, found like ruff finds its own: walk up from the working directory.

In each directory, from the working directory up to the file-system root, the first of
these that exists wins:

1. `.archadvisor.yaml` (or `.archadvisor.yml`): the settings at the top level;
2. `pyproject.toml` with a `[tool.archadvisor]` table (a pyproject.toml without one is
   passed over, so a monorepo's sub-package does not hide the root's settings).

Keys (dashes or underscores): `select`, `ignore`, `fail-on`, `requests` (default entry
rate for designs that state none, e.g. "10M/month"), `payload` (default payload, e.g.
"2KB"), `patterns` (pattern pack directories, relative to the config file), `exclude`
(gitwildmatch patterns), `region`, `apply`, `jobs`, `timeout`, `baseline` (relative to the
config file), `system` (true: the CloudFormation/SAM templates of a run are one system,
as `--system`), `usage-file` (an Infracost-format usage file, relative to the config file;
default: the nearest infracost-usage.yml), `cache` (true/false: keep the result cache,
default true), `cache-dir` (where, relative to the config file; default
`.archadvisor_cache` beside it). Command-line flags override every one of them.

A mistake in the file (unknown key, wrong type, bad rate) is an `AdvisorError` pointing
at the config file, with a did-you-mean for misspelt keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError, Diagnostic, did_you_mean
from advisor.vocabulary import SEVERITIES

YAML_NAMES = (".archadvisor.yaml", ".archadvisor.yml")
SEVERITY_CHOICES = SEVERITIES
APPLY_CHOICES = ("default", "all", "none")

_RATE = re.compile(
    r"^\s*([0-9]*\.?[0-9]+)\s*([KMB])?\s*(/\s*(?:s|min|h|hour|day|month))?\s*$", re.I
)
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(B|KB|MB|GB|TB)?\s*$", re.I)


@dataclass
class Config:
    """Settings from a config file; None / empty means "not set here"."""

    path: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    requests: float | None = None  # requests per month
    payload: float | None = None  # bytes
    patterns: tuple[str, ...] = ()  # absolute directories
    exclude: tuple[str, ...] = ()
    region: str | None = None
    apply: str | None = None
    jobs: int | None = None
    timeout: float | None = None
    baseline: str | None = None
    system: bool = False  # analyze a run's templates as one system (`--system`)
    usage_file: str | None = None
    cache: bool | None = None
    cache_dir: str | None = None  # absolute
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def workload_defaults(self) -> dict[str, float]:
        """Workload values for designs that do not state them (model units)."""
        out: dict[str, float] = {}
        if self.requests is not None:
            out["requests"] = self.requests
        if self.payload is not None:
            out["payload"] = self.payload
        return out


KEYS = ("select", "ignore", "fail-on", "requests", "payload", "patterns", "exclude",
        "region", "apply", "jobs", "timeout", "baseline", "system", "usage-file", "cache",
        "cache-dir")


def parse_rate(text: str | float | int) -> float:
    """`10M/month`, `50/s`, `2.5B`, `1000` -> requests per month (ValueError if not)."""
    from advisor import units

    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a rate")
    if isinstance(text, int | float):
        return float(text)
    m = _RATE.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a rate; write e.g. 10M/month or 50/s")
    number, suffix, rate = m.group(1), m.group(2), m.group(3)
    value, _dim = units.normalise(float(number), suffix.upper() if suffix else None,
                                  (rate or "/month").replace(" ", "").lower())
    return float(value)


def parse_size(text: str | float | int) -> float:
    """`2KB`, `512 B`, `1MB`, `300` (bytes) -> bytes (ValueError if not)."""
    from advisor import units

    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a size")
    if isinstance(text, int | float):
        return float(text)
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a size; write e.g. 2KB")
    return float(m.group(1)) * units.SIZE_UNITS[(m.group(2) or "B").upper()]


def find_config(start: Path | None = None) -> Path | None:
    """The nearest config file at or above `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in YAML_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    import tomllib  # only where a pyproject.toml exists

    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "archadvisor" in data["tool"]


def load_config(path: Path | str) -> Config:
    """Read and validate one config file (AdvisorError on any mistake)."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdvisorError([Diagnostic(shown, 1, 1, f"cannot read config file: {exc}")]) \
            from None
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AdvisorError([Diagnostic(shown, 1, 1, f"invalid TOML: {exc}")]) from None
        tool = data.get("tool", {})
        if path.name == "pyproject.toml":
            table = tool.get("archadvisor", {}) if isinstance(tool, dict) else {}
        else:  # a dedicated TOML file: the table, or the settings at the top level
            table = tool.get("archadvisor", data) if isinstance(tool, dict) else data
    else:
        import yaml  # only for a YAML config file: a run without one does not load it

        try:
            table = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise AdvisorError([Diagnostic(shown, line, col, f"invalid YAML: {exc}")]) \
                from None
        table = {} if table is None else table
    if not isinstance(table, dict):
        raise AdvisorError([Diagnostic(shown, 1, 1, "the settings must be a table of keys")])
    return from_mapping(table, path)


def from_mapping(table: dict[str, Any], path: Path) -> Config:
    """Validate settings read from `path` (relative paths are taken from its directory)."""
    shown = str(path)
    base = path.resolve().parent
    cfg = Config(path=shown)
    problems: list[Diagnostic] = []

    def bad(message: str, hint: str | None = None) -> None:
        problems.append(Diagnostic(shown, _line_of(path, message), 1, message, hint))

    for raw_key in sorted(table, key=str):
        value = table[raw_key]
        key = str(raw_key).replace("_", "-")
        if key not in KEYS:
            guess = did_you_mean(key, KEYS)
            bad(f"unknown setting '{raw_key}'", f"did you mean '{guess}'?" if guess else
                f"known settings: {', '.join(KEYS)}")
            continue
        try:
            _set(cfg, key, value, base)
        except ValueError as exc:
            bad(f"setting '{raw_key}': {exc}")
    if problems:
        raise AdvisorError(problems)
    return cfg


def _line_of(path: Path, message: str) -> int:
    """The line of the key named in `message`, so the error points at it (else 1)."""
    m = re.search(r"'([^']+)'", message)
    if not m:
        return 1
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    key = re.compile(rf"^\s*[\"']?{re.escape(m.group(1))}[\"']?\s*[:=]")
    return next((i for i, line in enumerate(lines, 1) if key.match(line)), 1)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise ValueError("expected a list of strings")


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}, not {value!r}")
    return value


def _set(cfg: Config, key: str, value: Any, base: Path) -> None:
    if key == "select":
        cfg.select = _strings(value)
    elif key == "ignore":
        cfg.ignore = _strings(value)
    elif key == "fail-on":
        cfg.fail_on = _choice(value, SEVERITY_CHOICES)
    elif key == "apply":
        cfg.apply = _choice(value, APPLY_CHOICES)
    elif key == "requests":
        cfg.requests = parse_rate(value)
    elif key == "payload":
        cfg.payload = parse_size(value)
    elif key == "patterns":
        cfg.patterns = tuple(str((base / p).resolve()) for p in _strings(value))
    elif key == "exclude":
        cfg.exclude = _strings(value)
    elif key == "region":
        if not isinstance(value, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", value):
            raise ValueError(f"expected an AWS region such as us-east-1, not {value!r}")
        cfg.region = value
    elif key == "jobs":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("expected a whole number of at least 1")
        cfg.jobs = value
    elif key == "timeout":
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError("expected a number of seconds above 0")
        cfg.timeout = float(value)
    elif key == "system":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        cfg.system = value
    elif key == "baseline":
        if not isinstance(value, str):
            raise ValueError("expected a file name")
        cfg.baseline = str((base / value).resolve())
    elif key == "usage-file":
        if not isinstance(value, str):
            raise ValueError("expected a file name")
        cfg.usage_file = str((base / value).resolve())
    elif key == "cache":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        cfg.cache = value
    elif key == "cache-dir":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("expected a directory name")
        cfg.cache_dir = str((base / value).resolve())


def discover_config(explicit: str | None = None, start: Path | None = None) -> Config:
    """`--config FILE` if given, else the nearest config file, else the defaults."""
    if explicit:
        return load_config(explicit)
    found = find_config(start)
    return load_config(found) if found else Config()


__all__ = ["Config", "discover_config", "find_config", "load_config", "parse_rate",
           "parse_size"]
