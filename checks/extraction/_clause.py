"""Read one clause: where it starts, its subject, its finite verb and what a sister borrows.

"Operators must drain the worker": subject "Operators", finite verb "must", modal "must".
A compound's second half that lacks a subject takes "Operators", and, when it is a bare
base form ("and restart it"), the modal too: "Operators must restart it".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from checks.extraction._verbs import finite, past_participle
from checks.language import AUX, MODALS, PREPOSITIONS, SUBORDINATORS, Token, verb_tags, wordset

__all__ = ["Clause", "bare", "first_verb", "main_start", "read_clause"]

_LEAD_SKIP: Final = wordset(
    """
    so however also then thus therefore additionally moreover furthermore meanwhile finally
    and but next first instead otherwise now"""
)
_SG3: Final = wordset("is was has does 's isn't wasn't hasn't doesn't")
_PAST: Final = wordset("was were had did wasn't weren't hadn't didn't")
_PLURAL: Final = wordset("are were have do 're 've am aren't weren't haven't don't")
_NEG_MODALS: Final = wordset(
    "won't can't cannot couldn't shouldn't mustn't wouldn't mightn't shan't"
)
_SEMI_MODALS: Final = wordset("have has had need needs ought")
_BE_HAVE: Final = wordset("is are was were be been being am 's 're has have had")
_CHAIN_ADVERBS: Final = wordset("also always usually still only just automatically")


@dataclass(frozen=True, slots=True)
class Clause:
    """What a sister clause may borrow from this one."""

    subject: str  # copied to a right side that lacks one; "" when none is usable
    classes: frozenset[str]  # agreement of the finite verb: sg3, past, plural, modal
    modal: str  # "must", "must not", "have to": copied before a bare base form
    chain: str  # "are", "must be": copied before a bare participle
    gap: tuple[str, str, int] | None  # (verb, preposition, index of the number) for gapping
    main: int  # token index of the main verb (after any auxiliaries)


def bare(tok: Token) -> str:
    """The token without surrounding punctuation, case kept."""
    return tok.raw.strip("\"'“”‘’()[]*_,;:.!?")


def main_start(toks: list[Token]) -> int:
    """Index where the main clause starts, past connectives and an introductory phrase
    ("However,", "During the freeze,", "Currently,"); -1 for an unclosed introduction."""
    i = 0
    while i < len(toks) and toks[i].word in _LEAD_SKIP:
        i += 1
        if toks[i - 1].comma_after:
            break
    if i < len(toks) and toks[i].word.endswith("ly") and toks[i].comma_after:
        return i + 1
    if i < len(toks) and toks[i].word in PREPOSITIONS:
        comma = next((k for k in range(i, min(i + 10, len(toks))) if toks[k].comma_after), -1)
        return comma + 1 if comma >= 0 else -1
    return i


def first_verb(toks: list[Token], lo: int) -> int:
    """The finite verb of the clause starting at ``lo`` (-1: none, or a subordinate clause
    comes first); an -ed word if nothing better comes before the clause ends ("18,400 SKUs
    showed stale stock, and ...")."""
    weak = -1
    for i in range(lo + 1, len(toks)):
        if toks[i].word in SUBORDINATORS:
            return -1
        if finite(toks, i):
            return i
        if weak < 0 and past_participle(toks, i):
            weak = i
        ends = toks[i].comma_after or (i + 1 < len(toks) and toks[i + 1].raw in ("and", "but"))
        if weak >= 0 and ends:
            return weak
    return -1


def _classes(word: str, tags: frozenset[str]) -> set[str]:
    classes = set()
    if word in _SG3 or "s" in tags:
        classes.add("sg3")
    if word in _PAST or tags & {"ed", "past"}:
        classes.add("past")
    if word in _PLURAL or "base" in tags:
        classes.add("plural")
    return classes


def read_clause(text: str, toks: list[Token], subj: tuple[int, int] | None, v: int) -> Clause:
    """The clause whose finite verb is ``toks[v]`` and whose subject spans ``subj``."""
    w, tags, n = toks[v].word, verb_tags(toks[v].word), len(toks)
    classes = _classes(w, tags)
    modal = ""
    nxt = toks[v + 1].word if v + 1 < n else ""
    if w in MODALS or w in _NEG_MODALS:
        modal = bare(toks[v]) + (" " + nxt if nxt in ("not", "never") else "")
    elif w in _SEMI_MODALS and nxt == "to":
        modal = bare(toks[v]) + " to"
    if modal:
        classes.add("modal")
    chain: list[str] = []
    j = v
    while j < n and (
        toks[j].word in AUX
        or toks[j].word in ("not", "never")
        or (toks[j].word in _CHAIN_ADVERBS and j > v)
    ):
        if toks[j].word not in _CHAIN_ADVERBS:
            chain.append(bare(toks[j]))
        j += 1
    participle = v < j < n and bool(verb_tags(toks[j].word) & {"ed", "pp"})
    chain_text = " ".join(chain) if participle and _BE_HAVE & set(chain) else ""
    gap = None
    if j == v:  # a lexical verb: "listens on 8081" may be gapped by "and B on 8082"
        k = v + 1
        prep = toks[k].word if k < n and toks[k].word in PREPOSITIONS else ""
        k += 1 if prep else 0
        if k < n and toks[k].numeric:
            gap = (bare(toks[v]), prep, k)
    subject = ""
    if subj is not None:
        subject = text[subj[0] : subj[1]].rstrip(",;: ")
        if subject.lower() in ("there", "here"):
            subject = ""
    return Clause(subject, frozenset(classes), modal, chain_text, gap, j if j < n else v)
