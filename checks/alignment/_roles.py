"""Who holds a role: "lead Priya Raman", "Jonas Berg leads", "owned by Marcus Okafor",
"Fiona McAllister, Data Protection Officer", a table row "Role: Release Manager; Person:
Greta Lindqvist", and who must approve ("the incident commander's approval").

``roles(side)`` binds each person named in a sentence to the role word next to it (at most
``_LEFT`` words before the name or ``_RIGHT`` after it, in the same clause, no other name
between). ``role_mismatch`` compares two sentences about the same subject: when the claim
gives a role to one person and the evidence gives the same role to someone else — and not
to the claim's person as well — the claim swapped who holds it. A person is a name of two
or three capitalized words that is not a possessor ("Elena Duarte's team"), not itself a role
title, and not an organisation (``organisation``): "Team Hazel", "Search & Discovery", "the
Checkout Platform", "Owning team: Payments Integration" name teams; "Li Ming", "Sarah
Fleming" and "Clarence Vance" name people.
"""

from __future__ import annotations

import re

from checks.language import DETERMINERS, PREPOSITIONS, wordset

from ._sides import Side
from ._switches import enabled

__all__ = ["organisation", "role_mismatch", "roles"]

#: role -> the words that name it (lowercase; a title may span words)
_ROLES: dict[str, tuple[str, ...]] = {
    "lead": ("lead", "leads", "led by", "leader", "team lead", "head", "heads", "headed by"),
    "deputy": ("deputy", "deputises", "second in command"),
    "owner": ("owner", "owns", "owned by", "owning"),
    "data protection officer": ("data protection officer", "dpo"),
    "release manager": ("release manager",),
    "incident commander": ("incident commander",),
    "engineering manager": ("engineering manager",),
}
_WORD_OF = {w: role for role, words in _ROLES.items() for w in words}
_ROLE_RE = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _WORD_OF), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_LEFT, _RIGHT = 3, 6  # words between a role word and the name it binds
_CLAUSE = re.compile(r"[;.|()]|\band\b|\bbut\b")
#: Nouns that head the name of an organisation, or of the function a team is named after
#: ("Checkout Platform", "Customer Support", "Platform Infrastructure"): general English
_ORG_HEADS = wordset(
    """
    team teams group groups squad squads tribe guild crew department dept division unit office
    committee board council panel org organisation organization company corporation corp inc
    ltd llc plc gmbh foundation institute university college school agency bureau ministry
    center centre lab labs network club association society union alliance partners
    service services platform platforms system systems cluster
    support operations ops devops sre infrastructure engineering security management
    development finance accounting legal compliance marketing sales research design product
    analytics data reliability integration integrations communications
    """
)
#: an organisation's name reads as one: it joins words with "&" or "of" ("Head of
#: Engineering"), or opens with "Team"/"The"
_ORG_SHAPE = re.compile(r"^(?:Team|The)\b|&|\bof\b")
#: ... or it follows "the" or a labelled team cell: "the Checkout Platform", "Owning team:
#: Payments Integration" (not "the team Marcus Okafor leads")
_ORG_BEFORE = re.compile(r"\b(?:the|(?:team|teams|squad|group|department)\s*:)\s*$", re.IGNORECASE)
#: ... or one of its words is a noun derived with a suffix no personal name ends in
#: ("Deployment", "Configuration"; not "Clement")
_DERIVED = re.compile(r"[a-z]{5}(?:tion|tions|ment|ments|ness|ship)\b")


def organisation(text: str, start: int, name: str) -> bool:
    """Does the capitalized ``name`` at ``text[start:]`` name an organisation, not a person?"""
    head = name.split()[-1].lower()
    return (
        head in _ORG_HEADS
        or _ORG_SHAPE.search(name) is not None
        or _ORG_BEFORE.search(text[max(0, start - 16) : start]) is not None
        or _DERIVED.search(name.lower()) is not None
    )


def _persons(side: Side) -> list[tuple[int, int, str]]:
    out = []
    for v in side.values:
        if v.kind != "identifier" or v.unit != "name":
            continue
        words = v.raw.split()
        if not 2 <= len(words) <= 3 or _ROLE_RE.search(v.raw):
            continue
        if organisation(side.text, v.start, v.raw):
            continue
        if side.text[v.end : v.end + 2] in ("'s", "’s"):
            continue  # "owned by Elena Duarte's team": the role is the team's
        out.append((v.start, v.end, v.raw.casefold()))
    return out


def _gap_words(text: str) -> int | None:
    """Words in ``text`` (between a role word and a name); None across a clause break."""
    if _CLAUSE.search(text):
        return None
    return len(re.findall(r"[\w']+", text))


