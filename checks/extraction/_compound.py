"""Split a compound sentence into atomic parts, each made self-contained for checking.

"The timeout is 30s and it retries 5 times" -> "The timeout is 30s" + "it retries 5 times"
(standalone "The timeout retries 5 times"). A cut is made at "and", "but", "whereas",
", while" or ";" only when both sides are clauses: the left has a subject and a finite
verb, the right has its own subject and verb, or is a verb phrase agreeing with the left
("... is 30s and retries 5 times"), or repeats the left's pattern with the verb left out
("A listens on 8081 and B on 8082"). Precision over recall: a sentence opening with a
subordinate clause, a left side holding a relative clause, word-level coordination ("read
and write access", "between 2 and 5 seconds", "Alice and Bob own") and anything inside
parentheses or quotes stay whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from checks.extraction._blocks import trim
from checks.extraction._clause import Clause, first_verb, main_start, read_clause
from checks.extraction._verbs import finite, verb_like
from checks.language import (
    DETERMINERS,
    PREPOSITIONS,
    SUBJECT_PRONOUNS,
    SUBORDINATORS,
    VERB_BASES,
    Token,
    tokenize,
    verb_tags,
    wordset,
)

__all__ = ["Part", "split_compound"]

MIN_WORDS: Final = 3
_RIGHT_SKIP: Final = wordset(
    "then also still so thus therefore however instead additionally now later afterwards finally"
)
_NO_LEFT_END: Final = DETERMINERS | PREPOSITIONS | wordset("not and or between both either neither")
_RANGE_WORDS: Final = wordset("between both either neither")
_JOINS: Final = wordset("and or but nor")
_CONTRACTED: Final = {
    "it's": "is",
    "they're": "are",
    "it'll": "will",
    "they'll": "will",
    "they've": "have",
    "he's": "is",
    "she's": "is",
}


@dataclass(frozen=True, slots=True)
class Part:
    """A span of the sentence (source offsets) and its self-contained wording, if needed."""

    start: int
    end: int
    standalone: str = ""


def _adverb(tok: Token) -> bool:
    """An -ly adverb that is no verb form ("currently", "automatically")."""
    return tok.word.endswith("ly") and not tok.ident and not verb_tags(tok.word)


def _nested(toks: list[Token]) -> list[bool]:
    """Which tokens sit inside parentheses, brackets or double quotes."""
    out: list[bool] = []
    depth, quoted = 0, False
    for t in toks:
        before = depth > 0 or quoted
        if not t.code:
            for c in t.raw:
                if c in "([{":
                    depth += 1
                elif c in ")]}":
                    depth = max(0, depth - 1)
                elif c in '"“”':
                    quoted = not quoted
        out.append(before or depth > 0 or quoted)
    return out


@dataclass(frozen=True, slots=True)
class _Index:
    """Prefix tables over a sentence's tokens, so each candidate cut is checked in O(1)."""

    words: list[int]  # words[i]: tokens with a letter or digit among toks[:i]
    last_sub: list[int]  # last_sub[i]: index of the last subordinator in toks[: i + 1], or -1

    @classmethod
    def of(cls, toks: list[Token]) -> _Index:
        words, last_sub, last = [0], [], -1
        for n, t in enumerate(toks):
            words.append(words[-1] + any(c.isalnum() for c in t.raw))
            last = n if t.word in SUBORDINATORS else last
            last_sub.append(last)
        return cls(words, last_sub)


def _left_ok(toks: list[Token], lo: int, hi: int, index: _Index) -> bool:
    """A left side that is a whole clause: 3+ words, no dangling word, no subordinate part."""
    if hi <= lo or index.words[hi] - index.words[lo] < MIN_WORDS:
        return False
    tail = toks[max(lo, hi - 3) : hi]
    if tail[-1].word in _NO_LEFT_END or any(t.word in _RANGE_WORDS for t in tail):
        return False
    if any(t.word == "as" for t in tail):  # "closed as investigators and police attend"
        return False
    return index.last_sub[hi - 1] < lo


def _noun_first(toks: list[Token], i: int, tags: frozenset[str]) -> bool:
    """Whether verb-like ``toks[i]`` is rather a subject ("deploys happen", "expired holds are").

    A plural noun takes a base-form verb ("deploys happen"), so "cancels orders" and "gets
    rotated" stay verb phrases.
    """
    if "aux" in tags:
        return False
    nxt = toks[i + 1] if i + 1 < len(toks) and not toks[i + 1].ident else None
    nxt_tags = verb_tags(nxt.word) if nxt is not None else frozenset()
    if nxt_tags & {"aux", "modal"}:
        return True
    if "s" in tags:
        return "base" in nxt_tags and finite(toks, i + 1)
    if "ed" in tags:
        after = toks[i + 2] if i + 2 < len(toks) and not toks[i + 2].ident else None
        after_aux = after is not None and bool(verb_tags(after.word) & {"aux", "modal"})
        return finite(toks, i + 1) or after_aux
    return False


