"""What a hand-written rule of the alignment stage is: a name, what it matches, its kind, and
examples (a claim, its evidence, what the stage concludes with the rule on and off) that
``tests/test_rules.py`` turns into tests. The rules themselves: ``_catalog.py``; switching them
off: ``_switches.py``; where to add one: docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Conclusion", "Example", "Passage", "Rule"]

#: What the stage concludes from a claim and its evidence: a value or polarity conflict, an
#: agreeing sentence (with a number no evidence states: "agree+unstated"), or neither.
Conclusion = Literal["conflict", "agree", "agree+unstated", "unstated", "neither"]


@dataclass(frozen=True)
class Passage:
    """One evidence sentence of an example, as retrieval would hand it over."""

    text: str
    source: str = "docs/a.md"
    line: int = 1
    cosine: float = 0.9  # how close the embedder found it to the claim
    chunk: str = ""  # the chunk it came from [default: ``source#line``]
    superseded: bool = False
    heading: str = ""  # its document's title and headings


@dataclass(frozen=True)
class Example:
    """A claim and its evidence that the rule decides: what the stage concludes with the rule
    on (``on``) and with it off (``off``)."""

    claim: str
    evidence: tuple[Passage, ...]
    on: Conclusion
    off: Conclusion


@dataclass(frozen=True)
class Rule:
    """A hand-written rule of the alignment stage."""

    name: str
    matches: str  # what it matches or does, in one line
    kind: Literal["polarity", "structure", "value"]
    examples: tuple[Example, ...]
    #: whether a conflict or an agreement found by this rule alone decides the verdict. An
    #: imprecise rule's finding (names: a person goes by a surname, a band by its founder's
    #: name) is weighed with the entailment model's reading of the claim instead
    precise: bool = True