def roles(side: Side) -> dict[str, set[str]]:
    """role -> the persons the sentence gives it to.

    A person takes the nearest role word before it ("lead Priya Raman") and the nearest
    after it ("Priya Raman leads", "Fiona McAllister, Data Protection Officer") unless that
    one stands right before the next person ("lead Priya Raman, deputy Jonas Berg").
    """
    text = side.text
    persons = _persons(side)
    found = [(m.start(), m.end(), _WORD_OF[m.group().lower()]) for m in _ROLE_RE.finditer(text)]
    starts = [s for s, _, _ in persons]

    def gap(a: int, b: int, limit: int) -> int | None:
        """Words from ``a`` to ``b`` if within ``limit``, in one clause, with no person."""
        words = _gap_words(text[a:b])
        if words is None or words > limit or any(a <= s < b for s in starts):
            return None
        return words

    out: dict[str, set[str]] = _row_roles(text)
    approvers = _approvers(text, persons)
    if approvers:
        out["approver"] = approvers
    for start, end, who in persons:
        left = [
            (g, role)
            for _, re_, role in found
            if re_ <= start and (g := gap(re_, start, _LEFT)) is not None
        ]
        right = [
            (g, role)
            for rs, re_, role in found
            if rs >= end
            and (g := gap(end, rs, _RIGHT)) is not None
            and not any(gap(re_, s, _LEFT) is not None for s in starts if s >= re_)
        ]
        for candidates in (left, right):
            if candidates:
                out.setdefault(min(candidates)[1], set()).add(who)
    return out


#: a table row as the index writes it: "Role: Release Manager; Person: Greta Lindqvist"
_CELL = re.compile(r"(?:^|;\s*)([A-Za-z][\w ]{0,30}?):\s*([^;]+)")
_ROLE_KEYS = ("role", "title", "position")
_PERSON_KEYS = ("person", "name", "holder", "who")


def _row_roles(text: str) -> dict[str, set[str]]:
    """The role a table row gives its person ("Role: Data Protection Officer; Person: ...")."""
    cells = {k.strip().lower(): v.strip() for k, v in _CELL.findall(text)}
    title = next((cells[k].lower() for k in _ROLE_KEYS if k in cells), "")
    person = next((cells[k] for k in _PERSON_KEYS if k in cells), "")
    role = _WORD_OF.get(title)
    if role is None or len(person.split()) < 2:
        return {}
    return {role: {person.casefold()}}


#: "the incident commander's approval", "approval from the Checkout lead"
_APPROVAL_BEFORE = re.compile(
    r"((?:[\w-]+\s+){0,2}[\w-]+)['’]s\s+(?:written\s+)?(?:approval|sign-off)\b"
)
_APPROVAL_AFTER = re.compile(r"\b(?:approval|sign-off)\s+(?:from|of|by)\s+([^.;,()]+)")
#: words around an approver's name that are not part of it
_NOT_HOLDER = DETERMINERS | PREPOSITIONS | wordset("with and without")


def _holder(words: str) -> str:
    kept = [w for w in words.lower().split() if w not in _NOT_HOLDER]
    return " ".join(kept[-2:])


def _approvers(text: str, persons: list[tuple[int, int, str]]) -> set[str]:
    """Who must approve: the titles or persons named by "X's approval" / "approval from X"."""
    out: set[str] = set()
    for m in _APPROVAL_BEFORE.finditer(text):
        named = [who for s, e, who in persons if s >= m.start(1) and e <= m.end(1)]
        out.update(named or [_holder(m.group(1))])
    for m in _APPROVAL_AFTER.finditer(text):
        named = [who for s, e, who in persons if s >= m.start(1) and e <= m.end(1)]
        head = re.split(r"\s+(?:and|or)\s+|\s+(?:before|after|during|if|when|unless)\b", m.group(1))
        out.update(named or [_holder(head[0])])
    out.discard("")
    return out


#: nouns that make a holder a title, not a person ("the compliance officer", "Storage Lead")
_TITLE_NOUNS = wordset(
    """
    officer lead leads manager head director commander owner engineer chief administrator
    admin approver reviewer member chair secretary coordinator on-call oncall supervisor
    """
)


def _person_and_title(c: Side, people: set[str], e: Side, others: set[str]) -> bool:
    """Whether one side names only persons and the other only titles ("Sunniva Okello's
    approval" against "approval from the compliance officer"): the title may be hers, so
    they do not conflict (rule "role-titles")."""
    if not enabled("role-titles"):
        return False
    titles_c = {_title(c.text, who) for who in people}
    titles_e = {_title(e.text, who) for who in others}
    return len(titles_c) == len(titles_e) == 1 and titles_c != titles_e


def _title(text: str, holder: str) -> bool:
    """Whether ``holder`` (lowercased, as ``roles`` gives it) is a title in ``text``: it
    holds a title noun, or is not written as a capitalised name there."""
    if any(w in _TITLE_NOUNS for w in holder.split()):
        return True
    at = text.casefold().find(holder)
    written = text[at : at + len(holder)].split() if at >= 0 else []
    return not written or not all(w[:1].isupper() for w in written)


def role_mismatch(c: Side, e: Side) -> tuple[bool, str]:
    """The claim gives a role to a person the evidence does not, and the evidence gives
    that role to someone else."""
    if not enabled("roles"):
        return False, ""
    claimed, stated = roles(c), roles(e)
    for role, people in claimed.items():
        others = stated.get(role, set())
        if others and not people & others and not _person_and_title(c, people, e, others):
            said = sorted(people)[0].title()
            holder = sorted(others)[0].title()
            return True, f"claim names {said} as {role}, evidence names {holder}"
    return False, ""
