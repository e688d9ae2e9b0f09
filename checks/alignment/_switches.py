"""Switching rules off: ``disabled_rules(names)`` turns rules off for what runs inside it (a
``ContextVar``: a thread or task elsewhere is untouched), and a rule's code asks
``enabled(name)`` where it begins. This is how the worth of each rule is measured by leaving it
out (``benchmarks/ablation.py``; ``--disable-rule NAME``; config ``disable_rules``;
``checks.cascade.Policy.disable_rules``)::

    with disabled_rules({"roles", "unasserted"}):
        aligned = run_alignment(claim, candidates)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ._catalog import RULES

__all__ = ["check_rules", "disabled", "disabled_rules", "enabled"]

_DISABLED: ContextVar[frozenset[str]] = ContextVar("verify_disabled_rules", default=frozenset())


def check_rules(names: Iterable[str]) -> frozenset[str]:
    """``names`` as a frozenset; a name that is no rule raises ``ValueError`` naming them all."""
    wanted = frozenset(names)
    unknown = sorted(wanted - RULES.keys())
    if unknown:
        raise ValueError(
            f"unknown rule{'' if len(unknown) == 1 else 's'} {', '.join(unknown)}; "
            f"known: {', '.join(RULES)} (`verify rules` lists them)"
        )
    return wanted


@contextmanager
def disabled_rules(names: Iterable[str]) -> Iterator[frozenset[str]]:
    """Turn the rules ``names`` off (on top of those already off) inside the block."""
    off = _DISABLED.get() | check_rules(names)
    token = _DISABLED.set(off)
    try:
        yield off
    finally:
        _DISABLED.reset(token)


def disabled() -> frozenset[str]:
    """The rules turned off here (a cache key for what they change)."""
    return _DISABLED.get()


def enabled(name: str) -> bool:
    """Is rule ``name`` on here? An unknown name raises: a typo must not read as "on"."""
    if name not in RULES:
        check_rules([name])
    return name not in _DISABLED.get()
