"""Units: one internal unit per dimension, so every consumer reads plain numbers.

- size      -> bytes (KB = 1024 bytes, MB = 1024 KB, GB = 1024 MB: Lambda's and AWS
               pricing pages' convention, where "1024 MB" is "1 GB")
- duration  -> milliseconds
- rate      -> requests per month (a month is 730 hours, the convention of the AWS
               pricing calculator: https://calculator.aws/ and the pricing pages' examples)
- count     -> a plain number (`50M` is 50,000,000)

The DSL printer uses `format_quantity` to write a value back in the largest unit that
represents it exactly, so printing and parsing again gives the same number.
"""

from __future__ import annotations

import math

SECONDS_PER_MONTH = 730 * 3600  # 2,628,000 s: the AWS pricing calculator's month

SIZE_UNITS: dict[str, int] = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
DURATION_UNITS: dict[str, float] = {"ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}
COUNT_SUFFIXES: dict[str, float] = {"K": 1e3, "M": 1e6, "B": 1e9}
RATE_UNITS: dict[str, float] = {
    "/s": float(SECONDS_PER_MONTH),
    "/min": SECONDS_PER_MONTH / 60,
    "/h": SECONDS_PER_MONTH / 3600,
    "/hour": SECONDS_PER_MONTH / 3600,
    "/day": 730 / 24,
    "/month": 1.0,
}

DIMENSION_OF_UNIT: dict[str, str] = {
    **{u: "size" for u in SIZE_UNITS},
    **{u: "duration" for u in DURATION_UNITS},
}


class UnitError(ValueError):
    """A number whose unit is unknown or does not fit the property's dimension."""


def normalise(number: float, unit: str | None, rate: str | None) -> tuple[float, str]:
    """Turn `number unit rate` as written (e.g. 50, "M", "/month") into (value, dimension).

    The dimension is one of size, duration, rate, count.
    """
    value = float(number)
    dim = "count"
    if unit:
        if unit in COUNT_SUFFIXES:
            value *= COUNT_SUFFIXES[unit]
        elif unit in SIZE_UNITS:
            value *= SIZE_UNITS[unit]
            dim = "size"
        elif unit in DURATION_UNITS:
            value *= DURATION_UNITS[unit]
            dim = "duration"
        else:
            raise UnitError(f"unknown unit '{unit}'")
    if rate:
        if dim != "count":
            raise UnitError(f"a rate needs a count before '{rate}', not a {dim}")
        if rate not in RATE_UNITS:
            raise UnitError(f"unknown rate unit '{rate}'")
        value *= RATE_UNITS[rate]
        dim = "rate"
    return _tidy(value), dim


def _tidy(value: float) -> float | int:
    if math.isfinite(value) and value == int(value) and abs(value) < 2**63:
        return int(value)
    return value


def format_number(value: float) -> str:
    """Shortest exact text for a plain number (ints without '.0')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    return repr(float(value))


def format_quantity(value: float, dimension: str) -> str:
    """Write an internal value back with the largest exact unit of its dimension."""
    if dimension == "size":
        for unit in ("TB", "GB", "MB", "KB"):
            step = SIZE_UNITS[unit]
            # Lambda memory is written in MB (1024MB, 10240MB): keep MB up to 10 GB
            if unit == "GB" and value <= 10 * step:
                continue
            if value and value % step == 0:
                return f"{format_number(value // step)}{unit}"
        return f"{format_number(value)}B"
    if dimension == "duration":
        for unit in ("h", "min", "s"):
            step = DURATION_UNITS[unit]
            if value and value % step == 0:
                return f"{format_number(value / step)}{unit}"
        return f"{format_number(value)}ms"
    if dimension == "rate":
        if value and value % 1 == 0:
            for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
                if value % step == 0:
                    return f"{format_number(value / step)}{suffix}/month"
        return f"{format_number(value)}/month"
    return format_number(value)


def human_rate(per_month: float) -> str:
    """A rate for people: 50M/month, 1.2K/month."""
    for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if per_month >= step:
            return f"{per_month / step:.3g}{suffix}/month"
    return f"{per_month:.3g}/month"
