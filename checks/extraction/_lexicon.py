"""What clause detection knows about English beyond ``checks.language``: the words after an
imperative verb that mark it as a verb with an object.
"""

from __future__ import annotations

from typing import Final

from checks.language import DETERMINERS, wordset

__all__ = ["OBJECT_WORDS"]

#: Words after an imperative verb that mark it as a verb with an object, not a noun.
OBJECT_WORDS: Final = (
    DETERMINERS
    | wordset(
        """
    it them him her me us you up down out off on in into to for at with from by over
        back through again away around whether if how what which where when why who"""
    )
) - frozenset({"of", "more", "most", "less", "least", "own", "such", "other", "many", "few"})
