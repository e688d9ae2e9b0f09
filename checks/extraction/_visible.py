"""What a reader sees: agent text with hidden characters and look-alikes folded away.

An agent (or text it was steered by) can hide a false claim from the checks without changing
what a reviewer reads: a zero-width space inside a number (``94\\u200b43`` is read "9443",
parsed "94"), a bidi override, fullwidth or mathematical digits (``９４４３``), or a Cyrillic
letter inside a Latin word (``gаteway``), which no longer matches the corpus's subject.
Claims are therefore cut from, and checked on, the *visible* form of the text:

- format characters (Unicode ``Cf``: zero-width, bidi controls, soft hyphen, word joiner,
  tags) are dropped;
- every decimal digit becomes its ASCII digit; fullwidth, halfwidth and mathematical letters
  and signs become their ASCII form (superscripts and fractions are left as they are);
- in a word that mixes Latin letters with Cyrillic or Greek look-alikes, those become the
  Latin letters they imitate (a word wholly in another script is left alone).

Corpus text is not folded: a look-alike key in a document is a different key. A corpus
sentence that *disguises* a word (``disguised``: look-alike letters inside a Latin word, or a
hidden character inside a word or number) is not evidence for or against anything.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["disguised", "visible"]

#: Cyrillic and Greek letters that render like a Latin one, and that letter.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝһӏАВЕКМНОРСТХІЈЅ"  # Cyrillic
    "οαινρυχκΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",  # Greek
    "aeopcyxijsdqwhlABEKMHOPCTXIJSoaivpuxkABEZHIKMNOPTYX",
)
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[A-Za-z]")


def visible(text: str) -> tuple[str, list[int]]:
    """``text`` folded as the module says, and for each character of the result the index
    of the character of ``text`` it stands for (strictly increasing)."""
    if text.isascii():
        return text, list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            chars.append(ch)
        elif unicodedata.category(ch) == "Cf":
            continue
        else:
            chars.append(_one(ch))
        origin.append(i)
    folded = "".join(chars)
    if not folded.isascii():
        folded = _WORD.sub(_unmix, folded)
    return folded, origin


def disguised(text: str) -> bool:
    """True when ``text`` hides a word: a Latin word with look-alike letters in it, or a
    format character (zero-width, bidi) between two letters or digits."""
    if text.isascii():
        return False
    for i, ch in enumerate(text):
        if (
            0 < i < len(text) - 1
            and unicodedata.category(ch) == "Cf"
            and text[i - 1].isalnum()
            and text[i + 1].isalnum()
        ):
            return True
    return any(
        not w.isascii() and _LATIN.search(w) and w.translate(_LOOKALIKES) != w
        for w in _WORD.findall(text)
    )


def _one(ch: str) -> str:
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    # only width and font variants: a superscript or a fraction means something else
    if unicodedata.decomposition(ch).startswith(("<wide>", "<narrow>", "<font>")):
        compat = unicodedata.normalize("NFKC", ch)
        if len(compat) == 1 and compat.isascii():
            return compat
    return ch


def _unmix(m: re.Match[str]) -> str:
    word = m.group()
    if word.isascii() or not _LATIN.search(word):
        return word
    return word.translate(_LOOKALIKES)
