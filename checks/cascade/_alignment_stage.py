"""Stage 1, deterministic: align the claim's key values with the sentences about its subject.

Input: a claim and its candidates. Output: ``AlignmentResult`` — the decisive conflict (if a
current document disagrees on a value of the same subject), the best agreeing sentence, and
whether a superseded document lost to a current one. No model, no text can talk to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..alignment import (
    MONTHS,
    SUBJECT_MIN,
    Alignment,
    align,
    disabled_rules,
    enabled,
    extract_values,
    polarity,
    row_cells,
    row_pairing,
)
from ..evidence import Candidate

__all__ = ["AlignmentResult", "run_alignment"]

#: Candidates examined, by cosine; and how close a sentence must be to count as "about" it.
TOP = 8
MIN_COSINE = 0.45
MIN_SUBJECT = 0.25
FULL_SUBJECT = 0.8  # a claim without values agrees with a sentence covering this much of it


@dataclass(frozen=True)
class AlignmentResult:
    conflict: tuple[Candidate, Alignment] | None  # a current document disagrees
    agree: tuple[Candidate, Alignment] | None  # best sentence whose values all match
    superseded_note: str = ""  # a superseded document was overruled (said in the reason)
    best_subject: float = 0.0
    values_in_claim: int = 0
    values_matched: int = 0
    negation_mismatch: bool = False
    quantifier_mismatch: bool = False
    examined: tuple[tuple[Candidate, Alignment], ...] = ()  # every (candidate, alignment) looked at
    unstated_numbers: tuple[str, ...] = ()  # numbers of the claim no current evidence states
    #: the rules (``checks.alignment.RULES``) behind ``conflict`` if there is one, else behind
    #: ``agree``: those of its alignment and those that let it stand ("superseded", ...)
    rules: tuple[str, ...] = ()

    @property
    def value_coverage(self) -> float:
        return self.values_matched / self.values_in_claim if self.values_in_claim else 1.0


def run_alignment(claim_text: str, candidates: Sequence[Candidate]) -> AlignmentResult:
    examined = [(c, align(claim_text, _in_document(c))) for c in candidates[:TOP]]
    on_subject = [
        (c, a)
        for c, a in examined
        if (c.cosine >= MIN_COSINE and a.subject_overlap >= MIN_SUBJECT) or _values_vouch(c, a)
    ]
    # a claim value that some sentence about the subject states as is, is not in conflict —
    # unless the claim says it of all ("All pull requests need two approvals"): then one
    # current sentence about the subject that disagrees is a counterexample
    universal = enabled("universal-quantifier") and any(
        q.kind == "universal" and not _SCHEDULE.match(claim_text, q.end)
        for q in polarity(claim_text).quantifiers
    )
    # what a history (a postmortem, a changelog) states does not excuse a disagreement
    # with a document describing how things are now
    stated_now = _stated(examined, history=False)
    stated_any = stated_now | _stated(examined, history=True)
    if _about_past(claim_text):
        stated_now = stated_any  # a claim about a dated past event: a history tells it
    conflicts = [
        (c, a)
        for c, a in on_subject
        if a.verdict_hint == "conflict"
        and not (
            not universal
            and a.conflicts
            and all(
                k.claim_value in (stated_any if _history(c) else stated_now) for k in a.conflicts
            )
        )
    ]
    agrees = [(c, a) for c, a in on_subject if a.verdict_hint == "agree"]
    current_conflicts = [(c, a) for c, a in conflicts if not _superseded(c)]
    current_agrees = [(c, a) for c, a in agrees if not _superseded(c)]
    note = ""
    conflict = None
    if current_conflicts:
        conflict = max(current_conflicts, key=lambda ca: (ca[1].subject_overlap, ca[0].cosine))
        if any(_superseded(c) for c, _ in agrees):
            old = next(c for c, _ in agrees if _superseded(c))
            note = (
                f"{old.source}:{old.line} agrees, but that document is superseded; "
                f"{conflict[0].source} is current"
            )
        elif current_agrees and not universal:
            # a current document both agrees and disagrees: trust the closer sentence
            best_agree = max(current_agrees, key=lambda ca: (ca[1].subject_overlap, ca[0].cosine))
            # ... unless only a history agrees and a document of how things are disagrees
            past = (
                _history(best_agree[0])
                and not _history(conflict[0])
                and not _about_past(claim_text)
            )
            if not past and (best_agree[1].subject_overlap, best_agree[0].cosine) > (
                conflict[1].subject_overlap,
                conflict[0].cosine,
            ):
                conflict = None
    elif conflicts and current_agrees:
        old = conflicts[0][0]
        note = f"{old.source}:{old.line} disagrees, but that document is superseded"
    paired = None  # a conflict of table rows read together
    if conflict is None and not _about_past(claim_text, loose=True):
        conflict = paired = _paired(claim_text, examined)
    old_conflicts = [c for c, a in on_subject if a.verdict_hint == "conflict" and _superseded(c)]
    if not note and conflict is None and old_conflicts and current_agrees:
        old = old_conflicts[0]
        note = f"{old.source}:{old.line} disagrees, but that document is superseded"
    agree = max(current_agrees, key=lambda ca: (ca[1].subject_overlap, ca[0].cosine), default=None)
    if agree is None and conflict is None and enabled("continued-sentence"):
        agree = _continued(claim_text, on_subject, candidates)
        if agree is not None:
            examined.append(agree)  # its numbers are stated, for _unstated_numbers
    n_values = len(extract_values(claim_text))
    close_sentence = False
    if agree is None and n_values == 0 and enabled("close-sentence"):
        # nothing to align: a current sentence that says nearly all the claim says, with the
        # same polarity, is the agreeing sentence
        close = [
            (c, a)
            for c, a in on_subject
            if not _superseded(c)
            and a.verdict_hint != "conflict"
            and a.subject_overlap >= FULL_SUBJECT
            and c.cosine >= 0.7
        ]
        agree = max(close, key=lambda ca: (ca[1].subject_overlap, ca[0].cosine), default=None)
        close_sentence = agree is not None
    matched = max((len(a.matched) for _, a in on_subject), default=0)
    top = on_subject[0][1] if on_subject else None
    rules: list[str] = []
    decided = conflict or agree
    if decided is not None:
        c, a = decided
        rules += a.rules
        if conflict is not None and a.conflicts:
            values = {k.claim_value for k in a.conflicts}
            if universal and values <= (stated_any if _history(c) else stated_now):
                rules.append("universal-quantifier")  # stated elsewhere, yet refuted
            elif values & (stated_any - stated_now):
                rules.append("history-documents")  # only a history agrees
        if note and decided is conflict:
            rules.append("superseded")
        rules += _reading(claim_text, c, a) if decided is not paired else []
        if agree is not None and decided is agree and agree[0] not in candidates:
            rules.append("continued-sentence")
        if close_sentence and decided is agree:
            rules.append("close-sentence")
    return AlignmentResult(
        conflict=conflict,
        agree=agree,
        superseded_note=note,
        best_subject=max((a.subject_overlap for _, a in examined), default=0.0),
        values_in_claim=n_values,
        values_matched=min(matched, n_values),
        negation_mismatch=bool(top and top.negation_mismatch),
        quantifier_mismatch=bool(top and top.quantifier_mismatch),
        examined=tuple(examined),
        unstated_numbers=_unstated_numbers(claim_text, examined),
        rules=tuple(dict.fromkeys(rules)),
    )


def _paired(
    claim_text: str, examined: Sequence[tuple[Candidate, Alignment]]
) -> tuple[Candidate, Alignment] | None:
    """A current table whose rows, read together, keep apart two cells the claim pairs
    (``row_pairing``, rule "row-pairs"): the row whose cell the claim gets wrong, as a
    conflict."""
    if not enabled("row-pairs"):
        return None
    tables: dict[tuple[str, tuple[str, ...]], list[Candidate]] = {}
    for c, _ in examined:
        cells = row_cells(c.text)
        if cells and not _superseded(c):
            labels = tuple(c.text[slice(*cell.label)] for cell in cells)
            rows = tables.setdefault((c.source, labels), [])
            if all(r.line != c.line for r in rows):
                rows.append(c)
    for rows in tables.values():
        pairing = row_pairing(claim_text, [r.text for r in rows]) if len(rows) > 1 else None
        if pairing is not None:
            found = Alignment(
                0.0, (), (), False, False, (), "conflict", pairing.explain, ("row-pairs",)
            )
            return rows[pairing.row], found
    return None


def _reading(claim_text: str, c: Candidate, a: Alignment) -> list[str]:
    """The rules that changed what sentence ``c`` concluded (``a``): read with the rule
    switched off, it would conclude something else; or that let it in at all."""
    rules = ["history-asides", "header-lines"]
    if row_cells(claim_text) or row_cells(_in_document(c)):
        rules += ["table-rows", "column-units"]  # they read only rows: elsewhere nothing to read
    out = [
        rule for rule in rules if enabled(rule) and _without(rule, claim_text, c) != a.verdict_hint
    ]
    if (c.cosine < MIN_COSINE or a.subject_overlap < MIN_SUBJECT) and _values_vouch(c, a):
        out.append("values-vouch")
    return out


def _without(rule: str, claim_text: str, c: Candidate) -> str:
    """What ``c`` concludes about the claim with ``rule`` switched off."""
    with disabled_rules({rule}):
        return align(claim_text, _in_document(c)).verdict_hint


#: Documents that tell what happened rather than how things are: their past values do not
#: excuse a current document's disagreement (they still support claims about the past). A
#: document says so in its title ("Postmortem: ...", "Release notes 4.2", "Changelog"); its
#: file name stands in for a title it lacks. "Incident response policy" is no history.
_HISTORY_TITLE = re.compile(
    r"\b(?:post[- ]?mortems?|retrospectives?|retros?|change[- ]?logs?|release[- ]notes|"
    r"incident (?:reports?|reviews?|summary|summaries|timelines?)|history|histories)\b",
    re.IGNORECASE,
)


def _history(c: Candidate) -> bool:
    if not enabled("history-documents"):
        return False
    title = c.heading.split(" > ", 1)[0]
    if not title:
        title = " ".join(_NAME_SPLIT.split(c.source.rsplit("/", 1)[-1]))
    return _HISTORY_TITLE.search(title) is not None


#: A claim about a dated past event ("During the September 2024 outage the threshold was
#: 50", "When the outage began, pages were acknowledged within 10 minutes"): it is told by
#: a history, and a document of how things are now does not refute it (rule "past-claims").
#: A month counts by its full name, but not "May": it is far more often the modal
_PAST_VERB = re.compile(r"\b(?:was|were|had|did)\b", re.IGNORECASE)
_MONTH_NAMES = sorted(
    {max((k for k in MONTHS if MONTHS[k] == n), key=len) for n in MONTHS.values()} - {"may"}
)
_PAST_TIME = re.compile(
    rf"\b(?:during|at the time|(?:19|20)\d\d|last (?:week|month|quarter|year)|ago|"
    rf"{'|'.join(_MONTH_NAMES)}|happened|occurred|began|started|broke out)\b",
    re.IGNORECASE,
)


#: "used to", "formerly": of the past, with no date needed
_FORMERLY = re.compile(r"\b(?:used to|formerly|previously)\b", re.IGNORECASE)


def _about_past(claim_text: str, *, loose: bool = False) -> bool:
    """Whether the claim is about a dated past event (rule "past-claims"); ``loose``: or
    says it is of the past in other words ("used to", "formerly")."""
    if loose and _FORMERLY.search(claim_text):
        return True
    return (
        enabled("past-claims")
        and _PAST_VERB.search(claim_text) is not None
        and _PAST_TIME.search(claim_text) is not None
    )


def _stated(examined: Sequence[tuple[Candidate, Alignment]], *, history: bool) -> set[object]:
    """Claim values that current sentences of histories (or of other documents) state. A
    table row is about its first cell: one on another subject states nothing of the claim's
    ("180 days" in a row on scanner logs does not excuse a row on GPS traces that says 90).
    A sentence of prose may be about it in other words ("He joined in 2014")."""
    return {
        m[0]
        for c, a in examined
        if not _superseded(c) and _history(c) == history and not _other_row(c, a)
        for m in a.matched
    }


def _other_row(c: Candidate, a: Alignment) -> bool:
    """A table row (rule "table-rows") on another subject than the claim's."""
    return a.subject_overlap < SUBJECT_MIN and enabled("table-rows") and bool(row_cells(c.text))


