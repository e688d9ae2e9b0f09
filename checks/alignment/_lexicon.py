"""Word tables the alignment rules read: number words, units, months, antonyms.

Everything here is general English or general engineering vocabulary, never words of one
corpus: the rules must carry over to any company's documentation.
"""

from __future__ import annotations

from checks.language import wordset

__all__ = [
    "ANTONYMS",
    "CURRENCY_CODES",
    "CURRENCY_SYMBOLS",
    "DURATION_UNITS",
    "FILE_EXTENSIONS",
    "FRACTIONS",
    "HTTP_METHODS",
    "MONTHS",
    "NUMBER_WORDS",
    "SCALE_WORDS",
    "SIZE_UNITS",
    "WEEKDAYS",
]


NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip

#: Multipliers written after a number: "1.2 million", "3 billion".
SCALE_WORDS: dict[str, float] = {
    "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
}  # fmt: skip

#: Fractions before "of a"/"a"/"an": "half a minute", "a quarter of an hour".
FRACTIONS: dict[str, float] = {"half": 0.5, "quarter": 0.25, "third": 1 / 3}

#: Duration unit spelling -> (canonical unit, seconds). Business days are their own unit:
#: five business days is not five calendar days, so the two never compare.
DURATION_UNITS: dict[str, tuple[str, float]] = {}
for _names, _canon, _secs in (
    (("ns", "nanosecond", "nanoseconds"), "ns", 1e-9),
    (("us", "µs", "microsecond", "microseconds"), "us", 1e-6),
    (("ms", "msec", "msecs", "millisecond", "milliseconds"), "ms", 1e-3),
    (("s", "sec", "secs", "second", "seconds"), "s", 1.0),
    (("m", "min", "mins", "minute", "minutes"), "min", 60.0),
    (("h", "hr", "hrs", "hour", "hours"), "h", 3600.0),
    (("d", "day", "days"), "d", 86400.0),
    (("w", "wk", "wks", "week", "weeks"), "week", 604800.0),
    (("month", "months"), "month", 30 * 86400.0),
    (("y", "yr", "yrs", "year", "years"), "year", 365 * 86400.0),
):
    for _name in _names:
        DURATION_UNITS[_name] = (_canon, _secs)

#: Size unit -> (canonical unit, bytes). "MB" is decimal and "MiB" binary; see
#: ``_compare.sizes_agree`` for why a MB/MiB pair is not called a conflict.
SIZE_UNITS: dict[str, tuple[str, float]] = {}
for _names, _canon, _bytes in (
    (("b", "byte", "bytes"), "B", 1.0),
    (("kb", "kilobyte", "kilobytes"), "KB", 1e3),
    (("mb", "megabyte", "megabytes"), "MB", 1e6),
    (("gb", "gigabyte", "gigabytes"), "GB", 1e9),
    (("tb", "terabyte", "terabytes"), "TB", 1e12),
    (("pb", "petabyte", "petabytes"), "PB", 1e15),
    (("kib", "kibibyte", "kibibytes"), "KiB", 2.0**10),
    (("mib", "mebibyte", "mebibytes"), "MiB", 2.0**20),
    (("gib", "gibibyte", "gibibytes"), "GiB", 2.0**30),
    (("tib", "tebibyte", "tebibytes"), "TiB", 2.0**40),
    (("pib", "pebibyte", "pebibytes"), "PiB", 2.0**50),
):
    for _name in _names:
        SIZE_UNITS[_name] = (_canon, _bytes)

MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip

WEEKDAYS: dict[str, int] = {
    "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
    "sunday": 7,
}  # fmt: skip

CURRENCY_SYMBOLS: dict[str, str] = {"$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR"}
CURRENCY_CODES: frozenset[str] = wordset(
    "USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK INR CNY BRL MXN ZAR SGD HKD"
)

HTTP_METHODS: frozenset[str] = wordset("GET POST PUT PATCH DELETE HEAD OPTIONS")

FILE_EXTENSIONS: frozenset[str] = wordset(
    """
    py pyi js mjs cjs ts tsx jsx md rst txt yaml yml toml json jsonl ini cfg conf env sh bash
    go rs java kt kts scala rb php c h cc cpp hpp cs swift sql html htm css scss xml csv tsv
    lock log gguf bin tar gz tgz zip whl proto tf hcl mjml ipynb pem crt key
    """
)

#: Pairs of state words that negate one another ("enabled" vs "disabled").
ANTONYMS: dict[str, str] = {
    "enabled": "disabled", "enable": "disable", "true": "false",
    "automatic": "manual", "synchronous": "asynchronous", "sync": "async",
    "allowed": "forbidden", "permitted": "prohibited", "accepted": "rejected",
    "required": "optional", "mandatory": "optional", "present": "absent",
    "active": "inactive", "included": "excluded", "public": "private",
    "encrypted": "unencrypted", "blocking": "nonblocking", "stateful": "stateless",
    "supported": "unsupported", "idempotent": "nonidempotent",
}  # fmt: skip
for _pos, _neg in list(ANTONYMS.items()):
    ANTONYMS[_neg] = _pos