def _resolvable(toks: list[Token], i: int, info: Clause) -> bool:
    """Whether pronoun ``toks[i]`` may take the left subject: not an expletive "it" ("it
    was revealed that ...", "it takes 5 minutes to ...") and not a pronoun for a pronoun."""
    if not info.subject or info.subject.lower() in SUBJECT_PRONOUNS | {"he", "she", "we", "i"}:
        return False
    if toks[i].word.split("'")[0] != "it":
        return True
    rest = toks[i + 1 : i + 9]
    for k, t in enumerate(rest):
        if t.word in ("that", "whether", "if", "how", "why"):
            return False
        if t.word == "to" and k + 1 < len(rest) and rest[k + 1].word in VERB_BASES:
            return False
    return True


def _right(
    toks: list[Token], rs: int, info: Clause, left_last: Token
) -> tuple[str, int, int] | None:
    """How the right side reads: (kind, first word, verb) or None when it is no clause."""
    n = len(toks)
    i = rs
    while i < n and (toks[i].word in _RIGHT_SKIP or _adverb(toks[i])):
        i += 1
    if n - i < 2:
        return None
    r0 = toks[i]
    if r0.word in _CONTRACTED:  # "it's", "they're": subject and verb in one token
        return ("contracted" if _resolvable(toks, i, info) else "opaque"), i, i
    tags = frozenset() if r0.ident else verb_tags(r0.word)
    if tags and r0.raw[:1].islower() and not _noun_first(toks, i, tags):
        shared = verb_tags(left_last.word) & tags & {"base", "s", "ed", "past", "pp"}
        if shared and not left_last.ident and left_last is not toks[info.main]:
            return None  # "grants read and write access", "handles retries and logs errors"
        kind = ""
        if (
            "aux" in tags
            or ("s" in tags and "sg3" in info.classes)
            or (tags & {"ed", "past"} and "past" in info.classes)
        ):
            kind = "vp"
        elif tags & {"ed", "pp"} and info.chain:
            kind = "vp_chain"
        elif "base" in tags and info.modal:
            kind = "vp_modal"
        elif "base" in tags and "plural" in info.classes:
            kind = "vp"
        if kind:
            return (kind, i, i) if info.subject else None
    if (
        r0.word in PREPOSITIONS
        or r0.word in SUBORDINATORS
        or r0.word in ("and", "or", "but", "not")
    ):
        return None
    for j in range(i + 1, min(i + 7, n)):
        if toks[j - 1].comma_after or toks[j].word in SUBORDINATORS or toks[j].raw in _JOINS:
            break
        if finite(toks, j):
            jt = verb_tags(toks[j].word)
            if j == i + 1 and r0.word in SUBJECT_PRONOUNS and _resolvable(toks, i, info):
                return "pronoun", i, j
            if jt & {"ed", "pp"} and not jt & {"past", "s", "aux"} and info.chain and info.modal:
                return "clause_chain", i, j  # "..., and an incident commander assigned ..."
            return "clause", i, j
    return None


def _gap(toks: list[Token], rs: int, hi: int, info: Clause, lend: int) -> int:
    """``A listens on 8081 and B on 8082``: the index where B's value starts, or -1."""
    if info.gap is None or not info.subject or lend - info.gap[2] > 2:
        return -1
    _, prep, _ = info.gap
    if not 2 <= hi - rs <= 5:
        return -1
    right = toks[rs:hi]
    for np_len in (1, 2, 3):
        if np_len >= len(right) or any(t.numeric or t.word in PREPOSITIONS for t in right[:np_len]):
            break
        k = np_len
        if prep:
            if right[k].word != prep:
                continue
            k += 1
        value = k < len(right) and right[k].numeric and len(right) - k <= 2
        if value and not any(verb_like(t) for t in right[:np_len]):
            return rs + np_len
    return -1


