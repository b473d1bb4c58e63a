"""Option values shared by several commands, read the same way everywhere."""

from __future__ import annotations


def split_values(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select A,B --select C` -> (A, B, C): every list option takes commas and repeats."""
    return tuple(v.strip() for raw in values for v in raw.split(",") if v.strip())
