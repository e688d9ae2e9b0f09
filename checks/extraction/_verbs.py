"""Is this word the finite verb of its clause? A guess from the word and its neighbours.

Without a tagger, "runs" in "The sweeper runs daily" and "trains" in "Release trains run
on Tuesdays" look alike; the neighbours decide: a word after a determiner, preposition or
number is a noun; an -s word followed by a base-form verb is a plural subject; an -ed word
followed by a content word is an adjective ("expired holds"); a base form needs a plural
or first/second-person subject before it.
"""

from __future__ import annotations

from typing import Final

from checks.language import DETERMINERS, DISCOURSE, PREPOSITIONS, Token, verb_tags, wordset

__all__ = ["finite", "past_participle", "verb_like"]

_PLURAL_PRONOUNS: Final = frozenset({"i", "you", "we", "they"})
_NOT_PLURAL: Final = wordset(
    """
    is was has does this its us his hers yes thus always sometimes perhaps besides as less
    plus minus across unless bus gas status focus process access address class"""
)
_AFTER_VERB: Final = (
    DETERMINERS | PREPOSITIONS | DISCOURSE | wordset("it them him her us me back and or but")
)


def _tags(tok: Token | None) -> frozenset[str]:
    return frozenset() if tok is None or tok.ident else verb_tags(tok.word)


def _predicate_start(tok: Token | None, conjunction: bool = True) -> bool:
    """Whether ``tok`` may open what follows a verb: an object, a phrase, or nothing."""
    if tok is not None and not conjunction and tok.word in ("and", "or", "but"):
        return False
    return tok is None or tok.ident or tok.word in _AFTER_VERB


def verb_like(tok: Token) -> bool:
    """Whether ``tok`` could be any verb form at all (used for word-level coordination)."""
    return bool(_tags(tok) & {"base", "s", "ed", "past", "pp"})


def finite(toks: list[Token], i: int) -> bool:
    """Whether ``toks[i]`` reads as the finite verb of a clause in its position."""
    tok = toks[i]
    tags = _tags(tok)
    if not tags or (i > 0 and tok.raw[:1].isupper()):  # "Emre Can", "Release 3.4": names
        return False
    if "aux" in tags:
        return True
    prev = toks[i - 1] if i > 0 else None
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    after = toks[i + 2] if i + 2 < len(toks) else None
    if prev is not None and (prev.word in DETERMINERS or prev.word in PREPOSITIONS or prev.number):
        return False
    ends_clause = tok.raw.rstrip("\"')]*_").endswith((",", ";", ".", ":", "!", "?"))
    if "s" in tags:
        nxt_tags = _tags(nxt)
        if ends_clause or not nxt_tags:
            return True
        if "aux" in nxt_tags:
            return False  # "limits are", "seconds are": a plural noun
        # "trains run on", "checks run every": a plural noun before its verb
        return not (
            "base" in nxt_tags and after is not None and _predicate_start(after, conjunction=False)
        )
    if "past" in tags and "base" not in tags:
        return True
    if tags & {"ed", "pp"} and "base" not in tags:
        return ends_clause or nxt is None or nxt.numeric or _predicate_start(nxt)
    if "base" in tags and prev is not None:
        if prev.word in _PLURAL_PRONOUNS:
            return True
        w = prev.word
        return (
            not prev.ident
            and w.endswith("s")
            and not w.endswith("ss")
            and w not in _NOT_PLURAL
            and not prev.comma_after
        )
    return False


def past_participle(toks: list[Token], i: int) -> bool:
    """An -ed word ``finite`` took for an adjective ("showed stale stock"): a fallback verb."""
    tok = toks[i]
    prev = toks[i - 1] if i > 0 else None
    if not _tags(tok) & {"ed", "pp"} or prev is None:
        return False
    return not (prev.word in DETERMINERS or prev.word in PREPOSITIONS or prev.number)
