"""The deterministic stage of the verdict cascade: align a claim's values with evidence.

``extract_values`` reads the values a sentence states (numbers, durations, sizes, dates,
versions, ports, status codes, money, counts, identifiers and names), normalized so that
"30s" equals "half a minute". ``polarity`` reads its negations and quantifiers.
``align(claim, evidence)`` pairs the claim's values with the evidence values that play the
same role and reports agreements, conflicts and negation or quantifier mismatches, with a
verdict hint and a one-line explanation. Everything is pure Python and deterministic.
Its hand-written rules are named objects (``RULES``, each with examples); ``disabled_rules(names)``
switches some off for what runs inside it, to measure what each is worth.
"""

from ._align import SUBJECT_MIN, Alignment, Conflict, Hint, align
from ._bounds import Qualifier
from ._catalog import RULES
from ._lexicon import MONTHS
from ._pairs import Pairing, row_pairing
from ._polarity import Negation, Polarity, Quantifier, QuantifierKind, polarity
from ._rule import Example, Passage, Rule
from ._switches import check_rules, disabled_rules, enabled
from ._table import row_cells
from ._values import Norm, Value, ValueKind, extract_values

__all__ = [
    "MONTHS",
    "RULES",
    "SUBJECT_MIN",
    "Alignment",
    "Conflict",
    "Example",
    "Hint",
    "Negation",
    "Norm",
    "Pairing",
    "Passage",
    "Polarity",
    "Qualifier",
    "Quantifier",
    "QuantifierKind",
    "Rule",
    "Value",
    "ValueKind",
    "align",
    "check_rules",
    "disabled_rules",
    "enabled",
    "extract_values",
    "polarity",
    "row_cells",
    "row_pairing",
]