def _connector(toks: list[Token], k: int) -> tuple[int, int] | None:
    """(end of the left side, start of the right side) when ``toks[k]`` joins clauses."""
    t = toks[k]
    if t.code:
        return None
    if t.raw in ("and", "but", "whereas") or (
        t.raw == "while" and k > 0 and toks[k - 1].comma_after
    ):
        return k, k + 1
    if t.raw.endswith(";"):
        rs = k + 1
        if rs < len(toks) and toks[rs].raw in ("and", "but"):
            rs += 1
        return k + 1, rs
    return None


@dataclass(frozen=True, slots=True)
class _Cut:
    lend: int  # the left side ends before this token
    rs: int  # the right side starts at this token
    how: tuple[str, int, int]  # (kind, first word, verb) from _right, or ("gap", rs, value)
    info: Clause  # the left clause the right side borrows from


def _standalone(text: str, toks: list[Token], cut: _Cut, end: int) -> str:
    """The right side of ``cut`` (ending at ``end``) with what it borrows from the left."""
    (kind, i, j), info = cut.how, cut.info
    part = text[toks[cut.rs].start : end]  # keeps adverbs: "X is currently rolled out"
    if kind == "vp":
        return f"{info.subject} {part}"
    if kind == "vp_modal":
        return f"{info.subject} {info.modal} {part}"
    if kind == "vp_chain":
        return f"{info.subject} {info.chain} {part}"
    if kind == "pronoun":
        return f"{info.subject} {text[toks[j].start : end]}"
    if kind == "contracted":
        rest = text[toks[i].end : end].lstrip()
        return f"{info.subject} {_CONTRACTED[toks[i].word]} {rest}"
    if kind == "clause_chain":
        return f"{text[toks[i].start : toks[j - 1].end]} {info.chain} {text[toks[j].start : end]}"
    if kind == "gap":
        verb = info.gap[0] if info.gap else ""
        return f"{text[toks[i].start : toks[j - 1].end]} {verb} {text[toks[j].start : end]}"
    return ""


def split_compound(text: str, start: int, end: int) -> list[Part]:
    """The parts of the sentence ``text[start:end]``; one part when it is not compound."""
    whole = [Part(start, end)]
    toks = tokenize(text, start, end)
    lo = main_start(toks)
    if len(toks) < 6 or lo < 0 or lo >= len(toks) or toks[0].word in SUBORDINATORS:
        return whole
    v = first_verb(toks, lo)
    if v < 0 or any(t.word in SUBORDINATORS for t in toks[lo:v]):
        return whole
    info = read_clause(text, toks, (toks[lo].start, toks[v - 1].end), v)
    nested = _nested(toks)
    index = _Index.of(toks)
    cuts: list[_Cut] = []
    part_lo = lo
    k = v + 1
    while k < len(toks):
        conn = None if nested[k] else _connector(toks, k)
        if conn is None or not _left_ok(toks, part_lo, conn[0], index):
            k += 1
            continue
        lend, rs = conn
        how = _right(toks, rs, info, toks[lend - 1])
        if how is None and toks[k].raw == "and":
            g = _gap(toks, rs, len(toks), info, lend)
            how = ("gap", rs, g) if g >= 0 else None
        if how is None:
            k += 1
            continue
        cuts.append(_Cut(lend, rs, how, info))
        kind, i, j = how
        if kind in ("clause", "clause_chain"):
            info = read_clause(text, toks, (toks[i].start, toks[j - 1].end), j)
        elif kind != "gap":  # a verb phrase keeps the subject it borrowed
            verb = read_clause(text, toks, None, j)
            subject = "" if kind == "opaque" else info.subject
            info = Clause(subject, verb.classes, verb.modal, verb.chain, None, verb.main)
        part_lo = k = rs
    return _parts(text, toks, start, end, cuts) if cuts else whole


def _parts(text: str, toks: list[Token], start: int, end: int, cuts: list[_Cut]) -> list[Part]:
    last_end = end
    while last_end > start and text[last_end - 1] in ".!?…。":
        last_end -= 1
    starts = [start] + [toks[c.rs].start for c in cuts]
    ends: list[int] = []
    for c in cuts:
        e = toks[c.lend - 1].end
        while e > start and (
            text[e - 1] in ",;" or (text[e - 1] in "-–—" and text[e - 2 : e - 1].isspace())
        ):
            e -= 1
        ends.append(e)
    ends.append(last_end)
    parts: list[Part] = []
    for n, (s, e) in enumerate(zip(starts, ends, strict=True)):
        s, e = trim(text, s, e)
        if s >= e:
            return [Part(start, end)]
        standalone = ""
        if n:
            cut = cuts[n - 1]
            standalone = " ".join(_standalone(text, toks, cut, e).split())
        parts.append(Part(s, e, standalone))
    return parts
