"""English word lists every step reads: function words, stopwords, base words and synonyms.

General English and general engineering vocabulary only, never words of one corpus: what is
read with them must carry over to any company's documentation. ``wordset`` keeps long lists
readable as prose.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AUX",
    "BASE_WORDS",
    "DETERMINERS",
    "DISCOURSE",
    "MODALS",
    "PREPOSITIONS",
    "STOPWORDS",
    "SUBJECT_PRONOUNS",
    "SUBORDINATORS",
    "SYNONYMS",
    "wordset",
]


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a frozen set."""
    return frozenset(text.split())


_BE_HAVE_DO: Final = wordset("is are was were be been being am has have had do does did 's 're 've")
MODALS: Final = wordset("will would shall should can could may might must")
_NEGATED: Final = wordset(
    """
    isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't wouldn't
    shan't shouldn't can't cannot couldn't mightn't mustn't needn't"""
)
#: Finite auxiliaries and copulas, including negated contractions.
AUX: Final = _BE_HAVE_DO | MODALS | _NEGATED

DETERMINERS: Final = wordset(
    """
    the a an this that these those each every all any some no both either neither its their
    our your my his her whose which what another other such several many few much more most
    less least own"""
)
PREPOSITIONS: Final = wordset(
    """
    about above across after against along among around as at before behind below beneath
    beside besides between beyond by despite down during except for from in inside into like
    near of off on onto out outside over past per since than through throughout till to toward
    towards under underneath until up upon via with within without"""
)
#: Subject pronouns a compound's second clause may use for the first clause's subject.
SUBJECT_PRONOUNS: Final = wordset("it they he she this these")
#: Words that open a subordinate clause: a sentence or left clause holding one is not split.
SUBORDINATORS: Final = wordset(
    """
    if unless when whenever while once because since although though until before after
    whether where wherever which who whom whose that"""
)
#: Sentence adverbs and connectives that may precede a subject or a verb.
DISCOURSE: Final = wordset(
    """
    also then still now so thus therefore however instead additionally moreover furthermore
    meanwhile finally later afterwards usually always never often sometimes automatically
    currently today otherwise first second next lastly only just simply again"""
)
# Function words and verbs too generic to say what a sentence is about. Negation and
# quantifier words are here too: they carry polarity, read by ``_polarity``, not subject.
STOPWORDS: frozenset[str] = wordset(
    """
    a an the this that these those there here it its it's they them their theirs he she him
    her his we us our you your i me my mine one's
    is are was were be been being am do does did doing done have has had having
    can could may might must shall should will would ought
    not no nor never none nothing neither without cannot can't won't isn't aren't wasn't
    weren't don't doesn't didn't hasn't haven't hadn't shouldn't wouldn't couldn't mustn't
    all every each any some most many much more less few several both either only just also
    always often usually sometimes
    of in on at to from by for with about as into onto over under than then so such very
    and or but if else when while where which who whom whose what why how because since
    until unless though although whether
    up down out off via per within between through during before after above below across
    again still even yet already too instead rather
    get gets got make makes made use uses used using go goes went gone let lets
    e.g i.e etc vs
    """
)

#: Agent nouns, nominalisations, abbreviations and irregular plurals mapped to a base word
#: before stemming, so "owner" meets "owns", "db" meets "database"; irregular verb forms
#: ("wrote" -> "write") come from ``IRREGULAR_VERBS`` (``checks.language._stem``).
BASE_WORDS: dict[str, str] = {
    "leader": "lead", "owner": "own", "ownership": "own", "writer": "write", "reader": "read",
    "storage": "store", "maintainer": "maintain", "reviewer": "review", "approver": "approve",
    "approval": "approve", "approvals": "approve", "automated": "automatic",
    "automatically": "automatic", "expiry": "expire", "expiration": "expire",
    "deletion": "delete", "creation": "create", "failure": "fail", "failures": "fail",
    "config": "configure", "configuration": "configure", "db": "database", "dbs": "databases",
    "env": "environment", "repo": "repository", "max": "maximum", "min": "minimum",
    "msg": "message", "auth": "authenticate", "authentication": "authenticate",
    "children": "child", "people": "person", "var": "variable", "vars": "variables",
    "retention": "retain", "rotation": "rotate", "renewal": "renew", "removal": "remove",
    "escalation": "escalate", "notification": "notify", "encryption": "encrypt",
    "compression": "compress", "replication": "replicate", "validation": "validate",
    "submission": "submit", "allocation": "allocate", "rotations": "rotate",
    "renewals": "renew", "removals": "remove", "escalations": "escalate",
    "notifications": "notify", "submissions": "submit", "allocations": "allocate",
}  # fmt: skip

#: A few general synonym classes (verbs of keeping, owning, requiring), as base words.
SYNONYMS: dict[str, str] = {
    "retain": "keep", "store": "keep", "hold": "keep", "persist": "keep",
    "belong": "own", "deliver": "send", "remove": "delete", "purge": "delete",
    "erase": "delete", "require": "need", "mandatory": "need", "commence": "begin",
    "invoke": "call", "mail": "email",
}  # fmt: skip
