"""Negation and quantifiers in one sentence, as structured data.

``polarity(text)`` finds negation cues ("not", "never", "no", "without", "refuses to",
"forbids", contractions such as "isn't", a table cell that says "no") and quantifiers ("all",
"every", "some", "only", "at most", "at least", ...). Each carries a *scope*: the stems of the
content words it governs, read to the right up to the end of the clause (to the left for a
passive "is forbidden"; over its header for a cell). "No more than", "not only" and friends
are bounds or emphasis, not negation, and are recognised as such.

Words inside the values of the sentence (identifiers, numbers with their units) are not
predicates and are left out: "never retried (`inventory.reserve_retries` is 0)" negates
"retried", not "inventory".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from checks.language import AUX, Word, compounds, content_stems, is_content, stem, words, wordset

from ._bounds import BOUND_BEFORE
from ._identifiers import identifier_words
from ._lexicon import ANTONYMS
from ._switches import enabled
from ._table import row_cells
from ._values import extract_values

__all__ = [
    "Negation",
    "Polarity",
    "Quantifier",
    "QuantifierKind",
    "antonym",
    "polarity",
]

QuantifierKind = Literal[
    "universal", "negative", "existential", "restrictive", "upper_bound", "lower_bound"
]

_MAX_SCOPE = 6  # content words a negation governs at most
_MAX_QUANT_SCOPE = 2  # a quantifier governs the noun phrase right after it
_CONDITIONAL = re.compile(r"\b(?:if|unless|whether|when|whenever|in case|once)\b", re.IGNORECASE)
_HEDGES = wordset("usually normally typically generally often sometimes mostly occasionally rarely")

# Negation cues. "no"/"not" followed by a comparative are bounds, not negation.
_NEG_WORDS = wordset(
    """
    not never no cannot can't won't isn't aren't wasn't weren't don't doesn't didn't hasn't
    haven't hadn't shouldn't wouldn't couldn't mustn't needn't shan't ain't without nor
    neither none nothing nobody nowhere
    """
)
_NEG_PHRASES = re.compile(
    r"\b(?:refuses? to|refused to|unable to|no longer|instead of|rather than|prevents?|"
    r"prevented from|declines? to|fails? to|other than)\b",
    re.IGNORECASE,
)
_NOT_NEGATION_AFTER = wordset(
    "only just more less fewer later earlier longer shorter greater higher lower matter sooner"
)
#: a clause ends at a punctuation mark, but not one inside a number ("3,912", "2.5", "13:45")
_CLAUSE_END = re.compile(
    r"[;!?|]|[.,:](?!\d)|\b(?:but|whereas|while|although|though|so|because|unless)\b"
)

_QUANT: dict[str, QuantifierKind] = {
    "all": "universal", "every": "universal", "each": "universal", "always": "universal",
    "any": "universal", "everyone": "universal", "everything": "universal",
    "everywhere": "universal", "whole": "universal", "entire": "universal",
    "none": "negative", "never": "negative", "nobody": "negative", "nothing": "negative",
    "no": "negative", "neither": "negative",
    "some": "existential", "sometimes": "existential", "several": "existential",
    "certain": "existential", "few": "existential", "many": "existential",
    "most": "existential", "usually": "existential", "often": "existential",
    "occasionally": "existential", "typically": "existential", "generally": "existential",
    "only": "restrictive", "exclusively": "restrictive", "solely": "restrictive",
}  # fmt: skip

_ANTONYM_STEMS: dict[str, str] = {stem(a): stem(b) for a, b in ANTONYMS.items()}


@dataclass(frozen=True)
class Negation:
    """A negation cue and the stems of the content words it governs.

    ``conditional`` negations sit in an "if"/"unless"/"when" clause ("if the page is not
    acknowledged"): they describe a case, not a fact, and never count as a mismatch; or
    their clause goes on with a condition ("Never rotate the key while a run is signing"):
    they deny only a text that states that ``case``.
    ``prohibition`` marks an instruction that opens its sentence ("Do not raise the timeout
    during an incident", "Never page ...") or a verb that forbids ("The runbook forbids
    pausing X", "Rerunning a run is forbidden"): it says the action its verb names, ``verb``
    (a stem), must not be done, so it denies only a text that states that action. A table
    cell that says no ("Backed up: no") negates its header's words, about the row's subject
    (``row``).
    """

    cue: str
    start: int
    end: int
    scope: frozenset[str]
    conditional: bool = False
    clause: frozenset[str] = frozenset()  # every content stem of the clause holding the cue
    prohibition: bool = False
    verb: str = ""  # a prohibition's verb: the first content word after its cue
    #: where the words it governs stand; (0, 0): from the cue to the end of its scope
    governs: tuple[int, int] = (0, 0)
    #: a table cell's: the stems of the row's first cell, what the row is about
    row: frozenset[str] = frozenset()
    #: the stems of a condition its clause goes on with ("... while a run is signing"):
    #: it is ``conditional``, but still denies a text that states that case
    case: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Quantifier:
    """A quantifier (``word`` normalized to lowercase) of a ``kind``, with its scope."""

    word: str
    kind: QuantifierKind
    start: int
    end: int
    scope: frozenset[str]


@dataclass(frozen=True)
class Polarity:
    """What a sentence negates and quantifies.

    ``negated`` holds stems under some negation; ``affirmed`` the content stems with at least
    one occurrence outside every negation scope; ``states`` the state words of an antonym
    pair ("enabled", "manual", "false") the sentence uses outside a negation; ``hedged``
    says the sentence describes the usual case ("normally takes 35 to 45 minutes").
    Words inside identifiers (``indexer-cli``, ``auto.offset.reset``) are names, not
    predicates, and are left out of all of these.
    """

    negations: tuple[Negation, ...]
    quantifiers: tuple[Quantifier, ...]
    negated: frozenset[str]
    affirmed: frozenset[str]
    states: frozenset[str]
    hedged: bool = False

    @property
    def is_negated(self) -> bool:
        return bool(self.negations)

    def in_negated_clause(self) -> frozenset[str]:
        """Stems of every clause that holds a (non-conditional) negation."""
        out: set[str] = set()
        for n in self.negations:
            if not n.conditional:
                out |= n.clause
        return frozenset(out)

    def quantified(self, kind: QuantifierKind) -> frozenset[str]:
        """Stems in the scope of any quantifier of ``kind``."""
        out: set[str] = set()
        for q in self.quantifiers:
            if q.kind == kind:
                out |= q.scope
        return frozenset(out)


#: "We discussed adding retries and decided against it": what was only discussed, proposed
#: or considered is not stated, so those words are neither affirmed nor negated
_UNASSERTED = re.compile(
    r"\b(?:discuss(?:ed|es)?|consider(?:ed|s)?|propos(?:ed|es)|suggest(?:ed|s)?|debated|"
    r"evaluated|whether to)\b",
    re.IGNORECASE,
)
#: ... but "X is considered Y" (a passive copula) asserts Y: "Refunds are considered final
#: after 30 days". Not "was considered but rejected", "considered for", "considered adding".
_ASSERTING_CONSIDERED = re.compile(
    r"\b(?:is|are|was|were|be|been|being|remains?|'s)\s+(?:[a-z]+ly\s+)?considered"
    r"(?=\s+(?!(?:but|and|or|for|whether|by|as\s+an?\s+option)\b|\w+ing\b)\w)",
    re.IGNORECASE,
)
#: "retries would have doubled the load": a clause about what did not happen
_COUNTERFACTUAL = re.compile(r"\b(?:would|could|might)(?:\s+not)?\s+have\b", re.IGNORECASE)
_CLAUSE_MARK = re.compile(r"[;!?]|[.,:](?!\d)")


def _clause_start(text: str, pos: int) -> int:
    """Where the clause holding ``pos`` begins: after the last punctuation mark before it."""
    return max((m.end() for m in _CLAUSE_MARK.finditer(text, 0, pos)), default=0)


def _clause_span(text: str, pos: int) -> tuple[int, int]:
    """The clause around ``pos``, between punctuation marks."""
    start = _clause_start(text, pos)
    after = _CLAUSE_MARK.search(text, pos)
    return start, after.start() if after else len(text)


#: a table cell that describes a case ("Condition: nightly reindex did not swap the alias")
_CASE_CELL = re.compile(
    r"(?:^|;)\s*(?:conditions?|when|trigger|fires when|symptoms?|cause|if)\s*:[^;]*$",
    re.IGNORECASE,
)


def polarity(text: str) -> Polarity:
    spans = [(v.start, v.end) for v in extract_values(text) if v.unit != "name"]
    toks = [w for w in words(text) if not any(a <= w.start < b for a, b in spans)]
    negations = _negations(text, toks)
    quantifiers = _quantifiers(text, toks)
    covered: list[tuple[int, int]] = []
    unasserted = _unasserted(text, toks) if enabled("unasserted") else []
    if enabled("counterfactual"):
        unasserted += [_clause_span(text, m.start()) for m in _COUNTERFACTUAL.finditer(text)]
    negated: set[str] = set()
    for n in negations:
        negated |= n.scope
        covered.append(_governed(text, toks, n))
    affirmed: set[str] = set()
    states: set[str] = set()
    joined = compounds(text, toks, [False] * len(toks))
    for j, w in enumerate(toks):
        if any(a <= w.start < b for a, b in unasserted):
            continue
        if j in joined and not any(a <= w.start < b for a, b in covered):
            affirmed |= joined[j]  # "fails over" also states "failover"
        if not is_content(w) and w.lower not in ("true", "false"):
            continue
        inside = any(a <= w.start < b for a, b in covered)
        if not inside:
            affirmed.add(w.stem)
            if w.stem in _ANTONYM_STEMS:
                states.add(w.stem)
        elif w.stem in _ANTONYM_STEMS:
            # "not enabled" states the opposite of "enabled"
            states.add(_ANTONYM_STEMS[w.stem])
    hedged = any(w.lower in _HEDGES for w in toks)
    return Polarity(
        tuple(negations), tuple(quantifiers), frozenset(negated), frozenset(affirmed),
        frozenset(states), hedged,
    )  # fmt: skip


def _governed(text: str, toks: list[Word], n: Negation) -> tuple[int, int]:
    """The span of ``text`` whose words negation ``n`` governs."""
    return n.governs if n.governs != (0, 0) else _forward(text, toks, n.cue, n.end)


def _forward(text: str, toks: list[Word], cue: str, start: int) -> tuple[int, int]:
    """The span a negation ``cue`` ending at ``start`` governs, read to the right: to the end
    of its scope; for "without", to the end of its noun phrase (rule "without-phrases")."""
    end = _scope_end(text, toks, start)
    if cue == "without" and enabled("without-phrases"):
        end = _phrase_end(toks, start, end)
    return start, end


#: words that end the noun phrase "without" governs: "a claim without injury is closed"
#: negates injury, not closing
_PHRASE_ENDS = AUX | wordset("need needs needed that which who whose where when")


def _phrase_end(toks: list[Word], start: int, end: int) -> int:
    """Where the phrase from ``start`` ends: the first of ``_PHRASE_ENDS`` before ``end``."""
    return next((w.start for w in toks if start <= w.start < end and w.lower in _PHRASE_ENDS), end)


def _unasserted(text: str, toks: list[Word]) -> list[tuple[int, int]]:
    """Spans of what the text only discussed, proposed or considered."""
    asserting = {m.end() for m in _ASSERTING_CONSIDERED.finditer(text)}
    return [
        (m.end(), _scope_end(text, toks, m.end()))
        for m in _UNASSERTED.finditer(text)
        if m.end() not in asserting
    ]


def antonym(stem_: str) -> str | None:
    """The stem of the state word opposite to ``stem_`` ("enabl" -> "disabl"), if any."""
    return _ANTONYM_STEMS.get(stem_)


def _scope_end(text: str, toks: list[Word], start: int, size: int = _MAX_SCOPE) -> int:
    m = _CLAUSE_END.search(text, start)
    limit = m.start() if m else len(text)
    count = 0
    for w in toks:
        if w.start < start:
            continue
        if w.start >= limit:
            break
        if is_content(w):
            count += 1
            if count > size:
                return w.start
    return limit


def _scope_start(text: str, toks: list[Word], end: int, size: int = _MAX_SCOPE) -> int:
    """Where the words a cue at ``end`` governs backwards begin: the start of its clause, or
    the ``size``-th content word before it."""
    begin = _clause_start(text, end)
    inside = [w for w in toks if begin <= w.start < end and is_content(w)]
    return inside[-size].start if len(inside) > size else begin


def _scope(text: str, toks: list[Word], start: int, size: int = _MAX_SCOPE) -> frozenset[str]:
    end = _scope_end(text, toks, start, size)
    return frozenset(w.stem for w in toks if start <= w.start < end and is_content(w))


def _clause(text: str, toks: list[Word], pos: int) -> frozenset[str]:
    begin = _clause_start(text, pos)
    m = _CLAUSE_END.search(text, pos)
    end = m.start() if m else len(text)
    return frozenset(w.stem for w in toks if begin <= w.start < end and is_content(w))


def _conditional(text: str, pos: int) -> bool:
    """Is ``pos`` inside an "if"/"unless"/"when" clause, or a table cell of conditions?"""
    if not enabled("conditions"):
        return False
    head = text[:pos]
    if _CASE_CELL.search(head):
        return True
    return _CONDITIONAL.search(text[_clause_start(text, pos) : pos]) is not None


#: a negation whose clause goes on with a condition ("Never rotate the key while a run is
#: signing") forbids the case, not the action (rule "trailing-conditions")
_TRAILING_CONDITION = re.compile(
    r"\s*(?:while|when|whenever|if|unless|until|during|as long as)\b", re.IGNORECASE
)


def _case(text: str, toks: list[Word], scope_end: int) -> frozenset[str] | None:
    """The content stems of the condition the clause of a negation whose scope ends at
    ``scope_end`` goes on with; None if it goes on with none."""
    m = _TRAILING_CONDITION.match(text, scope_end) if enabled("trailing-conditions") else None
    return None if m is None else _scope(text, toks, m.end())


#: "Do not raise the timeout ...", "Don't deploy ...", "Never page ...": an instruction that
#: opens its sentence forbids the action its verb names
_IMPERATIVE = re.compile(r"(?:^|[.;:!?]|\n)[\s>*\-•|]*(?:please\s+)?$", re.IGNORECASE)


def _prohibited(text: str, toks: list[Word], i: int) -> str:
    """The stem of the verb a prohibition cue ``toks[i]`` forbids, or "" if it is none."""
    word = toks[i].lower
    if word == "not" and i > 0 and toks[i - 1].lower == "do":
        pos = toks[i - 1].start
    elif word in ("don't", "never"):
        pos = toks[i].start
    else:
        return ""
    if not enabled("instructions") or _IMPERATIVE.search(text[:pos]) is None:
        return ""
    verb = next((w for w in toks[i + 1 : i + 3] if is_content(w)), None)
    return verb.stem if verb is not None else ""


def _negations(text: str, toks: list[Word]) -> list[Negation]:
    out: list[Negation] = []
    for i, w in enumerate(toks):
        if w.lower not in _NEG_WORDS:
            continue
        nxt = toks[i + 1].lower if i + 1 < len(toks) else ""
        if nxt in _NOT_NEGATION_AFTER and w.lower in ("no", "not"):
            continue
        if w.lower == "not" and i > 0 and toks[i - 1].lower in ("whether", "if"):
            continue
        if _hyphened(text, w):
            continue
        begin, end = _forward(text, toks, w.lower, w.end)
        scope = frozenset(t.stem for t in toks if begin <= t.start < end and is_content(t))
        case = _case(text, toks, end)
        cond = _conditional(text, w.start) or case is not None
        clause = _clause(text, toks, w.start)
        verb = _prohibited(text, toks, i)
        out.append(
            Negation(
                w.lower,
                w.start,
                w.end,
                scope,
                cond,
                clause,
                bool(verb),
                verb,
                case=case or frozenset(),
            )
        )
    for m in _NEG_PHRASES.finditer(text):
        scope = _scope(text, toks, m.end())
        cond = _conditional(text, m.start())
        clause = _clause(text, toks, m.start())
        out.append(Negation(m.group().lower(), m.start(), m.end(), scope, cond, clause))
    if enabled("prohibition-verbs"):
        out += _forbidding(text, toks)
    if enabled("boolean-cells"):
        out += _no_cells(text, toks)
    out.sort(key=lambda n: n.start)
    return out


#: Verbs that forbid what they govern: "The runbook forbids pausing X" negates pausing X, as
#: "Never pause X" does; in the passive ("Rerunning a run is forbidden") they govern the
#: subject before them
_FORBIDS = re.compile(r"\b(?:forbids?|forbade|prohibits?|bans|disallows?)\b", re.IGNORECASE)
_FORBIDDEN = re.compile(
    r"\b(?:is|are|was|were|be|been|being|remains?)\s+(?:strictly\s+|also\s+)?"
    r"(?:forbidden|prohibited|banned|disallowed|not\s+(?:allowed|permitted))\b",
    re.IGNORECASE,
)


def _forbidding(text: str, toks: list[Word]) -> list[Negation]:
    """Negations whose cue is a verb that forbids: active, governing what follows; passive,
    governing the words before it in its clause. Like "Do not X", each is a prohibition of
    the action its first governed word names ("forbids pausing", "Reusing ... is forbidden")."""
    after = [
        _governing(text, toks, m, _forward(text, toks, m.group(), m.end()), True)
        for m in _FORBIDS.finditer(text)
    ]
    before = [
        _governing(text, toks, m, (_scope_start(text, toks, m.start()), m.start()), True)
        for m in _FORBIDDEN.finditer(text)
    ]
    return after + before


def _governing(
    text: str, toks: list[Word], m: re.Match[str], span: tuple[int, int], prohibits: bool
) -> Negation:
    """The negation of cue ``m`` over the words of ``span``; where it ``prohibits``, of the
    action its first governed word names."""
    content = [w for w in toks if span[0] <= w.start < span[1] and is_content(w)]
    verb = content[0].stem if content and prohibits else ""
    return Negation(
        m.group().lower(), m.start(), m.end(), frozenset(w.stem for w in content),
        _conditional(text, m.start()), _clause(text, toks, m.start()), bool(verb), verb, span,
    )  # fmt: skip


#: A table cell that says no ("Backed up: no", "Enabled: false", "Purged: never") denies its
#: column's header of what the row is about
_NO_VALUE = re.compile(
    r"[`*\s]*(?:no|false|off|never|none|disabled|not allowed)[`*\s.]*", re.IGNORECASE
)


def _no_cells(text: str, toks: list[Word]) -> list[Negation]:
    """Negations of a table row (read as a sentence, ``row_cells``) whose cells say no: each
    governs its header's words and is about the row's first cell (``Negation.row``)."""
    cells = row_cells(text)
    if not cells:
        return []
    # an identifier's parts name the subject: "coinhall.bundle_discounts", bundle discounts
    row = content_stems(identifier_words(text[slice(*cells[0].value)]))
    out = []
    for cell in cells[1:]:
        m = _NO_VALUE.fullmatch(text, *cell.value)
        if m is not None and cell.value[1] > cell.value[0]:
            out.append(replace(_governing(text, toks, m, cell.label, False), row=row))
    return out


def _hyphened(text: str, w: Word) -> bool:
    """ "no" joined to the next word ("a no-injury claim"): a name of a kind, not a negation."""
    return w.lower == "no" and text.startswith("-", w.end)


def _quantifiers(text: str, toks: list[Word]) -> list[Quantifier]:
    out: list[Quantifier] = []
    for i, w in enumerate(toks):
        found = _QUANT.get(w.lower)
        if found is None:
            continue
        nxt = toks[i + 1].lower if i + 1 < len(toks) else ""
        if w.lower in ("no", "not") and nxt in _NOT_NEGATION_AFTER:
            continue
        if _hyphened(text, w):
            continue
        if w.lower == "most" and i > 0 and toks[i - 1].lower == "at":
            continue  # "at most" is a bound
        if w.lower == "some" and _starts_number(text, w.end):
            continue  # "some 40 minutes" is an approximation
        scope = _scope(text, toks, w.end, _MAX_QUANT_SCOPE)
        if w.lower in _DETERMINERS and enabled("quantifier-phrases"):
            scope = _noun_phrase(toks, i, scope)
        out.append(Quantifier(w.lower, found, w.start, w.end, scope))
    for phrase, qual in BOUND_BEFORE.items():
        if qual not in ("at_most", "at_least") or not phrase[0].isalpha() or " " not in phrase:
            continue
        for m in re.finditer(r"\b" + re.escape(phrase) + r"\b", text, re.IGNORECASE):
            kind: QuantifierKind = "upper_bound" if qual == "at_most" else "lower_bound"
            scope = _scope(text, toks, m.end(), _MAX_QUANT_SCOPE)
            out.append(Quantifier(phrase, kind, m.start(), m.end(), scope))
    out.sort(key=lambda q: q.start)
    return out


#: Quantifiers that are determiners: they govern the noun phrase after them ("any
#: correction"), not the verb that follows it ("any correction has to be issued" says nothing
#: of all issuing); an auxiliary or modal verb ends that phrase
_DETERMINERS = wordset("all every each any some no several certain few many most whole entire")
_AUXILIARIES = AUX | wordset("need needs needed")


def _noun_phrase(toks: list[Word], i: int, scope: frozenset[str]) -> frozenset[str]:
    """The stems of ``scope`` that come before the first auxiliary after ``toks[i]``."""
    kept: set[str] = set()
    for w in toks[i + 1 :]:
        if w.lower in _AUXILIARIES:
            break
        if w.stem in scope:
            kept.add(w.stem)
    return frozenset(kept)


def _starts_number(text: str, pos: int) -> bool:
    rest = text[pos : pos + 4].lstrip()
    return bool(rest) and rest[0] in "0123456789"
