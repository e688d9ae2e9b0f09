"""What every step knows about English: one tokenizer, one stemmer, one set of word lists.

``tokenize`` splits a text into whitespace tokens (an inline code span is one token) and
``words`` into the letter runs of those tokens, each with its ``stem``; ``is_content`` tells
the words that say what a sentence is about; ``verb_tags`` which forms of a verb a word could
be. Extraction and alignment both read English through this package, and it depends on
nothing else of ours. Everything is general English or general engineering vocabulary, never
words of one corpus (docs/architecture.md).
"""

from ._lexicon import (
    AUX,
    BASE_WORDS,
    DETERMINERS,
    DISCOURSE,
    MODALS,
    PREPOSITIONS,
    STOPWORDS,
    SUBJECT_PRONOUNS,
    SUBORDINATORS,
    SYNONYMS,
    wordset,
)
from ._stem import stem
from ._tokens import (
    Token,
    Word,
    code_spans,
    compounds,
    content_stems,
    is_content,
    tokenize,
    words,
)
from ._verbs import IRREGULAR_FORMS, IRREGULAR_VERBS, VERB_BASES, verb_tags

__all__ = [
    "AUX",
    "BASE_WORDS",
    "DETERMINERS",
    "DISCOURSE",
    "IRREGULAR_FORMS",
    "IRREGULAR_VERBS",
    "MODALS",
    "PREPOSITIONS",
    "STOPWORDS",
    "SUBJECT_PRONOUNS",
    "SUBORDINATORS",
    "SYNONYMS",
    "VERB_BASES",
    "Token",
    "Word",
    "code_spans",
    "compounds",
    "content_stems",
    "is_content",
    "stem",
    "tokenize",
    "verb_tags",
    "words",
    "wordset",
]
