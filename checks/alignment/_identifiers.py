"""Identifiers and names in prose: the things a sentence names rather than measures.

``find_identifiers(text)`` returns spans with a *subtype*:

=========  ==========================================================================
subtype    examples
=========  ==========================================================================
url        ``https://api.example.com/v2``, ``redis://cache:6379/0``
email      ``orders@example.com``
endpoint   ``POST /v1/uploads`` (method and path)
path       ``/etc/x.yaml``, ``src/a.py``, ``secret/app/key``
file       ``config-reference.md``, ``Corvex.js``
function   ``compute_backoff()``
header     ``Idempotency-Key``, ``X-Request-Id``
constant   ``FERRO_MAX_UPLOAD`` (env var), ``IDEMPOTENCY_KEY_REQUIRED`` (error code),
           ``KF_SECRET_`` (a prefix)
key        ``upload.max_file_size_mb``, ``order.placed``
snake      ``checkout_db``, ``customer_id``
kebab      ``payments-core``, ``kafka-retail-01``
camel      ``SearchIndexerLagHigh``, ``maxRetries``
code       ``SEV1``, ``p99``, ``HMAC-SHA256``, a single word in backticks
channel    ``#team-search``
name       capitalized names: ``Aiko Tanaka``, ``Search & Discovery``, ``Lantern``
=========  ==========================================================================

Numbers inside an identifier ("v2" in a file name, "01" in ``kafka-retail-01``) belong to it
and are never read as values of their own. A hyphenated English word whose parts are
function or number words ("on-call", "read-only", "one-line") is not an identifier.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from checks.language import STOPWORDS

from ._lexicon import FILE_EXTENSIONS, HTTP_METHODS, MONTHS, NUMBER_WORDS, WEEKDAYS

__all__ = ["IdSpan", "find_identifiers", "find_names", "identifier_parts", "identifier_words"]


class IdSpan(NamedTuple):
    start: int
    end: int
    subtype: str
    norm: str


_EXT = "|".join(sorted(FILE_EXTENSIONS, key=len, reverse=True))
_METHODS = "|".join(sorted(HTTP_METHODS))
_TRAIL = ".,;:!?)]}'\""

# Order matters: earlier patterns claim their span first.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s`'\"<>|]+")),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("endpoint", re.compile(rf"\b(?:{_METHODS})\s+/[^\s`,;|]*")),
    ("function", re.compile(r"(?<![\w.])[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*\(\)")),
    ("function", re.compile(r"(?<![\w.])[a-z_][a-z0-9]*_[\w]*(?:\.[A-Za-z_]\w*)*(?=\()")),
    (
        "path",
        re.compile(r"(?<![\w/.\-+])(?:~|\.{1,2})?/[\w{<*:.][\w.{}<>*:\-]*(?:/[\w.{}<>*:\-]*)*"),
    ),
    (
        "path",
        re.compile(
            rf"(?<![\w/.\-])[\w.\-]+(?:/[\w.{{}}<>*\-]+){{2,}}/?"
            rf"|(?<![\w/.\-])[\w.\-]+(?:/[\w.{{}}<>*\-]+)*/[\w\-]+\.(?:{_EXT})\b"
        ),
    ),
    ("file", re.compile(rf"(?<![\w/.\-])[\w\-]*[A-Za-z][\w\-]*(?:\.[\w\-]+)*\.(?:{_EXT})\b")),
    ("channel", re.compile(r"(?<![\w#])#[a-z0-9][\w\-]*[a-z0-9]")),
    ("header", re.compile(r"\b(?:X-)?[A-Z][a-z0-9]+(?:-[A-Z][A-Za-z0-9]*)+\b")),
    ("constant", re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:_(?![\w]))?\b")),
    ("key", re.compile(r"(?<![\w.\-])[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)+(?![\w(])")),
    ("snake", re.compile(r"(?<![\w.\-])[a-z0-9][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    ("kebab", re.compile(r"(?<![\w.\-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w\-])")),
    (
        "camel",
        re.compile(r"\b(?:[A-Z][a-z0-9]{2,}(?:[A-Z][a-z0-9]{2,})+|[a-z]+(?:[A-Z][a-z0-9]+)+)\b"),
    ),
    ("code", re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b")),
    ("code", re.compile(r"\b(?!v[0-9])[A-Za-z]+[0-9](?:[A-Za-z0-9]*[0-9A-Za-rt-z])?(?=s?\b)")),
    ("code", re.compile(r"\b[1-5]xx\b")),
)
#: What each of ``_PATTERNS`` cannot match without (every string listed): a text lacking
#: one is not scanned with that pattern.
_NEEDS: tuple[tuple[str, ...], ...] = (
    ("://",), ("@",), ("/",), ("()",), ("_", "("), ("/",), ("/",), (".",), ("#",), ("-",),
    ("_",), (".",), ("_",), ("-",), (), ("-",), (), ("xx",),
)  # fmt: skip

_BACKTICK = re.compile(r"`([^`\n]+)`")
_NAME_WORD = re.compile(r"[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|[•*>#-]\s+|\n\s*|[\"“]\s*)$")
# where a label opens: a participle there ("Status: Approved") is no name; elsewhere in a
# sentence a capitalised "Billing", "Italy", "Emily" or "Ted" is
_LABEL_START = re.compile(r"[:|(]\s*$")
_PLAIN_WORD = re.compile(r"[A-Za-z]+")
_NOT_NAMES = (
    frozenset(MONTHS)
    | frozenset(WEEKDAYS)
    | frozenset(w + "s" for w in WEEKDAYS)
    | frozenset({"i", "ok"})
)


def find_identifiers(text: str) -> list[IdSpan]:
    """Identifier spans of ``text``, left to right, never overlapping."""
    taken = bytearray(len(text))
    out: list[IdSpan] = []

    def claim(start: int, end: int, subtype: str, norm: str) -> None:
        if end <= start or any(taken[start:end]):
            return
        taken[start:end] = b"\x01" * (end - start)
        out.append(IdSpan(start, end, subtype, norm))

    for m in _BACKTICK.finditer(text):
        inner_start, inner_end = m.start(1), m.end(1)
        inner = text[inner_start:inner_end]
        stripped = inner.rstrip(_TRAIL)
        inner_end -= len(inner) - len(stripped)
        if not stripped or any(c.isspace() for c in stripped):
            continue  # a code fragment, not one name: its parts are read below
        if "=" in stripped and "==" not in stripped:
            key = stripped.split("=", 1)[0]
            claim(inner_start, inner_start + len(key), _classify(key), key)
            continue
        if stripped.replace(",", "").replace(".", "").isdigit():
            continue  # `1500` is a number in code font
        claim(inner_start, inner_end, _classify(stripped), _normalize(stripped, None))

    for (subtype, pattern), needs in zip(_PATTERNS, _NEEDS, strict=True):
        if not all(n in text for n in needs):
            continue
        for m in pattern.finditer(text):
            raw = m.group()
            stripped = raw.rstrip(_TRAIL) if subtype in ("url", "path", "endpoint") else raw
            if subtype == "path" and stripped.endswith("."):
                stripped = stripped.rstrip(".")
            if not stripped or not _accept(subtype, stripped):
                continue
            start = m.start()
            claim(start, start + len(stripped), subtype, _normalize(stripped, subtype))
    out.sort()
    return out


def find_names(text: str, taken: bytearray) -> list[IdSpan]:
    """Capitalized names ("Aiko Tanaka", "Search & Discovery") outside ``taken`` spans.

    A single capitalized word opening a sentence is ambiguous ("Flipping a switch") and is
    skipped; two or more capitalized words there are taken as a name ("Jonas Berg leads").
    Inside a sentence a capitalized word is a name whatever its ending ("Italy", "Emily",
    "the Billing team"), but a participle opening a label ("Status: Approved") is not.
    """
    out: list[IdSpan] = []
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for m in _NAME_WORD.finditer(text):
        if any(taken[m.start() : m.end()]) or _bad_name_word(m.group()):
            if current:
                runs.append(current)
                current = []
            continue
        joinable = current and not current[-1].group().endswith(("'s", "’s"))
        if joinable and text[current[-1].end() : m.start()] in (" ", " & ", " of "):
            current.append(m)  # "Aiko Tanaka", "Search & Discovery", "Head of Engineering"
            continue
        if current:
            runs.append(current)
        current = [m]
    if current:
        runs.append(current)
    for run in runs:
        while run and run[0].group().lower() in STOPWORDS:
            run = run[1:]
        while run and run[-1].group().lower() in STOPWORDS:
            run = run[:-1]
        if not run:
            continue
        start, end = run[0].start(), run[-1].end()
        raw = text[start:end]
        for suffix in ("'s", "’s"):
            if raw.endswith(suffix):
                end -= len(suffix)
                raw = raw[: -len(suffix)]
        if len(run) == 1 and _SENTENCE_START.search(text[max(0, start - 3) : start]):
            continue
        if (
            len(run) == 1
            and raw.lower().endswith(("ing", "ed", "ly"))
            and _LABEL_START.search(text[max(0, start - 3) : start])
        ):
            continue  # "Status: Approved", "| Pending": a participle opening a label
        if len(run) == 1 and start == 0:
            continue
        out.append(IdSpan(start, end, "name", " ".join(raw.casefold().split())))
    return out


def identifier_parts(norm: str) -> list[str]:
    """Lowercase word parts of an identifier: ``CHECKOUT_DB_POOL`` -> checkout, db, pool."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", norm)
    return [p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p and not p.isdigit()]