def _superseded(c: Candidate) -> bool:
    """Its document says it is no longer current (and that rule family is on)."""
    return c.superseded and enabled("superseded")


#: A sentence that states two or more of the claim's values, all alike, on half of its
#: subject is about it even when the embedder is unsure (table rows embed poorly).
VOUCH_COSINE = 0.35
VOUCH_SUBJECT = 0.5


def _values_vouch(c: Candidate, a: Alignment) -> bool:
    return (
        enabled("values-vouch")
        and a.verdict_hint == "agree"
        and len(a.matched) >= 2
        and a.subject_overlap >= VOUCH_SUBJECT
        and c.cosine >= VOUCH_COSINE
    )


#: a sentence about the claim's subject may leave a value to the next one ("The key is
#: injected from Vault. It is rotated every 90 days."): read the two together
CONTINUE_SUBJECT = 0.6


def _continued(
    claim_text: str,
    on_subject: Sequence[tuple[Candidate, Alignment]],
    candidates: Sequence[Candidate],
) -> tuple[Candidate, Alignment] | None:
    """The best current sentence on the claim's subject, joined with a sentence after it
    in the same chunk (same or next line), if together they state every claim value."""
    for c, a in sorted(on_subject, key=lambda ca: -ca[1].subject_overlap):
        if _superseded(c) or a.subject_overlap < CONTINUE_SUBJECT or not a.unmatched_claim_values:
            continue
        for n in candidates:
            if n is c or n.chunk_id != c.chunk_id or n.line not in (c.line, c.line + 1):
                continue
            joined = replace(c, text=f"{c.text} {n.text}")
            both = align(claim_text, _in_document(joined))
            if both.verdict_hint == "agree":
                return joined, both
    return None


