"""Is a sentence a checkable statement? If not, why: question, meta, instruction, hedge...

Sentence-level tests (meta, question, instruction) look at the whole sentence; the
clause-level ones (hedge, opinion) run on each part of a compound, so "The limit is 50, but
I think it is too low" keeps its first half. Modals of policy ("must", "should not", "is
required") make statements of rule, not instructions: "Operators must drain the worker"
is a claim, "Drain the worker" is not.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from checks.extraction._lexicon import OBJECT_WORDS
from checks.extraction._verbs import finite
from checks.language import AUX, PREPOSITIONS, SUBORDINATORS, Token, tokenize, verb_tags, wordset

__all__ = ["REASONS", "Reason", "clause_reason", "content_start", "sentence_reason", "word_count"]

Reason = Literal["question", "opinion", "hedge", "instruction", "code", "heading", "empty", "meta"]
REASONS: Final[tuple[Reason, ...]] = (
    "question",
    "opinion",
    "hedge",
    "instruction",
    "code",
    "heading",
    "empty",
    "meta",
)
MIN_WORDS: Final = 3

_A = "['’]"  # either apostrophe
_PLEASANTRY = (
    r"(?:sure|certainly|of\s+course|absolutely|okay|ok|alright|all\s+right|great|perfect|"
    r"awesome|excellent|got\s+it|understood|no\s+problem|thanks|thank\s+you|yes|no|yep|nope|"
    r"right|indeed|done|hello|hi|hey)"
)
_META_WHOLE = re.compile(
    rf"{_PLEASANTRY}(?:[\s,]+(?:thanks|thank\s+you|there|happy\s+to\s+help|glad\s+to\s+help|"
    rf"i\s+can\s+help(?:\s+with\s+that)?))?[\s.!]*",
    re.IGNORECASE,
)
_META_START = re.compile(
    rf"""(?:
        (?:great|good|excellent|interesting|fair)\s+(?:question|point|catch)
      | (?:i\s+)?hope\s+(?:this|that|it)\s+helps
      | let\s+me\b
      | (?:please\s+)?(?:let\s+(?:me|us)\s+know|feel\s+free|don{_A}t\s+hesitate)
      | if\s+you\s+(?:have|need)\s+(?:any\s+)?(?:other\s+|more\s+|further\s+|additional\s+)?
        (?:questions|help)
      | is\s+there\s+anything\s+else
      | as\s+an?\s+(?:ai|language\s+model|assistant)
      | i(?:{_A}m|\s+am)\s+(?:an?\s+)?(?:ai|language\s+model|assistant|happy|glad)\b
      | i\s+(?:can|could)\s+(?:help|assist)
      | i\s+(?:don{_A}t|do\s+not|cannot|can{_A}t)\s+(?:have\s+access|know|browse|find|see)
      | (?:below|above)\s+(?:is|are)\b
      | the\s+(?:following|answer|short\s+answer)\s+is\s*:?\s*$
      | here(?:{_A}s|\s+is|\s+are)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A lead-in carrying no content of its own; what follows it is the statement.
_WRAPPER = re.compile(
    rf"""(?:
        (?:please\s+)?(?:note|remember|recall|keep\s+in\s+mind|bear\s+in\s+mind|be\s+aware|
        be\s+advised|notice)\s*,?\s*(?:that\b|:)
      | (?:nb|note|important|fyi)\s*:
      | (?:in\s+summary|to\s+summari[sz]e|in\s+short|in\s+brief|in\s+conclusion|to\s+conclude|
        to\s+sum\s+up|overall|tl;?\s?dr|summary|short\s+answer|answer|in\s+other\s+words|
        that\s+said|to\s+be\s+clear|to\s+clarify)\s*[:,.\-–—]
      | {_PLEASANTRY}\s*[,:!.\-–—]
      | here(?:{_A}s|\s+is|\s+are)\b[^:\n]{{0,80}}:
    )\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_LABEL = re.compile(r"(\*\*|__)(?:(?!\1).){1,60}?\1\s*:?\s*")
_QUESTION_START = re.compile(
    r"(?:(?:should|shall|could|would|can|do|does|did|will|is|are|may|might|must)\s+(?:we|i|you)\b"
    rf"|i\s+wonder\b|i{_A}m\s+wondering\b)",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    rf"""
        \b(?:we|i)\s+(?:might|may|could|would)\b
      | \byou\s+(?:might|could)\b
      | \b(?:i|we)(?:{_A}ll|\s+will|\s+shall|{_A}d\s+like\s+to|\s+would\s+like\s+to)\b
      | \b(?:i|we)(?:{_A}m|{_A}re|\s+am|\s+are)\s+(?:going\s+to|planning|hoping|considering|
        thinking\s+(?:of|about)|not\s+(?:sure|certain))\b
      | \b(?:i|we)\s+(?-i:plan|intend|aim|hope|want|expect)\s+to\b
      | \blet{_A}s\b | \blet\s+us\b
      | \b(?:could|might|may)\s+(?:want\s+to\s+)?consider\b
      | ^(?:maybe|perhaps|possibly|hopefully|ideally|presumably)\b
      | \bnot\s+(?:sure|certain)\b
      | \bi\s+(?:guess|suspect|assume|doubt)\b
      | \bit\s+(?:might|may|could)\s+be\s+(?:that|worth|because|due)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_EVALUATIVE = (
    r"(?-i:great|awesome|amazing|fantastic|excellent|wonderful|terrible|awful|horrible|nice|"
    r"cool|elegant|beautiful|ugly|brilliant|superb|lovely|overkill|overrated|underrated)"
)
_OPINION = re.compile(
    rf"""
        \b(?:i|we)\s+(?-i:think|believe|feel|reckon|find|prefer|recommend|suggest|like|love|
        hate|agree|disagree)\b
      | \bin\s+my\s+(?:opinion|view|experience)\b | \bpersonally\b | \bimo\b | \bimho\b
      | \barguably\b
      | \bit\s+(?:seems|appears|looks|sounds)\b | \b(?:seems|appears)\s+to\b | \bseems\s+like\b
      | \b(?:it|this|that|which)(?:{_A}s|\s+is|\s+was|\s+would\s+be)\s+(?:probably\s+|
        definitely\s+|really\s+|generally\s+|usually\s+)?(?:best|better|ideal|preferable|wise|
        smart|advisable|a\s+good\s+idea|a\s+bad\s+idea)(?![-\w])
      | \bthe\s+(?:best|better|ideal|simplest|easiest|smartest|safest)\s+(?:way|approach|option|
        choice|idea|practice|bet|solution|thing|move)\b
      | \bbest\s+practice\b
      | \b(?:is|are|was|were|be|looks|sounds|seems)\s+(?:really\s+|very\s+|pretty\s+|quite\s+|
        super\s+|truly\s+|so\s+)?{_EVALUATIVE}(?![-\w])
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LEAD_ADVERBS: Final = wordset(
    """
    please just simply now first then next finally also afterwards lastly secondly thirdly
    always quickly carefully immediately instead additionally so and"""
)


#: Verb forms that open statements far more often than commands ("Last week, ...").
_NOT_COMMANDS: Final = wordset("last state lie matter result sound stage value name type")


def word_count(text: str, start: int = 0, end: int | None = None) -> int:
    return sum(1 for t in tokenize(text, start, end) if any(c.isalnum() for c in t.raw))


def content_start(text: str, start: int, end: int) -> int:
    """Where the statement begins after lead-ins ("Note that", "In summary,", "Sure, here
    is the answer:")."""
    while (m := _WRAPPER.match(text, start, end)) and m.end() > start:
        start = m.end()
    return start


def _label_end(text: str, start: int, end: int) -> int:
    """Skip a bold run-in label ("**Sweeper stalled:** restart it") for classification."""
    m = _LABEL.match(text, start, end)
    return m.end() if m and m.end() < end else start


def _is_question(s: str) -> bool:
    tail = s.rstrip(" \t\"'”’)]*_")
    return tail.endswith(("?", "？", "⁇", "⁈", "⁉")) or bool(_QUESTION_START.match(s))


def _noun_subject(toks: list[Token], i: int) -> bool:
    """Whether ``toks[i]`` (a verb-like first word) starts a subject, not a command.

    "Release trains run", "Crash occurred in", "Mark Hughes, the manager, has confirmed".
    """
    nxt = toks[i + 1]
    if nxt.raw[:1].isupper() and nxt.comma_after:  # a name and an aside: skip to its end
        close = next((k for k in range(i + 2, len(toks)) if toks[k].comma_after), -1)
        if 0 <= close < len(toks) - 1 and (toks[close + 1].word in AUX or finite(toks, close + 1)):
            return True
    if verb_tags(nxt.word) & {"ed", "past"} and finite(toks, i + 1):
        return True
    for j in range(i + 1, min(i + 7, len(toks))):
        t = toks[j]
        if t.word in SUBORDINATORS or (j > i + 1 and toks[j - 1].comma_after):
            return False
        if t.ident:
            continue
        if t.word in AUX or (j >= i + 2 and finite(toks, j)):
            return True
    return False


def _title(toks: list[Token]) -> bool:
    """A name or title, not a command: "Mark Burnett", "Grant Thornton" (no end mark)."""
    last = toks[-1].raw.rstrip("\"')]*_")
    return not last.endswith((".", "!")) and all(t.raw[:1].isupper() for t in toks)


def _is_instruction(toks: list[Token]) -> bool:
    """An imperative: the main clause (after "If ...,", "First", "Please") opens with a
    base-form verb that is not the head of a subject ("Release trains run" is no command)."""
    n = len(toks)
    i = 0
    if n and (toks[0].word in SUBORDINATORS or toks[0].word in PREPOSITIONS):
        comma = next((k for k in range(min(n, 14)) if toks[k].comma_after), -1)
        if comma < 0:
            return False
        i = comma + 1
    while i < n and toks[i].word in _LEAD_ADVERBS:
        if toks[i].word == "please" and i + 1 < n:
            return True
        i += 1
    if i >= n:
        return False
    w, nxt = toks[i].word, toks[i + 1].word if i + 1 < n else ""
    if w in ("don't", "never") or (w == "do" and (nxt == "not" or nxt in OBJECT_WORDS)):
        return w != "never" or "base" in verb_tags(nxt)
    if (w, nxt) in (("make", "sure"), ("be", "sure"), ("be", "careful"), ("be", "mindful")):
        return True
    if toks[i].ident or "base" not in verb_tags(w) or w in _NOT_COMMANDS or _title(toks[i:]):
        return False
    if i + 1 >= n:
        return True
    t = toks[i + 1]
    if t.code or t.raw.startswith(("--", '"', "'", "“", "‘")):
        return True
    if t.word in OBJECT_WORDS:
        if t.word in PREPOSITIONS:  # "Support for TLS was removed" vs "Check for errors"
            return not any(u.word in AUX for u in toks[i + 2 : i + 8])
        return True
    if t.ident:
        return not (t.numeric and any(u.word in AUX for u in toks[i + 2 : i + 6]))
    return not _noun_subject(toks, i)


def sentence_reason(text: str, start: int, end: int) -> Reason | None:
    """Why the whole sentence ``text[start:end]`` is not a claim (meta, question, ...)."""
    if word_count(text, start, end) == 0:
        return "empty"
    s = text[start:end].strip("*_ ")
    lead = content_start(text, start, end)
    if lead > start:  # a lead-in: the rest decides, unless too little is left
        rest = text[lead:end]
        if word_count(rest) < MIN_WORDS or rest.rstrip("*_ ").endswith(":"):
            return "meta"
        return sentence_reason(text, lead, end)
    if _META_WHOLE.fullmatch(s) or _META_START.match(s) or s.endswith(":"):
        return "meta"
    body = _label_end(text, start, end)
    if _is_question(text[body:end]):
        return "question"
    if _is_instruction(tokenize(text, body, end)):
        return "instruction"
    return None


def clause_reason(text: str) -> Reason | None:
    """Why one clause is not checkable: a hedge, an opinion or too short; else None."""
    if _HEDGE.search(text):
        return "hedge"
    if _OPINION.search(text):
        return "opinion"
    if word_count(text) < MIN_WORDS:
        return "empty"
    return None
