"""The hand-written rule families of the alignment stage, and a switch to turn some off.

Every rule of the deterministic stage belongs to one family named in ``FAMILIES``; its code
asks ``enabled(name)`` where the family begins. ``disabled_rules(names)`` turns families off
for what runs inside it (a ``ContextVar``: a thread or task elsewhere is untouched), so the
worth of each can be measured by leaving it out (``benchmarks/ablation.py``; config
``disable_rules``; ``checks.cascade.Policy.disable_rules``)::

    with disabled_rules({"roles", "unasserted"}):
        aligned = run_alignment(claim, candidates)

A value kind switched off is not read at all: the stage neither agrees nor conflicts on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["FAMILIES", "check_families", "disabled", "disabled_rules", "enabled"]

#: family name -> what its rules do, in one line
FAMILIES: dict[str, str] = {
    # polarity
    "negation": 'one side negates what the other states ("never retried" / "retries")',
    "antonyms": 'opposite state words conflict ("enabled" / "disabled", "manual" / "automatic")',
    "quantifiers": '"all" against "some"/"only"/"no", and opposite bounds ("at most" / "at least")',
    "universal-quantifier": "a claim about all of something is refuted by one counterexample",
    "conditions": "a negation in an if/unless/when clause or a table cell of conditions is no fact",
    "instructions": 'a prohibition ("Do not raise X") denies only the action its verb names',
    "unasserted": "what was only discussed, proposed or considered is not stated",
    "counterfactual": 'a "would have" clause states nothing',
    "roles": 'who holds a role ("lead Priya Raman") and who must approve',
    # document structure
    "history-documents": "a history (postmortem, changelog) agreeing does not excuse a current "
    "document disagreeing",
    "history-asides": 'asides on older values ("(previously 5 years)") are left out',
    "header-lines": "a document's short header line is read with the document's name",
    "continued-sentence": "a value may be left to the next sentence of the chunk",
    "values-vouch": "two agreeing values on half the subject make a sentence about the claim",
    "superseded": "a superseded document loses to a current one",
    "unstated-numbers": "a number that no evidence states is never supported",
    # value kinds
    "durations": 'durations and periods ("30s", "half a minute", "nightly")',
    "sizes": 'sizes ("10 MB", "10 MiB")',
    "percentages": 'percentages ("58%", "38 percent")',
    "money": 'amounts of money ("£96,400", "USD 10")',
    "dates": 'dates, weekdays and times of day ("2024-05-01", "May 2024", "09:00 UTC")',
    "versions": 'versions ("3.14.2", "v3", "Python 3.11")',
    "ports": 'ports ("port 8443", ":8443")',
    "status-codes": 'status codes ("HTTP 413", "returns 422")',
    "counts": 'counts of a noun and rates ("30 connections", "40 emails per second")',
    "numbers": "bare numbers",
    "identifiers": "config keys, env vars, paths, endpoints, files and other identifiers",
    "names": 'capitalized names of people, teams and products ("Aiko Tanaka", "Lantern")',
}

#: value kind (``Value.kind``; an identifier of unit "name" is a name) -> its family
KIND_FAMILY: dict[str, str] = {
    "duration": "durations",
    "size": "sizes",
    "percent": "percentages",
    "money": "money",
    "date": "dates",
    "time": "dates",
    "version": "versions",
    "port": "ports",
    "status_code": "status-codes",
    "count": "counts",
    "number": "numbers",
    "identifier": "identifiers",
}

_DISABLED: ContextVar[frozenset[str]] = ContextVar("verify_disabled_rules", default=frozenset())


def check_families(names: Iterable[str]) -> frozenset[str]:
    """``names`` as a frozenset; a name that is no family raises ``ValueError`` naming all."""
    wanted = frozenset(names)
    unknown = sorted(wanted - FAMILIES.keys())
    if unknown:
        raise ValueError(
            f"unknown rule famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            f"known: {', '.join(FAMILIES)}"
        )
    return wanted


@contextmanager
def disabled_rules(names: Iterable[str]) -> Iterator[frozenset[str]]:
    """Turn the families ``names`` off (on top of those already off) inside the block."""
    off = _DISABLED.get() | check_families(names)
    token = _DISABLED.set(off)
    try:
        yield off
    finally:
        _DISABLED.reset(token)


def disabled() -> frozenset[str]:
    """The families turned off here (a cache key for what they change)."""
    return _DISABLED.get()


def enabled(name: str) -> bool:
    """Is family ``name`` on here? An unknown name raises: a typo must not read as "on"."""
    if name not in FAMILIES:
        check_families([name])
    return name not in _DISABLED.get()
