"""What every renderer shares: hidden characters made visible, locations, the extra keys.

Text in a report comes from an agent and from a corpus, so no renderer trusts it. Besides
each format's own escaping, all of them show *hidden* characters as visible escapes
(``\\x1b``, ``\\u202e``): control characters (a terminal would obey an ANSI sequence, an
XML parser rejects ``\\x00``), format characters (bidi overrides reorder what a reviewer
reads, zero-width spaces hide text), line/paragraph separators, lone surrogates (not
encodable as UTF-8) and the noncharacters U+FFFE/U+FFFF (invalid in XML).
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from checks.types import Evidence, Label
from reports._outcome import Outcome

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

#: Labels a renderer marks as failing: contradicted, unverifiable, error.
VERDICT_ORDER: tuple[Label, ...] = ("supported", "contradicted", "unverifiable", "error")


def is_hidden(ch: str) -> bool:
    """True for a character a reader cannot see or a format cannot carry."""
    return unicodedata.category(ch) in _HIDDEN_CATEGORIES or ch in "\ufffe\uffff"


def escape_code(ch: str) -> str:
    """Python-style escape for one character: ``\\x1b``, ``\\u202e``, ``\\U000e0041``."""
    n = ord(ch)
    if n <= 0xFF:
        return f"\\x{n:02x}"
    if n <= 0xFFFF:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def segments(s: str, keep: str = "") -> Iterator[tuple[str, bool]]:
    """Split ``s`` into runs ``(text, hidden)``; hidden runs are single characters.

    Characters in ``keep`` (say ``"\\n"``) count as visible.
    """
    if s.isascii() and s.isprintable():
        if s:
            yield s, False
        return
    start = 0
    for i, ch in enumerate(s):
        if ch not in keep and is_hidden(ch):
            if start < i:
                yield s[start:i], False
            yield ch, True
            start = i + 1
    if start < len(s):
        yield s[start:], False


def json_escape(ch: str) -> str:
    """JSON escape for one character (a surrogate pair above U+FFFF)."""
    n = ord(ch)
    if n <= 0xFFFF:
        return f"\\u{n:04x}"
    n -= 0x10000
    return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"


def reveal(s: str, keep: str = "", code: Callable[[str], str] = escape_code) -> str:
    """``s`` with every hidden character (outside ``keep``) replaced by ``code(ch)``."""
    return "".join(code(t) if hidden else t for t, hidden in segments(s, keep))


def where(ev: Evidence) -> str:
    """``path:start_line`` of a piece of evidence."""
    return f"{ev.source}:{ev.start_line}"


def shorten(s: str, limit: int) -> str:
    """``s`` on one line, whitespace collapsed, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(s.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"


def unit_score(x: object) -> float:
    """A score clamped to [0, 1]; anything not a finite number counts as 0."""
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return 0.0
    return min(max(float(x), 0.0), 1.0)


def plain(value: object) -> str:
    """A JSON-ish value as one line of text (strings as themselves)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # a circular structure: show what Python shows
        return repr(value)


@dataclass(frozen=True)
class StepClaim:
    id: str
    text: str
    verdict: str
    score: float
    reason: str


@dataclass(frozen=True)
class Step:
    """One agent turn of ``verify run``, read leniently from ``outcome.extra["steps"]``."""

    action: Mapping[str, Any]
    decision: str
    executed: bool
    claims: tuple[StepClaim, ...]
    result: str = ""  # what happened: "executed: ..." or "blocked: <why>"

    @property
    def kind(self) -> str:
        return plain(self.action.get("action", self.action.get("type", "?")))

    @property
    def target(self) -> str:
        """What the action acts on: a path, a command line, a query or the answer."""
        for key in ("path", "query", "text"):
            if key in self.action:
                return plain(self.action[key])
        argv = self.action.get("argv")
        if isinstance(argv, list):
            return " ".join(plain(a) for a in argv)
        return ""


def steps(outcome: Outcome) -> list[Step]:
    """The steps of a run; malformed entries are shown as well as they can be, never dropped."""
    raw = outcome.extra.get("steps")
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        d = item if isinstance(item, Mapping) else {"action": item}
        action = d.get("action")
        claims = d.get("claims")
        out.append(
            Step(
                action=action if isinstance(action, Mapping) else {"action": action},
                decision=plain(d.get("decision", "?")),
                executed=d.get("executed") is True,
                claims=tuple(_step_claim(c) for c in claims) if isinstance(claims, list) else (),
                result=plain(d.get("result", "")),
            )
        )
    return out


def _step_claim(c: object) -> StepClaim:
    d = c if isinstance(c, Mapping) else {"text": c}
    return StepClaim(
        id=plain(d.get("id", "")),
        text=plain(d.get("text", "")),
        verdict=plain(d.get("verdict", "?")),
        score=unit_score(d.get("score")),
        reason=plain(d.get("reason", "")),
    )


def extras(outcome: Outcome) -> list[tuple[str, str]]:
    """The other keys of ``outcome.extra`` (``tokens_per_verified_action``, ...) as text."""
    return [(plain(k), plain(v)) for k, v in outcome.extra.items() if k != "steps"]
