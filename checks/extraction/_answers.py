"""An answer read as the answer to its question: "In 1997." or "Yes." becomes checkable.

A bare answer — no claim of its own, or at most ``SHORT_WORDS`` words ("In 1997.", "Roy
Hodgson", "Yes.") — states nothing alone. ``answer_claims`` checks it as one claim whose
``text`` is the answer's span and whose ``standalone`` is the statement it makes as the
answer (``answer_statement``); an answer that stands on its own keeps its own claims.

The statement: a yes or no ("Yes.", "No, it isn't.") to a question opened by an auxiliary
is the question turned into a statement by moving the auxiliary after the subject ("Is the
port 8443?" -> "the port is 8443", "No" -> "the port is not 8443"), where plain English
makes the subject's end mechanical to find; anything else is "<question> <answer>".

Where the subject ends, per auxiliary (the subject holds at least one word that is not a
determiner; a word right after a determiner, a preposition or a number belongs to the
phrase it opens):

- *be* ("Is the port 8443?"): at a quantity after a lower-case word, a determiner, a
  sentence adverb ("still", "always"), or a participle ("kept", "listening");
- *have* ("Has the key been rotated?"): at a participle or "been";
- *do* and modals ("Does the gateway listen on 8443?"): at a base-form verb not followed by
  another ("the upload limit apply": "apply").

A question with a comma, "or" or "not", or where none of these is found, takes the fallback.
"""

from __future__ import annotations

from typing import Final

from checks.extraction._extract import extract_claims
from checks.language import (
    AUX,
    DETERMINERS,
    DISCOURSE,
    MODALS,
    PREPOSITIONS,
    SUBJECT_PRONOUNS,
    Token,
    tokenize,
    verb_tags,
    wordset,
)
from checks.types import Claim

__all__ = ["SHORT_WORDS", "answer_claims", "answer_statement", "is_bare_answer"]

#: An answer of at most this many words is read with its question even if it has a claim.
SHORT_WORDS: Final = 4

_YES: Final = wordset("yes yeah yep yup correct true")
_NO: Final = wordset("no nope incorrect false")
#: What may follow a yes or no that adds nothing: "Yes, it is.", "No, they don't."
_TAG: Final = AUX | SUBJECT_PRONOUNS | wordset("not i you we there that so")
_BE: Final = wordset("is are was were am")
_HAVE: Final = wordset("has have had")
_DO: Final = wordset("do does did")
_ENDS_CLAUSE: Final = (",", ";", ":")


def answer_claims(answer: str, question: str) -> tuple[Claim, ...]:
    """The claims to check in ``answer`` read as the answer to ``question``: its own claims
    if it stands on its own, else one claim (id ``c1``) spanning the answer, checked as
    ``answer_statement(question, answer)``. An answer of only spaces has none."""
    start = len(answer) - len(answer.lstrip())
    end = len(answer.rstrip())
    if start >= end:
        return ()
    if not _short(answer):
        claims = extract_claims(answer).claims
        if claims:
            return claims
    return (Claim("c1", answer[start:end], start, end, answer_statement(question, answer)),)


def is_bare_answer(answer: str) -> bool:
    """Whether ``answer`` needs its question to be checked: it is short or has no claim."""
    return _short(answer) or not extract_claims(answer).claims


def answer_statement(question: str, answer: str) -> str:
    """The statement ``answer`` makes as the answer to ``question``: the question turned into
    a statement for a yes or no where that is mechanical, else "<question> <answer>"."""
    q, a = " ".join(question.split()), " ".join(answer.split())
    polarity = _yes_no(a)
    if polarity is not None:
        statement = _statement(q, positive=polarity)
        if statement is not None:
            return statement
    return f"{q} {a}".strip()


def _short(answer: str) -> bool:
    return sum(1 for t in tokenize(answer) if any(c.isalnum() for c in t.raw)) <= SHORT_WORDS


def _yes_no(answer: str) -> bool | None:
    """True for a bare yes, False for a bare no, None for anything else."""
    words = [t.word for t in tokenize(answer) if t.word]
    if not words or any(w not in _TAG for w in words[1:]):
        return None
    if words[0] in _YES:
        return True
    if words[0] in _NO:
        return False
    return None


#: words that make a yes/no question one about a whole group: a "no" denies the group, not
#: the predicate of each member
_UNIVERSAL: Final = wordset("both all every each always")


def _statement(question: str, *, positive: bool) -> str | None:
    """``question`` ("Is the port 8443?") as a statement ("the port is 8443"), or None."""
    if not question.endswith("?"):
        return None
    toks = tokenize(question)
    if len(toks) < 3 or any(t.word in ("or", "not") for t in toks):
        return None
    if not positive and any(t.word in _UNIVERSAL for t in toks):
        return None  # "no" to "Are both A and B X?" says not both, not that neither is X
    if any(t.raw.endswith(_ENDS_CLAUSE) for t in toks[:-1]):
        return None  # more than one clause: no single subject to find
    aux, rest = toks[0].word, toks[1:]
    split = _subject_end(aux, rest)
    if split is None:
        return None
    subject = question[rest[0].start : rest[split].start].strip()
    predicate = question[rest[split].start :].rstrip("?").strip()
    verb = aux if positive else ("cannot" if aux == "can" else f"{aux} not")
    return f"{subject} {verb} {predicate}"


def _subject_end(aux: str, toks: list[Token]) -> int | None:
    """The index in ``toks`` (the question after its auxiliary) where the predicate opens."""
    if aux in _BE:
        opens = _opens_be_predicate
    elif aux in _HAVE:
        opens = _opens_perfect
    elif aux in _DO or aux in MODALS:
        opens = _opens_base_verb
    else:
        return None
    for i in range(1, len(toks)):
        prev = toks[i - 1]
        if prev.word in DETERMINERS or prev.word in PREPOSITIONS or prev.number:
            continue  # "the signed URL", "for 30 days": the phrase it opens goes on
        if all(t.word in DETERMINERS for t in toks[:i]):
            continue
        if opens(toks, i):
            return i
    return None


def _opens_be_predicate(toks: list[Token], i: int) -> bool:
    tok, prev = toks[i], toks[i - 1]
    if tok.number:  # "the port 8443", not "Python 3" (a name's number)
        return not prev.raw[:1].isupper()
    return tok.word in DETERMINERS or tok.word in DISCOURSE or _participle(toks, i)


def _opens_perfect(toks: list[Token], i: int) -> bool:
    return toks[i].word == "been" or _participle(toks, i)


def _opens_base_verb(toks: list[Token], i: int) -> bool:
    """A base-form verb ("listen") whose next word is not one too ("limit apply")."""
    if not _base(toks[i]):
        return False
    return i + 1 == len(toks) or not _base(toks[i + 1])


def _base(tok: Token) -> bool:
    return not tok.ident and not tok.raw[:1].isupper() and "base" in verb_tags(tok.word)


def _participle(toks: list[Token], i: int) -> bool:
    """ "kept", "listening", "rotated"; a word that is also a base form ("set", "hit") only
    where a phrase follows it ("set to 5", not "the cache hit rate")."""
    tok = toks[i]
    tags = verb_tags(tok.word)
    if tok.ident or tok.raw[:1].isupper() or not tags & {"ing", "ed", "pp"}:
        return False
    if "base" not in tags:
        return True
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    return nxt is None or nxt.number or nxt.word in DETERMINERS or nxt.word in PREPOSITIONS