_JOINS = re.compile(r"(?<=[A-Za-z])[._](?=[A-Za-z])")


def identifier_words(text: str) -> str:
    """``text`` with the dots and underscores that join an identifier's words read as spaces:
    ``coinhall.bundle_discounts`` -> coinhall bundle discounts."""
    return _JOINS.sub(" ", text)


def _bad_name_word(word: str) -> bool:
    lower = word.lower()
    if lower in _NOT_NAMES:
        return True
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)  # acronyms: API, UTC


def _accept(subtype: str, raw: str) -> bool:
    if subtype == "kebab":
        parts = raw.split("-")
        if any(p in STOPWORDS or p in NUMBER_WORDS for p in parts):
            return False
        return not all(p.isdigit() for p in parts[1:])
    if subtype == "key":
        segments = raw.split(".")
        if all(len(s) <= 1 for s in segments) or len(raw) < 4:
            return False  # "e.g", "i.e"
        if segments[-1].lower() in FILE_EXTENSIONS:
            return False
        return not (
            segments[0][:1].isupper()
            and not any("_" in s or "-" in s for s in segments)
            and all(_PLAIN_WORD.fullmatch(s) for s in segments)
            and len(segments) == 2
            and segments[1][:1].isupper()
        )  # "Done.Next" is two sentences glued, not a key
    if subtype == "code":
        return any(c.isdigit() for c in raw) or "-" in raw
    if subtype == "camel":
        return len(raw) > 3
    return True


def _classify(raw: str) -> str:
    for subtype, pattern in _PATTERNS:
        if pattern.fullmatch(raw) and _accept(subtype, raw):
            return subtype
    return "code"


def _normalize(raw: str, subtype: str | None) -> str:
    if subtype == "endpoint":
        method, _, path = raw.partition(" ")
        return f"{method.upper()} {_norm_path(path.strip())}"
    if subtype == "path":
        return _norm_path(raw)
    if subtype == "function":
        return raw[:-2] if raw.endswith("()") else raw
    if subtype in ("kebab", "header", "channel", "email"):
        return raw.lower()
    return raw


def _norm_path(path: str) -> str:
    # "/carts/{id}", "/carts/:id" and "/carts/<id>" name the same route
    return re.sub(r"\{[^}]*\}|<[^>]*>|:[A-Za-z_]\w*", "{}", path)