#: "every five minutes", "every Monday", "every other week": a schedule, not "all of them"
_SCHEDULE = re.compile(
    r"\s+(?:\d|one|two|three|four|five|six|ten|twelve|fifteen|twenty|thirty|few|other|"
    r"second|minute|hour|day|night|week|month|quarter|year|morning|evening|weekday|weekend|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|release|sprint|run|time)",
    re.IGNORECASE,
)

#: Asides about what an older version said ("(version 3: 30 days)", "(previously 5 years)")
#: are history, not the document's current value: they neither support nor contradict.
_HISTORY = re.compile(
    r"\((?:in\s+)?(?:v(?:ersion)?\s*\d[\w.]*|previously|formerly|was|used to be|until)\b[^)]*\)",
    re.IGNORECASE,
)


def _current_only(text: str) -> str:
    return _HISTORY.sub("", text) if enabled("history-asides") else text


#: A header line ("Incident date: 2024-03-12", "Effective 2024-02-01.") is about the document
#: it heads: its subject is the document's name, which is read with it. A table row is not
#: one ("partitions: himem; preemption: false"): its first cell names its subject.
_HEADER_WORDS = 6
_NAME_SPLIT = re.compile(r"[-_.\s/]+")


def _in_document(c: Candidate) -> str:
    text = _current_only(c.text)
    if not enabled("header-lines") or len(text.split()) > _HEADER_WORDS or "#" in c.source:
        return text
    if row_cells(text):
        return text  # a table row names its subject in its first cell
    stem = c.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = " ".join(w for w in _NAME_SPLIT.split(stem) if w.isalpha())
    return f"{name}: {text}" if name else text


_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*")


def _unstated_numbers(
    claim: str, examined: Sequence[tuple[Candidate, Alignment]]
) -> tuple[str, ...]:
    """Numbers in the claim that no current candidate writes and no aligned value accounts
    for ("two weeks" accounts for 14 days): a claim cannot be supported on a number the
    evidence never states."""
    if not enabled("unstated-numbers"):
        return ()
    covered = [(m[0].start, m[0].end) for c, a in examined if not _superseded(c) for m in a.matched]
    text = " ".join(c.text for c, _ in examined if not _superseded(c))
    seen = set(_NUMBER.findall(text))
    out = []
    for m in _NUMBER.finditer(claim):
        if m.group() in seen or any(s <= m.start() < e for s, e in covered):
            continue
        out.append(m.group())
    return tuple(out)
